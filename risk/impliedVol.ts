/**
 * Implied volatility: the σ at which `valueOption` reproduces a given price.
 *
 * The Black-Scholes price is strictly increasing in σ (vega > 0 for T > 0, K > 0) from the
 * lower no-arbitrage bound (σ = 0) to the upper one (σ → ∞), so a price strictly inside the
 * bounds has exactly one implied vol, and the solver finds it for every such price:
 *
 * - It solves for the out-of-the-money side. By put-call parity an in-the-money option's
 *   time value `price - lower` is the price of the opposite, out-of-the-money option with the
 *   same strike, which the pricer knows to full relative precision even when it is tiny
 *   (deep in the money, short expiries), whereas the in-the-money price would bury it under
 *   the intrinsic value's rounding.
 * - Newton's method on ln(price) as a function of u = ln σ (slope σ·vega/price): nearly
 *   linear at the money and concave far from it, so it converges in a few steps from the
 *   Manaster-Koehler start σ0 = sqrt(2 |ln(F / K e^{-rT})| / T) (Brenner-Subrahmanyam at the
 *   forward), also for prices of 1e-300 and for vols far above 100 %.
 * - A bracket [lo, hi] with price(lo) < target <= price(hi) safeguards it: hi starts
 *   unbounded and grows until it brackets the price (no vol cap unless asked for); a Newton
 *   step that leaves the bracket, or a bracket that did not halve in two steps, is replaced
 *   by bisection (geometric once lo > 0). It stops when the price matches to the tolerance,
 *   or when the bracket or the Newton step is a few ulps wide (the pricer's own rounding
 *   then decides).
 */
import { noArbitrageBounds, validateOptionInputs, valueOption, type OptionInputs } from './blackScholes.js'
import { ImpliedVolError, RiskInputError } from './errors.js'

/** Inputs of `impliedVol`: an option without its vol, and its observed price. */
export type ImpliedVolInputs = Omit<OptionInputs, 'volPerSqrtYear'> & {
  /** Observed option price, in the unit of `spot`. */
  readonly price: number
  /**
   * Stop when the model price is within this of `price` (absolute, in the unit of `spot`);
   * default `IMPLIED_VOL_RELATIVE_TOLERANCE` times the time value `price - lower bound`.
   * The solver also stops when the vol is determined to a few ulps.
   */
  readonly priceTolerance?: number
  /** Largest vol searched; default none (any finite vol). A price needing more throws. */
  readonly maxVolPerSqrtYear?: number
}

/** Largest number of solver iterations (Newton or bisection) before giving up. */
export const IMPLIED_VOL_MAX_ITERATIONS = 400

/** Default stopping tolerance, relative to the option's time value (price - lower bound). */
export const IMPLIED_VOL_RELATIVE_TOLERANCE = 1e-13

/** A bracket this narrow (relative) has nothing left to resolve in double precision. */
const BRACKET_RELATIVE_WIDTH = 4 * Number.EPSILON

/** Below this, a vol is zero for every practical purpose (and its square underflows). */
const SMALLEST_VOL = 1e-290

/**
 * Solves for the implied volatility (per √year, as a fraction). Returns 0 when the price
 * equals the lower bound. Throws `ImpliedVolError` when the price is outside the
 * no-arbitrage bounds (price < lower, or price >= upper, which no finite vol reaches), when
 * the option has expired (T = 0: only its intrinsic value has a vol, 0), or when it would
 * need a vol above `maxVolPerSqrtYear`; `RiskInputError` on invalid inputs.
 *
 * @example
 * impliedVol({ isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, price: 4.7594 }) // ≈ 0.2
 */
