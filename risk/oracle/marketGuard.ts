/**
 * The effective trading mode of one underlying: the oracle state (aggregated feeds) and the
 * circuit breaker combined, the stricter winning. One pure step per polling round.
 *
 *   tradingMode         = stricter(oracle.tradingMode, breaker.tradingMode)
 *   liquidationsAllowed = oracle.liquidationsAllowed && breaker.liquidationsAllowed
 *   price               = the oracle's price when it is ok (for marks and margin);
 *                         otherwise absent and `lastGoodPrice` is what reduce-only
 *                         margin checks can use
 *
 * Order of a step: aggregate the reports, update the oracle state, then feed the price to
 * the breaker when the oracle is ok (else only advance the breaker's clock).
 */
import { aggregateReports, initialOracleState, resolveAggregatorConfig, updateOracleState, type Aggregate, type AggregatorConfig, type OracleState } from './aggregator.js'
import { DEFAULT_CIRCUIT_BREAKER_CONFIG, initialBreakerState, observePrice, tickBreaker, validateCircuitBreakerConfig, type BreakerState, type CircuitBreakerConfig } from './circuitBreaker.js'
import { stricterMode, type FeedReport, type ModeTransition, type TradingMode } from './types.js'

/** Everything configurable for one underlying. */
export type MarketGuardConfig = {
  readonly aggregator: AggregatorConfig
  readonly breaker: CircuitBreakerConfig
}

/** Partial settings for one underlying, completed by `resolveMarketGuardConfig`. */
export type MarketGuardSettings = {
  readonly aggregator?: Partial<AggregatorConfig>
  readonly breaker?: Partial<CircuitBreakerConfig>
}

/** Completes and validates the settings of an underlying with `feedCount` feeds. */
export function resolveMarketGuardConfig(settings: MarketGuardSettings, feedCount: number): MarketGuardConfig {
  const breaker = { ...DEFAULT_CIRCUIT_BREAKER_CONFIG, ...settings.breaker }
  validateCircuitBreakerConfig(breaker)
  return { aggregator: resolveAggregatorConfig(settings.aggregator ?? {}, feedCount), breaker }
}

/** The combined state of one underlying. */
export type MarketGuardState = {
  readonly underlying: string
  readonly oracle: OracleState
  readonly breaker: BreakerState
  /** The stricter of the oracle's and the breaker's modes. */
  readonly tradingMode: TradingMode
  /** True only when both the oracle and the breaker allow liquidations. */
  readonly liquidationsAllowed: boolean
  /** The current oracle price; absent while the oracle is degraded. */
  readonly price?: number
  /** The latest price made with a quorum, and when. */
  readonly lastGoodPrice?: number
  readonly lastGoodAt?: number
  /** What currently restricts trading, one line per source; empty in normal mode. */
  readonly restrictions: readonly string[]
  /** The latest round's aggregate (absent before the first round). */
  readonly lastAggregate?: Aggregate
  /** Time of the latest step. */
  readonly at: number
}

/** An underlying before any round: the oracle has no data, so it is halted. */
export function initialMarketGuard(underlying: string, now: number): MarketGuardState {
  return combine(initialOracleState(underlying, now), initialBreakerState(underlying, now), undefined, now)
}

/** The new state and every transition of the step, oracle and breaker first, then effective. */
export type MarketGuardStep = { readonly state: MarketGuardState; readonly events: ModeTransition[] }

/**
 * One polling round: the feeds' reports at `now`.
 *
 * @example
 * let g = initialMarketGuard('ETH', now)
 * const step = stepMarketGuard(g, reports, now, resolveMarketGuardConfig({}, 3))
 * step.state.tradingMode // 'normal' once 2 of 3 fresh feeds agree
 */
export function stepMarketGuard(state: MarketGuardState, reports: readonly FeedReport[], now: number, config: MarketGuardConfig): MarketGuardStep {
  const aggregate = aggregateReports(reports, now, config.aggregator)
  const oracle = updateOracleState(state.oracle, aggregate, now, config.aggregator)
  const breaker = oracle.state.price === undefined ? tickBreaker(state.breaker, now) : observePrice(state.breaker, oracle.state.price, now, config.breaker)
  const next = combine(oracle.state, breaker.state, aggregate, now)
  return { state: next, events: [...oracle.events, ...breaker.events, ...effectiveEvents(state, next, now)] }
}

/** Advances time without a round (e.g. when every read failed to run): ends a cool-down. */
export function tickMarketGuard(state: MarketGuardState, now: number): MarketGuardStep {
  const breaker = tickBreaker(state.breaker, now)
  const next = combine(state.oracle, breaker.state, state.lastAggregate, now)
  return { state: next, events: [...breaker.events, ...effectiveEvents(state, next, now)] }
}

function combine(oracle: OracleState, breaker: BreakerState, aggregate: Aggregate | undefined, now: number): MarketGuardState {
  const restrictions: string[] = []
  if (oracle.tradingMode !== 'normal' || !oracle.liquidationsAllowed) restrictions.push(`oracle ${oracle.tradingMode}: ${oracle.reason ?? 'degraded'}: ${oracle.detail ?? ''}`.trimEnd())
  if (breaker.status === 'tripped') restrictions.push(`breaker ${breaker.tradingMode} until ${breaker.resumeAt}: ${breaker.tripReason}`)
  return {
    underlying: oracle.underlying,
    oracle,
    breaker,
    tradingMode: stricterMode(oracle.tradingMode, breaker.tradingMode),
    liquidationsAllowed: oracle.liquidationsAllowed && breaker.liquidationsAllowed,
    ...(oracle.price === undefined ? {} : { price: oracle.price }),
    ...(oracle.lastGoodPrice === undefined ? {} : { lastGoodPrice: oracle.lastGoodPrice }),
    ...(oracle.lastGoodAt === undefined ? {} : { lastGoodAt: oracle.lastGoodAt }),
    restrictions,
    ...(aggregate === undefined ? {} : { lastAggregate: aggregate }),
    at: now,
  }
}

function effectiveEvents(prev: MarketGuardState, next: MarketGuardState, now: number): ModeTransition[] {
  if (prev.tradingMode === next.tradingMode) return []
  const reason = next.restrictions.length === 0 ? 'oracle ok and breaker armed' : next.restrictions.join('; ')
  return [{ underlying: next.underlying, source: 'effective', from: prev.tradingMode, to: next.tradingMode, reason, at: now }]
}
