/**
 * Shared vocabulary of the oracle layer: what a feed reports, why a report is not used, the
 * trading modes of an underlying and the transition events the caller logs and shows.
 *
 * Prices here are pricing inputs (`number`, collateral per unit of underlying, as `spot` in
 * docs/risk.md); times are unix seconds (`number`). Nothing here reads a clock: every
 * function takes `now`.
 */

/** A usable-looking report of one feed: a price and when the feed last updated it. */
export type FeedReading = {
  readonly feedId: string
  /** Collateral per unit of underlying; must be finite and > 0 to be used. */
  readonly price: number
  /** Unix seconds of the feed's last update (Chainlink's `updatedAt`). */
  readonly updatedAt: number
}

/** Why a feed's report cannot be used, found by the adapter before aggregation. */
export type FeedFailureReason =
  /** The feed could not be read (RPC error, timeout, revert). */
  | 'read-failed'
  /** The answer is zero, negative or not a finite number. */
  | 'invalid-price'
  /** `updatedAt` is 0: the round is not complete. */
  | 'no-timestamp'
  /** `answeredInRound < roundId`: the answer was carried over from an earlier round. */
  | 'invalid-round'

/** A report the adapter already knows is unusable, with its reason. */
export type FeedFailure = {
  readonly feedId: string
  readonly failure: FeedFailureReason
  /** Human-readable detail (an error message, the raw round). */
  readonly detail?: string
}

/** What one read of a feed gives: a reading or a failure. */
export type FeedReport = FeedReading | FeedFailure

/** Why the aggregator left a feed out of the price. */
export type ExclusionReason =
  | FeedFailureReason
  /** `updatedAt` is older than the staleness limit. */
  | 'stale'
  /** `updatedAt` is later than `now` by more than the allowed clock skew. */
  | 'future-timestamp'
  /** The price is further from the median of the fresh feeds than the deviation limit. */
  | 'deviation'
  /** The same feed id was reported twice in one round; only the first report counts. */
  | 'duplicate-feed'

/** A feed left out, and why. */
export type Exclusion = {
  readonly feedId: string
  readonly reason: ExclusionReason
  readonly detail?: string
}

/**
 * What an underlying may trade:
 * - `normal`: every order;
 * - `reduce-only`: only orders that shrink the absolute size of the trader's position in
 *   the series (no new exposure);
 * - `halted`: no matching at all (cancels are always allowed).
 */
export type TradingMode = 'normal' | 'reduce-only' | 'halted'

/** The modes from least to most strict. */
export const TRADING_MODES: readonly TradingMode[] = ['normal', 'reduce-only', 'halted']

/** The stricter of two modes (`halted` > `reduce-only` > `normal`). */
export function stricterMode(a: TradingMode, b: TradingMode): TradingMode {
  return TRADING_MODES.indexOf(a) >= TRADING_MODES.indexOf(b) ? a : b
}

/** Which state machine a transition belongs to; `effective` is the combined mode. */
export type TransitionSource = 'oracle' | 'breaker' | 'effective'

/**
 * One change of an underlying's mode, for the caller to log and the API to show.
 *
 * @example { underlying: 'ETH', source: 'breaker', from: 'normal', to: 'halted', reason: 'price moved 20.00 % within 300 s (limit 10.00 %)', at: 1800000000 }
 */
export type ModeTransition = {
  readonly underlying: string
  readonly source: TransitionSource
  readonly from: TradingMode
  readonly to: TradingMode
  readonly reason: string
  /** Unix seconds. */
  readonly at: number
}

/**
 * |price - reference| / reference in basis points, rounded to 10^-6 bp so that a move of
 * exactly the limit (3000 -> 3300 against 1000 bps) compares as equal despite float error.
 */
export function relativeMoveBps(price: number, reference: number): number {
  return Math.round((Math.abs(price - reference) / reference) * 1e10) / 1e6
}
