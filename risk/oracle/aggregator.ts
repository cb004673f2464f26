/**
 * Median-of-feeds price aggregation with staleness, deviation and quorum checks, and the
 * per-underlying oracle state that turns a lost quorum into a degraded mode instead of a
 * failure or a trade on bad data. Pure: `now` is an argument.
 *
 * One round, per underlying (`aggregateReports`):
 *   1. a report is usable when the adapter found nothing wrong with it, its price is finite
 *      and > 0, `now - updatedAt <= maxStalenessSeconds` (per-feed override allowed) and
 *      `updatedAt - now <= maxFutureSeconds`;
 *   2. fewer than `quorum` usable reports -> degraded `insufficient-fresh-feeds`;
 *   3. m = median of the usable prices; a feed with |p - m| / m > maxDeviationBps / 10^4 is
 *      excluded (`deviation`);
 *   4. fewer than `quorum` feeds left -> degraded `feeds-disagree`;
 *   5. price = median of the feeds left.
 *
 * Guarantee (property-tested): if the honest feeds are a strict majority of the fresh ones
 * and agree with each other within `maxDeviationBps` (relative to the lowest), then the
 * round is `ok` whenever they reach the quorum, and the price lies between the lowest and
 * the highest honest price, whatever the other feeds report.
 *
 * Modes (`updateOracleState`): ok -> `normal`, liquidations allowed; degraded with a last
 * good price -> `reduce-only`, no liquidations (positions can be closed, nobody is
 * liquidated on a stale price); degraded without any good price yet, or for longer than
 * `haltAfterDegradedSeconds` -> `halted`.
 */
import { RiskInputError } from '../errors.js'
import { relativeMoveBps, type Exclusion, type FeedReport, type ModeTransition, type TradingMode } from './types.js'

/** Parameters of the aggregator for one underlying. */
export type AggregatorConfig = {
  /** A reading older than this many seconds is `stale`. */
  readonly maxStalenessSeconds: number
  /** Per-feed staleness limits (for feeds with a longer heartbeat), by feed id. */
  readonly maxStalenessByFeed: Readonly<Record<string, number>>
  /** Allowed clock skew: a reading this many seconds in the future is still used. */
  readonly maxFutureSeconds: number
  /** A feed further than this from the median of the fresh feeds is excluded (basis points). */
  readonly maxDeviationBps: number
  /** Minimum number of fresh, agreeing feeds for a price (>= 2). */
  readonly quorum: number
  /** A degraded underlying halts after this many seconds (`Infinity`: stays reduce-only). */
  readonly haltAfterDegradedSeconds: number
}

/** Defaults, except `quorum`, which defaults to a majority of the configured feeds (min 2). */
export const DEFAULT_AGGREGATOR_CONFIG: Omit<AggregatorConfig, 'quorum'> = {
  maxStalenessSeconds: 120,
  maxStalenessByFeed: {},
  maxFutureSeconds: 30,
  maxDeviationBps: 100,
  haltAfterDegradedSeconds: Number.POSITIVE_INFINITY,
}

/** Minimum number of independent feeds per underlying. */
export const MIN_FEEDS_PER_UNDERLYING = 3

/**
 * Completes a partial config for an underlying with `feedCount` feeds and validates it:
 * at least 3 feeds, 2 <= quorum <= feedCount and quorum a strict majority of the feeds (so
 * that two disjoint groups can never both make a price). Throws `RiskInputError`.
 *
 * @example resolveAggregatorConfig({ maxDeviationBps: 50 }, 3).quorum // 2
 */
export function resolveAggregatorConfig(partial: Partial<AggregatorConfig>, feedCount: number): AggregatorConfig {
  const config: AggregatorConfig = { ...DEFAULT_AGGREGATOR_CONFIG, quorum: Math.max(2, Math.floor(feedCount / 2) + 1), ...partial }
  if (!Number.isInteger(feedCount) || feedCount < MIN_FEEDS_PER_UNDERLYING)
    throw new RiskInputError('feeds', `need at least ${MIN_FEEDS_PER_UNDERLYING} independent feeds, got ${feedCount}`)
  if (!Number.isInteger(config.quorum) || config.quorum < 2 || config.quorum > feedCount || 2 * config.quorum <= feedCount)
    throw new RiskInputError('quorum', `must be an integer majority of the ${feedCount} feeds and >= 2, got ${config.quorum}`)
  validateAggregatorConfig(config)
  return config
}

