/**
 * Standard normal distribution in double precision.
 *
 * `normCdf` follows W. J. Cody's CALERF (ACM TOMS 715; "Rational Chebyshev approximations
 * for the error function", Math. Comp. 1969): three rational approximations on
 * `y = |x| / sqrt(2)` (y <= 0.46875, y <= 4, y > 4). Two details keep the relative error
 * near 1e-15 deep in the lower tail, where naive code loses digits:
 * - the lower tail is computed directly as `0.5 * erfc(y)`, never as `1 - N(-x)`;
 * - the Gaussian factor `exp(-x^2 / 2)` is evaluated on `x` itself (not on the rounded
 *   `y^2`), with `x^2` split exactly into a double and its rounding error (Dekker's product),
 *   so that the large exponent is exact: `exp(-h/2) * (1 - l/2)` with `x^2 = h + l`.
 *
 * `normCdfFromGaussian` takes that factor from the caller, who often needs it anyway for the
 * density (Black-Scholes needs N(d1) and φ(d1)): one exponential serves both.
 *
 * Pure, no I/O; deterministic for a given JavaScript engine (`Math.exp` is the only
 * transcendental call).
 */

/** 1 / sqrt(2). */
const INV_SQRT2 = Math.SQRT1_2
/** 1 / sqrt(2 pi). */
const INV_SQRT_2PI = 0.3989422804014327
/** 1 / sqrt(pi). */
const INV_SQRT_PI = 0.5641895835477563

// Cody's coefficients (CALERF, as published), erf on |y| <= 0.46875.
const A = [3.16112374387056560e0, 1.13864154151050156e2, 3.77485237685302021e2, 3.20937758913846947e3, 1.85777706184603153e-1] as const
const B = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3] as const
// erfc on 0.46875 < y <= 4.
const C = [
  5.64188496988670089e-1, 8.88314979438837594e0, 6.61191906371416295e1, 2.98635138197400131e2, 8.8195222124176909e2,
  1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8,
] as const
const D = [
  1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3,
  4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3,
] as const
// erfc on y > 4 (asymptotic form in 1/y^2).
const P = [
  3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
  6.58749161529837803e-4, 1.63153871373020978e-2,
] as const
const Q = [2.56852019228982242e0, 1.87295284992346047e0, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3] as const

/** Below this |x| the lower tail underflows to 0 in double precision. */
const X_UNDERFLOW = 38.5

/** Veltkamp's splitter for doubles, 2^27 + 1. */
const SPLITTER = 134217729
/** Above this |x|, exp(-x^2 / 2) is below the smallest subnormal double. */
const X_GAUSSIAN_ZERO = 38.6

/**
 * exp(-x^2 / 2), relative error about 2e-16 for every x: x^2 = h + l exactly (Dekker's
 * product), and exp(-(h + l)/2) = exp(-h/2) (1 - l/2) since |l| <= ulp(h) is tiny. The
 * exponent's rounding error therefore does not grow with x. 0 for |x| >= 38.6 and ±∞.
 *
 * @example expHalfSquare(1) // ≈ 0.6065306597126334
 */
export function expHalfSquare(x: number): number {
  const ax = Math.abs(x)
  if (!(ax < X_GAUSSIAN_ZERO)) return ax === ax ? 0 : NaN
  const h = ax * ax
  const c = SPLITTER * ax
  const hi = c - (c - ax)
  const lo = ax - hi
  const l = hi * hi - h + 2 * hi * lo + lo * lo
  return Math.exp(-0.5 * h) * (1 - 0.5 * l)
}

/**
 * erfc(|x| / sqrt 2) / exp(-x^2/2) for |x|/sqrt2 > 0.46875: the rational part of Cody's
 * approximation, which is smooth, so the rounding of `y` costs no more than an ulp.
 */
function scaledUpperTail(ax: number): number {
  const y = ax * INV_SQRT2
  if (y <= 4) {
    // Horner, unrolled; the same operations in the same order as CALERF's loop.
    const num = ((((((((C[8] * y + C[0]) * y + C[1]) * y + C[2]) * y + C[3]) * y + C[4]) * y + C[5]) * y + C[6]) * y + C[7])
    const den = ((((((((y + D[0]) * y + D[1]) * y + D[2]) * y + D[3]) * y + D[4]) * y + D[5]) * y + D[6]) * y + D[7])
    return num / den
  }
  const ysq = 1 / (y * y)
  const num = (((((P[5] * ysq + P[0]) * ysq + P[1]) * ysq + P[2]) * ysq + P[3]) * ysq + P[4])
  const den = (((((ysq + Q[0]) * ysq + Q[1]) * ysq + Q[2]) * ysq + Q[3]) * ysq + Q[4])
  const r = (ysq * num) / den
  return (INV_SQRT_PI - r) / y
}

/** erf(x / sqrt 2) for |x / sqrt 2| <= 0.46875. */
function erfCentral(x: number): number {
  const y = x * INV_SQRT2
  const ysq = y * y
  const num = (((A[4] * ysq + A[0]) * ysq + A[1]) * ysq + A[2]) * ysq + A[3]
  const den = (((ysq + B[0]) * ysq + B[1]) * ysq + B[2]) * ysq + B[3]
  return (y * num) / den
}

/** |x| at or below which N(x) uses the central approximation (Cody's y <= 0.46875). */
const X_CENTRAL = 0.46875 / INV_SQRT2

/**
 * Standard normal cumulative distribution N(x) = P(Z <= x), relative error about 1e-15
 * over the whole range where the result is a normal double (x >= -37.5); NaN for NaN.
 *
 * @example normCdf(-1) // ≈ 0.158655253931457 (reference 0.15865525393145705)
 */
export function normCdf(x: number): number {
  if (Number.isNaN(x)) return NaN
  const ax = Math.abs(x)
  if (ax <= X_CENTRAL) return 0.5 + 0.5 * erfCentral(x)
  if (ax >= X_UNDERFLOW) return x < 0 ? 0 : 1
  const lowerTail = 0.5 * expHalfSquare(ax) * scaledUpperTail(ax)
  return x < 0 ? lowerTail : 1 - lowerTail
}

/**
 * N(x) when the caller already has `gaussian` = exp(-x^2 / 2) (`expHalfSquare(x)`, which is
 * even in x): the same value as `normCdf(x)` without a second exponential. `gaussian` is only
 * read in the tails (|x| > 0.6629), so a caller may pass anything there when it knows |x| is
 * central. x must not be NaN.
 *
 * @example const g = expHalfSquare(-3); normCdfFromGaussian(-3, g) === normCdf(-3) // true
 */
export function normCdfFromGaussian(x: number, gaussian: number): number {
  const ax = Math.abs(x)
  if (ax <= X_CENTRAL) return 0.5 + 0.5 * erfCentral(x)
  if (ax >= X_UNDERFLOW) return x < 0 ? 0 : 1
  const lowerTail = 0.5 * gaussian * scaledUpperTail(ax)
  return x < 0 ? lowerTail : 1 - lowerTail
}

/**
 * Upper tail 1 - N(x) = N(-x), accurate where 1 - normCdf(x) would cancel.
 *
 * @example normSf(10) // ≈ 7.61985302416053e-24
 */
export function normSf(x: number): number {
  return normCdf(-x)
}

/**
 * Standard normal density φ(x) = exp(-x^2/2) / sqrt(2π), relative error about 1e-16.
 *
 * @example normPdf(0) // 0.3989422804014327
 */
export function normPdf(x: number): number {
  if (Number.isNaN(x)) return NaN
  if (!Number.isFinite(x)) return 0
  return INV_SQRT_2PI * expHalfSquare(x)
}
