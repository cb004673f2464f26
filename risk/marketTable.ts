/**
 * The market table: for each live series, its mark price and its value under each of the K
 * risk scenarios, as integers. The sequencer builds one per batch; margin is then linear in
 * it (see margin.ts), which is what lets the circuit check margin without Black-Scholes.
 *
 * Units: every price is collateral base units per size unit (the protocol's price unit), a
 * signed bigint. Rounding: marks and scenario values to nearest (ties away from zero), because
 * one number serves both sides of every position (fixedPoint.ts); the short minimum rounds up,
 * because it is a requirement.
 *
 * Determinism: the table depends only on its arguments; rows are ordered by series id. The
 * floats go through `Math.exp`/`Math.log`/`Math.sqrt` (V8's fdlibm port), so two machines on
 * the same engine produce the same table; a verifier on another engine may differ by a base
 * unit, which is why the table itself, not its inputs, is what the batch publishes.
 */
import { valueOption } from './blackScholes.js'
import { RiskInputError } from './errors.js'
import { baseUnitsToStrike, pricePerContractToPerSizeUnit, decimalToScaled, PRICE_DECIMALS } from './fixedPoint.js'
import { defaultScenarioGrid, SCENARIO_COUNT, scenarios, shockedVol, type Scenario, type ScenarioGrid } from './scenarios.js'
import { validateSeries, type Series } from './series.js'

/** Seconds in the year used for time to expiry (365 days, Deribit's convention). */
export const SECONDS_PER_YEAR = 365 * 24 * 3600

/** Default short-option minimum: 1 % of spot per option (see margin.ts). */
export const DEFAULT_SHORT_MINIMUM_FRACTION_OF_SPOT = 0.01

/** Market data a table is built from. */
export type MarketInputs = {
  /** Spot (index) price per underlying, in collateral per unit of underlying (e.g. { ETH: 3000.5 }). */
  readonly spotByUnderlying: Readonly<Record<string, number>>
  /** Annualised vol per series id; takes precedence over `volByUnderlying`. */
  readonly volBySeries?: ReadonlyMap<bigint, number>
  /** Flat annualised vol per underlying (e.g. { ETH: 0.65 }). */
  readonly volByUnderlying?: Readonly<Record<string, number>>
  /** Continuously compounded rate per year (0 for a USDC-margined crypto book is common). */
  readonly ratePerYear: number
  /** Valuation time, unix seconds. Series at or past expiry are valued at intrinsic. */
  readonly nowUnixSeconds: bigint
  /** Scenario grid per underlying; `defaultScenarioGrid(underlying)` when absent (BTC and ETH ±15 %, others ±20 %). */
  readonly gridByUnderlying?: Readonly<Record<string, ScenarioGrid>>
  /** Short-option minimum as a fraction of spot per option; default 0.01. */
  readonly shortMinimumFractionOfSpot?: number
}

/** One row of the market table. All prices in collateral base units per size unit. */
export type MarketRow = {
  readonly seriesId: bigint
  /** Mark price (Black-Scholes at the current spot and vol), >= 0. */
  readonly mark: bigint
  /** Value under scenario k, k = 0..SCENARIO_COUNT-1 (scenarios.ts ordering). */
  readonly scenarioValues: readonly bigint[]
  /** Minimum margin per short size unit (a fraction of spot), >= 0. */
  readonly shortMinimum: bigint
}

/** Marks and scenario values of every live series at one instant. */
export type MarketTable = {
  readonly asOfUnixSeconds: bigint
  /** K, the length of every row's `scenarioValues`. */
  readonly scenarioCount: number
  /** Rows by series id, in increasing id order. */
  readonly rows: ReadonlyMap<bigint, MarketRow>
}

/**
 * Builds the market table of `series` from market inputs, deterministically.
 * Throws `RiskInputError` for a missing spot or vol, a duplicate series id, or invalid data.
 *
 * @example
 * const table = buildMarketTable([eth3000Call], { spotByUnderlying: { ETH: 3000 }, volByUnderlying: { ETH: 0.6 }, ratePerYear: 0, nowUnixSeconds: 1790000000n })
 * table.rows.get(1n)?.mark // base units per size unit
 */
