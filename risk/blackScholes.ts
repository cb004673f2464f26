/**
 * Black-Scholes-Merton prices and Greeks of European calls and puts, in floating point.
 *
 * Model: the underlying pays a continuous yield q (dividend, or the carry/funding rate of a
 * crypto underlying; 0 by default) and money earns a continuously compounded rate r:
 *
 *   F  = S e^{(r-q)T},  d1 = (ln(S/K) + (r - q + σ²/2) T) / (σ√T),  d2 = d1 - σ√T
 *   call = S e^{-qT} N(d1) - K e^{-rT} N(d2)
 *   put  = K e^{-rT} N(-d2) - S e^{-qT} N(-d1)
 *
 * Units: `spot` and `strike` in the same price unit (collateral per unit of underlying);
 * prices and Greeks are per one option on one unit of the underlying, in that unit. Time in
 * years, vol per √year as a fraction (0.6 = 60 %), rates per year as fractions.
 *
 * Edge cases, each handled by its own branch and tested:
 * - T = 0: the payoff. delta is the payoff's slope (0 or ±1; ±0.5 exactly at the strike),
 *   gamma, vega, theta and rho are 0 (the Dirac mass of gamma at the strike is not
 *   representable and is reported as 0).
 * - σ√T = 0 (zero vol, or a product that underflows): the discounted forward payoff
 *   max(±(S e^{-qT} - K e^{-rT}), 0) and its exact derivatives; exactly at the forward the
 *   one-sided average (delta ±0.5 e^{-qT}) and the σ→0 limit of vega, S e^{-qT} √T φ(0).
 * - K = 0: the call is the prepaid forward S e^{-qT}, the put is worthless.
 * - Deep in or out of the money: tails come from `normCdf` (accurate to ~1e-15 relative
 *   down to 1e-308), puts use N(-d) rather than 1 - N(d); the price is finally clamped
 *   into its no-arbitrage bounds, so rounding can never produce an arbitrageable value.
 */
import { RiskInputError } from './errors.js'
import { normCdf, normPdf } from './normal.js'

/** Inputs of a Black-Scholes-Merton valuation. */
export type OptionInputs = {
  readonly isCall: boolean
  /** Spot price of the underlying (collateral units per unit of underlying); finite, > 0. */
  readonly spot: number
  /** Strike in the same unit as `spot`; finite, >= 0. */
  readonly strike: number
  /** Time to expiry in years; finite, >= 0. */
  readonly yearsToExpiry: number
  /** Annualised volatility as a fraction (0.6 = 60 %); finite, >= 0. */
  readonly volPerSqrtYear: number
  /** Continuously compounded risk-free rate per year (0.05 = 5 %); finite. */
  readonly ratePerYear: number
  /** Continuous dividend / carry yield q per year; finite; 0 when absent. */
  readonly dividendYieldPerYear?: number
}

/** Price and first-order (plus gamma) sensitivities; see each field for its unit. */
export type OptionValuation = {
  /** Price per option, in the unit of `spot`. */
  readonly price: number
  /** ∂price/∂spot. */
  readonly delta: number
  /** ∂²price/∂spot², per unit of spot. */
  readonly gamma: number
  /** ∂price/∂σ for a change of σ by 1.00 (divide by 100 for "per vol point"). */
  readonly vegaPerUnitVol: number
  /** -∂price/∂T: value change per year of calendar time passing (divide by 365 per day). */
  readonly thetaPerYear: number
  /** ∂price/∂r for a change of r by 1.00 (divide by 100 per percentage point). */
  readonly rhoPerUnitRate: number
}

function requireFinite(field: string, v: number, min?: number, strictlyAbove?: boolean): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RiskInputError(field, `must be a finite number, got ${String(v)}`)
  if (min !== undefined && (strictlyAbove ? !(v > min) : !(v >= min)))
    throw new RiskInputError(field, `must be ${strictlyAbove ? '>' : '>='} ${min}, got ${v}`)
}

/**
 * Validates `OptionInputs` (without requiring a vol when `requireVol` is false) and throws
 * `RiskInputError` naming the first bad field.
 */
export function validateOptionInputs(inputs: Omit<OptionInputs, 'volPerSqrtYear'> & { volPerSqrtYear?: number }, requireVol = true): void {
  if (typeof inputs.isCall !== 'boolean') throw new RiskInputError('isCall', 'must be a boolean')
  requireFinite('spot', inputs.spot, 0, true)
  requireFinite('strike', inputs.strike, 0)
  requireFinite('yearsToExpiry', inputs.yearsToExpiry, 0)
  if (requireVol || inputs.volPerSqrtYear !== undefined) requireFinite('volPerSqrtYear', inputs.volPerSqrtYear as number, 0)
  requireFinite('ratePerYear', inputs.ratePerYear)
  if (inputs.dividendYieldPerYear !== undefined) requireFinite('dividendYieldPerYear', inputs.dividendYieldPerYear)
}

/** No-arbitrage bounds of a European option's price (model-free). */
export type PriceBounds = { readonly lower: number; readonly upper: number }