/** Throws `RiskInputError` unless every limit is a number in its domain. */
export function validateAggregatorConfig(config: AggregatorConfig): void {
  const positive = (field: string, v: number) => {
    if (!(v > 0) || Number.isNaN(v)) throw new RiskInputError(field, `must be > 0, got ${v}`)
  }
  positive('maxStalenessSeconds', config.maxStalenessSeconds)
  for (const [id, v] of Object.entries(config.maxStalenessByFeed)) positive(`maxStalenessByFeed.${id}`, v)
  positive('maxDeviationBps', config.maxDeviationBps)
  positive('haltAfterDegradedSeconds', config.haltAfterDegradedSeconds)
  if (!(config.maxFutureSeconds >= 0) || !Number.isFinite(config.maxFutureSeconds))
    throw new RiskInputError('maxFutureSeconds', `must be finite and >= 0, got ${config.maxFutureSeconds}`)
  if (!Number.isInteger(config.quorum) || config.quorum < 2) throw new RiskInputError('quorum', `must be an integer >= 2, got ${config.quorum}`)
}

/**
 * Median of a non-empty list (the mean of the two middle values for an even count).
 *
 * @example median([3, 1, 2]) // 2
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RiskInputError('values', 'median of an empty list')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Why no price could be made. `no-data` is the state before the first round. */
export type DegradedReason = 'no-data' | 'insufficient-fresh-feeds' | 'feeds-disagree'

/** The outcome of one aggregation round. */
export type Aggregate =
  | {
      readonly status: 'ok'
      readonly price: number
      /** Feeds whose price went into `price`, in report order. */
      readonly usedFeeds: readonly string[]
      readonly excluded: readonly Exclusion[]
      /** (max - min) / price of the used feeds, in basis points. */
      readonly spreadBps: number
    }
  | {
      readonly status: 'degraded'
      readonly reason: Exclude<DegradedReason, 'no-data'>
      readonly detail: string
      readonly excluded: readonly Exclusion[]
    }

/**
 * One aggregation round over the reports of one underlying's feeds at time `now`.
 *
 * @example
 * aggregateReports([
 *   { feedId: 'a', price: 3000, updatedAt: 990 },
 *   { feedId: 'b', price: 3002, updatedAt: 995 },
 *   { feedId: 'c', price: 9999, updatedAt: 995 },
 * ], 1000, config) // { status: 'ok', price: 3001, usedFeeds: ['a', 'b'], excluded: [{ feedId: 'c', reason: 'deviation', ... }], ... }
 */
export function aggregateReports(reports: readonly FeedReport[], now: number, config: AggregatorConfig): Aggregate {
  if (!Number.isFinite(now)) throw new RiskInputError('now', `must be finite, got ${now}`)
  const excluded: Exclusion[] = []
  const fresh: { feedId: string; price: number }[] = []
  const seen = new Set<string>()
  for (const r of reports) {
    if (seen.has(r.feedId)) {
      excluded.push({ feedId: r.feedId, reason: 'duplicate-feed' })
      continue
    }
    seen.add(r.feedId)
    if ('failure' in r) {
      excluded.push(r.detail === undefined ? { feedId: r.feedId, reason: r.failure } : { feedId: r.feedId, reason: r.failure, detail: r.detail })
      continue
    }
    const limit = config.maxStalenessByFeed[r.feedId] ?? config.maxStalenessSeconds
    if (!Number.isFinite(r.price) || r.price <= 0) excluded.push({ feedId: r.feedId, reason: 'invalid-price', detail: `price ${r.price}` })
    else if (!Number.isFinite(r.updatedAt) || r.updatedAt <= 0) excluded.push({ feedId: r.feedId, reason: 'no-timestamp', detail: `updatedAt ${r.updatedAt}` })
    else if (r.updatedAt - now > config.maxFutureSeconds)
      excluded.push({ feedId: r.feedId, reason: 'future-timestamp', detail: `updated ${r.updatedAt - now} s in the future` })
    else if (now - r.updatedAt > limit) excluded.push({ feedId: r.feedId, reason: 'stale', detail: `age ${now - r.updatedAt} s > ${limit} s` })
    else fresh.push({ feedId: r.feedId, price: r.price })
  }
  if (fresh.length < config.quorum)
    return { status: 'degraded', reason: 'insufficient-fresh-feeds', detail: `${fresh.length} fresh feed(s), quorum ${config.quorum}${describe(excluded)}`, excluded }

  const m = median(fresh.map((f) => f.price))
  const agreeing: typeof fresh = []
  for (const f of fresh) {
    const bps = relativeMoveBps(f.price, m)
    if (bps > config.maxDeviationBps) excluded.push({ feedId: f.feedId, reason: 'deviation', detail: `${bps.toFixed(1)} bps from median ${m}` })
    else agreeing.push(f)
  }
  if (agreeing.length < config.quorum)
    return { status: 'degraded', reason: 'feeds-disagree', detail: `${agreeing.length} of ${fresh.length} fresh feed(s) within ${config.maxDeviationBps} bps of the median, quorum ${config.quorum}${describe(excluded)}`, excluded }

  const prices = agreeing.map((f) => f.price)
  const price = median(prices)
  return { status: 'ok', price, usedFeeds: agreeing.map((f) => f.feedId), excluded, spreadBps: ((Math.max(...prices) - Math.min(...prices)) / price) * 10_000 }
}