export function buildMarketTable(series: readonly Series[], inputs: MarketInputs): MarketTable {
  const minimumFraction = inputs.shortMinimumFractionOfSpot ?? DEFAULT_SHORT_MINIMUM_FRACTION_OF_SPOT
  if (!Number.isFinite(minimumFraction) || minimumFraction < 0) throw new RiskInputError('shortMinimumFractionOfSpot', 'must be finite and >= 0')
  const sorted = [...series].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const rows = new Map<bigint, MarketRow>()
  const scenariosByUnderlying = new Map<string, readonly Scenario[]>()
  for (const s of sorted) {
    validateSeries(s)
    if (rows.has(s.id)) throw new RiskInputError('seriesId', `duplicate series id ${s.id}`)
    const spot = inputs.spotByUnderlying[s.underlying]
    if (spot === undefined) throw new RiskInputError('spotByUnderlying', `no spot for ${s.underlying}`)
    const vol = inputs.volBySeries?.get(s.id) ?? inputs.volByUnderlying?.[s.underlying]
    if (vol === undefined) throw new RiskInputError('vol', `no vol for series ${s.id} (${s.underlying})`)
    if (!Number.isFinite(vol) || vol < 0) throw new RiskInputError('vol', `vol of series ${s.id} must be finite and >= 0, got ${vol}`)
    if (!Number.isFinite(spot) || spot <= 0) throw new RiskInputError('spotByUnderlying', `spot of ${s.underlying} must be finite and > 0`)
    let shocks: readonly Scenario[] | undefined = scenariosByUnderlying.get(s.underlying)
    if (shocks === undefined) {
      const own: ScenarioGrid | undefined = inputs.gridByUnderlying && Object.hasOwn(inputs.gridByUnderlying, s.underlying) ? inputs.gridByUnderlying[s.underlying] : undefined
      shocks = scenarios(own ?? defaultScenarioGrid(s.underlying))
      scenariosByUnderlying.set(s.underlying, shocks)
    }

    const secondsLeft = s.expiry > inputs.nowUnixSeconds ? s.expiry - inputs.nowUnixSeconds : 0n
    const base = {
      isCall: s.isCall,
      strike: baseUnitsToStrike(s.strike),
      yearsToExpiry: Number(secondsLeft) / SECONDS_PER_YEAR,
      ratePerYear: inputs.ratePerYear,
    }
    const priceAt = (spotShock: number, volShock: number) =>
      nearestPricePerSizeUnit(
        valueOption({ isCall: base.isCall, strike: base.strike, yearsToExpiry: base.yearsToExpiry, ratePerYear: base.ratePerYear, spot: spot * (1 + spotShock), volPerSqrtYear: shockedVol(vol, volShock) }).price,
      )
    rows.set(s.id, {
      seriesId: s.id,
      mark: priceAt(0, 0),
      scenarioValues: shocks.map((sc) => priceAt(sc.spotShock, sc.volShock)),
      shortMinimum: decimalToScaled(spot * minimumFraction, PRICE_DECIMALS, 'up'),
    })
  }
  return { asOfUnixSeconds: inputs.nowUnixSeconds, scenarioCount: SCENARIO_COUNT, rows }
}

/** Below 2^40 base units per size unit, y = price * 10^4 is within 3e-4 of the exact decimal product (see below). */
const FAST_PRICE_LIMIT = 2 ** 40

/**
 * `pricePerContractToPerSizeUnit(price, 'nearest')` (the exact rounding of the price's
 * shortest decimal form), without strings or bigints in the common case.
 *
 * Why it is exact: let d be the shortest decimal form of the double x >= 0, so
 * |d - x| <= ulp(x) / 2, and y = fl(x * 10^4). For y < 2^40, ulp(y) <= 2^-12 and
 * x < 2^27, ulp(x) <= 2^-25, so |y - d * 10^4| <= 2^-13 + 10^4 * 2^-26 < 3e-4. When y is
 * more than 10^-3 away from the nearest half-integer, d * 10^4 lies on the same side of it,
 * so both round to the same integer (and no tie arises). Otherwise, and for negative,
 * large or non-finite prices, the exact conversion of fixedPoint.ts runs.
 *
 * @example nearestPricePerSizeUnit(4.7594) // 47594n
 */
export function nearestPricePerSizeUnit(price: number): bigint {
  const y = price * 10_000
  if (y >= 0 && y < FAST_PRICE_LIMIT) {
    const floor = Math.floor(y)
    const fraction = y - floor // exact: y and floor are close doubles
    if (Math.abs(fraction - 0.5) > 1e-3) return BigInt(fraction > 0.5 ? floor + 1 : floor)
  }
  return pricePerContractToPerSizeUnit(price, 'nearest')
}