/**
 * Model-free bounds: call in [max(S e^{-qT} - K e^{-rT}, 0), S e^{-qT}],
 * put in [max(K e^{-rT} - S e^{-qT}, 0), K e^{-rT}].
 *
 * @example noArbitrageBounds({ isCall: true, spot: 100, strike: 90, yearsToExpiry: 0, ratePerYear: 0 }) // { lower: 10, upper: 100 }
 */
export function noArbitrageBounds(inputs: Omit<OptionInputs, 'volPerSqrtYear'>): PriceBounds {
  validateOptionInputs(inputs, false)
  const T = inputs.yearsToExpiry
  const q = inputs.dividendYieldPerYear ?? 0
  const prepaidForward = inputs.spot * Math.exp(-q * T)
  const discountedStrike = inputs.strike * Math.exp(-inputs.ratePerYear * T)
  return inputs.isCall
    ? { lower: Math.max(prepaidForward - discountedStrike, 0), upper: prepaidForward }
    : { lower: Math.max(discountedStrike - prepaidForward, 0), upper: discountedStrike }
}

const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi)

/**
 * Price and Greeks of a European option under Black-Scholes-Merton (see the module header
 * for the formulas, units and edge cases). Throws `RiskInputError` on invalid inputs.
 *
 * @example
 * // Hull, Options Futures and Other Derivatives, example 15.6: call 4.7594, put 0.8086
 * valueOption({ isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, volPerSqrtYear: 0.2, ratePerYear: 0.1 }).price
 */
export function valueOption(inputs: OptionInputs): OptionValuation {
  validateOptionInputs(inputs)
  const { isCall, spot: S, strike: K, yearsToExpiry: T, volPerSqrtYear: sigma, ratePerYear: r } = inputs
  const q = inputs.dividendYieldPerYear ?? 0
  const sign = isCall ? 1 : -1

  // Expiry: the payoff and its slope.
  if (T === 0) {
    const intrinsic = Math.max(sign * (S - K), 0)
    const delta = S === K ? sign * 0.5 : intrinsic > 0 ? sign : 0
    return { price: intrinsic, delta, gamma: 0, vegaPerUnitVol: 0, thetaPerYear: 0, rhoPerUnitRate: 0 }
  }

  const dq = Math.exp(-q * T)
  const dr = Math.exp(-r * T)
  const prepaidForward = S * dq
  const discountedStrike = K * dr

  // Zero strike: the call is the prepaid forward, the put is worthless.
  if (K === 0) {
    return isCall
      ? { price: prepaidForward, delta: dq, gamma: 0, vegaPerUnitVol: 0, thetaPerYear: q * prepaidForward, rhoPerUnitRate: 0 }
      : { price: 0, delta: 0, gamma: 0, vegaPerUnitVol: 0, thetaPerYear: 0, rhoPerUnitRate: 0 }
  }

  const sqrtT = Math.sqrt(T)
  const sigmaSqrtT = sigma * sqrtT

  // Zero (or underflowing) total volatility: the discounted forward payoff.
  if (sigmaSqrtT === 0) {
    const moneyness = sign * (prepaidForward - discountedStrike)
    // weight = N(sign*d1) in the σ → 0 limit: 1 in the money, 0 out, 1/2 at the forward.
    const w = moneyness > 0 ? 1 : moneyness < 0 ? 0 : 0.5
    return {
      price: Math.max(moneyness, 0),
      delta: sign * w * dq,
      gamma: 0,
      vegaPerUnitVol: moneyness === 0 ? prepaidForward * sqrtT * normPdf(0) : 0,
      thetaPerYear: sign * w * (q * prepaidForward - r * discountedStrike),
      rhoPerUnitRate: sign * w * K * T * dr,
    }
  }

  const d1 = (Math.log(S / K) + (r - q) * T) / sigmaSqrtT + 0.5 * sigmaSqrtT
  const d2 = d1 - sigmaSqrtT
  const nd1 = normCdf(sign * d1)
  const nd2 = normCdf(sign * d2)
  const pdf1 = normPdf(d1)

  const raw = sign * (prepaidForward * nd1 - discountedStrike * nd2)
  const lower = Math.max(sign * (prepaidForward - discountedStrike), 0)
  const upper = isCall ? prepaidForward : discountedStrike
  const price = clamp(raw, lower, upper)

  return {
    price,
    delta: sign * dq * nd1,
    gamma: (dq * pdf1) / (S * sigmaSqrtT),
    vegaPerUnitVol: prepaidForward * pdf1 * sqrtT,
    thetaPerYear: (-prepaidForward * pdf1 * sigma) / (2 * sqrtT) + sign * (q * prepaidForward * nd1 - r * discountedStrike * nd2),
    rhoPerUnitRate: sign * K * T * dr * nd2,
  }
}

/**
 * The Black-Scholes-Merton price alone (`valueOption(inputs).price`).
 *
 * @example optionPrice({ isCall: false, spot: 42, strike: 40, yearsToExpiry: 0.5, volPerSqrtYear: 0.2, ratePerYear: 0.1 }) // ≈ 0.8086
 */
export function optionPrice(inputs: OptionInputs): number {
  return valueOption(inputs).price
}
