/**
 * What the sequencer knows of the market: the listed series (from L1) and the inputs of the
 * market table (spot and volatility per underlying). Issue 3 replaces the static inputs with
 * the oracle aggregator and the volatility surface; the engine only sees `table()`.
 */
import { buildMarketTable, seriesName, type MarketTable, type Series } from '../risk/index.js'

/** Spot and flat volatility per underlying. */
export type MarketInputsConfig = {
  readonly spotByUnderlying: Readonly<Record<string, number>>
  readonly volByUnderlying: Readonly<Record<string, number>>
  readonly ratePerYear: number
}

/** Listed series and the market table built from them. */
export class Market {
  readonly #series = new Map<bigint, Series>()
  readonly #inputs: MarketInputsConfig

  constructor(inputs: MarketInputsConfig, series: readonly Series[] = []) {
    this.#inputs = inputs
    for (const s of series) this.addSeries(s)
  }

  /** Records a listed series (idempotent). */
  addSeries(s: Series): void {
    this.#series.set(s.id, s)
  }

  /** Every listed series, by id. */
  series(): Series[] {
    return [...this.#series.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
  }

  /** Series not yet expired at `now` whose underlying has market inputs. */
  liveSeries(now: bigint): Series[] {
    return this.series().filter((s) => s.expiry > now && s.underlying in this.#inputs.spotByUnderlying && s.underlying in this.#inputs.volByUnderlying)
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
    const series = [...ids].map((id) => this.#series.get(id)!).filter((s) => s.underlying in this.#inputs.spotByUnderlying && s.underlying in this.#inputs.volByUnderlying)
    return buildMarketTable(series, { ...this.#inputs, nowUnixSeconds: now })
  }
}
