// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MockAggregatorV3
/// @notice A price feed with Chainlink's `AggregatorV3Interface` (decimals, description,
///         version, getRoundData, latestRoundData) whose rounds the owner writes: for tests,
///         local demos and the oracle adapter's integration test. Never a price source for a
///         real deployment.
/// @dev    `setAnswer` opens a new, complete round (answeredInRound == roundId, startedAt ==
///         updatedAt). `setRoundData` writes any round verbatim, so that tests can produce
///         the malformed rounds a reader must reject (answer <= 0, updatedAt == 0,
///         answeredInRound < roundId). Before the first round, `latestRoundData` returns
///         zeros, as an aggregator without data would; `getRoundData` of an unknown round
///         reverts, as Chainlink's does.
contract MockAggregatorV3 {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice No round with this id was written.
    error NoDataPresent(uint80 roundId);

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Chainlink's `AggregatorInterface` event, emitted for every written round.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    /// @notice Chainlink's `AggregatorInterface` event, emitted for every written round.
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The interface version Chainlink's current aggregators report.
    uint256 public constant version = 4;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    struct Round {
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
        uint80 answeredInRound;
    }

    /// @notice Decimals of `answer` (a price of 3000.5 with 8 decimals is 300050000000).
    uint8 public immutable decimals;
    /// @notice The only account that may write rounds.
    address public immutable owner;
    /// @notice A label such as "ETH / USD".
    string public description;
    /// @notice Id of the latest written round; 0 before the first.
    uint80 public latestRound;

    mapping(uint80 roundId => Round) internal _rounds;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param decimals_    decimals of the answers.
    /// @param description_ a label such as "ETH / USD".
    constructor(uint8 decimals_, string memory description_) {
        decimals = decimals_;
        description = description_;
        owner = msg.sender;
    }

    /*//////////////////////////////////////////////////////////////
                           EXTERNAL: WRITERS
    //////////////////////////////////////////////////////////////*/

    /// @notice Opens round `latestRound + 1` with `answer`, complete at `updatedAt`.
    /// @param answer    the price, scaled by `10 ** decimals`.
    /// @param updatedAt unix seconds; any value, so tests can write stale or future rounds.
    /// @return roundId  the new round's id.
    function setAnswer(int256 answer, uint256 updatedAt) external returns (uint80 roundId) {
        _onlyOwner();
        roundId = latestRound + 1;
        _write(roundId, Round(answer, updatedAt, updatedAt, roundId));
    }

    /// @notice Writes round `roundId` verbatim and makes it the latest.
    /// @dev    For malformed-round tests; `roundId` may be lower than the current latest.
    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound) external {
        _onlyOwner();
        _write(roundId, Round(answer, startedAt, updatedAt, answeredInRound));
    }

    /*//////////////////////////////////////////////////////////////
                      EXTERNAL: AggregatorV3Interface
    //////////////////////////////////////////////////////////////*/

    /// @notice The latest round; all zeros before the first round is written.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        roundId = latestRound;
        Round storage r = _rounds[roundId];
        return (roundId, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    /// @notice Round `roundId`; reverts with `NoDataPresent` if it was never written.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        Round storage r = _rounds[roundId];
        if (roundId == 0 || (r.updatedAt == 0 && r.startedAt == 0 && r.answer == 0 && r.answeredInRound == 0)) {
            revert NoDataPresent(roundId);
        }
        return (roundId, r.answer, r.startedAt, r.updatedAt, r.answeredInRound);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _onlyOwner() internal view {
        if (msg.sender != owner) revert NotOwner(msg.sender);
    }

    function _write(uint80 roundId, Round memory r) internal {
        _rounds[roundId] = r;
        latestRound = roundId;
        emit NewRound(roundId, msg.sender, r.startedAt);
        emit AnswerUpdated(r.answer, roundId, r.updatedAt);
    }
}
