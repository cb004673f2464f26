// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {ISettlementOracle} from "./ISettlementOracle.sol";

/// @title SettlementOracle
/// @notice The price source of expiry settlement: per underlying, a set of 3 to 9
///         Chainlink-style feeds with a staleness limit, a deviation bound and a quorum,
///         set by the owner. `aggregate` applies the rules of risk/oracle/aggregator.ts to
///         the feeds' latest rounds at the current block:
///           1. a round is usable when it could be read, `updatedAt != 0`,
///              `answeredInRound >= roundId`, `0 < answer < 2^128`, `updatedAt <= now` and
///              `now - updatedAt <= maxStaleness`;
///           2. fewer than `quorum` usable rounds -> `QuorumNotReached`;
///           3. m = median of the usable answers; a feed with |p - m| / m > maxDeviationBps / 10^4
///              is dropped;
///           4. fewer than `quorum` feeds left -> `FeedsDisagree`;
///           5. price = median of the feeds left, scaled to `priceDecimals` and rounded down.
///         The Rollup calls `aggregate` once per series (`Rollup.fixSettlementPrice`) and
///         keeps the result; this contract stores no prices. See docs/protocol.md.
/// @dev    Feeds are read with a bounded `staticcall` and a bounded copy of the return data:
///         a feed that reverts, runs out of its gas allowance or returns garbage is dropped
///         as `ReadFailed`; it cannot block the others. The caller must leave enough gas
///         for every feed's allowance (`InsufficientGas` otherwise), so a failed read is
///         never the caller's choice.
contract SettlementOracle is ISettlementOracle {
    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not the owner.
    error NotOwner(address caller);
    /// @notice The zero address cannot own the oracle.
    error ZeroOwner();
    /// @notice `priceDecimals` above 18.
    error PriceDecimalsUnsupported(uint8 priceDecimals);
    /// @notice The zero underlying cannot be configured (no series has it).
    error InvalidUnderlying();
    /// @notice Fewer than `MIN_FEEDS` or more than `MAX_FEEDS` feeds.
    error FeedCountOutOfRange(uint256 count);
    /// @notice The address has no code: not a feed.
    error InvalidFeed(address feed);
    /// @notice The same feed appears twice in one underlying's set.
    error DuplicateFeed(address feed);
    /// @notice The feed reports more than 18 decimals.
    error FeedDecimalsUnsupported(address feed, uint8 decimals);
    /// @notice The quorum is not an integer majority of the feeds, or is below 2.
    error InvalidQuorum(uint256 quorum, uint256 feedCount);
    /// @notice The staleness limit is zero.
    error InvalidStaleness();
    /// @notice The deviation bound is zero or above `MAX_DEVIATION_BPS`.
    error InvalidDeviation(uint256 maxDeviationBps);
    /// @notice No feeds are configured for the underlying.
    error UnderlyingNotConfigured(bytes32 underlying);
    /// @notice Fewer than `quorum` feeds have a valid, fresh round.
    error QuorumNotReached(bytes32 underlying, uint256 fresh, uint256 quorum);
    /// @notice Fewer than `quorum` fresh feeds lie within the deviation bound of their median.
    error FeedsDisagree(bytes32 underlying, uint256 agreeing, uint256 quorum);
    /// @notice The median is below one unit of `priceDecimals`.
    error PriceRoundsToZero(bytes32 underlying);
    /// @notice Not enough gas left to give a feed its full allowance (`FEED_CALL_GAS`).
    error InsufficientGas();

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The owner changed.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice The feed set and limits of `underlying` were (re)placed.
    event UnderlyingConfigured(bytes32 indexed underlying, address[] feeds, uint32 maxStaleness, uint16 maxDeviationBps, uint8 quorum);

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Fewest feeds per underlying (as MIN_FEEDS_PER_UNDERLYING off-chain).
    uint256 public constant MIN_FEEDS = 3;
    /// @notice Most feeds per underlying (bounds the gas of `aggregate`).
    uint256 public constant MAX_FEEDS = 9;
    /// @notice Largest deviation bound: 100 %.
    uint256 public constant MAX_DEVIATION_BPS = 10_000;
    /// @notice Gas allowance of one `latestRoundData` call (a Chainlink proxy uses ~20k).
    uint256 public constant FEED_CALL_GAS = 150_000;
    /// @notice Answers at or above this are invalid (keeps the 18-decimal arithmetic exact).
    uint256 public constant MAX_ANSWER = 2 ** 128;

    /// @dev Internal scale of the median: 18 decimals.
    uint256 internal constant WAD_DECIMALS = 18;
    /// @dev Gas that must be left before a feed call: the allowance survives the 63/64 rule.
    uint256 internal constant FEED_CALL_RESERVE = FEED_CALL_GAS + FEED_CALL_GAS / 63 + 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @notice Why a feed's round is or is not used.
    enum FeedStatus {
        Ok,
        ReadFailed,
        NoTimestamp,
        InvalidRound,
        InvalidPrice,
        FutureTimestamp,
        Stale,
        Deviation
    }

    /// @notice The outcome of one aggregation.
    enum Outcome {
        Ok,
        NotConfigured,
        QuorumNotReached,
        FeedsDisagree,
        PriceRoundsToZero
    }

    /// @notice One aggregation with the detail of every feed (`inspect`).
    struct Evaluation {
        Outcome outcome;
        /// @dev In `priceDecimals`; 0 unless `outcome` is Ok.
        uint256 price;
        /// @dev Median of the agreeing answers in 18 decimals; 0 if not reached.
        uint256 medianWad;
        uint256 fresh;
        uint256 agreeing;
        uint256 quorum;
        address[] feeds;
        FeedStatus[] statuses;
        /// @dev Each feed's answer in 18 decimals (0 when unreadable or invalid).
        uint256[] answersWad;
    }

    /// @dev One feed and its decimals, read once when configured.
    struct Feed {
        address aggregator;
        uint8 decimals;
    }

    struct Config {
        Feed[] feeds;
        uint32 maxStaleness;
        uint16 maxDeviationBps;
        uint8 quorum;
    }

    /// @notice Decimals of the prices returned: the collateral token's (collateral base
    ///         units per one unit of underlying, as series strikes).
    uint8 public immutable priceDecimals;
    /// @notice The only account that may configure feeds.
    address public owner;

    mapping(bytes32 underlying => Config) internal _configs;

    /*//////////////////////////////////////////////////////////////
                               CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param owner_ The account that configures the feeds (the operator, or a multisig).
    /// @param priceDecimals_ Decimals of the collateral token (COLLATERAL_DECIMALS), <= 18.
    constructor(address owner_, uint8 priceDecimals_) {
        if (owner_ == address(0)) revert ZeroOwner();
        if (priceDecimals_ > WAD_DECIMALS) revert PriceDecimalsUnsupported(priceDecimals_);
        owner = owner_;
        priceDecimals = priceDecimals_;
        emit OwnershipTransferred(address(0), owner_);
    }

    /*//////////////////////////////////////////////////////////////
                                  OWNER
    //////////////////////////////////////////////////////////////*/

    /// @notice Replaces the feed set and limits of `underlying`; takes effect at once, also
    ///         for series that expired but whose price is not fixed yet.
    /// @dev Reads and stores each feed's `decimals()`.
    /// @param feeds 3 to 9 distinct contracts with Chainlink's AggregatorV3Interface, <= 18 decimals.
    /// @param maxStaleness A round older than this many seconds at the time of the call is stale (> 0).
    /// @param maxDeviationBps A feed further than this from the median of the fresh feeds is dropped (1 to 10000).
    /// @param quorum Fewest fresh, agreeing feeds for a price: >= 2, <= feeds, and a strict majority of them.
    function setUnderlyingConfig(bytes32 underlying, address[] calldata feeds, uint32 maxStaleness, uint16 maxDeviationBps, uint8 quorum)
        external
    {
        _onlyOwner();
        if (underlying == bytes32(0)) revert InvalidUnderlying();
        uint256 n = feeds.length;
        if (n < MIN_FEEDS || n > MAX_FEEDS) revert FeedCountOutOfRange(n);
        if (quorum < 2 || quorum > n || 2 * uint256(quorum) <= n) revert InvalidQuorum(quorum, n);
        if (maxStaleness == 0) revert InvalidStaleness();
        if (maxDeviationBps == 0 || maxDeviationBps > MAX_DEVIATION_BPS) revert InvalidDeviation(maxDeviationBps);

        Config storage c = _configs[underlying];
        delete c.feeds;
        for (uint256 i = 0; i < n; i++) {
            address feed = feeds[i];
            if (feed.code.length == 0) revert InvalidFeed(feed);
            for (uint256 j = 0; j < i; j++) {
                if (feeds[j] == feed) revert DuplicateFeed(feed);
            }
            uint8 d = AggregatorV3Interface(feed).decimals();
            if (d > WAD_DECIMALS) revert FeedDecimalsUnsupported(feed, d);
            c.feeds.push(Feed(feed, d));
        }
        c.maxStaleness = maxStaleness;
        c.maxDeviationBps = maxDeviationBps;
        c.quorum = quorum;
        emit UnderlyingConfigured(underlying, feeds, maxStaleness, maxDeviationBps, quorum);
    }

    /// @notice Hands the oracle to `newOwner` (not the zero address).
    function transferOwnership(address newOwner) external {
        _onlyOwner();
        if (newOwner == address(0)) revert ZeroOwner();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISettlementOracle
    /// @dev Gas: roughly 5k plus one feed read per feed. Needs `FEED_CALL_GAS` and a
    ///      margin left before every feed call, else `InsufficientGas`.
    function aggregate(bytes32 underlying) external view returns (uint256 price, address[] memory feedsUsed) {
        Evaluation memory e = _evaluate(underlying);
        if (e.outcome == Outcome.NotConfigured) revert UnderlyingNotConfigured(underlying);
        if (e.outcome == Outcome.QuorumNotReached) revert QuorumNotReached(underlying, e.fresh, e.quorum);
        if (e.outcome == Outcome.FeedsDisagree) revert FeedsDisagree(underlying, e.agreeing, e.quorum);
        if (e.outcome == Outcome.PriceRoundsToZero) revert PriceRoundsToZero(underlying);
        feedsUsed = new address[](e.agreeing);
        uint256 k;
        for (uint256 i = 0; i < e.feeds.length; i++) {
            if (e.statuses[i] == FeedStatus.Ok) feedsUsed[k++] = e.feeds[i];
        }
        price = e.price;
    }

    /// @notice `aggregate` without reverting, with every feed's status and answer: for
    ///         keepers, dashboards and tests to see why a price can or cannot be fixed now.
    function inspect(bytes32 underlying) external view returns (Evaluation memory) {
        return _evaluate(underlying);
    }

    /// @notice The configuration of `underlying` (empty `feeds` when none).
    function underlyingConfig(bytes32 underlying)
        external
        view
        returns (address[] memory feeds, uint8[] memory decimals, uint32 maxStaleness, uint16 maxDeviationBps, uint8 quorum)
    {
        Config storage c = _configs[underlying];
        uint256 n = c.feeds.length;
        feeds = new address[](n);
        decimals = new uint8[](n);
        for (uint256 i = 0; i < n; i++) {
            feeds[i] = c.feeds[i].aggregator;
            decimals[i] = c.feeds[i].decimals;
        }
        return (feeds, decimals, c.maxStaleness, c.maxDeviationBps, c.quorum);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _onlyOwner() internal view {
        if (msg.sender != owner) revert NotOwner(msg.sender);
    }

    /// @dev Steps 1 to 5 of the contract's rules; never reverts except `InsufficientGas`.
    function _evaluate(bytes32 underlying) internal view returns (Evaluation memory e) {
        Config storage c = _configs[underlying];
        uint256 n = c.feeds.length;
        e.quorum = c.quorum;
        e.feeds = new address[](n);
        e.statuses = new FeedStatus[](n);
        e.answersWad = new uint256[](n);
        if (n == 0) {
            e.outcome = Outcome.NotConfigured;
            return e;
        }

        // 1. Read and filter. `scratch` collects the fresh answers for the median.
        uint256 maxStaleness = c.maxStaleness;
        uint256[] memory scratch = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            Feed memory f = c.feeds[i];
            e.feeds[i] = f.aggregator;
            (FeedStatus s, uint256 wad) = _readFeed(f, maxStaleness);
            e.statuses[i] = s;
            e.answersWad[i] = wad;
            if (s == FeedStatus.Ok) scratch[e.fresh++] = wad;
        }
        // 2. Quorum of fresh feeds.
        if (e.fresh < e.quorum) {
            e.outcome = Outcome.QuorumNotReached;
            return e;
        }
        // 3. Drop the feeds too far from the median of the fresh ones:
        //    |p - m| * 10^4 > maxDeviationBps * m, exact (p, m < 2^188).
        uint256 m = _median(scratch, e.fresh);
        uint256 bound = uint256(c.maxDeviationBps) * m;
        for (uint256 i = 0; i < n; i++) {
            if (e.statuses[i] != FeedStatus.Ok) continue;
            uint256 p = e.answersWad[i];
            uint256 diff = p > m ? p - m : m - p;
            if (diff * 10_000 > bound) e.statuses[i] = FeedStatus.Deviation;
            else scratch[e.agreeing++] = p;
        }
        // 4. Quorum of agreeing feeds.
        if (e.agreeing < e.quorum) {
            e.outcome = Outcome.FeedsDisagree;
            return e;
        }
        // 5. The median of the agreeing feeds, rounded down to `priceDecimals`.
        e.medianWad = _median(scratch, e.agreeing);
        e.price = e.medianWad / 10 ** (WAD_DECIMALS - priceDecimals);
        e.outcome = e.price == 0 ? Outcome.PriceRoundsToZero : Outcome.Ok;
    }

    /// @dev Status and 18-decimal answer of `f`'s latest round, judged at `block.timestamp`.
    ///      Checks in the order of oracle/chainlinkFeed.ts, then aggregator.ts.
    function _readFeed(Feed memory f, uint256 maxStaleness) internal view returns (FeedStatus, uint256 wad) {
        (bool ok, uint256 roundId, int256 answer, uint256 updatedAt, uint256 answeredInRound) = _latestRound(f.aggregator);
        if (!ok || roundId > type(uint80).max || answeredInRound > type(uint80).max) return (FeedStatus.ReadFailed, 0);
        if (updatedAt == 0) return (FeedStatus.NoTimestamp, 0);
        if (answeredInRound < roundId) return (FeedStatus.InvalidRound, 0);
        if (answer <= 0 || uint256(answer) >= MAX_ANSWER) return (FeedStatus.InvalidPrice, 0);
        wad = uint256(answer) * 10 ** (WAD_DECIMALS - f.decimals);
        if (updatedAt > block.timestamp) return (FeedStatus.FutureTimestamp, wad);
        if (block.timestamp - updatedAt > maxStaleness) return (FeedStatus.Stale, wad);
        return (FeedStatus.Ok, wad);
    }

    /// @dev `latestRoundData()` with a gas allowance and at most 160 bytes of return data
    ///      copied; `ok` is false when the call fails or returns less than 160 bytes.
    function _latestRound(address feed)
        internal
        view
        returns (bool ok, uint256 roundId, int256 answer, uint256 updatedAt, uint256 answeredInRound)
    {
        if (gasleft() < FEED_CALL_RESERVE) revert InsufficientGas();
        bytes4 selector = AggregatorV3Interface.latestRoundData.selector;
        uint256 gasAllowance = FEED_CALL_GAS;
        /// @solidity memory-safe-assembly
        assembly {
            let p := mload(0x40)
            mstore(p, selector)
            ok := staticcall(gasAllowance, feed, p, 4, p, 0xa0)
            if lt(returndatasize(), 0xa0) { ok := 0 }
            if ok {
                roundId := mload(p)
                answer := mload(add(p, 0x20))
                updatedAt := mload(add(p, 0x60))
                answeredInRound := mload(add(p, 0x80))
            }
        }
    }

    /// @dev Median of `a[0..len)`, sorting that prefix in place; the mean of the two middle
    ///      values, rounded down, when `len` is even. `len` >= 1 and <= MAX_FEEDS.
    function _median(uint256[] memory a, uint256 len) internal pure returns (uint256) {
        for (uint256 i = 1; i < len; i++) {
            uint256 v = a[i];
            uint256 j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        uint256 mid = len >> 1;
        return len & 1 == 1 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
    }
}
