/**
 * Standard normal distribution in double precision.
 *
 * `normCdf` follows W. J. Cody's CALERF (ACM TOMS 715; "Rational Chebyshev approximations
 * for the error function", Math. Comp. 1969): three rational approximations on
 * `y = |x| / sqrt(2)` (y <= 0.46875, y <= 4, y > 4). Two details keep the relative error
 * near 1e-15 deep in the lower tail, where naive code loses digits:
 * - the lower tail is computed directly as `0.5 * erfc(y)`, never as `1 - N(-x)`;
 * - the Gaussian factor `exp(-x^2 / 2)` is evaluated on `x` itself (not on the rounded
 *   `y^2`), split Cody's way as `exp(-xr^2/2) * exp(-(x - xr)(x + xr)/2)` with `xr` = x
 *   truncated to 1/16, so that the large exponent is exact.
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

/** exp(-x^2 / 2), with Cody's split so that the exponent's rounding error does not grow with x. */
export function expHalfSquare(x: number): number {
  const ax = Math.abs(x)
  const xr = Math.trunc(ax * 16) / 16
  const del = (ax - xr) * (ax + xr)
  return Math.exp((-xr * xr) / 2) * Math.exp(-del / 2)
}

/**
 * erfc(|x| / sqrt 2) / exp(-x^2/2) for |x|/sqrt2 > 0.46875: the rational part of Cody's
 * approximation, which is smooth, so the rounding of `y` costs no more than an ulp.
 */
function scaledUpperTail(ax: number): number {
  const y = ax * INV_SQRT2
  if (y <= 4) {
    let num = C[8] * y
    let den = y
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]!) * y
      den = (den + D[i]!) * y
    }
    return (num + C[7]) / (den + D[7])
  }
  const ysq = 1 / (y * y)
  let num = P[5] * ysq
  let den = ysq
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]!) * ysq
    den = (den + Q[i]!) * ysq
  }
  const r = (ysq * (num + P[4])) / (den + Q[4])
  return (INV_SQRT_PI - r) / y
}

/** erf(x / sqrt 2) for |x / sqrt 2| <= 0.46875. */
function erfCentral(x: number): number {
  const y = x * INV_SQRT2
  const ysq = y * y
  let num = A[4] * ysq
  let den = ysq
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]!) * ysq
    den = (den + B[i]!) * ysq
  }
  return (y * (num + A[3])) / (den + B[3])
}

/**
 * Standard normal cumulative distribution N(x) = P(Z <= x), relative error about 1e-15
 * over the whole range where the result is a normal double (x >= -37.5); NaN for NaN.
 *
 * @example normCdf(-1) // ≈ 0.158655253931457 (reference 0.15865525393145705)
 */
export function normCdf(x: number): number {
  if (Number.isNaN(x)) return NaN
  const ax = Math.abs(x)
  if (ax * INV_SQRT2 <= 0.46875) return 0.5 + 0.5 * erfCentral(x)
  if (ax >= X_UNDERFLOW) return x < 0 ? 0 : 1
  const lowerTail = 0.5 * expHalfSquare(ax) * scaledUpperTail(ax)
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
