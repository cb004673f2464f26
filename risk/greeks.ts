/**
 * The risk view of an account: net Black-Scholes Greeks of its positions, per position,
 * per underlying and in total, for the API and the dashboard. Floats (analytics, not
 * money: nothing here moves collateral), summed in a fixed order (by series id, then by
 * underlying name) so the same inputs give the same numbers.
 *
 * Units, all for the position's whole size (size units / 10^SIZE_DECIMALS contracts, signed:
 * long > 0), prices in collateral (e.g. USDC) per unit of underlying:
 *
 * | field            | meaning                                   | unit                                  |
 * |------------------|-------------------------------------------|---------------------------------------|
 * | delta            | ∂V/∂S                                     | units of the underlying (e.g. ETH)    |
 * | deltaValue       | delta x spot (sums across underlyings)    | collateral                            |
 * | gamma            | ∂²V/∂S²                                   | underlying units per 1 collateral of spot |
 * | vegaPerVolPoint  | ∂V/∂σ x 0.01 (vol 60 % -> 61 %)           | collateral                            |
 * | thetaPerDay      | -∂V/∂T / 365 (one calendar day passing)   | collateral                            |
 * | rhoPerRatePoint  | ∂V/∂r x 0.01 (rate 3 % -> 4 %)            | collateral                            |
 * | value            | Black-Scholes value (the mark, unrounded) | collateral                            |
 *
 * Inputs are those of the market table (marketTable.ts): spot per underlying, vol per
 * series or per underlying, rate, valuation time; series past expiry are valued at
 * intrinsic with zero gamma, vega, theta and rho (blackScholes.ts).
 */
import { SIZE_DECIMALS } from '../state/params.js'
import { valueOption, type OptionValuation } from './blackScholes.js'
import { RiskInputError } from './errors.js'
import { baseUnitsToStrike } from './fixedPoint.js'
import { netPositions, type PositionSize } from './margin.js'
import { SECONDS_PER_YEAR, type MarketInputs } from './marketTable.js'
import type { Series } from './series.js'

/** Market data the Greeks are computed from (a subset of the market table's inputs). */
export type GreeksInputs = Pick<MarketInputs, 'spotByUnderlying' | 'volBySeries' | 'volByUnderlying' | 'ratePerYear' | 'nowUnixSeconds'>

/** Net sensitivities (units in the module header). */
export type Greeks = {
  readonly delta: number
  readonly gamma: number
  readonly vegaPerVolPoint: number
  readonly thetaPerDay: number
  readonly rhoPerRatePoint: number
}

/** One net position's Greeks and value. */
export type PositionGreeks = Greeks & {
  readonly seriesId: bigint
  readonly underlying: string
  /** Net size, size units. */
  readonly size: bigint
  /** size / 10^SIZE_DECIMALS. */
  readonly contracts: number
  /** Value of the position, collateral. */
  readonly value: number
}

/** The Greeks of every position on one underlying. */
export type UnderlyingGreeks = Greeks & {
  readonly underlying: string
  readonly spot: number
  /** delta x spot, collateral. */
  readonly deltaValue: number
  readonly value: number
}

/** An account's risk view. */
export type AccountGreeks = {
  /** Net positions by series id (zero sizes left out). */
  readonly positions: readonly PositionGreeks[]
  /** By underlying name. */
  readonly byUnderlying: readonly UnderlyingGreeks[]
  /** Sums over underlyings of the figures that share a unit (collateral). */
  readonly total: { readonly deltaValue: number; readonly vegaPerVolPoint: number; readonly thetaPerDay: number; readonly rhoPerRatePoint: number; readonly value: number }
}

const SIZE_UNITS_PER_CONTRACT = 10 ** SIZE_DECIMALS

/** Black-Scholes valuation of one option on one unit of the underlying of `s`. */
function valuation(s: Series, inputs: GreeksInputs): { spot: number; v: OptionValuation } {
  const spot = inputs.spotByUnderlying[s.underlying]
  if (spot === undefined) throw new RiskInputError('spotByUnderlying', `no spot for ${s.underlying}`)
  const vol = inputs.volBySeries?.get(s.id) ?? inputs.volByUnderlying?.[s.underlying]
  if (vol === undefined) throw new RiskInputError('vol', `no vol for series ${s.id} (${s.underlying})`)
  const secondsLeft = s.expiry > inputs.nowUnixSeconds ? s.expiry - inputs.nowUnixSeconds : 0n
  const v = valueOption({
    isCall: s.isCall,
    spot,
    strike: baseUnitsToStrike(s.strike),
    yearsToExpiry: Number(secondsLeft) / SECONDS_PER_YEAR,
    volPerSqrtYear: vol,
    ratePerYear: inputs.ratePerYear,
  })
  return { spot, v }
}

