// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {TestBase} from "./TestBase.sol";
import {MockAggregatorV3} from "../src/mocks/MockAggregatorV3.sol";

/// @notice Tests of the Chainlink-compatible test feed (the TypeScript reader's behaviour on
///         these rounds is tested on anvil in oracle/oracleService.anvil.test.ts).
contract MockAggregatorV3Test is TestBase {
    MockAggregatorV3 internal feed;
    address internal constant STRANGER = address(0xBEEF);

    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    function setUp() public {
        vm.warp(1_800_000_000);
        feed = new MockAggregatorV3(8, "ETH / USD");
    }

    function _assertEqInt(int256 a, int256 b, string memory message) internal pure {
        assertTrue(a == b, message);
    }

    function test_Metadata() public view {
        assertEq(feed.decimals(), 8, "decimals");
        assertEq(feed.version(), 4, "version");
        assertTrue(keccak256(bytes(feed.description())) == keccak256("ETH / USD"), "description");
        assertEq(feed.owner(), address(this), "owner");
    }

    function test_LatestRoundDataIsZeroBeforeTheFirstRound() public view {
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) = feed.latestRoundData();
        assertEq(roundId, 0, "roundId");
        _assertEqInt(answer, 0, "answer");
        assertEq(startedAt, 0, "startedAt");
        assertEq(updatedAt, 0, "updatedAt");
        assertEq(answeredInRound, 0, "answeredInRound");
    }

    function test_SetAnswerOpensACompleteRound() public {
        vm.expectEmit(true, true, false, true, address(feed));
        emit AnswerUpdated(3000e8, 1, block.timestamp);
        uint80 id = feed.setAnswer(3000e8, block.timestamp);
        assertEq(id, 1, "first round");
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) = feed.latestRoundData();
        assertEq(roundId, 1, "roundId");
        _assertEqInt(answer, 3000e8, "answer");
        assertEq(startedAt, block.timestamp, "startedAt");
        assertEq(updatedAt, block.timestamp, "updatedAt");
        assertEq(answeredInRound, 1, "answeredInRound");

        assertEq(feed.setAnswer(3100e8, block.timestamp - 600), 2, "second round");
        (roundId, answer,, updatedAt,) = feed.latestRoundData();
        assertEq(roundId, 2, "roundId 2");
        _assertEqInt(answer, 3100e8, "answer 2");
        assertEq(updatedAt, block.timestamp - 600, "a stale timestamp is kept as written");
        (, answer,,,) = feed.getRoundData(1);
        _assertEqInt(answer, 3000e8, "round 1 is kept");
    }

    function test_SetRoundDataWritesMalformedRoundsVerbatim() public {
        feed.setRoundData(7, -1, 5, 0, 6);
        (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) = feed.latestRoundData();
        assertEq(roundId, 7, "roundId");
        _assertEqInt(answer, -1, "answer");
        assertEq(startedAt, 5, "startedAt");
        assertEq(updatedAt, 0, "updatedAt");
        assertEq(answeredInRound, 6, "answeredInRound");
        assertEq(feed.setAnswer(1, 1), 8, "setAnswer continues after the latest round");
    }

    function test_RevertWhen_GetRoundDataOfAnUnknownRound() public {
        vm.expectRevert(abi.encodeWithSelector(MockAggregatorV3.NoDataPresent.selector, uint80(1)));
        feed.getRoundData(1);
        feed.setAnswer(1e8, 1);
        vm.expectRevert(abi.encodeWithSelector(MockAggregatorV3.NoDataPresent.selector, uint80(0)));
        feed.getRoundData(0);
    }

    function test_RevertWhen_AStrangerWrites() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(MockAggregatorV3.NotOwner.selector, STRANGER));
        feed.setAnswer(1e8, block.timestamp);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(MockAggregatorV3.NotOwner.selector, STRANGER));
        feed.setRoundData(1, 1e8, 1, 1, 1);
    }

    function testFuzz_SetAnswerRoundTrips(int256 answer, uint256 updatedAt, uint8 rounds) public {
        uint256 n = bound(rounds, 1, 20);
        for (uint256 i = 0; i < n; i++) {
            feed.setAnswer(answer, updatedAt);
        }
        (uint80 roundId, int256 got,, uint256 gotAt, uint80 answeredInRound) = feed.latestRoundData();
        assertEq(roundId, n, "one round per setAnswer");
        _assertEqInt(got, answer, "answer");
        assertEq(gotAt, updatedAt, "updatedAt");
        assertEq(answeredInRound, roundId, "complete round");
    }
}
