/**
 * Deterministic simulated price feeds for tests and demos: one market path per underlying
 * (a seeded geometric random walk on a controllable clock) and any number of feeds that
 * publish it with their own small noise and with the faults the aggregator must survive.
 *
 * Market path (`PricePath`): one step every `stepSeconds` from `startTime`; step k
 * multiplies the price by exp(volPerStep * z_k), z_k standard normal from a seeded PRNG
 * (mulberry32 + Box-Muller), so the same seed gives the same path whatever the order of
 * the reads. `path.jump(relative)` shifts the market from the clock's time on (a move that
 * every feed sees).
 *
 * Feed (`SimulatedFeed`): publishes every `heartbeatSeconds`; `updatedAt` is the latest
 * heartbeat at or before the clock and the price is the path's price then, times
 * (1 + noise), the noise uniform in ±`noiseBps`, a function of (seed, heartbeat) only.
 * Faults, each from the clock's time of the call until `recover()`:
 * - `makeStale()`: the feed stops publishing (same price and `updatedAt` as at the call);
 * - `freeze()`: the price sticks but `updatedAt` keeps advancing (a stuck feed that looks
 *   fresh: only the deviation check can catch it);
 * - `fail()`: reads report a failure (an unreachable RPC by default);
 * - `bias(relative)`: this feed alone reports the price times (1 + relative) (a bad feed).
 */
import type { FeedFailureReason, FeedReport } from '../risk/oracle/index.js'
import { OracleError } from './errors.js'
import type { PriceFeed } from './feed.js'

/** 32-bit mulberry32 step: a uniform in [0, 1) from a state. */
function mulberry32(state: number): { value: number; state: number } {
  const a = (state + 0x6d2b79f5) >>> 0
  let t = Math.imul(a ^ (a >>> 15), a | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: a }
}

/** Parameters of a market path. */
export type PricePathOptions = {
  /** Any integer; the same seed gives the same path. */
  readonly seed: number
  readonly startPrice: number
  /** Unix seconds at which the path starts (price = startPrice up to the first step). */
  readonly startTime: number
  /** Unix seconds now (a test's controllable clock); used by `jump`. */
  readonly clock: () => number
  /** Seconds between steps; default 1. */
  readonly stepSeconds?: number
  /** Standard deviation of a step's log return; default 0.0002 (2 bp). */
  readonly volPerStep?: number
}

/** The simulated market price of one underlying. */
export class PricePath {
  readonly #options: Required<PricePathOptions>
  readonly #logPath: number[] = [0]
  readonly #jumps: { at: number; factor: number }[] = []
  #state: number

  constructor(options: PricePathOptions) {
    this.#options = { stepSeconds: 1, volPerStep: 0.0002, ...options }
    const o = this.#options
    if (!(o.startPrice > 0) || !Number.isFinite(o.startPrice)) throw new OracleError(`startPrice must be finite and > 0, got ${o.startPrice}`)
    if (!(o.stepSeconds > 0) || !(o.volPerStep >= 0)) throw new OracleError('stepSeconds must be > 0 and volPerStep >= 0')
    this.#state = o.seed >>> 0
  }

  /** Unix seconds now, from the path's clock. */
  now(): number {
    return this.#options.clock()
  }

  #gaussian(): number {
    const u = mulberry32(this.#state)
    const v = mulberry32(u.state)
    this.#state = v.state
    return Math.sqrt(-2 * Math.log(1 - u.value)) * Math.cos(2 * Math.PI * v.value)
  }