function describe(excluded: readonly Exclusion[]): string {
  return excluded.length === 0 ? '' : ` (${excluded.map((e) => `${e.feedId}: ${e.reason}`).join(', ')})`
}

/** The oracle's view of one underlying, after the latest round. */
export type OracleState = {
  readonly underlying: string
  readonly status: 'ok' | 'degraded'
  /** The current price; present only when `status` is 'ok'. */
  readonly price?: number
  /** The last price made with a quorum, and when; absent if there never was one. */
  readonly lastGoodPrice?: number
  readonly lastGoodAt?: number
  /** Why the oracle is degraded; present only when `status` is 'degraded'. */
  readonly reason?: DegradedReason
  readonly detail?: string
  /** When the current `status` began (unix seconds). */
  readonly since: number
  /** Time of the latest round (unix seconds). */
  readonly at: number
  readonly usedFeeds: readonly string[]
  readonly excluded: readonly Exclusion[]
  /** `normal` when ok; `reduce-only` when degraded with a last good price; else `halted`. */
  readonly tradingMode: TradingMode
  /** Only when ok: no account is liquidated on a stale or disputed price. */
  readonly liquidationsAllowed: boolean
}

/** The state before any round: degraded, `no-data`, halted. */
export function initialOracleState(underlying: string, now: number): OracleState {
  return { underlying, status: 'degraded', reason: 'no-data', detail: 'no round yet', since: now, at: now, usedFeeds: [], excluded: [], tradingMode: 'halted', liquidationsAllowed: false }
}

/**
 * The next oracle state after round `aggregate` at `now`, and the transition event if the
 * trading mode changed (`source: 'oracle'`).
 */
export function updateOracleState(prev: OracleState, aggregate: Aggregate, now: number, config: AggregatorConfig): { state: OracleState; events: ModeTransition[] } {
  if (!(now >= prev.at)) throw new RiskInputError('now', `time went backwards: ${now} < ${prev.at}`)
  let state: OracleState
  let reason: string
  if (aggregate.status === 'ok') {
    state = {
      underlying: prev.underlying,
      status: 'ok',
      price: aggregate.price,
      lastGoodPrice: aggregate.price,
      lastGoodAt: now,
      since: prev.status === 'ok' ? prev.since : now,
      at: now,
      usedFeeds: aggregate.usedFeeds,
      excluded: aggregate.excluded,
      tradingMode: 'normal',
      liquidationsAllowed: true,
    }
    reason = `quorum restored: ${aggregate.usedFeeds.length} fresh agreeing feeds (${aggregate.usedFeeds.join(', ')})`
  } else {
    const since = prev.status === 'degraded' ? prev.since : now
    const halt = prev.lastGoodPrice === undefined || now - since >= config.haltAfterDegradedSeconds
    state = {
      underlying: prev.underlying,
      status: 'degraded',
      ...(prev.lastGoodPrice === undefined ? {} : { lastGoodPrice: prev.lastGoodPrice }),
      ...(prev.lastGoodAt === undefined ? {} : { lastGoodAt: prev.lastGoodAt }),
      reason: aggregate.reason,
      detail: aggregate.detail,
      since,
      at: now,
      usedFeeds: [],
      excluded: aggregate.excluded,
      tradingMode: halt ? 'halted' : 'reduce-only',
      liquidationsAllowed: false,
    }
    reason =
      prev.lastGoodPrice === undefined
        ? `no price yet: ${aggregate.reason}: ${aggregate.detail}`
        : halt && prev.tradingMode !== 'halted' && prev.status === 'degraded'
          ? `degraded for ${now - since} s (limit ${config.haltAfterDegradedSeconds} s): ${aggregate.reason}`
          : `oracle degraded: ${aggregate.reason}: ${aggregate.detail}`
  }
  const events: ModeTransition[] =
    state.tradingMode === prev.tradingMode ? [] : [{ underlying: prev.underlying, source: 'oracle', from: prev.tradingMode, to: state.tradingMode, reason, at: now }]
  return { state, events }
}
