// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title AggregatorV3Interface
/// @notice Chainlink's standard price-feed interface (the settlement oracle reads
///         `decimals` and `latestRoundData`). contracts/src/mocks/MockAggregatorV3.sol
///         implements it for tests.
interface AggregatorV3Interface {
    /// @notice Decimals of `answer`.
    function decimals() external view returns (uint8);

    /// @notice A label such as "ETH / USD".
    function description() external view returns (string memory);

    /// @notice The aggregator's interface version.
    function version() external view returns (uint256);

    /// @notice Round `roundId`; reverts if it does not exist.
    function getRoundData(uint80 roundId)
        external
        view
        returns (uint80, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice The latest round. `updatedAt == 0` means incomplete; `answeredInRound < roundId`
    ///         means the answer was carried over from an earlier round.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
