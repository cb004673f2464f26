/**
 * Polls every underlying's feeds on an interval, runs the pure market guard of risk/oracle
 * (aggregation, oracle state, circuit breaker, effective mode) and keeps the current
 * snapshot: price, mode, liquidations, recent transitions. Every transition is passed to
 * `onTransition` as it happens (log it; the API shows the snapshot).
 *
 * Rounds never overlap (a poll while one runs joins it); each feed read is bounded by
 * `readTimeoutMs` and a rejection or a timeout is a `read-failed` report, so one hung RPC
 * cannot stall the others. Time comes from `clock` (unix seconds) and never goes backwards
 * (a clock that steps back is held at the latest time seen).
 */
import {
  initialMarketGuard,
  resolveMarketGuardConfig,
  stepMarketGuard,
  tickMarketGuard,
  type Exclusion,
  type FeedReport,
  type MarketGuardConfig,
  type MarketGuardSettings,
  type MarketGuardState,
  type ModeTransition,
  type TradingMode,
} from '../risk/oracle/index.js'
import { OracleError } from './errors.js'
import type { PriceFeed } from './feed.js'

/** The feeds and settings of one underlying. */
export type UnderlyingFeeds = {
  /** At least 3 independent feeds, with distinct ids. */
  readonly feeds: readonly PriceFeed[]
  readonly settings?: MarketGuardSettings
}

/** Options of an `OracleService`. */
export type OracleServiceOptions = {
  readonly underlyings: Readonly<Record<string, UnderlyingFeeds>>
  /** Unix seconds; default the system clock. */
  readonly clock?: () => number
  /** Milliseconds between rounds once started; default 5000. */
  readonly pollIntervalMs?: number
  /** Milliseconds a feed read may take before it counts as `read-failed`; default 2000. */
  readonly readTimeoutMs?: number
  /** How many recent transitions the snapshot keeps; default 100. */
  readonly maxEvents?: number
  /** Called with each transition, oracle and breaker first, then the effective mode. */
  readonly onTransition?: (event: ModeTransition) => void
  /** Called with errors of background rounds and of `onTransition`; default: ignored. */
  readonly onError?: (error: unknown) => void
}

/** What the API shows of one underlying. */
export type UnderlyingSnapshot = {
  readonly underlying: string
  readonly tradingMode: TradingMode
  readonly liquidationsAllowed: boolean
  /** Absent while the oracle is degraded. */
  readonly price?: number
  readonly lastGoodPrice?: number
  readonly lastGoodAt?: number
  readonly oracle: {
    readonly status: 'ok' | 'degraded'
    readonly reason?: string
    readonly since: number
    readonly usedFeeds: readonly string[]
    readonly excluded: readonly Exclusion[]
  }
  readonly breaker: { readonly status: 'armed' | 'tripped'; readonly resumeAt?: number; readonly reason?: string }
  readonly restrictions: readonly string[]
  /** Time of the latest round. */
  readonly at: number
}

/** The service's view of every underlying. */
export type OracleSnapshot = {
  readonly at: number
  readonly underlyings: Readonly<Record<string, UnderlyingSnapshot>>
  /** The latest transitions, oldest first. */
  readonly events: readonly ModeTransition[]
}

type Entry = { readonly feeds: readonly PriceFeed[]; readonly config: MarketGuardConfig; state: MarketGuardState }

const systemClock = () => Math.floor(Date.now() / 1000)

/**
 * Oracle polling for a set of underlyings.
 *
 * @example
 * const oracle = new OracleService({ underlyings: { ETH: { feeds } }, onTransition: (e) => log.warn(e) })
 * await oracle.poll()
 * oracle.mode('ETH') // { tradingMode: 'normal', liquidationsAllowed: true, price: 3001.2 }
 * oracle.start()     // then every pollIntervalMs
 */
export class OracleService {
  readonly #entries = new Map<string, Entry>()
  readonly #clock: () => number
  readonly #pollIntervalMs: number
  readonly #readTimeoutMs: number
  readonly #maxEvents: number
  readonly #onTransition: ((event: ModeTransition) => void) | undefined
  readonly #onError: (error: unknown) => void
  readonly #events: ModeTransition[] = []
  #now: number
  #inFlight: Promise<OracleSnapshot> | undefined
  #timer: NodeJS.Timeout | undefined

