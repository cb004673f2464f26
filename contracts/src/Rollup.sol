// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {RollupConstants as C} from "./generated/RollupConstants.sol";
import {QuadMerkle} from "./QuadMerkle.sol";
import {IERC20} from "./IERC20.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";
import {ISettlementOracle} from "./ISettlementOracle.sol";

/// @title Rollup
/// @notice L1 contract of the options rollup: holds the collateral, keeps the priority queue
///         of deposits and forced withdrawals, verifies each batch's Groth16 proof, pays
///         withdrawals, runs the escape hatch once the operator stops serving forced
///         withdrawals, and fixes each expired series' settlement price from the settlement
///         oracle. Each batch is bound to a market table (per series: mark, short minimum,
///         scenario values) that the circuit margins against: a batch either posts a new
///         table or reuses the last posted one. The rules are those of docs/protocol.md.
contract Rollup {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    error NotOperator();
    error Frozen();
    error NotFrozen();
    error AmountOutOfRange(uint256 amount);
    error InvalidPubKey();
    error AccountOutOfRange(uint256 accountIndex);
    error ReservedAccount(uint256 accountIndex);
    error BadDataLength(uint256 length, uint256 expected);
    error NotAFieldElement(uint256 value);
    error QueueOverrun(uint256 requested, uint256 available);
    error InvalidProof();
    error NothingToWithdraw();
    error TransferFailed();
    error NotAForcedRequest(uint256 queueIndex);
    error RequestAlreadyProcessed(uint256 queueIndex);
    error TimeoutNotReached(uint256 deadline);
    error AlreadyExited(uint256 accountIndex);
    error BadSiblingsLength(uint256 length, uint256 expected);
    error InvalidMerkleProof();
    error DepositAlreadyRefunded(uint256 queueIndex);
    error DepositProcessed(uint256 queueIndex);
    error InvalidQueueEntry(uint256 queueIndex);
    error InvalidSeries();
    /// @notice Settlement slot `slot` of a submitted batch does not match the L1 storage of
    ///         series `seriesId`: the series is not listed (`seriesId` is 0 or above
    ///         `seriesCount`), or the slot's settlement price differs from the fixed one, or
    ///         its strike from the series' strike, or its call/put flag from the series'.
    error SettlementMismatch(uint256 slot, uint256 seriesId);
    /// @notice Settlement slot `slot` of a submitted batch settles the listed series
    ///         `seriesId`, whose settlement price is not fixed yet (`fixSettlementPrice`).
    error SettlementPriceNotFixed(uint256 slot, uint256 seriesId);
    error UnknownSeries(uint256 seriesId);
    error NotExpired(uint256 seriesId, uint64 expiry);
    error AlreadyFixed(uint256 seriesId, uint256 price);
    /// @notice The oracle's aggregate for `seriesId` is 2^64 (`BITS_PRICE`) or more: no
    ///         settlement slot could carry it, so storing it would make the series unsettleable.
    error SettlementPriceOutOfRange(uint256 seriesId, uint256 price);
    error BadTableWordCount(uint256 words);
    /// @notice The accounts tree is 4-ary: its depth in bits must be even and non-zero.
    error BadAccountsDepth(uint256 accountsDepth);
    error BadTableLength(uint256 length, uint256 expected);
    error BadTableWord(uint256 index, uint256 word);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A deposit entered the priority queue at `queueIndex`.
    event Deposited(uint256 indexed queueIndex, address indexed from, uint256 pubKeyX, uint256 pubKeyY, uint256 amount);
    /// @notice A forced withdrawal of `accountIndex` entered the queue; `deadline` is when freezing becomes possible.
    event ForcedWithdrawalRequested(uint256 indexed queueIndex, address indexed requester, uint256 indexed accountIndex, uint256 deadline);
    /// @notice Batch `batchNumber` was verified and moved the root to `newRoot`.
    event BatchVerified(uint256 indexed batchNumber, uint256 oldRoot, uint256 newRoot, uint256 queueProcessed, uint256 inputHash);
    /// @notice `amount` became withdrawable by `recipient` in batch `batchNumber`.
    event WithdrawalCredited(uint256 indexed batchNumber, address indexed recipient, uint256 amount);
    /// @notice `recipient` was paid its pending withdrawals.
    event Withdrawn(address indexed recipient, uint256 amount);
    /// @notice The rollup froze because forced request `queueIndex` was not served in time.
    event RollupFrozen(uint256 indexed queueIndex, uint256 lastVerifiedRoot);
    /// @notice An account exited through the escape hatch.
    event EscapeExited(uint256 indexed accountIndex, address indexed recipient, uint256 amount);
    /// @notice An unprocessed deposit was refunded after the freeze.
    event DepositRefunded(uint256 indexed queueIndex, address indexed recipient, uint256 amount);
    /// @notice Batch `batchNumber` posted a new market table, whose hash is `tableHash`; the
    ///         table's words are in that batch's calldata.
    event MarketTableUpdated(uint256 indexed batchNumber, uint256 tableHash);
    /// @notice The operator listed an option series.
    event SeriesListed(uint256 indexed seriesId, bytes32 underlying, uint64 expiry, uint256 strike, bool isCall);
    /// @notice The settlement price of an expired series was fixed from the feeds `feedsUsed`.
    event SettlementPriceFixed(uint256 indexed seriesId, uint256 price, address[] feedsUsed);

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice An option series as listed by the operator.
    struct Series {
        bytes32 underlying;
        uint64 expiry;
        bool isCall;
        uint256 strike;
    }

    /// @notice The collateral token.
    IERC20 public immutable token;
    /// @notice The Groth16 verifier of the batch circuit.
    IGroth16Verifier public immutable verifier;
    /// @notice The sequencer's address: the only submitter of batches and lister of series.
    address public immutable operator;
    /// @notice Slots per batch (the circuit's `batchSize`).
    uint256 public immutable batchSize;
    /// @notice Depth of the accounts tree.
    uint256 public immutable accountsDepth;
    /// @notice Seconds a forced withdrawal may wait before anyone may freeze the rollup.
    uint256 public immutable forcedTimeout;
    /// @notice Where settlement prices come from (median of several feeds per underlying).
    ISettlementOracle public immutable settlementOracle;
    /// @notice Words of a posted market table (the circuit's table size; a multiple of
    ///         `TABLE_WORDS_PER_HASH`).
    uint256 public immutable marketTableWords;

    /// @notice The last verified state root.
    uint256 public stateRoot;
    /// @notice Number of verified batches.
    uint256 public batchCount;
    /// @notice Number of queue entries consumed by verified batches.
    uint256 public queueProcessed;
    /// @notice True once the escape hatch is open; no batch is accepted after it.
    bool public frozen;
    /// @notice Hash of the market table in force: that of the last verified batch that posted
    ///         one, or the empty table's before any did. Batches that post no table use it.
    uint256 public marketTableHash;

    /// @dev `_queueHash[n]` is the chain value after `n` entries; `_queueHash[0] = 0`.
    uint256[] internal _queueHash;
    /// @notice Freeze deadline of each forced-withdrawal entry (0 for deposits).
    mapping(uint256 queueIndex => uint256) public forcedDeadline;
    /// @notice Withdrawable balances credited by verified batches.
    mapping(address => uint256) public pendingWithdrawal;
    /// @notice Accounts that have exited through the escape hatch.
    mapping(uint256 accountIndex => bool) public exited;
    /// @notice Unprocessed deposits refunded after the freeze.
    mapping(uint256 queueIndex => bool) public refunded;
    /// @notice Listed series, ids from 1.
    Series[] internal _series;
    /// @dev Fixed settlement price of each series; 0 until fixed (a fixed price is > 0).
    mapping(uint256 seriesId => uint256) internal _settlementPrice;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param token_ Collateral token.
    /// @param verifier_ Groth16 verifier generated from the batch circuit's zkey.
    /// @param operator_ Sequencer address.
    /// @param batchSize_ Slots per batch, as the circuit.
    /// @param accountsDepth_ Bits of an account index, as the circuit: even and non-zero (the
    ///        accounts tree is 4-ary, of accountsDepth_ / 2 levels).
    /// @param forcedTimeout_ Seconds before an unserved forced withdrawal allows a freeze.
    /// @param genesisRoot The root of the empty state.
    /// @param marketTableWords_ Words of a market table, as the circuit (> 0, a multiple of
    ///        `TABLE_WORDS_PER_HASH`).
    /// @param emptyMarketTableHash_ Hash of the table with no rows: the table in force until
    ///        a batch posts one.
    /// @param settlementOracle_ The settlement oracle (SettlementOracle.sol).
    constructor(
        IERC20 token_,
        IGroth16Verifier verifier_,
        address operator_,
        uint256 batchSize_,
        uint256 accountsDepth_,
        uint256 forcedTimeout_,
        uint256 genesisRoot,
        uint256 marketTableWords_,
        uint256 emptyMarketTableHash_,
        ISettlementOracle settlementOracle_
    ) {
        if (marketTableWords_ == 0 || marketTableWords_ % C.TABLE_WORDS_PER_HASH != 0) {
            revert BadTableWordCount(marketTableWords_);
        }
        if (accountsDepth_ == 0 || accountsDepth_ % 2 != 0) revert BadAccountsDepth(accountsDepth_);
        token = token_;
        verifier = verifier_;
        operator = operator_;
        batchSize = batchSize_;
        accountsDepth = accountsDepth_;
        forcedTimeout = forcedTimeout_;
        settlementOracle = settlementOracle_;
        marketTableWords = marketTableWords_;
        marketTableHash = emptyMarketTableHash_;
        stateRoot = genesisRoot;
        _queueHash.push(0);
    }

    /*//////////////////////////////////////////////////////////////
                              USER ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Deposits `amount` collateral for the L2 key `(pubKeyX, pubKeyY)`; the sequencer
    ///         credits it to the account of this key and the caller, creating it if needed.
    /// @dev Pulls the tokens first (approve beforehand). Reverts when frozen.
    /// @param amount Collateral base units, 1 to 2^64 - 1.
    /// @return queueIndex Position of the deposit in the priority queue.
    function deposit(uint256 amount, uint256 pubKeyX, uint256 pubKeyY) external returns (uint256 queueIndex) {
        if (frozen) revert Frozen();
        if (amount == 0 || amount >> C.BITS_AMOUNT != 0) revert AmountOutOfRange(amount);
        if ((pubKeyX == 0 && pubKeyY == 0) || pubKeyX >= C.SNARK_FIELD || pubKeyY >= C.SNARK_FIELD) revert InvalidPubKey();
        _pull(msg.sender, amount);
        queueIndex = _enqueue(_packEntry(C.QUEUE_DEPOSIT, 0, amount), uint160(msg.sender), pubKeyX, pubKeyY);
        emit Deposited(queueIndex, msg.sender, pubKeyX, pubKeyY, amount);
    }

    /// @notice Asks the sequencer to withdraw all the collateral of `accountIndex` to the
    ///         caller, who must be its L1 address; served in queue order or the rollup freezes.
    /// @return queueIndex Position of the request in the priority queue.
    function requestForcedWithdrawal(uint256 accountIndex) external returns (uint256 queueIndex) {
        if (frozen) revert Frozen();
        if (accountIndex >> accountsDepth != 0) revert AccountOutOfRange(accountIndex);
        queueIndex = _enqueue(_packEntry(C.QUEUE_FORCED_WITHDRAWAL, accountIndex, 0), uint160(msg.sender), 0, 0);
        uint256 deadline = block.timestamp + forcedTimeout;
        forcedDeadline[queueIndex] = deadline;
        emit ForcedWithdrawalRequested(queueIndex, msg.sender, accountIndex, deadline);
    }

    /// @notice Pays the caller everything verified batches credited to it.
    function withdraw() external {
        uint256 amount = pendingWithdrawal[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        pendingWithdrawal[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _push(msg.sender, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                OPERATOR
    //////////////////////////////////////////////////////////////*/

    /// @notice Verifies and applies one batch.
    /// @dev The proof's one public input is PoseidonT6(oldRoot, newRoot, queueHash before,
    ///      queueHash after, dataHash), where the data hash chain starts at the hash of the
    ///      batch's market table. Nothing changes unless the proof verifies and every
    ///      settlement slot (type `TX_SETTLEMENT`) carries what this contract stores for its
    ///      series: the circuit pays the payoff from the slot's price, strike and call/put
    ///      flag, so each must be L1's. Per settlement slot, reverts
    ///      `SettlementMismatch(slot, seriesId)` when the series is not listed (0 or above
    ///      `seriesCount`), or the slot's price (e2 bits 0..63) is not the fixed settlement
    ///      price, or its strike (e2 bits 64..127) not the series' strike, or its call flag
    ///      (e2 bit 128) not the series' `isCall`; `SettlementPriceNotFixed(slot, seriesId)`
    ///      when the series' price is not fixed yet. These checks run in the same pass as the
    ///      withdrawal credits, after the proof (the whole call reverts either way).
    ///      Settlement moves no L1 funds.
    /// @param data The batch data: two field elements per slot (docs/protocol.md).
    /// @param table The batch's market table, `marketTableWords` words each below
    ///        `TABLE_WORD_LIMIT`, which becomes the table in force; or empty to reuse the
    ///        table in force (`marketTableHash`), which saves its calldata and hashing.
    /// @param newRoot The state root after the batch.
    /// @param queueCount Queue entries the batch consumed, from `queueProcessed` on.
    /// @param a Groth16 proof, point A.
    /// @param b Groth16 proof, point B (EVM coordinate order).
    /// @param c Groth16 proof, point C.
    function submitBatch(
        uint256[] calldata data,
        uint256[] calldata table,
        uint256 newRoot,
        uint256 queueCount,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c
    ) external {
        if (msg.sender != operator) revert NotOperator();
        if (frozen) revert Frozen();
        if (data.length != 2 * batchSize) revert BadDataLength(data.length, 2 * batchSize);
        if (table.length != 0 && table.length != marketTableWords) revert BadTableLength(table.length, marketTableWords);
        if (newRoot >= C.SNARK_FIELD) revert NotAFieldElement(newRoot);
        uint256 processedAfter = queueProcessed + queueCount;
        if (processedAfter >= _queueHash.length) revert QueueOverrun(queueCount, _queueHash.length - 1 - queueProcessed);

        // The data chain starts at the batch's table: the posted one, else the one in force.
        uint256 tableHash_ = table.length == 0 ? marketTableHash : _tableHash(table);
        uint256 inputHash = _inputHash(newRoot, processedAfter, _dataHash(data, tableHash_));
        if (!verifier.verifyProof(a, b, c, [inputHash])) revert InvalidProof();
        _applyBatch(data, table.length != 0, tableHash_, newRoot, processedAfter, inputHash);
    }

    /// @notice Lists an option series; ids are assigned from 1.
    /// @dev Reverts `InvalidSeries` for a zero underlying, an expiry not in the future, or a
    ///      strike of 0 or >= 2^64 (`BITS_PRICE`): the circuit and the settlement slots carry
    ///      strikes as uint64.
    /// @param strike Collateral base units per unit of underlying, 1 to 2^64 - 1.
    /// @return seriesId The new series' id.
    function listSeries(bytes32 underlying, uint64 expiry, uint256 strike, bool isCall) external returns (uint256 seriesId) {
        if (msg.sender != operator) revert NotOperator();
        if (underlying == bytes32(0) || strike == 0 || strike >> C.BITS_PRICE != 0 || expiry <= block.timestamp) {
            revert InvalidSeries();
        }
        _series.push(Series(underlying, expiry, isCall, strike));
        seriesId = _series.length;
        emit SeriesListed(seriesId, underlying, expiry, strike, isCall);
    }

    /*//////////////////////////////////////////////////////////////
                               SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @notice Fixes the settlement price of series `seriesId` at the settlement oracle's
    ///         current aggregate of its underlying: the median of the fresh feeds within the
    ///         deviation bound, if a quorum of them is left (docs/protocol.md). Anyone may
    ///         call it once `block.timestamp >= expiry`; the first success is final. Works
    ///         after a freeze too.
    /// @dev The oracle's refusals (`QuorumNotReached`, `FeedsDisagree`,
    ///      `UnderlyingNotConfigured`, `PriceRoundsToZero`, `InsufficientGas`) revert this
    ///      call with the oracle's error. The price is in collateral base units per unit
    ///      of underlying, rounded down, and > 0. A price of 2^64 or more reverts
    ///      `SettlementPriceOutOfRange` and stores nothing (the call can be retried).
    /// @return price The fixed price.
    function fixSettlementPrice(uint256 seriesId) external returns (uint256 price) {
        if (seriesId == 0 || seriesId > _series.length) revert UnknownSeries(seriesId);
        Series storage s = _series[seriesId - 1];
        uint64 expiry = s.expiry;
        if (block.timestamp < expiry) revert NotExpired(seriesId, expiry);
        uint256 fixedPrice = _settlementPrice[seriesId];
        if (fixedPrice != 0) revert AlreadyFixed(seriesId, fixedPrice);
        address[] memory feedsUsed;
        (price, feedsUsed) = settlementOracle.aggregate(s.underlying);
        if (price >> C.BITS_PRICE != 0) revert SettlementPriceOutOfRange(seriesId, price);
        _settlementPrice[seriesId] = price;
        emit SettlementPriceFixed(seriesId, price, feedsUsed);
    }

    /*//////////////////////////////////////////////////////////////
                               ESCAPE HATCH
    //////////////////////////////////////////////////////////////*/

    /// @notice Freezes the rollup because forced request `queueIndex` is still unserved past
    ///         its deadline. Anyone may call it. After it, no batch is accepted.
    function freeze(uint256 queueIndex) external {
        if (frozen) revert Frozen();
        uint256 deadline = forcedDeadline[queueIndex];
        if (deadline == 0) revert NotAForcedRequest(queueIndex);
        if (queueIndex < queueProcessed) revert RequestAlreadyProcessed(queueIndex);
        if (block.timestamp <= deadline) revert TimeoutNotReached(deadline);
        frozen = true;
        emit RollupFrozen(queueIndex, stateRoot);
    }

    /// @notice After the freeze, pays an account's collateral at the last verified root to its
    ///         L1 address, once. Anyone may submit the proof; the funds go to the account's owner.
    /// @dev Open positions are not valued in this version (docs/protocol.md).
    /// @param fields [pubKeyX, pubKeyY, l1Address, nonce, collateral, positionsHash, orderSlotsRoot];
    ///        `positionsHash` (the flat hash of the account's position slots) is opaque here.
    /// @param siblings The account's path in the 4-ary accounts tree, leaf level first:
    ///        accountsDepth / 2 triples, each the three siblings of that level in child order
    ///        with the path's own position removed (QuadMerkle.sol, docs/protocol.md "Trees").
    function escapeExit(uint256 accountIndex, uint256[7] calldata fields, uint256[3][] calldata siblings) external {
        if (!frozen) revert NotFrozen();
        if (accountIndex >> accountsDepth != 0) revert AccountOutOfRange(accountIndex);
        // Account 0 is the insurance fund (fees, penalties): it has no owner to pay, and its
        // l1Address field is 0; its balance stays in the contract to back the other exits.
        if (accountIndex == 0) revert ReservedAccount(accountIndex);
        if (exited[accountIndex]) revert AlreadyExited(accountIndex);
        if (siblings.length != accountsDepth / 2) revert BadSiblingsLength(siblings.length, accountsDepth / 2);
        uint256 leaf = PoseidonT6.hash(
            [fields[0], fields[1], fields[2], fields[3], PoseidonT4.hash([fields[4], fields[5], fields[6]])]
        );
        if (QuadMerkle.root(leaf, accountIndex, siblings) != stateRoot) revert InvalidMerkleProof();
        exited[accountIndex] = true;
        address recipient = address(uint160(fields[2]));
        uint256 amount = fields[4];
        emit EscapeExited(accountIndex, recipient, amount);
        if (amount > 0) _push(recipient, amount);
    }

    /// @notice After the freeze, returns an unprocessed deposit to its depositor, once.
    /// @param queueIndex The deposit's queue position (>= queueProcessed).
    function refundDeposit(uint256 queueIndex, address depositor, uint256 pubKeyX, uint256 pubKeyY, uint256 amount) external {
        if (!frozen) revert NotFrozen();
        if (queueIndex < queueProcessed) revert DepositProcessed(queueIndex);
        if (queueIndex + 1 >= _queueHash.length) revert InvalidQueueEntry(queueIndex);
        if (refunded[queueIndex]) revert DepositAlreadyRefunded(queueIndex);
        uint256 packed = _packEntry(C.QUEUE_DEPOSIT, 0, amount);
        uint256 expected = PoseidonT6.hash([_queueHash[queueIndex], packed, uint160(depositor), pubKeyX, pubKeyY]);
        if (expected != _queueHash[queueIndex + 1]) revert InvalidQueueEntry(queueIndex);
        refunded[queueIndex] = true;
        emit DepositRefunded(queueIndex, depositor, amount);
        _push(depositor, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Number of entries ever appended to the priority queue.
    function queueLength() external view returns (uint256) {
        return _queueHash.length - 1;
    }

    /// @notice The queue hash chain after `n` entries.
    function queueHash(uint256 n) external view returns (uint256) {
        return _queueHash[n];
    }

    /// @notice A listed series by id (from 1).
    function series(uint256 seriesId) external view returns (Series memory) {
        return _series[seriesId - 1];
    }

    /// @notice Number of listed series.
    function seriesCount() external view returns (uint256) {
        return _series.length;
    }

    /// @notice The settlement price of `seriesId` and whether it is fixed (price 0 if not).
    function settlementPrice(uint256 seriesId) external view returns (uint256 price, bool isFixed) {
        price = _settlementPrice[seriesId];
        isFixed = price != 0;
    }

    /// @notice The batch data hash the circuit binds, its chain seeded with the hash of the
    ///         batch's market table (exposed for tooling and tests).
    /// @dev Reverts `NotAFieldElement` for a data word >= the field modulus.
    function dataHash(uint256[] calldata data, uint256 tableHash_) external pure returns (uint256) {
        return _dataHash(data, tableHash_);
    }

    /// @notice The hash of a market table as the circuit computes it (exposed for tooling and
    ///         tests). Takes a table of any positive multiple of `TABLE_WORDS_PER_HASH` words;
    ///         submitBatch also requires `marketTableWords` of them.
    /// @dev Reverts `BadTableLength` for another length, `BadTableWord` for a word >=
    ///      `TABLE_WORD_LIMIT`.
    function tableHash(uint256[] calldata words) external pure returns (uint256) {
        if (words.length == 0 || words.length % C.TABLE_WORDS_PER_HASH != 0) {
            revert BadTableLength(words.length, _roundUpToWordsPerHash(words.length));
        }
        return _tableHash(words);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _enqueue(uint256 packed, uint256 l1Address, uint256 pubKeyX, uint256 pubKeyY) internal returns (uint256 queueIndex) {
        queueIndex = _queueHash.length - 1;
        _queueHash.push(PoseidonT6.hash([_queueHash[queueIndex], packed, l1Address, pubKeyX, pubKeyY]));
    }

    function _packEntry(uint256 kind, uint256 accountIndex, uint256 amount) internal pure returns (uint256) {
        return kind | (accountIndex << C.QUEUE_ACCOUNT_INDEX_OFFSET) | (amount << C.QUEUE_AMOUNT_OFFSET);
    }

    /// @dev The proof's public input: H(stateRoot, newRoot, queue hash before, after, data hash).
    function _inputHash(uint256 newRoot, uint256 processedAfter, uint256 dataHash_) internal view returns (uint256) {
        return PoseidonT6.hash([stateRoot, newRoot, _queueHash[queueProcessed], _queueHash[processedAfter], dataHash_]);
    }

    /// @dev The state changes of a verified batch, and their events.
    function _applyBatch(
        uint256[] calldata data,
        bool postsTable,
        uint256 tableHash_,
        uint256 newRoot,
        uint256 processedAfter,
        uint256 inputHash
    ) internal {
        uint256 batchNumber = batchCount;
        uint256 oldRoot = stateRoot;
        stateRoot = newRoot;
        queueProcessed = processedAfter;
        batchCount = batchNumber + 1;
        if (postsTable) {
            marketTableHash = tableHash_;
            emit MarketTableUpdated(batchNumber, tableHash_);
        }
        emit BatchVerified(batchNumber, oldRoot, newRoot, processedAfter, inputHash);
        _processSlots(batchNumber, data);
    }

    /// @dev d[0] = tableHash, d[i+1] = H(d[i], e1[i], e2[i]).
    function _dataHash(uint256[] calldata data, uint256 tableHash_) internal pure returns (uint256 d) {
        d = tableHash_;
        for (uint256 i = 0; i < data.length; i += 2) {
            if (data[i] >= C.SNARK_FIELD) revert NotAFieldElement(data[i]);
            if (data[i + 1] >= C.SNARK_FIELD) revert NotAFieldElement(data[i + 1]);
            d = PoseidonT4.hash([d, data[i], data[i + 1]]);
        }
    }

    /// @dev t = 0, then t = PoseidonT6(t, w[i], w[i+1], w[i+2], w[i+3]) for i = 0, 4, 8, ...
    ///      Every word is range checked (< TABLE_WORD_LIMIT = 2^240 < the field modulus), as
    ///      the circuit unpacks each into five 48-bit lanes: no word aliases another modulo
    ///      the field. The caller checks the length is a multiple of 4 (TABLE_WORDS_PER_HASH).
    function _tableHash(uint256[] calldata words) internal pure returns (uint256 t) {
        uint256 n = words.length;
        for (uint256 i = 0; i < n; i++) {
            if (words[i] >= C.TABLE_WORD_LIMIT) revert BadTableWord(i, words[i]);
        }
        for (uint256 i = 0; i < n; i += C.TABLE_WORDS_PER_HASH) {
            t = PoseidonT6.hash([t, words[i], words[i + 1], words[i + 2], words[i + 3]]);
        }
    }

    function _roundUpToWordsPerHash(uint256 n) internal pure returns (uint256) {
        uint256 k = C.TABLE_WORDS_PER_HASH;
        return n == 0 ? k : ((n + k - 1) / k) * k;
    }

    /// @dev One pass over a verified batch's slots: credits every withdraw and
    ///      forced-withdrawal slot's amount to its recipient, and checks every settlement
    ///      slot against storage (`_checkSettlement`). Other slots cost one load and one
    ///      bit test against the set of these three types.
    function _processSlots(uint256 batchNumber, uint256[] calldata data) internal {
        uint256 typeMask = (1 << C.BITS_TYPE) - 1;
        uint256 amountMask = (1 << C.BITS_AMOUNT) - 1;
        uint256 handled = (1 << C.TX_WITHDRAW) | (1 << C.TX_FORCED_WITHDRAWAL) | (1 << C.TX_SETTLEMENT);
        for (uint256 i = 0; i < data.length; i += 2) {
            uint256 e1 = data[i];
            uint256 txType = e1 & typeMask;
            if ((handled >> txType) & 1 == 0) continue;
            if (txType == C.TX_SETTLEMENT) {
                _checkSettlement(i >> 1, e1, data[i + 1]);
                continue;
            }
            uint256 amount = (e1 >> C.SLOT_AMOUNT_OFFSET) & amountMask;
            if (amount == 0) continue;
            address recipient = address(uint160(data[i + 1]));
            pendingWithdrawal[recipient] += amount;
            emit WithdrawalCredited(batchNumber, recipient, amount);
        }
    }

    /// @dev Checks settlement slot `slot` (words `e1`, `e2`) against storage: e1's series id
    ///      (bits 68..99) is listed, its settlement price is fixed and equals e2 bits 0..63,
    ///      its strike equals e2 bits 64..127, and its `isCall` equals e2 bit 128. Reads the
    ///      fields with the widths the circuit and state/batchData.ts use; the other bits of
    ///      e2 (the position index at 136) are the circuit's alone. A fixed price is only
    ///      ever stored for a listed series (`fixSettlementPrice`), so the listing check
    ///      follows the price check.
    function _checkSettlement(uint256 slot, uint256 e1, uint256 e2) internal view {
        uint256 seriesId = (e1 >> C.SLOT_TRADE_SERIES_OFFSET) & ((1 << C.BITS_SERIES_ID) - 1);
        uint256 fixedPrice = _settlementPrice[seriesId];
        if (fixedPrice == 0) {
            if (seriesId == 0 || seriesId > _series.length) revert SettlementMismatch(slot, seriesId);
            revert SettlementPriceNotFixed(slot, seriesId);
        }
        uint256 mask64 = (1 << C.BITS_PRICE) - 1;
        Series storage s = _series[seriesId - 1];
        if (
            (e2 >> C.SLOT_SETTLEMENT_PRICE_OFFSET) & mask64 != fixedPrice
                || (e2 >> C.SLOT_SETTLEMENT_STRIKE_OFFSET) & mask64 != s.strike
                || ((e2 >> C.SLOT_SETTLEMENT_IS_CALL_OFFSET) & 1 == 1) != s.isCall
        ) revert SettlementMismatch(slot, seriesId);
    }

    function _pull(address from, uint256 amount) internal {
        if (!token.transferFrom(from, address(this), amount)) revert TransferFailed();
    }

    function _push(address to, uint256 amount) internal {
        if (!token.transfer(to, amount)) revert TransferFailed();
    }
}
