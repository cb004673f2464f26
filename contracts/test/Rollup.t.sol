// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {TestVectors as V} from "./generated/TestVectors.sol";
import {Rollup} from "../src/Rollup.sol";
import {SettlementOracle} from "../src/SettlementOracle.sol";
import {CollateralToken} from "../src/CollateralToken.sol";
import {IGroth16Verifier} from "../src/IGroth16Verifier.sol";
import {Groth16Verifier} from "../generated/Groth16Verifier.sol";
import {RollupConstants as C} from "../src/generated/RollupConstants.sol";

/// @notice Unit and fuzz tests of the Rollup contract with the real generated verifier.
///         Proof-carrying batches are tested end to end on anvil (test/e2e.test.ts).
contract RollupTest is TestBase {
    CollateralToken internal token;
    Rollup internal rollup;
    address internal constant OPERATOR = address(0x0123);
    address internal alice = address(uint160(V.ALICE_L1));
    address internal bob = address(uint160(V.BOB_L1));

    event Deposited(uint256 indexed queueIndex, address indexed from, uint256 pubKeyX, uint256 pubKeyY, uint256 amount);
    event RollupFrozen(uint256 indexed queueIndex, uint256 lastVerifiedRoot);

    function setUp() public {
        vm.warp(1_800_000_000);
        rollup = _deploy(V.GENESIS_ROOT);
    }

    function _deploy(uint256 genesisRoot) internal returns (Rollup r) {
        token = new CollateralToken();
        r = new Rollup(
            token,
            IGroth16Verifier(address(new Groth16Verifier())),
            OPERATOR,
            C.TEST_BATCH_SIZE,
            C.TEST_ACCOUNTS_DEPTH,
            C.TEST_FORCED_TIMEOUT,
            genesisRoot,
            new SettlementOracle(OPERATOR, token.decimals())
        );
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
        assertEq(rollup.dataHash(V.depositBatchData()), V.DEPOSIT_BATCH_DATA_HASH, "data hash");
    }

    function test_RevertWhen_SubmitBatchByNonOperator() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.expectRevert(Rollup.NotOperator.selector);
        rollup.submitBatch(V.depositBatchData(), 1, 0, p, q, p);
    }

    function test_RevertWhen_SubmitBatchWithWrongLength() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadDataLength.selector, 3, 2 * C.TEST_BATCH_SIZE));
        rollup.submitBatch(new uint256[](3), 1, 0, p, q, p);
    }

    function test_RevertWhen_SubmitBatchConsumesMoreThanQueued() public {
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(Rollup.QueueOverrun.selector, 2, 0));
        rollup.submitBatch(V.depositBatchData(), V.ROOT_AFTER_DEPOSITS, 2, p, q, p);
    }

    function test_RevertWhen_SubmitBatchWithInvalidProof() public {
        _deposit(alice, V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        _deposit(bob, V.BOB_AMOUNT, V.BOB_PUBKEY_X, V.BOB_PUBKEY_Y);
        uint256[2] memory a = [uint256(1), 2];
        uint256[2][2] memory b = [[uint256(1), 2], [uint256(3), 4]];
        vm.prank(OPERATOR);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.submitBatch(V.depositBatchData(), V.ROOT_AFTER_DEPOSITS, 2, a, b, a);
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
        rollup.submitBatch(data, 1, 0, p, q, p);
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
        rollup.submitBatch(V.depositBatchData(), 1, 0, p, q, p);
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
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadSiblingsLength.selector, 3, C.TEST_ACCOUNTS_DEPTH));
        rollup.escapeExit(1, _fields(V.aliceFields()), new uint256[](3));
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

    function test_RevertWhen_WithdrawWithNothingPending() public {
        vm.expectRevert(Rollup.NothingToWithdraw.selector);
        rollup.withdraw();
    }
}
