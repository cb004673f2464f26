// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {Rollup} from "../src/Rollup.sol";
import {SettlementOracle} from "../src/SettlementOracle.sol";
import {CollateralToken} from "../src/CollateralToken.sol";
import {IGroth16Verifier} from "../src/IGroth16Verifier.sol";
import {MockAggregatorV3} from "../src/mocks/MockAggregatorV3.sol";
import {RollupConstants as C} from "../src/generated/RollupConstants.sol";

/// @dev A feed whose `latestRoundData` reverts (a paused or retired proxy).
contract RevertingFeed {
    uint8 public constant decimals = 8;

    function latestRoundData() external pure returns (uint80, int256, uint256, uint256, uint80) {
        revert("paused");
    }
}

/// @dev A feed that answers every call but `decimals` with 32 bytes (garbage).
contract ShortDataFeed {
    uint8 public constant decimals = 8;

    fallback() external {
        assembly {
            mstore(0, 1)
            return(0, 32)
        }
    }
}

/// @dev A feed that burns all the gas it is given.
contract GasGuzzlerFeed {
    uint8 public constant decimals = 8;

    fallback() external {
        assembly {
            for {} 1 {} {}
        }
    }
}

/// @dev A well-formed round whose roundId does not fit in uint80 (ABI decoding would revert).
contract WideRoundFeed {
    uint8 public constant decimals = 8;

    fallback() external {
        uint256 wide = uint256(type(uint80).max) + 1;
        uint256 at = block.timestamp;
        assembly {
            mstore(0, wide)
            mstore(0x20, 300000000000)
            mstore(0x40, at)
            mstore(0x60, at)
            mstore(0x80, wide)
            return(0, 0xa0)
        }
    }
}

/// @dev A feed with more decimals than the oracle accepts.
contract NineteenDecimalsFeed {
    uint8 public constant decimals = 19;
}

