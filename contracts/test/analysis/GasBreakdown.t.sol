// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "../TestBase.sol";
import {Groth16Verifier} from "../../generated/Groth16Verifier.sol";
import {PoseidonT2} from "poseidon-solidity/PoseidonT2.sol";
import {PoseidonT3} from "poseidon-solidity/PoseidonT3.sol";
import {PoseidonT4} from "poseidon-solidity/PoseidonT4.sol";
import {PoseidonT5} from "poseidon-solidity/PoseidonT5.sol";
import {PoseidonT6} from "poseidon-solidity/PoseidonT6.sol";
import {TestVectors as V} from "../generated/TestVectors.sol";
import {Rollup} from "../../src/Rollup.sol";
import {CollateralToken} from "../../src/CollateralToken.sol";
import {IGroth16Verifier} from "../../src/IGroth16Verifier.sol";
import {ISettlementOracle} from "../../src/ISettlementOracle.sol";
import {RollupConstants as C} from "../../src/generated/RollupConstants.sol";

/// @notice Accepts every proof: lets submitBatch run to the end so that its other parts can
///         be measured (the real verifier's gas is test_Gas_Groth16Verify's).
contract AcceptAllVerifier is IGroth16Verifier {
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[1] calldata)
        external
        pure
        returns (bool)
    {
        return true;
    }
}

/// @notice A settlement oracle that always answers 3100e6 (for fixing prices in gas tests).
contract FixedPriceOracle is ISettlementOracle {
    function aggregate(bytes32) external pure returns (uint256 price, address[] memory feedsUsed) {
        price = 3100e6;
        feedsUsed = new address[](0);
    }
}