/**
 * The Greeks of one long option (one contract) of a series, in the units of the module
 * header. Throws `RiskInputError` for missing or invalid market data.
 *
 * @example seriesGreeks(eth3000Call, inputs).delta // ≈ 0.55
 */
export function seriesGreeks(s: Series, inputs: GreeksInputs): Greeks & { readonly value: number } {
  const { v } = valuation(s, inputs)
  return { delta: v.delta, gamma: v.gamma, vegaPerVolPoint: v.vegaPerUnitVol / 100, thetaPerDay: v.thetaPerYear / 365, rhoPerRatePoint: v.rhoPerUnitRate / 100, value: v.price }
}

/**
 * The risk view of an account: net Greeks per position, per underlying and in total.
 * `series` must hold every series the positions name. Throws `RiskInputError` otherwise,
 * or for missing market data.
 *
 * @example
 * const view = accountGreeks([{ seriesId: 1n, size: -250n }], [eth3000Call], inputs)
 * view.byUnderlying[0]?.delta // ETH delta of 2.5 short calls
 */
export function accountGreeks(positions: readonly PositionSize[], series: ReadonlyMap<bigint, Series> | readonly Series[], inputs: GreeksInputs): AccountGreeks {
  const byId: ReadonlyMap<bigint, Series> = Array.isArray(series) ? new Map((series as readonly Series[]).map((s) => [s.id, s])) : (series as ReadonlyMap<bigint, Series>)
  const net = [...netPositions(positions)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const out: PositionGreeks[] = []
  const sums = new Map<string, { spot: number; delta: number; gamma: number; vega: number; theta: number; rho: number; value: number }>()
  for (const [seriesId, size] of net) {
    const s = byId.get(seriesId)
    if (s === undefined) throw new RiskInputError('seriesId', `series ${seriesId} is unknown`)
    const { spot, v } = valuation(s, inputs)
    const contracts = Number(size) / SIZE_UNITS_PER_CONTRACT
    const p: PositionGreeks = {
      seriesId,
      underlying: s.underlying,
      size,
      contracts,
      value: contracts * v.price,
      delta: contracts * v.delta,
      gamma: contracts * v.gamma,
      vegaPerVolPoint: (contracts * v.vegaPerUnitVol) / 100,
      thetaPerDay: (contracts * v.thetaPerYear) / 365,
      rhoPerRatePoint: (contracts * v.rhoPerUnitRate) / 100,
    }
    out.push(p)
    const u = sums.get(s.underlying) ?? { spot, delta: 0, gamma: 0, vega: 0, theta: 0, rho: 0, value: 0 }
    u.delta += p.delta
    u.gamma += p.gamma
    u.vega += p.vegaPerVolPoint
    u.theta += p.thetaPerDay
    u.rho += p.rhoPerRatePoint
    u.value += p.value
    sums.set(s.underlying, u)
  }
  const byUnderlying: UnderlyingGreeks[] = [...sums]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([underlying, u]) => ({
      underlying,
      spot: u.spot,
      delta: u.delta,
      deltaValue: u.delta * u.spot,
      gamma: u.gamma,
      vegaPerVolPoint: u.vega,
      thetaPerDay: u.theta,
      rhoPerRatePoint: u.rho,
      value: u.value,
    }))
  const total = { deltaValue: 0, vegaPerVolPoint: 0, thetaPerDay: 0, rhoPerRatePoint: 0, value: 0 }
  for (const u of byUnderlying) {
    total.deltaValue += u.deltaValue
    total.vegaPerVolPoint += u.vegaPerVolPoint
    total.thetaPerDay += u.thetaPerDay
    total.rhoPerRatePoint += u.rhoPerRatePoint
    total.value += u.value
  }
  return { positions: out, byUnderlying, total }
}