  /** Validates the configuration (throws `RiskInputError` or `OracleError`); reads nothing. */
  constructor(options: OracleServiceOptions) {
    this.#clock = options.clock ?? systemClock
    this.#pollIntervalMs = options.pollIntervalMs ?? 5_000
    this.#readTimeoutMs = options.readTimeoutMs ?? 2_000
    this.#maxEvents = options.maxEvents ?? 100
    this.#onTransition = options.onTransition
    this.#onError = options.onError ?? (() => {})
    this.#now = this.#clock()
    for (const [underlying, { feeds, settings }] of Object.entries(options.underlyings)) {
      const ids = new Set(feeds.map((f) => f.id))
      if (ids.size !== feeds.length) throw new OracleError(`${underlying}: feed ids must be distinct (${feeds.map((f) => f.id).join(', ')})`)
      this.#entries.set(underlying, { feeds, config: resolveMarketGuardConfig(settings ?? {}, feeds.length), state: initialMarketGuard(underlying, this.#now) })
    }
    if (this.#entries.size === 0) throw new OracleError('no underlyings configured')
  }

  /** Starts polling every `pollIntervalMs` (the first round at once); idempotent. */
  start(): void {
    if (this.#timer) return
    const round = () => void this.poll().catch(this.#onError)
    this.#timer = setInterval(round, this.#pollIntervalMs)
    this.#timer.unref()
    round()
  }

  /** Stops polling and waits for a round in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#inFlight?.catch(() => {})
  }

  /** Runs one round over every underlying now (or joins the one in flight). */
  poll(): Promise<OracleSnapshot> {
    this.#inFlight ??= this.#round().finally(() => (this.#inFlight = undefined))
    return this.#inFlight
  }

  /** Advances time without reading the feeds (ends breaker cool-downs). */
  tick(): OracleSnapshot {
    const now = this.#time()
    for (const entry of this.#entries.values()) this.#apply(entry, tickMarketGuard(entry.state, now))
    return this.snapshot()
  }

  /** The full pure state of one underlying. Throws `OracleError` for an unknown one. */
  state(underlying: string): MarketGuardState {
    const entry = this.#entries.get(underlying)
    if (!entry) throw new OracleError(`unknown underlying ${underlying}`)
    return entry.state
  }

  /** What the matching engine and the liquidator need of one underlying. */
  mode(underlying: string): { tradingMode: TradingMode; liquidationsAllowed: boolean; price?: number; lastGoodPrice?: number } {
    const s = this.state(underlying)
    return {
      tradingMode: s.tradingMode,
      liquidationsAllowed: s.liquidationsAllowed,
      ...(s.price === undefined ? {} : { price: s.price }),
      ...(s.lastGoodPrice === undefined ? {} : { lastGoodPrice: s.lastGoodPrice }),
    }
  }

  /** The current view of every underlying and the recent transitions. */
  snapshot(): OracleSnapshot {
    const underlyings: Record<string, UnderlyingSnapshot> = {}
    for (const [underlying, { state: s }] of this.#entries) {
      underlyings[underlying] = {
        underlying,
        tradingMode: s.tradingMode,
        liquidationsAllowed: s.liquidationsAllowed,
        ...(s.price === undefined ? {} : { price: s.price }),
        ...(s.lastGoodPrice === undefined ? {} : { lastGoodPrice: s.lastGoodPrice }),
        ...(s.lastGoodAt === undefined ? {} : { lastGoodAt: s.lastGoodAt }),
        oracle: {
          status: s.oracle.status,
          ...(s.oracle.reason === undefined ? {} : { reason: s.oracle.detail === undefined ? s.oracle.reason : `${s.oracle.reason}: ${s.oracle.detail}` }),
          since: s.oracle.since,
          usedFeeds: s.oracle.usedFeeds,
          excluded: s.oracle.excluded,
        },
        breaker: {
          status: s.breaker.status,
          ...(s.breaker.resumeAt === undefined ? {} : { resumeAt: s.breaker.resumeAt }),
          ...(s.breaker.tripReason === undefined ? {} : { reason: s.breaker.tripReason }),
        },
        restrictions: s.restrictions,
        at: s.at,
      }
    }
    return { at: this.#now, underlyings, events: [...this.#events] }
  }

  async #round(): Promise<OracleSnapshot> {
    const reads = [...this.#entries].map(async ([underlying, entry]) => [underlying, await Promise.all(entry.feeds.map((f) => this.#read(f)))] as const)
    const results = await Promise.all(reads)
    const now = this.#time()
    for (const [underlying, reports] of results) {
      const entry = this.#entries.get(underlying)!
      this.#apply(entry, stepMarketGuard(entry.state, reports, now, entry.config))
    }
    return this.snapshot()
  }

  #apply(entry: Entry, step: { state: MarketGuardState; events: ModeTransition[] }): void {
    entry.state = step.state
    for (const event of step.events) {
      this.#events.push(event)
      if (this.#events.length > this.#maxEvents) this.#events.shift()
      try {
        this.#onTransition?.(event)
      } catch (error) {
        this.#onError(error)
      }
    }
  }

  #time(): number {
    this.#now = Math.max(this.#now, this.#clock())
    return this.#now
  }

  async #read(feed: PriceFeed): Promise<FeedReport> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<FeedReport>((resolve) => {
      timer = setTimeout(() => resolve({ feedId: feed.id, failure: 'read-failed', detail: `timed out after ${this.#readTimeoutMs} ms` }), this.#readTimeoutMs)
    })
    try {
      const report = await Promise.race([
        feed.read().then(
          (r): FeedReport => (r.feedId === feed.id ? r : { feedId: feed.id, failure: 'read-failed', detail: `feed reported as ${r.feedId}` }),
          (error: unknown): FeedReport => ({ feedId: feed.id, failure: 'read-failed', detail: error instanceof Error ? error.message : String(error) }),
        ),
        timeout,
      ])
      return report
    } finally {
      clearTimeout(timer)
    }
  }
}
