/**
 * Implied volatility: the σ at which `valueOption` reproduces a given price.
 *
 * The Black-Scholes price is strictly increasing in σ (vega > 0 for T > 0, K > 0) from the
 * lower no-arbitrage bound (σ = 0) to the upper one (σ → ∞), so a price strictly inside the
 * bounds has exactly one implied vol. The solver keeps a bracket [lo, hi] with
 * price(lo) <= target <= price(hi) and takes a Newton step from the current point when it
 * stays inside the bracket and vega is usable, else bisects: it always converges, and
 * quadratically near the root. The start is the Manaster-Koehler point
 * σ0 = sqrt(2 |ln(F/K)| / T) (the inflection of price in σ, from which Newton is monotone),
 * or the Brenner-Subrahmanyam estimate at the money.
 */
import { noArbitrageBounds, validateOptionInputs, valueOption, type OptionInputs } from './blackScholes.js'
import { ImpliedVolError, RiskInputError } from './errors.js'

/** Inputs of `impliedVol`: an option without its vol, and its observed price. */
export type ImpliedVolInputs = Omit<OptionInputs, 'volPerSqrtYear'> & {
  /** Observed option price, in the unit of `spot`. */
  readonly price: number
  /** Stop when |model - price| <= this; default 1e-12 * max(price, 1e-300) + 1e-15 * spot. */
  readonly priceTolerance?: number
  /** Largest vol searched (default 20 = 2000 %). */
  readonly maxVolPerSqrtYear?: number
}

/** Largest number of solver iterations (Newton or bisection) before giving up. */
export const IMPLIED_VOL_MAX_ITERATIONS = 200

/**
 * Solves for the implied volatility (per √year, as a fraction). Returns 0 when the price
 * equals the lower bound. Throws `ImpliedVolError` when the price is outside the
 * no-arbitrage bounds (price < lower, or price >= upper, which no finite vol reaches) or
 * would need a vol above `maxVolPerSqrtYear`; `RiskInputError` on invalid inputs.
 *
 * @example
 * impliedVol({ isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, price: 4.7594 }) // ≈ 0.2
 */
export function impliedVol(inputs: ImpliedVolInputs): number {
  validateOptionInputs(inputs, false)
  const target = inputs.price
  if (typeof target !== 'number' || !Number.isFinite(target)) throw new RiskInputError('price', 'must be a finite number')
  const { lower, upper } = noArbitrageBounds(inputs)
  const maxVol = inputs.maxVolPerSqrtYear ?? 20
  const outside = (why: string) => new ImpliedVolError(`price ${target} ${why}`, target, lower, upper)

  if (target < lower) throw outside(`is below the no-arbitrage lower bound ${lower}`)
  if (target >= upper) throw outside(`is not below the no-arbitrage upper bound ${upper}`)
  if (target === lower) return 0
  if (inputs.yearsToExpiry === 0) throw outside('is not the intrinsic value of an expired option')

  const tol = inputs.priceTolerance ?? 1e-12 * target + 1e-15 * inputs.spot
  const priceAt = (vol: number) => valueOption({ ...inputs, volPerSqrtYear: vol })

  let lo = 0
  let hi = maxVol
  const atMax = priceAt(hi).price
  if (atMax < target - tol) throw outside(`needs a volatility above ${maxVol}`)

  const T = inputs.yearsToExpiry
  const q = inputs.dividendYieldPerYear ?? 0
  const logMoneyness = Math.log(inputs.spot / inputs.strike) + (inputs.ratePerYear - q) * T
  let vol = Number.isFinite(logMoneyness) && logMoneyness !== 0 ? Math.sqrt((2 * Math.abs(logMoneyness)) / T) : (target / (inputs.spot * Math.exp(-q * T))) * Math.sqrt((2 * Math.PI) / T)
  if (!(vol > lo && vol < hi)) vol = 0.5 * (lo + hi)

  for (let i = 0; i < IMPLIED_VOL_MAX_ITERATIONS; i++) {
    const v = priceAt(vol)
    const diff = v.price - target
    if (Math.abs(diff) <= tol) return vol
    if (diff > 0) hi = vol
    else lo = vol
    if (hi - lo <= 1e-15 * Math.max(1, hi)) return 0.5 * (lo + hi)
    const newton = vol - diff / v.vegaPerUnitVol
    vol = v.vegaPerUnitVol > 0 && newton > lo && newton < hi ? newton : 0.5 * (lo + hi)
  }
  throw new ImpliedVolError(`implied vol did not converge in ${IMPLIED_VOL_MAX_ITERATIONS} iterations`, target, lower, upper)
}