export function impliedVol(inputs: ImpliedVolInputs): number {
  validateOptionInputs(inputs, false)
  const target = inputs.price
  if (typeof target !== 'number' || !Number.isFinite(target)) throw new RiskInputError('price', `must be a finite number, got ${String(target)}`)
  const maxVol = inputs.maxVolPerSqrtYear ?? Infinity
  if (typeof maxVol !== 'number' || !(maxVol > 0)) throw new RiskInputError('maxVolPerSqrtYear', `must be > 0, got ${String(maxVol)}`)
  const { lower, upper } = noArbitrageBounds(inputs)
  const outside = (why: string) => new ImpliedVolError(`price ${target} ${why}`, target, lower, upper)

  if (target < lower) throw outside(`is below the no-arbitrage lower bound ${lower}`)
  if (target >= upper) throw outside(`is not below the no-arbitrage upper bound ${upper}`)
  if (target === lower) return 0
  const T = inputs.yearsToExpiry
  if (T === 0) throw outside(`is not the intrinsic value ${lower} of an expired option`)

  // The out-of-the-money side and its price, the time value (exact when target is near lower).
  const timeValue = target - lower
  const otm: OptionInputs = {
    isCall: lower > 0 ? !inputs.isCall : inputs.isCall,
    spot: inputs.spot,
    strike: inputs.strike,
    yearsToExpiry: T,
    volPerSqrtYear: 0,
    ratePerYear: inputs.ratePerYear,
    dividendYieldPerYear: inputs.dividendYieldPerYear ?? 0,
  }
  const tol = inputs.priceTolerance ?? IMPLIED_VOL_RELATIVE_TOLERANCE * timeValue
  if (typeof tol !== 'number' || !(tol >= 0)) throw new RiskInputError('priceTolerance', `must be >= 0, got ${String(tol)}`)
  const logTarget = Math.log(timeValue)

  // Start: Manaster-Koehler (the inflection of price in σ), Brenner-Subrahmanyam at the forward.
  const q = otm.dividendYieldPerYear as number
  const prepaidForward = inputs.spot * Math.exp(-q * T)
  const logMoneyness = Math.log(prepaidForward / (inputs.strike * Math.exp(-inputs.ratePerYear * T)))
  let vol = logMoneyness !== 0 && Number.isFinite(logMoneyness) ? Math.sqrt((2 * Math.abs(logMoneyness)) / T) : (timeValue / prepaidForward) * Math.sqrt((2 * Math.PI) / T)
  if (!(vol > 0 && vol < Infinity)) vol = 1
  vol = Math.min(vol, maxVol)

  let lo = 0
  let hi = Infinity
  let widthBefore = Infinity
  let width = Infinity
  let previousPrice = -Infinity
  for (let i = 0; i < IMPLIED_VOL_MAX_ITERATIONS; i++) {
    const { price, vegaPerUnitVol: vega } = valueOption({ ...otm, volPerSqrtYear: vol })
    const diff = price - timeValue
    if (Math.abs(diff) <= tol) return vol
    if (diff < 0) {
      if (vol >= maxVol) throw outside(`needs a volatility above ${maxVol}`)
      lo = vol
    } else hi = vol
    if (hi < Infinity && hi - lo <= BRACKET_RELATIVE_WIDTH * hi) return lo > 0 ? 0.5 * (lo + hi) : hi
    if (hi < SMALLEST_VOL) return hi

    // Newton on f(u) = ln price - ln timeValue, u = ln σ: u' = u - f / (σ vega / price).
    const slope = (vol * vega) / price
    let next = price > 0 && slope > 0 ? vol * Math.exp(-(Math.log(price) - logTarget) / slope) : NaN
    // A Newton step below a few ulps: the vol is as determined as the pricer's rounding allows.
    if (Math.abs(next - vol) <= BRACKET_RELATIVE_WIDTH * vol) return next
    const shrinking = hi - lo <= 0.5 * widthBefore
    widthBefore = width
    width = hi - lo
    if (hi === Infinity) {
      // Not bracketed yet: Newton if it goes up and the price moved since the last step;
      // else grow (√σ while small: from 1e-290 to 0.25 in 10 steps), since a price that
      // underflowed or sits in the pricer's rounding noise gives no usable slope.
      if (!(next > vol && next < Infinity && price > previousPrice)) next = vol < 0.25 ? Math.sqrt(vol) : 2 * vol
      next = Math.min(next, maxVol)
    } else if (!(next > lo && next < hi) || !shrinking) {
      next = lo === 0 ? hi / 1024 : hi > 4 * lo ? Math.sqrt(lo) * Math.sqrt(hi) : 0.5 * (lo + hi)
    }
    previousPrice = price
    vol = next
  }
  throw new ImpliedVolError(`implied vol did not converge in ${IMPLIED_VOL_MAX_ITERATIONS} iterations`, target, lower, upper)
}