/// @notice Settlement prices: the SettlementOracle's feed configuration and aggregation
///         rules (those of risk/oracle/aggregator.ts) and Rollup.fixSettlementPrice.
contract SettlementOracleTest is TestBase {
    CollateralToken internal token;
    SettlementOracle internal oracle;
    Rollup internal rollup;
    MockAggregatorV3[] internal feeds;

    address internal constant OPERATOR = address(0x0123);
    address internal constant OWNER = address(0x0456);
    address internal constant STRANGER = address(0xBEEF);
    bytes32 internal constant ETH = "ETH";
    uint64 internal constant T0 = 1_800_000_000;
    uint64 internal constant EXPIRY = T0 + 7 days;
    uint32 internal constant STALENESS = 3600;
    uint16 internal constant DEVIATION_BPS = 100;
    uint256 internal seriesId;

    event SettlementPriceFixed(uint256 indexed seriesId, uint256 price, address[] feedsUsed);
    event UnderlyingConfigured(bytes32 indexed underlying, address[] feeds, uint32 maxStaleness, uint16 maxDeviationBps, uint8 quorum);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    function setUp() public {
        vm.warp(T0);
        token = new CollateralToken();
        // The price unit is the collateral token's base unit (COLLATERAL_DECIMALS).
        oracle = new SettlementOracle(OWNER, token.decimals());
        rollup = new Rollup(
            token,
            IGroth16Verifier(address(0)),
            OPERATOR,
            C.TEST_BATCH_SIZE,
            C.TEST_ACCOUNTS_DEPTH,
            C.TEST_FORCED_TIMEOUT,
            1,
            C.TEST_MARKET_TABLE_WORDS,
            C.TEST_EMPTY_MARKET_TABLE_HASH,
            oracle
        );
        for (uint256 i = 0; i < 5; i++) {
            feeds.push(new MockAggregatorV3(8, "ETH / USD"));
        }
        vm.prank(OPERATOR);
        seriesId = rollup.listSeries(ETH, EXPIRY, 3000e6, true);
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function _addresses(uint256 n) internal view returns (address[] memory a) {
        a = new address[](n);
        for (uint256 i = 0; i < n; i++) {
            a[i] = address(feeds[i]);
        }
    }

    function _configure(address[] memory a, uint8 quorum) internal {
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, a, STALENESS, DEVIATION_BPS, quorum);
    }

    /// @dev Three 8-decimal feeds, quorum 2.
    function _configureThree() internal {
        _configure(_addresses(3), 2);
    }

    function _addr(address a, address b) internal pure returns (address[] memory r) {
        r = new address[](2);
        r[0] = a;
        r[1] = b;
    }

    function _addr(address a, address b, address c) internal pure returns (address[] memory r) {
        r = new address[](3);
        r[0] = a;
        r[1] = b;
        r[2] = c;
    }

    function _assertStatus(SettlementOracle.FeedStatus got, SettlementOracle.FeedStatus want, string memory message) internal pure {
        assertEq(uint256(got), uint256(want), message);
    }

    /*//////////////////////////////////////////////////////////////
                              FIXING A PRICE
    //////////////////////////////////////////////////////////////*/

    function test_FixSettlementPrice_MedianOfThreeFeeds() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000_00000000, EXPIRY - 60);
        feeds[1].setAnswer(3001_50000000, EXPIRY - 30);
        feeds[2].setAnswer(2999_12345678, EXPIRY);
        (uint256 before, bool fixedBefore) = rollup.settlementPrice(seriesId);
        assertEq(before, 0, "no price before");
        assertTrue(!fixedBefore, "not fixed before");

        vm.expectEmit(true, false, false, true, address(rollup));
        emit SettlementPriceFixed(seriesId, 3000e6, _addresses(3));
        uint256 price = rollup.fixSettlementPrice(seriesId);

        assertEq(price, 3000e6, "median");
        (uint256 stored, bool isFixed) = rollup.settlementPrice(seriesId);
        assertEq(stored, 3000e6, "stored");
        assertTrue(isFixed, "fixed");
    }

    function test_FixSettlementPrice_RevertsWhenPriceTooWideForSlots() public {
        _configureThree();
        vm.warp(EXPIRY);
        int256 tooWide = int256(uint256(1) << 64) * 100; // 2^64 base units after 8 -> 6 decimals
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(tooWide, EXPIRY);
        }
        vm.expectRevert(abi.encodeWithSelector(Rollup.SettlementPriceOutOfRange.selector, seriesId, uint256(1) << 64));
        rollup.fixSettlementPrice(seriesId);
        (, bool isFixed) = rollup.settlementPrice(seriesId);
        assertTrue(!isFixed, "nothing stored");

        // The largest price a slot carries is fixed, on a retry.
        int256 widest = (int256(uint256(1) << 64) - 1) * 100;
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(widest, EXPIRY);
        }
        assertEq(rollup.fixSettlementPrice(seriesId), (uint256(1) << 64) - 1, "2^64 - 1 is fixed");
    }

    function test_FixSettlementPrice_RoundsTheMedianDown() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000_12345678, EXPIRY);
        feeds[1].setAnswer(3000_12345699, EXPIRY);
        feeds[2].setAnswer(3000_12345600, EXPIRY);
        assertEq(rollup.fixSettlementPrice(seriesId), 3000_123456, "8 decimals to 6, rounded down");
    }

    function test_FixSettlementPrice_ExcludesStaleFeed() public {
        _configureThree();
        vm.warp(EXPIRY + 10);
        feeds[0].setAnswer(3000e8, EXPIRY + 10 - STALENESS); // exactly at the limit: fresh
        feeds[1].setAnswer(3010e8, EXPIRY);
        feeds[2].setAnswer(2000e8, EXPIRY + 10 - STALENESS - 1); // one second too old
        vm.expectEmit(true, false, false, true, address(rollup));
        emit SettlementPriceFixed(seriesId, 3005e6, _addr(address(feeds[0]), address(feeds[1])));
        assertEq(rollup.fixSettlementPrice(seriesId), 3005e6, "mean of the two fresh feeds");
    }

    function test_FixSettlementPrice_ExcludesOneOutlier() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000e8, EXPIRY);
        feeds[1].setAnswer(3003e8, EXPIRY); // 10 bps from the median
        feeds[2].setAnswer(3300e8, EXPIRY); // 990 bps from the median
        SettlementOracle.Evaluation memory e = oracle.inspect(ETH);
        _assertStatus(e.statuses[2], SettlementOracle.FeedStatus.Deviation, "outlier dropped");
        assertEq(e.fresh, 3, "fresh");
        assertEq(e.agreeing, 2, "agreeing");
        vm.expectEmit(true, false, false, true, address(rollup));
        emit SettlementPriceFixed(seriesId, 3001_500000, _addr(address(feeds[0]), address(feeds[1])));
        assertEq(rollup.fixSettlementPrice(seriesId), 3001_500000, "mean of the two agreeing feeds");
    }

    function test_FixSettlementPrice_DeviationBoundIsInclusive() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(2970e8, EXPIRY); // exactly 100 bps below the median
        feeds[1].setAnswer(3000e8, EXPIRY);
        feeds[2].setAnswer(3030e8, EXPIRY); // exactly 100 bps above
        rollup.fixSettlementPrice(seriesId);
        (uint256 price,) = rollup.settlementPrice(seriesId);
        assertEq(price, 3000e6, "all three used");
    }

    function test_FixSettlementPrice_AtExpiryExactly() public {
        _configureThree();
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3000e8, EXPIRY);
        }
        assertEq(rollup.fixSettlementPrice(seriesId), 3000e6, "fixable at expiry");
    }

    function test_FixSettlementPrice_MixedDecimals() public {
        MockAggregatorV3 six = new MockAggregatorV3(6, "ETH / USD");
        MockAggregatorV3 eighteen = new MockAggregatorV3(18, "ETH / USD");
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, _addr(address(feeds[0]), address(six), address(eighteen)), STALENESS, DEVIATION_BPS, 2);
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000e8, EXPIRY);
        six.setAnswer(3001e6, EXPIRY);
        eighteen.setAnswer(3002e18, EXPIRY);
        assertEq(rollup.fixSettlementPrice(seriesId), 3001e6, "scaled before the median");
    }

    function test_FixSettlementPrice_AfterFreeze() public {
        _configureThree();
        vm.prank(STRANGER);
        uint256 request = rollup.requestForcedWithdrawal(1);
        vm.warp(EXPIRY + 1);
        rollup.freeze(request);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3000e8, EXPIRY);
        }
        assertEq(rollup.fixSettlementPrice(seriesId), 3000e6, "fixable while frozen");
    }

    function test_Aggregate_ViewMatchesTheFixedPrice() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000e8, EXPIRY);
        feeds[1].setAnswer(3001e8, EXPIRY);
        feeds[2].setAnswer(3002e8, EXPIRY);
        (uint256 preview, address[] memory used) = oracle.aggregate(ETH);
        assertEq(used.length, 3, "three used");
        assertEq(rollup.fixSettlementPrice(seriesId), preview, "preview");
    }

    /*//////////////////////////////////////////////////////////////
                              INVALID ROUNDS
    //////////////////////////////////////////////////////////////*/

    function test_FixSettlementPrice_SkipsInvalidRounds() public {
        // Nine feeds, quorum 5: four well-formed, five malformed in each way the rules name.
        MockAggregatorV3[] memory extra = new MockAggregatorV3[](4);
        for (uint256 i = 0; i < 4; i++) {
            extra[i] = new MockAggregatorV3(8, "ETH / USD");
        }
        address[] memory all = new address[](9);
        for (uint256 i = 0; i < 5; i++) {
            all[i] = address(feeds[i]);
        }
        for (uint256 i = 0; i < 4; i++) {
            all[5 + i] = address(extra[i]);
        }
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, all, STALENESS, DEVIATION_BPS, 5);
        vm.warp(EXPIRY + 100);
        uint256 at = EXPIRY;
        feeds[0].setAnswer(0, at); // answer 0
        feeds[1].setAnswer(-3000e8, at); // negative answer
        feeds[2].setRoundData(5, 3000e8, at, 0, 5); // updatedAt 0: incomplete round
        feeds[3].setRoundData(5, 3000e8, at, at, 4); // answeredInRound < roundId: carried over
        feeds[4].setAnswer(3000e8, EXPIRY + 101); // in the future
        extra[0].setAnswer(3000e8, at);
        extra[1].setAnswer(3001e8, at);
        extra[2].setAnswer(3002e8, at);
        extra[3].setAnswer(3003e8, at);

        SettlementOracle.Evaluation memory e = oracle.inspect(ETH);
        _assertStatus(e.statuses[0], SettlementOracle.FeedStatus.InvalidPrice, "zero answer");
        _assertStatus(e.statuses[1], SettlementOracle.FeedStatus.InvalidPrice, "negative answer");
        _assertStatus(e.statuses[2], SettlementOracle.FeedStatus.NoTimestamp, "updatedAt 0");
        _assertStatus(e.statuses[3], SettlementOracle.FeedStatus.InvalidRound, "answeredInRound < roundId");
        _assertStatus(e.statuses[4], SettlementOracle.FeedStatus.FutureTimestamp, "future");
        assertEq(e.fresh, 4, "four fresh");
        assertEq(uint256(e.outcome), uint256(SettlementOracle.Outcome.QuorumNotReached), "outcome");
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.QuorumNotReached.selector, ETH, 4, 5));
        rollup.fixSettlementPrice(seriesId);

        // One of the bad feeds recovers: the quorum of five is reached with it.
        feeds[0].setAnswer(3004e8, at);
        assertEq(rollup.fixSettlementPrice(seriesId), 3002e6, "median of the five valid");
    }

    function test_FixSettlementPrice_SurvivesBrokenFeeds() public {
        // Seven feeds, quorum 4: four that revert, return garbage, burn gas or overflow uint80
        // cannot block the price, and are dropped as ReadFailed.
        address[] memory all = new address[](7);
        all[0] = address(new RevertingFeed());
        all[1] = address(new ShortDataFeed());
        all[2] = address(new GasGuzzlerFeed());
        all[3] = address(new WideRoundFeed());
        for (uint256 i = 0; i < 3; i++) {
            all[4 + i] = address(feeds[i]);
        }
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, all, STALENESS, DEVIATION_BPS, 4);
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(int256(3000e8 + i * 1e8), EXPIRY);
        }
        SettlementOracle.Evaluation memory e = oracle.inspect(ETH);
        for (uint256 i = 0; i < 4; i++) {
            _assertStatus(e.statuses[i], SettlementOracle.FeedStatus.ReadFailed, "read failed");
        }
        assertEq(e.fresh, 3, "three fresh");
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.QuorumNotReached.selector, ETH, 3, 4));
        rollup.fixSettlementPrice(seriesId);

        // With quorum 4 of 7 unreachable, the owner swaps the broken feeds for working ones.
        all[0] = address(feeds[3]);
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, all, STALENESS, DEVIATION_BPS, 4);
        feeds[3].setAnswer(3003e8, EXPIRY);
        assertEq(rollup.fixSettlementPrice(seriesId), 3001_500000, "median of the four working feeds");
    }

    function test_RevertWhen_FixSettlementPriceWithTooLittleGas() public {
        _configureThree();
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3000e8, EXPIRY);
        }
        vm.expectRevert(SettlementOracle.InsufficientGas.selector);
        rollup.fixSettlementPrice{gas: 150_000}(seriesId);
        (, bool isFixed) = rollup.settlementPrice(seriesId);
        assertTrue(!isFixed, "not fixed");
    }

    /*//////////////////////////////////////////////////////////////
                                 REFUSALS
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_TwoFeedsAreBad() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000e8, EXPIRY);
        feeds[1].setAnswer(3000e8, EXPIRY - STALENESS - 1); // stale
        feeds[2].setRoundData(1, 3000e8, EXPIRY, EXPIRY, 0); // carried over
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.QuorumNotReached.selector, ETH, 1, 2));
        rollup.fixSettlementPrice(seriesId);
    }

    function test_RevertWhen_FeedsHaveNoRoundYet() public {
        _configureThree();
        vm.warp(EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.QuorumNotReached.selector, ETH, 0, 2));
        rollup.fixSettlementPrice(seriesId);
    }

    function test_RevertWhen_FeedsDisagree() public {
        _configureThree();
        vm.warp(EXPIRY);
        feeds[0].setAnswer(3000e8, EXPIRY);
        feeds[1].setAnswer(3100e8, EXPIRY);
        feeds[2].setAnswer(3200e8, EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.FeedsDisagree.selector, ETH, 1, 2));
        rollup.fixSettlementPrice(seriesId);
    }

    function test_RevertWhen_FixSettlementPriceBeforeExpiry() public {
        _configureThree();
        vm.warp(EXPIRY - 1);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3000e8, EXPIRY - 1);
        }
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotExpired.selector, seriesId, EXPIRY));
        rollup.fixSettlementPrice(seriesId);
    }

    function test_RevertWhen_FixSettlementPriceTwice() public {
        _configureThree();
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3000e8, EXPIRY);
        }
        rollup.fixSettlementPrice(seriesId);
        // The feeds move on; the fixed price does not.
        vm.warp(EXPIRY + 60);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(3100e8, EXPIRY + 60);
        }
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyFixed.selector, seriesId, 3000e6));
        rollup.fixSettlementPrice(seriesId);
        (uint256 price,) = rollup.settlementPrice(seriesId);
        assertEq(price, 3000e6, "immutable");
    }

    function test_RevertWhen_FixSettlementPriceOfUnknownSeries() public {
        vm.warp(EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownSeries.selector, 0));
        rollup.fixSettlementPrice(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownSeries.selector, 2));
        rollup.fixSettlementPrice(2);
    }

    function test_RevertWhen_UnderlyingNotConfigured() public {
        vm.warp(EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.UnderlyingNotConfigured.selector, ETH));
        rollup.fixSettlementPrice(seriesId);
    }

    function test_RevertWhen_PriceRoundsToZero() public {
        _configureThree();
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < 3; i++) {
            feeds[i].setAnswer(99, EXPIRY); // 0.00000099 < one base unit
        }
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.PriceRoundsToZero.selector, ETH));
        rollup.fixSettlementPrice(seriesId);
    }

    /*//////////////////////////////////////////////////////////////
                              CONFIGURATION
    //////////////////////////////////////////////////////////////*/

    function test_SetUnderlyingConfig_StoresFeedsAndEmits() public {
        address[] memory a = _addresses(3);
        vm.expectEmit(true, false, false, true, address(oracle));
        emit UnderlyingConfigured(ETH, a, STALENESS, DEVIATION_BPS, 2);
        _configure(a, 2);
        (address[] memory got, uint8[] memory decimals, uint32 staleness, uint16 deviation, uint8 quorum) = oracle.underlyingConfig(ETH);
        assertEq(got.length, 3, "feeds");
        assertEq(got[2], a[2], "feed 2");
        assertEq(decimals[0], 8, "decimals");
        assertEq(staleness, STALENESS, "staleness");
        assertEq(deviation, DEVIATION_BPS, "deviation");
        assertEq(quorum, 2, "quorum");
        // Replacing shrinks the list.
        _configure(_addresses(5), 3);
        _configure(_addresses(3), 3);
        (got,,,, quorum) = oracle.underlyingConfig(ETH);
        assertEq(got.length, 3, "replaced");
        assertEq(quorum, 3, "quorum replaced");
    }

    function test_RevertWhen_StrangerConfigures() public {
        address[] memory a = _addresses(3);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.NotOwner.selector, STRANGER));
        oracle.setUnderlyingConfig(ETH, a, STALENESS, DEVIATION_BPS, 2);
        vm.prank(OPERATOR);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.NotOwner.selector, OPERATOR));
        oracle.setUnderlyingConfig(ETH, a, STALENESS, DEVIATION_BPS, 2);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.NotOwner.selector, STRANGER));
        oracle.transferOwnership(STRANGER);
    }

    function test_TransferOwnership_HandsOverConfiguration() public {
        vm.expectEmit(true, true, false, true, address(oracle));
        emit OwnershipTransferred(OWNER, STRANGER);
        vm.prank(OWNER);
        oracle.transferOwnership(STRANGER);
        assertEq(oracle.owner(), STRANGER, "owner");
        address[] memory a = _addresses(3);
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.NotOwner.selector, OWNER));
        oracle.setUnderlyingConfig(ETH, a, STALENESS, DEVIATION_BPS, 2);
        vm.prank(STRANGER);
        oracle.setUnderlyingConfig(ETH, a, STALENESS, DEVIATION_BPS, 2);
        vm.prank(STRANGER);
        vm.expectRevert(SettlementOracle.ZeroOwner.selector);
        oracle.transferOwnership(address(0));
    }

    function test_RevertWhen_ConfigIsInvalid() public {
        address[] memory three = _addresses(3);
        vm.startPrank(OWNER);
        vm.expectRevert(SettlementOracle.InvalidUnderlying.selector);
        oracle.setUnderlyingConfig(bytes32(0), three, STALENESS, DEVIATION_BPS, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.FeedCountOutOfRange.selector, 2));
        oracle.setUnderlyingConfig(ETH, _addresses(2), STALENESS, DEVIATION_BPS, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.FeedCountOutOfRange.selector, 10));
        oracle.setUnderlyingConfig(ETH, new address[](10), STALENESS, DEVIATION_BPS, 6);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidQuorum.selector, 1, 3));
        oracle.setUnderlyingConfig(ETH, three, STALENESS, DEVIATION_BPS, 1);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidQuorum.selector, 4, 3));
        oracle.setUnderlyingConfig(ETH, three, STALENESS, DEVIATION_BPS, 4);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidQuorum.selector, 2, 4));
        oracle.setUnderlyingConfig(ETH, _addresses(4), STALENESS, DEVIATION_BPS, 2); // not a majority
        vm.expectRevert(SettlementOracle.InvalidStaleness.selector);
        oracle.setUnderlyingConfig(ETH, three, 0, DEVIATION_BPS, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidDeviation.selector, 0));
        oracle.setUnderlyingConfig(ETH, three, STALENESS, 0, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidDeviation.selector, 10_001));
        oracle.setUnderlyingConfig(ETH, three, STALENESS, 10_001, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.DuplicateFeed.selector, three[0]));
        oracle.setUnderlyingConfig(ETH, _addr(three[0], three[1], three[0]), STALENESS, DEVIATION_BPS, 2);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.InvalidFeed.selector, STRANGER));
        oracle.setUnderlyingConfig(ETH, _addr(three[0], STRANGER, three[2]), STALENESS, DEVIATION_BPS, 2);
        address nineteen = address(new NineteenDecimalsFeed());
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.FeedDecimalsUnsupported.selector, nineteen, 19));
        oracle.setUnderlyingConfig(ETH, _addr(three[0], three[1], nineteen), STALENESS, DEVIATION_BPS, 2);
        vm.stopPrank();
        (address[] memory got,,,,) = oracle.underlyingConfig(ETH);
        assertEq(got.length, 0, "nothing stored");
    }

    function test_RevertWhen_ConstructorArgumentsAreInvalid() public {
        vm.expectRevert(SettlementOracle.ZeroOwner.selector);
        new SettlementOracle(address(0), 6);
        vm.expectRevert(abi.encodeWithSelector(SettlementOracle.PriceDecimalsUnsupported.selector, 19));
        new SettlementOracle(OWNER, 19);
    }

    /*//////////////////////////////////////////////////////////////
                                   FUZZ
    //////////////////////////////////////////////////////////////*/

    /// @dev Reference: sort the 18-decimal answers, take the middle (mean of the two middle
    ///      values, rounded down, for an even count), round down to the price decimals.
    function _referenceMedian(uint256[] memory wad) internal pure returns (uint256) {
        uint256 n = wad.length;
        for (uint256 i = 0; i < n; i++) {
            for (uint256 j = 0; j + 1 < n - i; j++) {
                if (wad[j] > wad[j + 1]) (wad[j], wad[j + 1]) = (wad[j + 1], wad[j]);
            }
        }
        uint256 m = n % 2 == 1 ? wad[n / 2] : (wad[n / 2 - 1] + wad[n / 2]) / 2;
        return m / 1e12;
    }

    /// @notice With 3 to 5 fresh feeds of any decimals (0..18) whose answers lie within 50 %
    ///         of each other and a 50 % bound, every feed is used and the price is the median.
    function testFuzz_FixSettlementPrice_IsTheMedianOfInRangeAnswers(uint256 count, uint256[5] memory raw, uint8[5] memory decimals)
        public
    {
        uint256 n = bound(count, 3, 5);
        address[] memory a = new address[](n);
        uint256[] memory wad = new uint256[](n);
        vm.warp(EXPIRY);
        for (uint256 i = 0; i < n; i++) {
            uint8 d = uint8(bound(decimals[i], 0, 18));
            MockAggregatorV3 f = new MockAggregatorV3(d, "fuzz");
            uint256 answer = bound(raw[i], 1000 * 10 ** d, 1500 * 10 ** d);
            f.setAnswer(int256(answer), EXPIRY);
            a[i] = address(f);
            wad[i] = answer * 10 ** (18 - d);
        }
        vm.prank(OWNER);
        oracle.setUnderlyingConfig(ETH, a, STALENESS, 5_000, uint8(n / 2 + 1));
        vm.expectEmit(true, false, false, true, address(rollup));
        emit SettlementPriceFixed(seriesId, _referenceMedian(wad), a);
        rollup.fixSettlementPrice(seriesId);
        (uint256 price,) = rollup.settlementPrice(seriesId);
        assertEq(price, _referenceMedian(wad), "median");
    }

    /// @notice The guarantee of risk/oracle/aggregator.ts: three honest feeds of five that
    ///         agree within the bound make a price between the lowest and the highest honest
    ///         answer, whatever the two others report (any answer, stale or malformed).
    function testFuzz_FixSettlementPrice_HonestMajorityBoundsThePrice(uint256[3] memory honest, int256[2] memory rogue, uint256[2] memory age, bool malformed)
        public
    {
        _configure(_addresses(5), 3);
        vm.warp(EXPIRY + 2 * STALENESS);
        uint256 lo = type(uint256).max;
        uint256 hi;
        for (uint256 i = 0; i < 3; i++) {
            // 3000 to 3030: within 100 bps of the lowest honest answer.
            uint256 h = bound(honest[i], 3000e8, 3030e8);
            feeds[i].setAnswer(int256(h), block.timestamp - STALENESS);
            if (h < lo) lo = h;
            if (h > hi) hi = h;
        }
        for (uint256 i = 0; i < 2; i++) {
            uint256 at = block.timestamp - bound(age[i], 0, 2 * STALENESS);
            if (malformed) feeds[3 + i].setRoundData(9, rogue[i], at, at, 8);
            else feeds[3 + i].setAnswer(rogue[i], at);
        }
        uint256 price = rollup.fixSettlementPrice(seriesId);
        assertTrue(price >= lo / 100 && price <= hi / 100, "between the honest answers");
    }
}
