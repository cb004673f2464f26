/**
 * Turns the operator's volatility surface and the oracles' prices and trading states into
 * market updates: every change goes through the recorder (so the journal keeps the inputs of
 * every decision) and only when something changed: a spot, a trading state, the set of live
 * series, or a series' vol by more than `VOL_TOLERANCE`. Time alone moves a surface's vols
 * by about 1e-11 a second; recording each of those drifts wrote an entry every poll on an idle
 * node (two, with the oracle's refresh), 86,400 a day for nothing a margin check could tell.
 */
import {
  setSlice,
  surfaceVolBySeries,
  surfaceSlices,
  updateSurface,
  type SliceUpdate,
  type SviParams,
  type VolSurface,
  sviFromSsvi,
  emptySurface,
} from '../risk/index.js'
import type { Market, MarketUpdate, UnderlyingStatus } from './market.js'
import type { Recorder } from './recorder.js'

/** A vol that moved less than this since the last recorded update is not recorded again (1e-6: a ten-thousandth of a vol point). */
export const VOL_TOLERANCE = 1e-6

/** Whether `next` differs from `last` by more than a vol drift below the tolerance. */
function changed(last: MarketUpdate | undefined, next: MarketUpdate): boolean {
  if (!last) return true
  if (JSON.stringify(last.spotByUnderlying) !== JSON.stringify(next.spotByUnderlying)) return true
  if (JSON.stringify(last.statusByUnderlying) !== JSON.stringify(next.statusByUnderlying)) return true
  const before = last.volBySeries ?? {}
  const after = next.volBySeries ?? {}
  const ids = Object.keys(after)
  if (ids.length !== Object.keys(before).length) return true
  return ids.some((id) => before[id] === undefined || Math.abs(before[id]! - after[id]!) > VOL_TOLERANCE)
}

/**
 * A default surface for an underlying: one SSVI slice far out (two years) with a mild put
 * skew; earlier series are read off it with its variance scaled in time (flat vol in T).
 */
export function defaultSurface(underlyings: Readonly<Record<string, number>>, now: bigint): VolSurface {
  const expiry = now + 2n * 365n * 86_400n
  let surface = emptySurface()
  for (const [underlying, vol] of Object.entries(underlyings)) {
    const theta = vol * vol * 2
    surface = setSlice(surface, underlying, expiry, sviFromSsvi(theta, 0.4 / Math.sqrt(theta), -0.25))
  }
  return surface
}

export class MarketFeed {
  readonly #market: Market
  readonly #recorder: Pick<Recorder, 'updateMarket'>
  readonly #ratePerYear: number
  readonly #now: () => bigint
  #surface: VolSurface
  /** The last update recorded. */
  #last: MarketUpdate | undefined

  constructor(market: Market, recorder: Pick<Recorder, 'updateMarket'>, options: { surface: VolSurface; ratePerYear: number; now: () => bigint }) {
    this.#market = market
    this.#recorder = recorder
    this.#surface = options.surface
    this.#ratePerYear = options.ratePerYear
    this.#now = options.now
  }

  get surface(): VolSurface {
    return this.#surface
  }

  /** Changes slices (atomically, arbitrage-checked: throws SurfaceArbitrageError); marks follow. */
  updateSurface(updates: readonly SliceUpdate[]): VolSurface {
    this.#surface = updateSurface(this.#surface, updates)
    this.refresh()
    return this.#surface
  }

  /** Sets one slice. */
  setSlice(underlying: string, expiry: bigint, params: SviParams): VolSurface {
    return this.updateSurface([{ underlying, expiry, params }])
  }

  /** Slices of an underlying. */
  slices(underlying: string) {
    return surfaceSlices(this.#surface, underlying)
  }

  /** New oracle prices and trading states. */
  onOracle(spotByUnderlying: Readonly<Record<string, number>>, statusByUnderlying: Readonly<Record<string, UnderlyingStatus>>): void {
    this.refresh({ spotByUnderlying, statusByUnderlying })
  }

  /** Recomputes the vols of the live series and records whatever changed. */
  refresh(extra: Pick<MarketUpdate, 'spotByUnderlying' | 'statusByUnderlying'> = {}): void {
    if (extra.spotByUnderlying || extra.statusByUnderlying) this.#market.update(extra)
    const now = this.#now()
    const spotByUnderlying = Object.fromEntries(this.#market.underlyings().map((u) => [u.underlying, u.spot]))
    const live = this.#market.series().filter((s) => s.expiry > now && s.underlying in spotByUnderlying)
    const vols = surfaceVolBySeries(this.#surface, live, { spotByUnderlying, ratePerYear: this.#ratePerYear, nowUnixSeconds: now, onUncovered: 'skip' })
    const update: MarketUpdate = {
      spotByUnderlying,
      volBySeries: Object.fromEntries([...vols].map(([id, vol]) => [id.toString(), vol])),
      statusByUnderlying: Object.fromEntries(this.#market.underlyings().map((u) => [u.underlying, u.status])),
    }
    if (!changed(this.#last, update)) return
    this.#last = update
    this.#recorder.updateMarket(update)
  }
}
