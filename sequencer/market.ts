/**
 * What the sequencer knows of the market: the listed series (from L1) and the inputs of the
 * market table (spot and volatility), and the trading state of each underlying. The oracle
 * service and the volatility surface feed it through `update`; the engine only reads it.
 */
import { buildMarketTable, seriesName, type MarketTable, type Series } from '../risk/index.js'

/** Spot and flat volatility per underlying. */
export type MarketInputsConfig = {
  readonly spotByUnderlying: Readonly<Record<string, number>>
  readonly volByUnderlying: Readonly<Record<string, number>>
  readonly ratePerYear: number
}

/** What an underlying allows: all trading, only trades that shrink positions, or nothing. */
export type TradingMode = 'normal' | 'reduce-only' | 'halted'

/** The trading state of one underlying, set from the oracles and circuit breakers. */
export type UnderlyingStatus = {
  readonly mode: TradingMode
  /** Why it is not normal. */
  readonly reason?: string
  /** False while prices are not trusted (stale or disputed oracles). */
  readonly liquidationsAllowed: boolean
}

const NORMAL: UnderlyingStatus = { mode: 'normal', liquidationsAllowed: true }

/**
 * A change of market inputs: new spots, vols (flat per underlying, or per series from the
 * volatility surface) and trading states. JSON-safe, because the journal records each one:
 * replaying decisions needs the inputs they were made with.
 */
export type MarketUpdate = {
  readonly spotByUnderlying?: Readonly<Record<string, number>>
  readonly volByUnderlying?: Readonly<Record<string, number>>
  /** Vol per series id (decimal string keys). */
  readonly volBySeries?: Readonly<Record<string, number>>
  readonly statusByUnderlying?: Readonly<Record<string, UnderlyingStatus>>
}

/** Listed series, the current market inputs and the market table built from them. */
export class Market {
  readonly #series = new Map<bigint, Series>()
  readonly #ratePerYear: number
  readonly #spot = new Map<string, number>()
  readonly #vol = new Map<string, number>()
  readonly #volBySeries = new Map<bigint, number>()
  readonly #status = new Map<string, UnderlyingStatus>()
  #version = 0

  constructor(inputs: MarketInputsConfig, series: readonly Series[] = []) {
    this.#ratePerYear = inputs.ratePerYear
    this.update({ spotByUnderlying: inputs.spotByUnderlying, volByUnderlying: inputs.volByUnderlying })
    for (const s of series) this.addSeries(s)
  }

  /** Applies new inputs (only the fields given change). */
  update(u: MarketUpdate): void {
    this.#version++
    for (const [k, v] of Object.entries(u.spotByUnderlying ?? {})) this.#spot.set(k, v)
    for (const [k, v] of Object.entries(u.volByUnderlying ?? {})) this.#vol.set(k, v)
    for (const [k, v] of Object.entries(u.volBySeries ?? {})) this.#volBySeries.set(BigInt(k), v)
    for (const [k, v] of Object.entries(u.statusByUnderlying ?? {})) this.#status.set(k, v)
  }

  /** Every input set so far, as one update: applied to a fresh market, it sets the same inputs (journal checkpoints). */
  currentInputs(): MarketUpdate {
    return {
      spotByUnderlying: Object.fromEntries(this.#spot),
      volByUnderlying: Object.fromEntries(this.#vol),
      volBySeries: Object.fromEntries([...this.#volBySeries].map(([id, v]) => [id.toString(), v])),
      statusByUnderlying: Object.fromEntries(this.#status),
    }
  }

  /** Counts the changes to the inputs and listings: `table(now, held)` is the same while it and its arguments are. */
  get version(): number {
    return this.#version
  }

  /** The trading state of an underlying (normal unless set otherwise). */
  status(underlying: string): UnderlyingStatus {
    return this.#status.get(underlying) ?? NORMAL
  }

  /** Every underlying with a price, its spot and its state. */
  underlyings(): { readonly underlying: string; readonly spot: number; readonly vol?: number; readonly status: UnderlyingStatus }[] {
    return [...this.#spot.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([underlying, spot]) => {
        const vol = this.#vol.get(underlying)
        return { underlying, spot, ...(vol !== undefined ? { vol } : {}), status: this.status(underlying) }
      })
  }

  /** The pricing inputs at `now` (what the market table and the Greeks are computed from). */
  inputsAt(now: bigint) {
    return {
      spotByUnderlying: Object.fromEntries(this.#spot),
      volByUnderlying: Object.fromEntries(this.#vol),
      volBySeries: new Map(this.#volBySeries),
      ratePerYear: this.#ratePerYear,
      nowUnixSeconds: now,
    }
  }

  /** The series with this id, if listed. */
  seriesById(id: bigint): Series | undefined {
    return this.#series.get(id)
  }

  #priced(s: Series): boolean {
    return this.#spot.has(s.underlying) && (this.#volBySeries.has(s.id) || this.#vol.has(s.underlying))
  }

  /** Records a listed series (idempotent). */
  addSeries(s: Series): void {
    this.#version++
    this.#series.set(s.id, s)
  }

  /** Every listed series, by id. */
  series(): Series[] {
    return [...this.#series.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
  }

  /** Series not yet expired at `now` whose underlying has market inputs. */
  liveSeries(now: bigint): Series[] {
    return this.series().filter((s) => s.expiry > now && this.#priced(s))
  }

  /** Display name of a series (`ETH-27DEC26-3000-C`), or its id when it has no standard name. */
  name(s: Series): string {
    try {
      return seriesName(s)
    } catch {
      return `series-${s.id}`
    }
  }

  /**
   * The market table at `now`: live series plus every series still held (`held`, so an
   * expired position keeps a value at intrinsic).
   */
  table(now: bigint, held: Iterable<bigint> = []): MarketTable {
    const ids = new Set(this.liveSeries(now).map((s) => s.id))
    for (const id of held) if (this.#series.has(id)) ids.add(id)
    const series = [...ids].map((id) => this.#series.get(id)!).filter((s) => this.#priced(s))
    return buildMarketTable(series, this.inputsAt(now))
  }
}