/// @notice Gas of the parts of Rollup.submitBatch and of the alternatives docs/cost.md weighs.
///         Each figure is a gasleft() delta printed with `forge test --match-path
///         'contracts/test/analysis/*' -vv`; execution gas only (no 21,000 base, no calldata:
///         those are computed from the encoded bytes, `calldata.*`). The asserts only keep
///         the measurements meaningful (the measured call did what it should).
contract GasBreakdownTest is TestBase {
    event log_named_uint(string key, uint256 val);

    uint256 internal constant FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    // BN254 G1 and G2 generators (G2 in the precompile's order: imaginary part first), so
    // the pairing precompile runs on valid points exactly as for a real proof.
    uint256 internal constant G2_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 internal constant G2_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 internal constant G2_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 internal constant G2_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    /// @dev A trade slot with realistic magnitudes (docs/protocol.md SlotLayout): accounts
    ///      around 2^20, series 500, 1,000 size units at 5 USDC, order ids around 10^5.
    function _trade(uint256 i) internal pure returns (uint256 e1, uint256 e2) {
        uint256 buyer = 1_000_000 + 2 * i;
        uint256 seller = buyer + 1;
        e1 = 2 | (buyer << 4) | (seller << 36) | (uint256(500) << 68) | (uint256(1000 + i) << 100) | (uint256(5_000_000 + i) << 164);
        e2 = (100_000 + i) | ((200_000 + i) << 32) | (uint256(3) << 64) | (uint256(5) << 72);
    }

    function _tradeData(uint256 slots) internal pure returns (uint256[] memory data) {
        data = new uint256[](2 * slots);
        for (uint256 i = 0; i < slots; i++) (data[2 * i], data[2 * i + 1]) = _trade(i);
    }

    function _withdrawData(uint256 slots) internal pure returns (uint256[] memory data) {
        data = new uint256[](2 * slots);
        for (uint256 i = 0; i < slots; i++) {
            data[2 * i] = 3 | ((1_000_000 + i) << 4) | (uint256(250_000_000) << 36);
            data[2 * i + 1] = uint256(uint160(address(uint160(0xA11CE0000 + i))));
        }
    }

    /// @dev Calldata gas of `data` at 4 per zero byte and 16 per other byte (EIP-2028).
    function _calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i = 0; i < data.length; i++) gas += data[i] == 0 ? 4 : 16;
    }

    /*//////////////////////////////////////////////////////////////
                                 HASHES
    //////////////////////////////////////////////////////////////*/

    /// @notice One call of each poseidon-solidity hash, cold (first call of the library in
    ///         the transaction: +2,600 account access) and warm (every further call).
    function test_Gas_Poseidon() public {
        uint256 g;
        uint256 h;
        g = gasleft();
        h = PoseidonT2.hash([uint256(1)]);
        emit log_named_uint("poseidonT2.cold", g - gasleft());
        g = gasleft();
        h = PoseidonT2.hash([h]);
        emit log_named_uint("poseidonT2.warm", g - gasleft());
        g = gasleft();
        h = PoseidonT3.hash([h, 2]);
        emit log_named_uint("poseidonT3.cold", g - gasleft());
        g = gasleft();
        h = PoseidonT3.hash([h, 2]);
        emit log_named_uint("poseidonT3.warm", g - gasleft());
        g = gasleft();
        h = PoseidonT4.hash([h, 2, 3]);
        emit log_named_uint("poseidonT4.cold", g - gasleft());
        g = gasleft();
        h = PoseidonT4.hash([h, 2, 3]);
        emit log_named_uint("poseidonT4.warm", g - gasleft());
        g = gasleft();
        h = PoseidonT5.hash([h, 2, 3, 4]);
        emit log_named_uint("poseidonT5.cold", g - gasleft());
        g = gasleft();
        h = PoseidonT5.hash([h, 2, 3, 4]);
        emit log_named_uint("poseidonT5.warm", g - gasleft());
        g = gasleft();
        h = PoseidonT6.hash([h, 2, 3, 4, 5]);
        emit log_named_uint("poseidonT6.cold", g - gasleft());
        g = gasleft();
        h = PoseidonT6.hash([h, 2, 3, 4, 5]);
        emit log_named_uint("poseidonT6.warm", g - gasleft());
        assertTrue(h != 0 && h < FIELD, "hash in field");
    }

    /// @notice keccak256 and the SHA-256 precompile over a 16-slot batch's data: 64 bytes a
    ///         slot as published today, and 39 bytes a slot packed (308 bits of a trade).
    function test_Gas_KeccakAndSha256() public {
        for (uint256 k = 0; k < 2; k++) {
            uint256 bytesPerSlot = k == 0 ? 64 : 39;
            bytes memory message = new bytes(16 * bytesPerSlot);
            for (uint256 i = 0; i < message.length; i++) message[i] = bytes1(uint8(i * 7 + 1));
            uint256 g = gasleft();
            bytes32 a = keccak256(message);
            uint256 keccakGas = g - gasleft();
            g = gasleft();
            bytes32 b = sha256(message);
            uint256 shaGas = g - gasleft();
            emit log_named_uint(k == 0 ? "keccak.batch16_64B" : "keccak.batch16_39B", keccakGas);
            emit log_named_uint(k == 0 ? "sha256.batch16_64B" : "sha256.batch16_39B", shaGas);
            assertTrue(a != b, "two hashes");
        }
    }

    /*//////////////////////////////////////////////////////////////
                               VERIFIER
    //////////////////////////////////////////////////////////////*/

    /// @notice The generated Groth16 verifier (1 public input) on valid curve points: every
    ///         precompile runs as for a real proof (the pairing product is just not 1). Its gas
    ///         does not depend on the circuit (the verification key is code constants).
    function test_Gas_Groth16Verify() public {
        Groth16Verifier verifier = new Groth16Verifier();
        uint256[2] memory a = [uint256(1), 2];
        uint256[2][2] memory b = [[G2_X_IM, G2_X_RE], [G2_Y_IM, G2_Y_RE]];
        uint256 g = gasleft();
        bool ok = verifier.verifyProof(a, b, a, [uint256(12345)]);
        emit log_named_uint("groth16.verify_1_input.call", g - gasleft());
        assertTrue(!ok, "generator points are no proof");
        emit log_named_uint("calldata.proof_8_words", _calldataGas(abi.encode(a, b, a)));
    }

    /*//////////////////////////////////////////////////////////////
                          SUBMIT BATCH'S PARTS
    //////////////////////////////////////////////////////////////*/

    // Replicas of Rollup.sol's per-slot loops (as of commit 8c4cacb, the data chain seeded by
    // the market table's hash since), so that these figures do not depend on the Rollup's
    // constructor while it changes; bench/l1GasPerTrade.ts measures the real submitBatch end
    // to end on anvil, and test_Gas_SubmitBatchPostedVsReusedTable the real one here.

    event WithdrawalCredited(uint256 indexed batchNumber, address indexed recipient, uint256 amount);

    error NotAFieldElement(uint256 value);

    mapping(address => uint256) public pendingWithdrawal;

    /// @dev Rollup._dataHash: d[0] = tableHash, d[i+1] = H(d[i], e1[i], e2[i]).
    function dataHashReplica(uint256[] calldata data, uint256 tableHash) external pure returns (uint256 d) {
        d = tableHash;
        for (uint256 i = 0; i < data.length; i += 2) {
            if (data[i] >= FIELD) revert NotAFieldElement(data[i]);
            if (data[i + 1] >= FIELD) revert NotAFieldElement(data[i + 1]);
            d = PoseidonT4.hash([d, data[i], data[i + 1]]);
        }
    }

    /// @dev Rollup._creditWithdrawals (type 3 withdraw, 4 forced; amount at bit 36), since
    ///      renamed `_processSlots`, which also checks settlement slots
    ///      (test_Gas_SettlementSlotChecks measures the real one).
    function creditWithdrawalsReplica(uint256 batchNumber, uint256[] calldata data) external {
        uint256 typeMask = (1 << 4) - 1;
        uint256 amountMask = (1 << 64) - 1;
        for (uint256 i = 0; i < data.length; i += 2) {
            uint256 txType = data[i] & typeMask;
            if (txType != 3 && txType != 4) continue;
            uint256 amount = (data[i] >> 36) & amountMask;
            if (amount == 0) continue;
            address recipient = address(uint160(data[i + 1]));
            pendingWithdrawal[recipient] += amount;
            emit WithdrawalCredited(batchNumber, recipient, amount);
        }
    }

    /// @notice The data hash (one PoseidonT4 a slot, range checks, calldata decoding) for 1,
    ///         16 and 256 trade slots, called as an external function as submitBatch reads it.
    function test_Gas_DataHash() public {
        uint256[3] memory sizes = [uint256(1), 16, 256];
        for (uint256 s = 0; s < 3; s++) {
            uint256[] memory data = _tradeData(sizes[s]);
            uint256 g = gasleft();
            uint256 d = this.dataHashReplica(data, 1);
            uint256 used = g - gasleft();
            assertTrue(d != 0, "hashed");
            if (s == 0) emit log_named_uint("dataHash.slots1", used);
            if (s == 1) emit log_named_uint("dataHash.slots16", used);
            if (s == 2) emit log_named_uint("dataHash.slots256", used);
        }
    }

    /// @notice Crediting withdrawals: 16 withdraw slots to 16 fresh recipients (zero to
    ///         non-zero balance), then the same 16 again (non-zero to non-zero), and the
    ///         loop over 16 trade slots that credits nothing.
    function test_Gas_CreditWithdrawals() public {
        uint256[] memory withdraws = _withdrawData(16);
        uint256 g = gasleft();
        this.creditWithdrawalsReplica(0, withdraws);
        emit log_named_uint("credit.withdraws16.fresh", g - gasleft());
        g = gasleft();
        this.creditWithdrawalsReplica(1, withdraws);
        emit log_named_uint("credit.withdraws16.again", g - gasleft());
        uint256[] memory trades = _tradeData(16);
        g = gasleft();
        this.creditWithdrawalsReplica(2, trades);
        emit log_named_uint("credit.trades16", g - gasleft());
        assertEq(pendingWithdrawal[address(uint160(0xA11CE0000))], 500_000_000, "credited twice");
    }

    /// @notice Calldata gas (EIP-2028: 4 a zero byte, 16 another) of submitBatch's encoded
    ///         input for 16, 32 and 256 trade slots, with a proof of 8 non-zero words.
    function test_Gas_SubmitBatchCalldata() public {
        bytes4 selector = bytes4(keccak256("submitBatch(uint256[],uint256[],uint256,uint256,uint256[2],uint256[2][2],uint256[2])"));
        uint256[] memory noTable;
        uint256[2] memory a = [FIELD - 1, FIELD - 2];
        uint256[2][2] memory b = [[FIELD - 3, FIELD - 4], [FIELD - 5, FIELD - 6]];
        uint256[3] memory sizes = [uint256(16), 32, 256];
        for (uint256 s = 0; s < 3; s++) {
            uint256[] memory data = _tradeData(sizes[s]);
            uint256 all = _calldataGas(abi.encodeWithSelector(selector, data, noTable, FIELD - 7, 0, a, b, a));
            uint256 dataOnly = _calldataGas(abi.encodePacked(data));
            if (s == 0) emit log_named_uint("calldata.submitBatch.trades16", all);
            if (s == 1) emit log_named_uint("calldata.submitBatch.trades32", all);
            if (s == 2) emit log_named_uint("calldata.submitBatch.trades256", all);
            if (s == 0) emit log_named_uint("calldata.data_words.trades16", dataOnly);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              MARKET TABLE
    //////////////////////////////////////////////////////////////*/

    /// @dev A full table of `words` words as a busy market fills it: every 48-bit lane of
    ///      every word non-zero (the worst case for calldata).
    function _fullTable(uint256 words) internal pure returns (uint256[] memory table) {
        table = new uint256[](words);
        for (uint256 i = 0; i < words; i++) {
            uint256 w;
            for (uint256 lane = 0; lane < C.TABLE_LANES_PER_WORD; lane++) {
                w |= (uint256(1_000_000_007) * (i * C.TABLE_LANES_PER_WORD + lane + 1)) << (C.BITS_TABLE_VALUE * lane);
            }
            table[i] = w;
        }
    }

    /// @dev Rollup._tableHash: range checks, then one PoseidonT6 per 4 words.
    function marketTableHashReplica(uint256[] calldata words) external pure returns (uint256 t) {
        for (uint256 i = 0; i < words.length; i++) {
            if (words[i] >= C.TABLE_WORD_LIMIT) revert NotAFieldElement(words[i]);
        }
        for (uint256 i = 0; i < words.length; i += 4) {
            t = PoseidonT6.hash([t, words[i], words[i + 1], words[i + 2], words[i + 3]]);
        }
    }

    /// @notice Hashing a posted market table (one PoseidonT6 per 4 words) and its calldata,
    ///         for the test (24 words) and realistic (96 words) parameter sets, full tables.
    function test_Gas_MarketTable() public {
        uint256[2] memory sizes = [C.TEST_MARKET_TABLE_WORDS, C.REALISTIC_MARKET_TABLE_WORDS];
        for (uint256 s = 0; s < 2; s++) {
            uint256[] memory table = _fullTable(sizes[s]);
            uint256 g = gasleft();
            uint256 t = this.marketTableHashReplica(table);
            uint256 used = g - gasleft();
            assertTrue(t != 0 && t < FIELD, "hashed");
            uint256 calldataGas = _calldataGas(abi.encode(table)) - _calldataGas(abi.encode(new uint256[](0)));
            if (s == 0) emit log_named_uint("tableHash.words24", used);
            if (s == 1) emit log_named_uint("tableHash.words96", used);
            if (s == 0) emit log_named_uint("calldata.table.words24", calldataGas);
            if (s == 1) emit log_named_uint("calldata.table.words96", calldataGas);
        }
    }

    /// @notice The real Rollup.submitBatch (test parameters, a verifier that accepts all) on
    ///         the vectors' deposit batch: posting the vectors' table vs reusing the table in
    ///         force. Execution gas of the call; the difference is the table's cost.
    function test_Gas_SubmitBatchPostedVsReusedTable() public {
        uint256 posted = _submitDepositBatch(true);
        uint256 reused = _submitDepositBatch(false);
        emit log_named_uint("submitBatch.test.tablePosted", posted);
        emit log_named_uint("submitBatch.test.tableReused", reused);
        emit log_named_uint("submitBatch.test.tableCost", posted - reused);
    }

    /*//////////////////////////////////////////////////////////////
                          SETTLEMENT SLOT CHECKS
    //////////////////////////////////////////////////////////////*/

    /// @notice What Rollup.submitBatch's settlement checks add (16 slots, a verifier that
    ///         accepts all, no table posted): 16 no-op slots, then one settlement slot among
    ///         15 no-ops, 16 settling one series (its storage warm after the first), and 16
    ///         settling 16 series (each cold). Execution gas of the call and the difference to
    ///         the no-op batch; the per-slot cost is the first (cold) and the 16-series one.
    ///         The Rollup's storage is cooled before each call (`vm.cool`), as in a
    ///         transaction of its own; the libraries are warm in all four.
    function test_Gas_SettlementSlotChecks() public {
        _submitSettlementBatch(0, false); // warms the Poseidon libraries for every call below
        uint256 noops = _submitSettlementBatch(0, false);
        uint256 one = _submitSettlementBatch(1, false);
        uint256 sameSeries = _submitSettlementBatch(16, false);
        uint256 distinct = _submitSettlementBatch(16, true);
        emit log_named_uint("submitBatch.slots16.noops", noops);
        emit log_named_uint("settlementCheck.oneSlot", one - noops);
        emit log_named_uint("settlementCheck.slots16.oneSeries", sameSeries - noops);
        emit log_named_uint("settlementCheck.slots16.distinctSeries", distinct - noops);
        emit log_named_uint("settlementCheck.perSlot.distinctSeries", (distinct - noops) / 16);
    }

    /// @dev A fresh Rollup of 16 slots with 16 expired series (strike 3000e6, calls), their
    ///      prices fixed at 3100e6; returns the gas of a batch whose first `settlements` slots
    ///      settle series 1 (or series 1, 2, ... when `distinct`), the rest no-ops.
    function _submitSettlementBatch(uint256 settlements, bool distinct) internal returns (uint256 used) {
        FixedPriceOracle oracle = new FixedPriceOracle();
        Rollup rollup = new Rollup(
            new CollateralToken(), new AcceptAllVerifier(), address(this), 16, C.TEST_ACCOUNTS_DEPTH,
            C.TEST_FORCED_TIMEOUT, V.GENESIS_ROOT, C.TEST_MARKET_TABLE_WORDS, C.TEST_EMPTY_MARKET_TABLE_HASH, oracle
        );
        uint64 expiry = uint64(block.timestamp + 1);
        for (uint256 i = 0; i < 16; i++) rollup.listSeries("ETH", expiry, 3000e6, true);
        vm.warp(expiry);
        for (uint256 i = 1; i <= 16; i++) rollup.fixSettlementPrice(i);
        uint256[] memory data = new uint256[](32);
        for (uint256 i = 0; i < settlements; i++) {
            uint256 seriesId = distinct ? i + 1 : 1;
            data[2 * i] = C.TX_SETTLEMENT | ((1_000_000 + i) << C.SLOT_ACCOUNT_OFFSET) | (seriesId << C.SLOT_TRADE_SERIES_OFFSET)
                | (uint256(1000) << C.SLOT_TRADE_SIZE_OFFSET);
            data[2 * i + 1] = uint256(3100e6) | (uint256(3000e6) << C.SLOT_SETTLEMENT_STRIKE_OFFSET)
                | (uint256(1) << C.SLOT_SETTLEMENT_IS_CALL_OFFSET) | (uint256(2) << C.SLOT_SETTLEMENT_POSITION_OFFSET);
        }
        uint256[] memory noTable;
        uint256[2] memory p;
        uint256[2][2] memory q;
        vm.cool(address(rollup)); // its storage cold, as in a transaction of its own
        uint256 g = gasleft();
        rollup.submitBatch(data, noTable, V.ROOT_AFTER_DEPOSITS, 0, p, q, p);
        used = g - gasleft();
        assertEq(rollup.batchCount(), 1, "accepted");
    }

    /// @dev A fresh Rollup with the vectors' two deposits queued; returns the gas of
    ///      submitting their batch, posting the vectors' table or none.
    function _submitDepositBatch(bool postTable) internal returns (uint256 used) {
        CollateralToken token = new CollateralToken();
        Rollup rollup = new Rollup(
            token, new AcceptAllVerifier(), address(this), C.TEST_BATCH_SIZE, C.TEST_ACCOUNTS_DEPTH,
            C.TEST_FORCED_TIMEOUT, V.GENESIS_ROOT, C.TEST_MARKET_TABLE_WORDS, C.TEST_EMPTY_MARKET_TABLE_HASH,
            ISettlementOracle(address(0))
        );
        token.mint(address(this), V.ALICE_AMOUNT + V.BOB_AMOUNT);
        token.approve(address(rollup), V.ALICE_AMOUNT + V.BOB_AMOUNT);
        rollup.deposit(V.ALICE_AMOUNT, V.ALICE_PUBKEY_X, V.ALICE_PUBKEY_Y);
        rollup.deposit(V.BOB_AMOUNT, V.BOB_PUBKEY_X, V.BOB_PUBKEY_Y);
        uint256[] memory table = postTable ? V.tableWords() : new uint256[](0);
        uint256[] memory data = V.depositBatchData();
        uint256[2] memory p;
        uint256[2][2] memory q;
        uint256 g = gasleft();
        rollup.submitBatch(data, table, V.ROOT_AFTER_DEPOSITS, 2, p, q, p);
        used = g - gasleft();
        assertEq(rollup.marketTableHash(), postTable ? V.TABLE_HASH : V.EMPTY_TABLE_HASH, "table in force");
    }
}
