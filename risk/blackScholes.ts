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
import { expHalfSquare, normCdfFromGaussian } from './normal.js'

/** 1 / sqrt(2 pi) = φ(0). */
const INV_SQRT_2PI = 0.3989422804014327

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

/**
 * Price and Greeks of a European option under Black-Scholes-Merton (see the module header
 * for the formulas, units and edge cases). Throws `RiskInputError` on invalid inputs.
 *
 * The common case (T > 0, K > 0, σ√T > 0, all inputs finite) takes a fast path that checks
 * the inputs with plain comparisons and shares every transcendental between the price and
 * the Greeks: one log, one sqrt, the two discount factors and one exponential for φ(d1),
 * which also serves N(d1) and, through F φ(d1) = K e^{-rT} φ(d2), N(d2). Anything else goes
 * through `validateOptionInputs` and the edge-case branches.
 *
 * @example
 * // Hull, Options Futures and Other Derivatives, example 15.6: call 4.7594, put 0.8086
 * valueOption({ isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, volPerSqrtYear: 0.2, ratePerYear: 0.1 }).price
 */
export function valueOption(inputs: OptionInputs): OptionValuation {
  const isCall = inputs.isCall
  const S = inputs.spot
  const K = inputs.strike
  const T = inputs.yearsToExpiry
  const sigma = inputs.volPerSqrtYear
  const r = inputs.ratePerYear
  const qIn = inputs.dividendYieldPerYear
  const q = qIn === undefined ? 0 : qIn
  // Finite and in the regular domain; NaN fails every comparison, x - x is NaN for ±∞.
  if (
    typeof isCall === 'boolean' &&
    typeof S === 'number' && S > 0 && S < Infinity &&
    typeof K === 'number' && K > 0 && K < Infinity &&
    typeof T === 'number' && T > 0 && T < Infinity &&
    typeof sigma === 'number' && sigma > 0 && sigma < Infinity &&
    typeof r === 'number' && r - r === 0 &&
    typeof q === 'number' && q - q === 0
  ) {
    const sqrtT = Math.sqrt(T)
    const sigmaSqrtT = sigma * sqrtT
    if (sigmaSqrtT > 0) return regularValuation(isCall, S, K, T, sigma, r, q, sqrtT, sigmaSqrtT)
  }
  return edgeValuation(inputs)
}

/**
 * The closed forms for T > 0, K > 0, σ√T > 0 (finite inputs, already checked). Shares work
 * between price and Greeks: g1 = exp(-d1²/2) gives φ(d1) and N(±d1); N(±d2) needs
 * exp(-d2²/2) = g1 F / (K e^{-rT}) (exact in exact arithmetic, since d1² - d2² = 2 ln(F/K e^{-rT})),
 * computed directly instead when g1 is too small for the ratio to be safe.
 */
function regularValuation(isCall: boolean, S: number, K: number, T: number, sigma: number, r: number, q: number, sqrtT: number, sigmaSqrtT: number): OptionValuation {
  const sign = isCall ? 1 : -1
  const dq = q === 0 ? 1 : Math.exp(-q * T)
  const dr = r === 0 ? 1 : Math.exp(-r * T)
  const prepaidForward = S * dq
  const discountedStrike = K * dr

  const d1 = (Math.log(S / K) + (r - q) * T) / sigmaSqrtT + 0.5 * sigmaSqrtT
  const d2 = d1 - sigmaSqrtT
  const g1 = expHalfSquare(d1)
  const g2 = Math.abs(d1) < 30 ? (g1 * prepaidForward) / discountedStrike : expHalfSquare(d2)
  const nd1 = normCdfFromGaussian(sign * d1, g1)
  const nd2 = normCdfFromGaussian(sign * d2, g2)
  const pdf1 = INV_SQRT_2PI * g1

  const forwardTerm = prepaidForward * nd1
  const strikeTerm = discountedStrike * nd2
  const raw = sign * (forwardTerm - strikeTerm)
  const intrinsic = sign * (prepaidForward - discountedStrike)
  const lower = intrinsic > 0 ? intrinsic : 0
  const upper = isCall ? prepaidForward : discountedStrike
  // Clamped into the bounds (written so that a -0 from the subtraction becomes the bound's +0).
  const price = raw > lower ? (raw < upper ? raw : upper) : lower

  const vegaPerUnitVol = prepaidForward * pdf1 * sqrtT
  return {
    price,
    delta: sign * dq * nd1,
    gamma: (dq * pdf1) / (S * sigmaSqrtT),
    vegaPerUnitVol,
    thetaPerYear: (-vegaPerUnitVol * sigma) / (2 * T) + sign * (q * forwardTerm - r * strikeTerm),
    rhoPerUnitRate: sign * T * strikeTerm,
  }
}

/** Validation (throws `RiskInputError`) and the edge cases T = 0, K = 0, σ√T = 0. */
function edgeValuation(inputs: OptionInputs): OptionValuation {
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
      vegaPerUnitVol: moneyness === 0 ? prepaidForward * sqrtT * INV_SQRT_2PI : 0,
      thetaPerYear: sign * w * (q * prepaidForward - r * discountedStrike),
      rhoPerUnitRate: sign * w * K * T * dr,
    }
  }
  return regularValuation(isCall, S, K, T, sigma, r, q, sqrtT, sigmaSqrtT)
}

/**
 * The Black-Scholes-Merton price alone (`valueOption(inputs).price`).
 *
 * @example optionPrice({ isCall: false, spot: 42, strike: 40, yearsToExpiry: 0.5, volPerSqrtYear: 0.2, ratePerYear: 0.1 }) // ≈ 0.8086
 */
export function optionPrice(inputs: OptionInputs): number {
  return valueOption(inputs).price
}