  /** The market price at `t`, jumps included. */
  priceAt(t: number): number {
    const k = Math.max(0, Math.floor((t - this.#options.startTime) / this.#options.stepSeconds))
    while (this.#logPath.length <= k) this.#logPath.push(this.#logPath[this.#logPath.length - 1]! + this.#options.volPerStep * this.#gaussian())
    let price = this.#options.startPrice * Math.exp(this.#logPath[k]!)
    for (const j of this.#jumps) if (j.at <= t) price *= j.factor
    return price
  }

  /** Moves the market by `relative` (0.2 = +20 %) from the clock's time on. Permanent. */
  jump(relative: number): void {
    if (!(relative > -1) || !Number.isFinite(relative)) throw new OracleError(`a jump must be finite and > -100 %, got ${relative}`)
    this.#jumps.push({ at: this.now(), factor: 1 + relative })
  }
}

/** Parameters of one simulated feed. */
export type SimulatedFeedOptions = {
  readonly id: string
  readonly path: PricePath
  /** Seed of the feed's noise; default 0. */
  readonly seed?: number
  /** Half-width of the feed's uniform noise, in basis points; default 5. */
  readonly noiseBps?: number
  /** Seconds between publications; default 1. */
  readonly heartbeatSeconds?: number
  /** Unix seconds of the first publication; default 0 (heartbeats on multiples). */
  readonly startTime?: number
}

/** A simulated feed of a `PricePath`; see the module header. */
export class SimulatedFeed implements PriceFeed {
  readonly id: string
  readonly #path: PricePath
  readonly #seed: number
  readonly #noiseBps: number
  readonly #heartbeat: number
  readonly #start: number
  #bias = 1
  #staleAt: number | undefined
  #frozenAt: number | undefined
  #failure: { reason: FeedFailureReason; detail: string } | undefined

  constructor(options: SimulatedFeedOptions) {
    this.id = options.id
    this.#path = options.path
    this.#seed = options.seed ?? 0
    this.#noiseBps = options.noiseBps ?? 5
    this.#heartbeat = options.heartbeatSeconds ?? 1
    this.#start = options.startTime ?? 0
    if (!(this.#heartbeat > 0) || !(this.#noiseBps >= 0) || this.#noiseBps >= 10_000) throw new OracleError(`${this.id}: heartbeatSeconds must be > 0 and noiseBps in [0, 10000)`)
  }

  /** The latest publication time at or before `t`. */
  heartbeatAt(t: number): number {
    return t < this.#start ? this.#start : this.#start + Math.floor((t - this.#start) / this.#heartbeat) * this.#heartbeat
  }

  /** What the feed publishes at heartbeat `t`, faults aside: path price, noise, bias. */
  publishedAt(t: number): number {
    const k = Math.round(t / this.#heartbeat)
    const u = mulberry32((Math.imul(this.#seed, 0x9e3779b1) ^ Math.imul(k, 0x85ebca6b)) >>> 0).value
    return this.#path.priceAt(t) * (1 + ((2 * u - 1) * this.#noiseBps) / 10_000) * this.#bias
  }

  /** Stops publishing from now on (reads repeat the last publication). */
  makeStale(): void {
    this.#staleAt ??= this.#path.now()
  }

  /** Keeps publishing, with a stuck price, from now on. */
  freeze(): void {
    this.#frozenAt ??= this.#path.now()
  }

  /** Makes reads report a failure. */
  fail(reason: FeedFailureReason = 'read-failed', detail = 'simulated outage'): void {
    this.#failure = { reason, detail }
  }

  /** This feed alone reports the price times (1 + relative) until `recover()`. */
  bias(relative: number): void {
    if (!(relative > -1) || !Number.isFinite(relative)) throw new OracleError(`${this.id}: a bias must be finite and > -100 %`)
    this.#bias = 1 + relative
  }

  /** Ends `makeStale`, `freeze`, `fail` and `bias`. */
  recover(): void {
    this.#staleAt = undefined
    this.#frozenAt = undefined
    this.#failure = undefined
    this.#bias = 1
  }

  /** What the feed publishes at the clock's time. */
  async read(): Promise<FeedReport> {
    if (this.#failure) return { feedId: this.id, failure: this.#failure.reason, detail: this.#failure.detail }
    const updatedAt = this.heartbeatAt(this.#staleAt ?? this.#path.now())
    const priceTime = this.#frozenAt === undefined ? updatedAt : Math.min(updatedAt, this.heartbeatAt(this.#frozenAt))
    return { feedId: this.id, price: this.publishedAt(priceTime), updatedAt }
  }
}

/**
 * `count` simulated feeds of one path, ids `${prefix}-0`, `${prefix}-1`, …, noise seeds
 * `seed`, `seed + 1`, ….
 *
 * @example
 * const path = new PricePath({ seed: 7, startPrice: 3000, startTime: t0, clock })
 * const feeds = simulatedFeeds('eth', 3, path)
 */
export function simulatedFeeds(prefix: string, count: number, path: PricePath, options: Omit<SimulatedFeedOptions, 'id' | 'path'> = {}): SimulatedFeed[] {
  return Array.from({ length: count }, (_, i) => new SimulatedFeed({ ...options, id: `${prefix}-${i}`, path, seed: (options.seed ?? 1) + i }))
}
