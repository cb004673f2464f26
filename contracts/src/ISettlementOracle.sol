// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISettlementOracle
/// @notice What the Rollup needs from the settlement oracle: the aggregated price of an
///         underlying now, or a revert that says why there is none (docs/protocol.md,
///         "Settlement prices").
interface ISettlementOracle {
    /// @notice The median of the fresh, agreeing feeds of `underlying`, in collateral base
    ///         units per unit of underlying (rounded down), and the feeds that made it.
    /// @dev Reverts when the underlying has no feeds, the quorum is not reached, the feeds
    ///      disagree, or the price rounds to zero. Never reverts because one feed reverts.
    function aggregate(bytes32 underlying) external view returns (uint256 price, address[] memory feedsUsed);
}
