// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase, Vm} from "./TestBase.sol";
import {TestVectors as V} from "./generated/TestVectors.sol";
import {Rollup} from "../src/Rollup.sol";
import {SettlementOracle} from "../src/SettlementOracle.sol";
import {ISettlementOracle} from "../src/ISettlementOracle.sol";
import {CollateralToken} from "../src/CollateralToken.sol";
import {IGroth16Verifier} from "../src/IGroth16Verifier.sol";
import {Groth16Verifier} from "../generated/Groth16Verifier.sol";
import {RollupConstants as C} from "../src/generated/RollupConstants.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";

/// @notice A stand-in verifier that accepts exactly the public inputs it was told to: a
///         "proof" of those inputs, so that accepted batches can be tested without a prover.
contract AcceptListedInputsVerifier is IGroth16Verifier {
    mapping(uint256 input => bool) public accepted;

    function accept(uint256 input) external {
        accepted[input] = true;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[1] calldata publicSignals)
        external
        view
        returns (bool)
    {
        return accepted[publicSignals[0]];
    }
}

/// @notice A stand-in settlement oracle whose aggregate is whatever price the test set.
contract SetPriceOracle is ISettlementOracle {
    uint256 public price;

    function setPrice(uint256 price_) external {
        price = price_;
    }

    function aggregate(bytes32) external view returns (uint256, address[] memory feedsUsed) {
        return (price, feedsUsed);
    }
}

