/**
 * Marks from the surface: the vol of each listed series, as `MarketInputs.volBySeries` for
 * `buildMarketTable`, so that marks and scenario values are priced at the surface's vol.
 *
 * The forward of a series' expiry is spot · e^{rT} (T = (expiry − now) / SECONDS_PER_YEAR),
 * the forward of the Black-Scholes valuation that buildMarketTable runs (rate r, no yield),
 * so the log-moneyness read from the surface is the one the mark is priced at. A forward
 * per underlying can be given instead (e.g. when the index already is a forward).
 */
import { RiskInputError } from './errors.js'
import { baseUnitsToStrike } from './fixedPoint.js'
import { SECONDS_PER_YEAR } from './marketTable.js'
import { validateSeries, type Series } from './series.js'
import type { VolSurface } from './surface.js'
import { SurfaceCoverageError } from './surfaceArbitrage.js'
import { impliedVolAt } from './surfaceInterpolation.js'

/** Inputs of `surfaceVolBySeries`; the first three fields are those of `MarketInputs`. */
export type SurfaceVolInputs = {
  /** Spot (index) price per underlying, collateral per unit of underlying. */
  readonly spotByUnderlying: Readonly<Record<string, number>>
  /** Continuously compounded rate per year, as in `MarketInputs`. */
  readonly ratePerYear: number
  /** Valuation time, unix seconds. */
  readonly nowUnixSeconds: bigint
  /** Forward per underlying, used for every expiry of it instead of spot · e^{rT}. */
  readonly forwardByUnderlying?: Readonly<Record<string, number>>
  /**
   * A series the surface does not cover (no live slice, or expiry after the last slice):
   * 'throw' (default) rethrows the `SurfaceCoverageError`; 'skip' leaves it out of the map,
   * so buildMarketTable falls back to `volByUnderlying` (or refuses, when that is absent).
   */
  readonly onUncovered?: 'throw' | 'skip'
}

/**
 * The surface vol of every series, keyed by series id. A series at or past expiry gets 0:
 * buildMarketTable values it at its payoff, whatever the vol. Throws `RiskInputError` for
 * a missing or invalid spot/forward or an invalid series, `SurfaceCoverageError` for an
 * uncovered series (unless `onUncovered: 'skip'`).
 *
 * @example
 * const volBySeries = surfaceVolBySeries(surface, series, marketInputs)
 * const table = buildMarketTable(series, { ...marketInputs, volBySeries })
 */
export function surfaceVolBySeries(surface: VolSurface, series: readonly Series[], inputs: SurfaceVolInputs): Map<bigint, number> {
  const { spotByUnderlying, ratePerYear, nowUnixSeconds } = inputs
  if (typeof ratePerYear !== 'number' || !Number.isFinite(ratePerYear)) throw new RiskInputError('ratePerYear', `must be finite, got ${String(ratePerYear)}`)
  const out = new Map<bigint, number>()
  for (const s of series) {
    validateSeries(s)
    if (s.expiry <= nowUnixSeconds) {
      out.set(s.id, 0)
      continue
    }
    const years = Number(s.expiry - nowUnixSeconds) / SECONDS_PER_YEAR
    const given = inputs.forwardByUnderlying && Object.hasOwn(inputs.forwardByUnderlying, s.underlying) ? inputs.forwardByUnderlying[s.underlying] : undefined
    const spot = Object.hasOwn(spotByUnderlying, s.underlying) ? spotByUnderlying[s.underlying] : undefined
    if (given === undefined && spot === undefined) throw new RiskInputError('spotByUnderlying', `no spot for ${s.underlying}`)
    const forward = given ?? (spot as number) * Math.exp(ratePerYear * years)
    if (!Number.isFinite(forward) || !(forward > 0)) throw new RiskInputError(given === undefined ? 'spotByUnderlying' : 'forwardByUnderlying', `forward of ${s.underlying} must be finite and > 0, got ${forward}`)
    try {
      out.set(s.id, impliedVolAt(surface, s.underlying, s.expiry, baseUnitsToStrike(s.strike), forward, nowUnixSeconds))
    } catch (e) {
      if (e instanceof SurfaceCoverageError && inputs.onUncovered === 'skip') continue
      throw e
    }
  }
  return out
}