/// @notice Unit and fuzz tests of the Rollup contract with the real generated verifier;
///         accepted batches use a stand-in verifier (AcceptListedInputsVerifier). Batches with
///         real proofs are tested end to end on anvil (test/e2e.test.ts).
contract RollupTest is TestBase {
    CollateralToken internal token;
    Rollup internal rollup;
    address internal constant OPERATOR = address(0x0123);
    address internal alice = address(uint160(V.ALICE_L1));
    address internal bob = address(uint160(V.BOB_L1));

    event Deposited(uint256 indexed queueIndex, address indexed from, uint256 pubKeyX, uint256 pubKeyY, uint256 amount);
    event RollupFrozen(uint256 indexed queueIndex, uint256 lastVerifiedRoot);
    event BatchVerified(uint256 indexed batchNumber, uint256 oldRoot, uint256 newRoot, uint256 queueProcessed, uint256 inputHash);
    event MarketTableUpdated(uint256 indexed batchNumber, uint256 tableHash);

    uint256[] internal noTable;

    function setUp() public {
        vm.warp(1_800_000_000);
        rollup = _deploy(V.GENESIS_ROOT);
    }

    function _deploy(uint256 genesisRoot) internal returns (Rollup r) {
        r = _deployWith(IGroth16Verifier(address(new Groth16Verifier())), genesisRoot);
    }

    function _deployWith(IGroth16Verifier verifier, uint256 genesisRoot) internal returns (Rollup r) {
        token = new CollateralToken();
        r = _deployWithOracle(verifier, genesisRoot, new SettlementOracle(OPERATOR, token.decimals()));
    }

    function _deployWithOracle(IGroth16Verifier verifier, uint256 genesisRoot, ISettlementOracle oracle) internal returns (Rollup r) {
        if (address(token) == address(0)) token = new CollateralToken();
        r = new Rollup(
            token,
            verifier,
            OPERATOR,
            C.TEST_BATCH_SIZE,
            C.TEST_ACCOUNTS_DEPTH,
            C.TEST_FORCED_TIMEOUT,
            genesisRoot,
            C.TEST_MARKET_TABLE_WORDS,
            C.TEST_EMPTY_MARKET_TABLE_HASH,
            oracle
        );
    }

    /// @dev A rollup whose verifier accepts only what the test lists, with Alice's and Bob's
    ///      deposits queued (the deposit batch of the vectors can then be submitted).
    function _acceptingRollupWithDeposits() internal returns (AcceptListedInputsVerifier verifier) {
        verifier = new AcceptListedInputsVerifier();
        rollup = _deployWith(verifier, V.GENESIS_ROOT);
        _deposit(alice, V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        _deposit(bob, V.BOB_AMOUNT, V.BOB_PUBKEY_X, V.BOB_PUBKEY_Y);
    }

    /// @dev The deposit batch's public input when its data chain starts at `tableHash`.
    function _depositBatchInput(uint256 tableHash) internal view returns (uint256) {
        return PoseidonT6.hash(
            [V.GENESIS_ROOT, V.ROOT_AFTER_DEPOSITS, 0, V.QUEUE_HASH_2, rollup.dataHash(V.depositBatchData(), tableHash)]
        );
    }

    function _submit(uint256[] memory data, uint256[] memory table, uint256 newRoot, uint256 queueCount) internal {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        rollup.submitBatch(data, table, newRoot, queueCount, p, q, p);
    }

    function _deposit(address from, uint256 amount, uint256 pkX, uint256 pkY) internal returns (uint256) {
        token.mint(from, amount);
        vm.startPrank(from);
        token.approve(address(rollup), amount);
        uint256 index = rollup.deposit(amount, pkX, pkY);
        vm.stopPrank();
        return index;
    }

    /// @dev A rollup whose verified root already holds Alice's and Bob's accounts, frozen.
    function _frozenWithAccounts() internal {
        rollup = _deploy(V.ROOT_AFTER_DEPOSITS);
        token.mint(address(rollup), V.ALICE_AMOUNT + V.BOB_AMOUNT);
        vm.prank(alice);
        uint256 request = rollup.requestForcedWithdrawal(1);
        vm.warp(block.timestamp + C.TEST_FORCED_TIMEOUT + 1);
        rollup.freeze(request);
    }

    /*//////////////////////////////////////////////////////////////
                                 DEPOSITS
    //////////////////////////////////////////////////////////////*/

    function test_Deposit_ChainsQueueHashLikeTheCore() public {
        token.mint(alice, V.ALICE_AMOUNT);
        vm.startPrank(alice);
        token.approve(address(rollup), V.ALICE_AMOUNT);
        vm.expectEmit(true, true, false, true, address(rollup));
        emit Deposited(0, alice, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y, V.ALICE_AMOUNT);
        rollup.deposit(V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        vm.stopPrank();
        _deposit(bob, V.BOB_AMOUNT, V.BOB_PUBKEY_X, V.BOB_PUBKEY_Y);
        assertEq(rollup.queueLength(), 2, "queue length");
        assertEq(rollup.queueHash(1), V.QUEUE_HASH_1, "queue hash 1");
        assertEq(rollup.queueHash(2), V.QUEUE_HASH_2, "queue hash 2");
        assertEq(token.balanceOf(address(rollup)), V.ALICE_AMOUNT + V.BOB_AMOUNT, "custody");
    }

    function test_RevertWhen_DepositIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.AmountOutOfRange.selector, 0));
        rollup.deposit(0, 1, 2);
    }

    function test_RevertWhen_DepositExceeds64Bits() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.AmountOutOfRange.selector, uint256(1) << 64));
        rollup.deposit(uint256(1) << 64, 1, 2);
    }

    function test_RevertWhen_DepositKeyIsZeroOrOffField() public {
        vm.expectRevert(Rollup.InvalidPubKey.selector);
        rollup.deposit(1, 0, 0);
        vm.expectRevert(Rollup.InvalidPubKey.selector);
        rollup.deposit(1, C.SNARK_FIELD, 1);
    }

    function test_RevertWhen_DepositWithoutAllowance() public {
        token.mint(alice, 10);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(CollateralToken.InsufficientAllowance.selector, 0, 10));
        rollup.deposit(10, 1, 2);
    }

    function testFuzz_Deposit_AcceptsEvery64BitAmount(uint256 amount) public {
        amount = bound(amount, 1, (uint256(1) << 64) - 1);
        uint256 index = _deposit(alice, amount, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        assertEq(index, 0, "first queue index");
        assertEq(token.balanceOf(address(rollup)), amount, "custody");
        assertTrue(rollup.queueHash(1) != 0, "chained");
    }

    /*//////////////////////////////////////////////////////////////
                                 BATCHES
    //////////////////////////////////////////////////////////////*/

    function test_DataHash_MatchesTheCore() public view {
        assertEq(rollup.dataHash(V.depositBatchData(), V.EMPTY_TABLE_HASH), V.DEPOSIT_BATCH_DATA_HASH, "data hash");
    }

    function test_DataHash_StartsAtTheTableHash() public view {
        uint256[] memory noops = new uint256[](2 * C.TEST_BATCH_SIZE);
        assertEq(rollup.dataHash(new uint256[](0), V.TABLE_HASH), V.TABLE_HASH, "no slots: the seed");
        assertTrue(rollup.dataHash(noops, V.TABLE_HASH) != rollup.dataHash(noops, V.EMPTY_TABLE_HASH), "seeded by the table");
    }

    function test_DepositBatchInputHash_MatchesTheCore() public view {
        assertEq(_depositBatchInput(V.EMPTY_TABLE_HASH), V.DEPOSIT_BATCH_INPUT_HASH, "input hash");
    }

    function test_RevertWhen_SubmitBatchByNonOperator() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.submitBatch(V.depositBatchData(), noTable, 1, 0, p, q, p);
    }

    function test_RevertWhen_SubmitBatchWithWrongLength() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadDataLength.selector, 3, 2 * C.TEST_BATCH_SIZE));
        rollup.submitBatch(new uint256[](3), noTable, 1, 0, p, q, p);
    }

    function test_RevertWhen_SubmitBatchConsumesMoreThanQueued() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.QueueOverrun.selector, 2, 0));
        rollup.submitBatch(V.depositBatchData(), noTable, V.ROOT_AFTER_DEPOSITS, 2, p, q, p);
    }

    function test_RevertWhen_SubmitBatchWithInvalidProof() public {
        _deposit(alice, V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        _deposit(bob, V.BOB_AMOUNT, V.BOB_PUBKEY_X, V.BOB_PUBKEY_Y);
        uint256[2] memory a = [uint256(1), 2];
        uint256[2][2] memory b = [[uint256(1), 2], [uint256(3), 4]];
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.submitBatch(V.depositBatchData(), noTable, V.ROOT_AFTER_DEPOSITS, 2, a, b, a);
        assertEq(rollup.stateRoot(), V.GENESIS_ROOT, "root unchanged");
        assertEq(rollup.queueProcessed(), 0, "queue unchanged");
    }

    function test_RevertWhen_SubmitBatchDataNotInField() public {
        uint256[] memory data = V.depositBatchData();
        data[1] = C.SNARK_FIELD;
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotAFieldElement.selector, C.SNARK_FIELD));
        rollup.submitBatch(data, noTable, 1, 0, p, q, p);
    }

    /*//////////////////////////////////////////////////////////////
                              MARKET TABLE
    //////////////////////////////////////////////////////////////*/

    function test_Constructor_StartsAtTheEmptyTable() public view {
        assertEq(rollup.marketTableWords(), C.TEST_MARKET_TABLE_WORDS, "table words");
        assertEq(rollup.marketTableHash(), V.EMPTY_TABLE_HASH, "empty table hash");
        // The empty table packs to zero words.
        assertEq(rollup.tableHash(new uint256[](C.TEST_MARKET_TABLE_WORDS)), V.EMPTY_TABLE_HASH, "zero words");
    }

    function test_RevertWhen_ConstructedWithBadTableWordCount() public {
        uint256[3] memory bad = [uint256(0), 6, C.TEST_MARKET_TABLE_WORDS + 1];
        for (uint256 i = 0; i < bad.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableWordCount.selector, bad[i]));
            new Rollup(
                token, IGroth16Verifier(address(0)), OPERATOR, C.TEST_BATCH_SIZE, C.TEST_ACCOUNTS_DEPTH,
                C.TEST_FORCED_TIMEOUT, V.GENESIS_ROOT, bad[i], V.EMPTY_TABLE_HASH, ISettlementOracle(address(0))
            );
        }
    }

    function test_RevertWhen_ConstructedWithOddOrZeroAccountsDepth() public {
        // The accounts tree is 4-ary: the depth in bits must pair into accountsDepth / 2 levels.
        uint256[3] memory bad = [uint256(0), 3, C.TEST_ACCOUNTS_DEPTH + 1];
        for (uint256 i = 0; i < bad.length; i++) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.BadAccountsDepth.selector, bad[i]));
            new Rollup(
                token, IGroth16Verifier(address(0)), OPERATOR, C.TEST_BATCH_SIZE, bad[i], C.TEST_FORCED_TIMEOUT,
                V.GENESIS_ROOT, C.TEST_MARKET_TABLE_WORDS, V.EMPTY_TABLE_HASH, ISettlementOracle(address(0))
            );
        }
    }

    function test_TableHash_MatchesTheCore() public view {
        assertEq(rollup.tableHash(V.tableWords()), V.TABLE_HASH, "table hash");
    }

    function test_SubmitBatch_PostsATable() public {
        AcceptListedInputsVerifier verifier = _acceptingRollupWithDeposits();
        uint256 input = _depositBatchInput(V.TABLE_HASH);
        verifier.accept(input);
        vm.expectEmit(true, false, false, true, address(rollup));
        emit MarketTableUpdated(0, V.TABLE_HASH);
        vm.expectEmit(true, false, false, true, address(rollup));
        emit BatchVerified(0, V.GENESIS_ROOT, V.ROOT_AFTER_DEPOSITS, 2, input);
        _submit(V.depositBatchData(), V.tableWords(), V.ROOT_AFTER_DEPOSITS, 2);
        assertEq(rollup.marketTableHash(), V.TABLE_HASH, "table in force");
        assertEq(rollup.stateRoot(), V.ROOT_AFTER_DEPOSITS, "root");
        assertEq(rollup.batchCount(), 1, "batch count");
    }

    function test_SubmitBatch_ReusesTheTableInForce() public {
        AcceptListedInputsVerifier verifier = _acceptingRollupWithDeposits();
        // The vectors' deposit batch, proven against the empty table, with no table posted.
        verifier.accept(V.DEPOSIT_BATCH_INPUT_HASH);
        vm.recordLogs();
        _submit(V.depositBatchData(), noTable, V.ROOT_AFTER_DEPOSITS, 2);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; i++) {
            assertTrue(logs[i].topics[0] != MarketTableUpdated.selector, "no table event");
        }
        assertEq(rollup.marketTableHash(), V.EMPTY_TABLE_HASH, "table unchanged");
        assertEq(rollup.stateRoot(), V.ROOT_AFTER_DEPOSITS, "root");
    }

    function test_SubmitBatch_ReusesAPostedTable() public {
        AcceptListedInputsVerifier verifier = _acceptingRollupWithDeposits();
        verifier.accept(_depositBatchInput(V.TABLE_HASH));
        _submit(V.depositBatchData(), V.tableWords(), V.ROOT_AFTER_DEPOSITS, 2);
        // An empty batch after it, proven against the posted table, posts none.
        uint256[] memory noops = new uint256[](2 * C.TEST_BATCH_SIZE);
        uint256 nextRoot = 12345;
        uint256 withTable = PoseidonT6.hash(
            [V.ROOT_AFTER_DEPOSITS, nextRoot, V.QUEUE_HASH_2, V.QUEUE_HASH_2, rollup.dataHash(noops, V.TABLE_HASH)]
        );
        verifier.accept(withTable);
        _submit(noops, noTable, nextRoot, 0);
        assertEq(rollup.stateRoot(), nextRoot, "root");
        assertEq(rollup.marketTableHash(), V.TABLE_HASH, "table still in force");
        assertEq(rollup.batchCount(), 2, "batch count");
    }

    function test_RevertWhen_PostedTableChangesTheInputHash() public {
        AcceptListedInputsVerifier verifier = _acceptingRollupWithDeposits();
        // A proof of the deposit batch against the empty table does not cover another table.
        verifier.accept(V.DEPOSIT_BATCH_INPUT_HASH);
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.submitBatch(V.depositBatchData(), V.tableWords(), V.ROOT_AFTER_DEPOSITS, 2, p, q, p);
        assertEq(rollup.marketTableHash(), V.EMPTY_TABLE_HASH, "table unchanged");
        assertEq(rollup.stateRoot(), V.GENESIS_ROOT, "root unchanged");
        assertEq(rollup.batchCount(), 0, "no batch");
    }

    function test_RevertWhen_SubmitBatchTableHasWrongLength() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        uint256[3] memory lengths = [C.TEST_MARKET_TABLE_WORDS - 1, C.TEST_MARKET_TABLE_WORDS + 4, 4];
        for (uint256 i = 0; i < lengths.length; i++) {
            vm.prank(OPERATOR);
            vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableLength.selector, lengths[i], C.TEST_MARKET_TABLE_WORDS));
            rollup.submitBatch(V.depositBatchData(), new uint256[](lengths[i]), 1, 0, p, q, p);
        }
    }

    function test_RevertWhen_SubmitBatchTableWordOversized() public {
        uint256[] memory table = V.tableWords();
        table[7] = C.TABLE_WORD_LIMIT;
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableWord.selector, 7, C.TABLE_WORD_LIMIT));
        rollup.submitBatch(V.depositBatchData(), table, 1, 0, p, q, p);
    }

    function testFuzz_RevertWhen_TableWordAtOrAboveTheLimit(uint256 index, uint256 word) public {
        index = bound(index, 0, C.TEST_MARKET_TABLE_WORDS - 1);
        word = bound(word, C.TABLE_WORD_LIMIT, type(uint256).max);
        uint256[] memory table = V.tableWords();
        table[index] = word;
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableWord.selector, index, word));
        rollup.submitBatch(V.depositBatchData(), table, 1, 0, p, q, p);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableWord.selector, index, word));
        rollup.tableHash(table);
    }

    function testFuzz_TableHash_AcceptsEveryWordBelowTheLimit(uint256 index, uint256 word) public view {
        index = bound(index, 0, C.TEST_MARKET_TABLE_WORDS - 1);
        word = bound(word, 0, C.TABLE_WORD_LIMIT - 1);
        uint256[] memory table = V.tableWords();
        table[index] = word;
        uint256 h = rollup.tableHash(table);
        assertTrue(h < C.SNARK_FIELD, "hash in field");
        assertTrue((h == V.TABLE_HASH) == (word == V.tableWords()[index]), "hash binds the word");
    }

    function test_RevertWhen_TableHashOfNoWholeGroup() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableLength.selector, 0, C.TABLE_WORDS_PER_HASH));
        rollup.tableHash(new uint256[](0));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadTableLength.selector, 6, 8));
        rollup.tableHash(new uint256[](6));
    }

    /*//////////////////////////////////////////////////////////////
                         FORCED WITHDRAWAL, FREEZE
    //////////////////////////////////////////////////////////////*/

    function test_RequestForcedWithdrawal_RecordsDeadline() public {
        vm.prank(alice);
        uint256 index = rollup.requestForcedWithdrawal(1);
        assertEq(rollup.forcedDeadline(index), block.timestamp + C.TEST_FORCED_TIMEOUT, "deadline");
        assertEq(rollup.queueLength(), 1, "queued");
    }

    function test_RevertWhen_ForcedWithdrawalAccountOutOfRange() public {
        uint256 index = uint256(1) << C.TEST_ACCOUNTS_DEPTH;
        vm.expectRevert(abi.encodeWithSelector(Rollup.AccountOutOfRange.selector, index));
        rollup.requestForcedWithdrawal(index);
    }

    function testFuzz_Freeze_OnlyAfterTheDeadline(uint256 wait) public {
        wait = bound(wait, 0, 3 * C.TEST_FORCED_TIMEOUT);
        vm.prank(alice);
        uint256 index = rollup.requestForcedWithdrawal(1);
        uint256 deadline = rollup.forcedDeadline(index);
        vm.warp(block.timestamp + wait);
        if (block.timestamp <= deadline) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.TimeoutNotReached.selector, deadline));
            rollup.freeze(index);
            assertTrue(!rollup.frozen(), "not frozen");
        } else {
            vm.expectEmit(true, false, false, true);
            emit RollupFrozen(index, V.GENESIS_ROOT);
            rollup.freeze(index);
            assertTrue(rollup.frozen(), "frozen");
        }
    }

    function test_RevertWhen_FreezeNamesADeposit() public {
        uint256 index = _deposit(alice, 1, 1, 2);
        vm.warp(block.timestamp + C.TEST_FORCED_TIMEOUT + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotAForcedRequest.selector, index));
        rollup.freeze(index);
    }

    function test_RevertWhen_BatchOrDepositAfterFreeze() public {
        _frozenWithAccounts();
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.Frozen.selector);
        rollup.submitBatch(V.depositBatchData(), noTable, 1, 0, p, q, p);
        vm.expectRevert(Rollup.Frozen.selector);
        rollup.deposit(1, 1, 2);
        vm.expectRevert(Rollup.Frozen.selector);
        rollup.requestForcedWithdrawal(1);
    }

    /*//////////////////////////////////////////////////////////////
                                ESCAPE EXIT
    //////////////////////////////////////////////////////////////*/

    function _fields(uint256[] memory v) internal pure returns (uint256[7] memory f) {
        for (uint256 i = 0; i < 7; i++) f[i] = v[i];
    }

    function test_EscapeExit_PaysCollateralOnce() public {
        _frozenWithAccounts();
        rollup.escapeExit(1, _fields(V.aliceFields()), V.aliceSiblings());
        assertEq(token.balanceOf(alice), V.ALICE_AMOUNT, "alice paid");
        // Anyone may submit Bob's proof; Bob is paid.
        rollup.escapeExit(2, _fields(V.bobFields()), V.bobSiblings());
        assertEq(token.balanceOf(bob), V.BOB_AMOUNT, "bob paid");
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyExited.selector, 1));
        rollup.escapeExit(1, _fields(V.aliceFields()), V.aliceSiblings());
        assertEq(token.balanceOf(address(rollup)), 0, "custody emptied");
    }

    function test_RevertWhen_EscapeExitOfTheInsuranceFund() public {
        _frozenWithAccounts();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ReservedAccount.selector, uint256(0)));
        rollup.escapeExit(0, _fields(V.aliceFields()), V.aliceSiblings());
    }

    function test_RevertWhen_EscapeExitBeforeFreeze() public {
        vm.expectRevert(Rollup.NotFrozen.selector);
        rollup.escapeExit(1, _fields(V.aliceFields()), V.aliceSiblings());
    }

    function test_RevertWhen_EscapeExitInflatesCollateral() public {
        _frozenWithAccounts();
        uint256[7] memory fields = _fields(V.aliceFields());
        fields[4] += 1;
        vm.expectRevert(Rollup.InvalidMerkleProof.selector);
        rollup.escapeExit(1, fields, V.aliceSiblings());
    }

    function testFuzz_RevertWhen_EscapeExitAtAnotherIndex(uint256 index) public {
        // Any user index but Alice's own (1); account 0 has its own refusal (ReservedAccount).
        index = bound(index, 2, (uint256(1) << C.TEST_ACCOUNTS_DEPTH) - 1);
        _frozenWithAccounts();
        vm.expectRevert(Rollup.InvalidMerkleProof.selector);
        rollup.escapeExit(index, _fields(V.aliceFields()), V.aliceSiblings());
    }

    function test_RevertWhen_EscapeExitWithShortPath() public {
        _frozenWithAccounts();
        // One sibling triple per level of the 4-ary tree: accountsDepth / 2 of them.
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadSiblingsLength.selector, 1, C.TEST_ACCOUNTS_DEPTH / 2));
        rollup.escapeExit(1, _fields(V.aliceFields()), new uint256[3][](1));
    }

    function test_RevertWhen_EscapeExitWithAPathPerBit() public {
        // The binary tree's proof length (one level per index bit) is refused.
        _frozenWithAccounts();
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.BadSiblingsLength.selector, C.TEST_ACCOUNTS_DEPTH, C.TEST_ACCOUNTS_DEPTH / 2)
        );
        rollup.escapeExit(1, _fields(V.aliceFields()), new uint256[3][](C.TEST_ACCOUNTS_DEPTH));
    }

    function test_RevertWhen_EscapeExitWithSiblingsOutOfOrder() public {
        // Alice's path with its leaf level's siblings rotated: the same values, another tree.
        _frozenWithAccounts();
        uint256[3][] memory siblings = V.aliceSiblings();
        uint256 first = siblings[0][0];
        (siblings[0][0], siblings[0][1], siblings[0][2]) = (siblings[0][1], siblings[0][2], first);
        vm.expectRevert(Rollup.InvalidMerkleProof.selector);
        rollup.escapeExit(1, _fields(V.aliceFields()), siblings);
    }

    /*//////////////////////////////////////////////////////////////
                              DEPOSIT REFUND
    //////////////////////////////////////////////////////////////*/

    function test_RefundDeposit_ReturnsUnprocessedDepositOnce() public {
        _deposit(alice, V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        vm.prank(bob);
        uint256 request = rollup.requestForcedWithdrawal(2);
        vm.warp(block.timestamp + C.TEST_FORCED_TIMEOUT + 1);
        rollup.freeze(request);
        rollup.refundDeposit(0, alice, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y, V.ALICE_AMOUNT);
        assertEq(token.balanceOf(alice), V.ALICE_AMOUNT, "refunded");
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositAlreadyRefunded.selector, 0));
        rollup.refundDeposit(0, alice, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y, V.ALICE_AMOUNT);
    }

    function test_RevertWhen_RefundDepositWithForgedEntry() public {
        _deposit(alice, V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        vm.prank(bob);
        uint256 request = rollup.requestForcedWithdrawal(2);
        vm.warp(block.timestamp + C.TEST_FORCED_TIMEOUT + 1);
        rollup.freeze(request);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidQueueEntry.selector, 0));
        rollup.refundDeposit(0, bob, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y, V.ALICE_AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidQueueEntry.selector, 1));
        rollup.refundDeposit(1, bob, 0, 0, 0);
    }

    /*//////////////////////////////////////////////////////////////
                                 SERIES
    //////////////////////////////////////////////////////////////*/

    function test_ListSeries_AssignsIdsFromOne() public {
        vm.prank(OPERATOR);
        uint256 id = rollup.listSeries("ETH", uint64(block.timestamp + 30 days), 3000e6, true);
        assertEq(id, 1, "first id");
        assertEq(rollup.series(1).strike, 3000e6, "strike");
    }

    function test_RevertWhen_ListSeriesByNonOperatorOrExpired() public {
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.listSeries("ETH", uint64(block.timestamp + 1 days), 1, true);
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidSeries.selector);
        rollup.listSeries("ETH", uint64(block.timestamp), 1, true);
    }

    function test_RevertWhen_ListSeriesStrikeExceeds64Bits() public {
        uint64 expiry = uint64(block.timestamp + 30 days);
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidSeries.selector);
        rollup.listSeries("ETH", expiry, uint256(1) << 64, true);
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidSeries.selector);
        rollup.listSeries("ETH", expiry, type(uint256).max, false);
        assertEq(rollup.seriesCount(), 0, "nothing listed");
        // The largest uint64 strike is listed.
        vm.prank(OPERATOR);
        uint256 id = rollup.listSeries("ETH", expiry, type(uint64).max, true);
        assertEq(rollup.series(id).strike, type(uint64).max, "max strike");
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    uint256 internal constant STRIKE = 3000e6;
    uint256 internal constant FIXED_PRICE = 3100e6;
    uint256 internal constant SETTLED_ROOT = 777;

    AcceptListedInputsVerifier internal settleVerifier;
    SetPriceOracle internal priceOracle;
    uint256 internal callSeries;
    uint256 internal putSeries;

    /// @dev A rollup with an accepting verifier and a set-price oracle, a call and a put at
    ///      `STRIKE` listed (ids 1, 2), expired; the call's price is fixed at `FIXED_PRICE`
    ///      when `fix`, the put's too when `fixPut`.
    function _settlingRollup(bool fix, bool fixPut) internal {
        settleVerifier = new AcceptListedInputsVerifier();
        priceOracle = new SetPriceOracle();
        rollup = _deployWithOracle(settleVerifier, V.GENESIS_ROOT, priceOracle);
        uint64 expiry = uint64(block.timestamp + 7 days);
        vm.startPrank(OPERATOR);
        callSeries = rollup.listSeries("ETH", expiry, STRIKE, true);
        putSeries = rollup.listSeries("ETH", expiry, STRIKE, false);
        vm.stopPrank();
        vm.warp(expiry);
        priceOracle.setPrice(FIXED_PRICE);
        if (fix) rollup.fixSettlementPrice(callSeries);
        if (fixPut) rollup.fixSettlementPrice(putSeries);
    }

    /// @dev The two words of a settlement slot (docs/protocol.md SlotLayout; as
    ///      state/batchData.ts encodes it): account 1, size 5, long, position 0.
    function _settlement(uint256 seriesId, uint256 price, uint256 strike, bool isCall) internal pure returns (uint256 e1, uint256 e2) {
        e1 = C.TX_SETTLEMENT | (uint256(1) << C.SLOT_ACCOUNT_OFFSET) | (seriesId << C.SLOT_TRADE_SERIES_OFFSET)
            | (uint256(5) << C.SLOT_TRADE_SIZE_OFFSET);
        e2 = (price << C.SLOT_SETTLEMENT_PRICE_OFFSET) | (strike << C.SLOT_SETTLEMENT_STRIKE_OFFSET)
            | ((isCall ? uint256(1) : 0) << C.SLOT_SETTLEMENT_IS_CALL_OFFSET) | (uint256(0) << C.SLOT_SETTLEMENT_POSITION_OFFSET);
    }

    /// @dev A batch whose slot `slot` is the given settlement, the other a no-op.
    function _settlementBatch(uint256 slot, uint256 seriesId, uint256 price, uint256 strike, bool isCall)
        internal
        pure
        returns (uint256[] memory data)
    {
        data = new uint256[](2 * C.TEST_BATCH_SIZE);
        (data[2 * slot], data[2 * slot + 1]) = _settlement(seriesId, price, strike, isCall);
    }

    /// @dev Has the verifier accept `data`'s batch (no queue entries, the table in force, to
    ///      `SETTLED_ROOT`), so that only the settlement checks can refuse it.
    function _acceptBatch(uint256[] memory data) internal returns (uint256 input) {
        input = PoseidonT6.hash([V.GENESIS_ROOT, SETTLED_ROOT, 0, 0, rollup.dataHash(data, V.EMPTY_TABLE_HASH)]);
        settleVerifier.accept(input);
    }

    /// @dev Submits `data` (proof accepted) expecting `err`, then checks nothing changed.
    function _assertSettlementRefused(uint256[] memory data, bytes memory err) internal {
        _acceptBatch(data);
        (uint256 priceBefore,) = rollup.settlementPrice(callSeries);
        vm.expectRevert(err);
        _submit(data, noTable, SETTLED_ROOT, 0);
        assertEq(rollup.stateRoot(), V.GENESIS_ROOT, "root unchanged");
        assertEq(rollup.batchCount(), 0, "no batch");
        (uint256 priceAfter,) = rollup.settlementPrice(callSeries);
        assertEq(priceAfter, priceBefore, "price unchanged");
        assertEq(token.balanceOf(address(rollup)), 0, "no funds moved");
    }

    function test_SubmitBatch_AcceptsMatchingSettlements() public {
        _settlingRollup(true, true);
        uint256[] memory data = new uint256[](2 * C.TEST_BATCH_SIZE);
        (data[0], data[1]) = _settlement(callSeries, FIXED_PRICE, STRIKE, true);
        (data[2], data[3]) = _settlement(putSeries, FIXED_PRICE, STRIKE, false);
        uint256 input = _acceptBatch(data);
        vm.recordLogs();
        _submit(data, noTable, SETTLED_ROOT, 0);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertTrue(logs[0].topics[0] == BatchVerified.selector, "only BatchVerified");
        assertEq(rollup.stateRoot(), SETTLED_ROOT, "root");
        assertEq(rollup.batchCount(), 1, "batch count");
        assertEq(token.balanceOf(address(rollup)), 0, "no funds moved");
        assertEq(rollup.pendingWithdrawal(alice), 0, "nothing credited");
        assertTrue(settleVerifier.accepted(input), "proved input");
    }

    function test_SubmitBatch_SettlementIgnoresThePositionIndexAndE1Fields() public {
        // The circuit alone checks the account, size, short flag and position index.
        _settlingRollup(true, false);
        uint256[] memory data = _settlementBatch(1, callSeries, FIXED_PRICE, STRIKE, true);
        data[2] |= (uint256(9) << C.SLOT_ACCOUNT_OFFSET) | (uint256(1) << C.SLOT_LIQUIDATION_SHORT_OFFSET);
        data[3] |= uint256(3) << C.SLOT_SETTLEMENT_POSITION_OFFSET;
        _acceptBatch(data);
        _submit(data, noTable, SETTLED_ROOT, 0);
        assertEq(rollup.batchCount(), 1, "batch count");
    }

    function test_RevertWhen_SettlementPriceNotFixedYet() public {
        _settlingRollup(false, false);
        _assertSettlementRefused(
            _settlementBatch(0, callSeries, FIXED_PRICE, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementPriceNotFixed.selector, 0, callSeries)
        );
        // Nor a zero price for a series whose price is not fixed.
        _assertSettlementRefused(
            _settlementBatch(1, callSeries, 0, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementPriceNotFixed.selector, 1, callSeries)
        );
    }

    function test_RevertWhen_SettlementPriceDiffers() public {
        _settlingRollup(true, false);
        _assertSettlementRefused(
            _settlementBatch(0, callSeries, FIXED_PRICE + 1, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 0, callSeries)
        );
        _assertSettlementRefused(
            _settlementBatch(1, callSeries, 0, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, callSeries)
        );
    }

    function test_RevertWhen_SettlementStrikeDiffers() public {
        _settlingRollup(true, false);
        _assertSettlementRefused(
            _settlementBatch(0, callSeries, FIXED_PRICE, STRIKE - 1, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 0, callSeries)
        );
        _assertSettlementRefused(
            _settlementBatch(1, callSeries, FIXED_PRICE, 0, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, callSeries)
        );
    }

    function test_RevertWhen_SettlementCallOrPutDiffers() public {
        _settlingRollup(true, true);
        _assertSettlementRefused(
            _settlementBatch(0, callSeries, FIXED_PRICE, STRIKE, false),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 0, callSeries)
        );
        _assertSettlementRefused(
            _settlementBatch(1, putSeries, FIXED_PRICE, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, putSeries)
        );
    }

    function test_RevertWhen_SettlementOfUnknownSeries() public {
        _settlingRollup(true, true);
        _assertSettlementRefused(
            _settlementBatch(0, 0, FIXED_PRICE, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 0, 0)
        );
        uint256 next = rollup.seriesCount() + 1;
        _assertSettlementRefused(
            _settlementBatch(1, next, FIXED_PRICE, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, next)
        );
        uint256 maxId = (uint256(1) << C.BITS_SERIES_ID) - 1;
        _assertSettlementRefused(
            _settlementBatch(1, maxId, FIXED_PRICE, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, maxId)
        );
    }

    function test_RevertWhen_SettlementMismatchesAfterAMatchingSlot() public {
        // Slot 0 matches, slot 1 does not: the batch is refused as a whole.
        _settlingRollup(true, true);
        uint256[] memory data = new uint256[](2 * C.TEST_BATCH_SIZE);
        (data[0], data[1]) = _settlement(callSeries, FIXED_PRICE, STRIKE, true);
        (data[2], data[3]) = _settlement(putSeries, FIXED_PRICE, STRIKE + 1, false);
        _assertSettlementRefused(data, abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 1, putSeries));
    }

    function testFuzz_RevertWhen_SettlementPriceIsNotTheFixedOne(uint256 price, uint256 slot) public {
        // Every uint64 price but the fixed one, in either slot.
        price = bound(price, 0, (uint256(1) << C.BITS_PRICE) - 2);
        if (price >= FIXED_PRICE) price += 1;
        slot = bound(slot, 0, C.TEST_BATCH_SIZE - 1);
        _settlingRollup(true, false);
        _assertSettlementRefused(
            _settlementBatch(slot, callSeries, price, STRIKE, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, slot, callSeries)
        );
    }

    function testFuzz_RevertWhen_SettlementStrikeIsNotTheSeries(uint256 strike) public {
        strike = bound(strike, 0, (uint256(1) << C.BITS_PRICE) - 2);
        if (strike >= STRIKE) strike += 1;
        _settlingRollup(true, false);
        _assertSettlementRefused(
            _settlementBatch(0, callSeries, FIXED_PRICE, strike, true),
            abi.encodeWithSelector(Rollup.SettlementMismatch.selector, 0, callSeries)
        );
    }

    function test_RevertWhen_WithdrawWithNothingPending() public {
        vm.expectRevert(Rollup.NothingToWithdraw.selector);
        rollup.withdraw();
    }
}
