/**
 * Raw SVI (Gatheral 2004; Gatheral and Jacquier, "Arbitrage-free SVI volatility surfaces",
 * 2014): one expiry slice of the implied volatility surface as a total implied variance
 *
 *   w(k) = a + b (ρ (k − m) + sqrt((k − m)² + σ²)),    k = ln(K / F)
 *
 * in log-moneyness k against the forward F of that expiry. The Black-Scholes vol at time to
 * expiry T (years) is sqrt(w(k) / T). The smile is a hyperbola: b sets the wing slopes
 * (right b(1 + ρ), left b(1 − ρ)), ρ its skew, m its horizontal shift, σ the curvature at the
 * vertex and a its level; its minimum is a + b σ sqrt(1 − ρ²), at k = m − ρ σ / sqrt(1 − ρ²).
 *
 * Butterfly arbitrage (a negative risk-neutral density) is absent where Durrleman's function
 *
 *   g(k) = (1 − k w'/(2w))² − (w'²/4) (1/w + 1/4) + w''/2
 *
 * is >= 0, because the density of k under the forward measure is
 * p(k) = g(k) / sqrt(2π w) · exp(−d₋²/2), d₋ = −k/sqrt(w) − sqrt(w)/2 (`sviDensity`).
 */
import { RiskInputError } from './errors.js'

/** Raw SVI parameters of one expiry slice (total variance, not vol). */
export type SviParams = {
  /** Level; any finite number with a + b σ sqrt(1 − ρ²) >= 0. */
  readonly a: number
  /** Wing slope scale, >= 0. */
  readonly b: number
  /** Skew, in (−1, 1). */
  readonly rho: number
  /** Horizontal shift in log-moneyness; finite. */
  readonly m: number
  /** Curvature at the vertex, > 0. */
  readonly sigma: number
}

/** One slice of a surface: SVI parameters at an expiry (unix seconds). */
export type SurfaceSlice = {
  readonly expiry: bigint
  readonly params: SviParams
}

/** Total variance and its first two derivatives in k at one point of a slice. */
export type SviPoint = {
  /** w(k), total implied variance. */
  readonly w: number
  /** w'(k) = ∂w/∂k. */
  readonly dw: number
  /** w''(k) = ∂²w/∂k². */
  readonly d2w: number
}

/** The minimum of w over k, a + b σ sqrt(1 − ρ²). */
export function sviMinTotalVariance(p: SviParams): number {
  return p.a + p.b * p.sigma * Math.sqrt(1 - p.rho * p.rho)
}

/** The log-moneyness at which w is smallest, m − ρ σ / sqrt(1 − ρ²). */
export function sviMinLogMoneyness(p: SviParams): number {
  return p.m - (p.rho * p.sigma) / Math.sqrt(1 - p.rho * p.rho)
}

/**
 * Validates raw SVI parameters: all finite, b >= 0, |ρ| < 1, σ > 0 and
 * a + b σ sqrt(1 − ρ²) >= 0 (w >= 0 everywhere). Throws `RiskInputError` naming the
 * parameter as `${field}.name`. No-arbitrage is checked separately (surfaceArbitrage.ts).
 */
export function validateSviParams(p: SviParams, field = 'svi'): void {
  if (typeof p !== 'object' || p === null) throw new RiskInputError(field, 'must be an object { a, b, rho, m, sigma }')
  for (const key of ['a', 'b', 'rho', 'm', 'sigma'] as const) {
    const v = p[key]
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RiskInputError(`${field}.${key}`, `must be a finite number, got ${String(v)}`)
  }
  if (!(p.b >= 0)) throw new RiskInputError(`${field}.b`, `must be >= 0, got ${p.b}`)
  if (!(Math.abs(p.rho) < 1)) throw new RiskInputError(`${field}.rho`, `must be in (-1, 1), got ${p.rho}`)
  if (!(p.sigma > 0)) throw new RiskInputError(`${field}.sigma`, `must be > 0, got ${p.sigma}`)
  const wMin = sviMinTotalVariance(p)
  if (!(wMin >= 0)) throw new RiskInputError(`${field}.a`, `a + b σ sqrt(1 - ρ²) must be >= 0 (total variance >= 0), got ${wMin}`)
}

/** Total implied variance w(k) of a raw SVI slice. Does not validate `p`. */
export function sviTotalVariance(p: SviParams, k: number): number {
  const x = k - p.m
  return p.a + p.b * (p.rho * x + Math.hypot(x, p.sigma))
}

/**
 * w(k), w'(k) and w''(k) of a raw SVI slice, in closed form (x = k − m, s = sqrt(x² + σ²)):
 * w = a + b (ρ x + s), w' = b (ρ + x/s), w'' = b σ² / s³. Does not validate `p`.
 */
export function sviPoint(p: SviParams, k: number): SviPoint {
  const x = k - p.m
  const s = Math.hypot(x, p.sigma)
  const r = p.sigma / s
  return { w: p.a + p.b * (p.rho * x + s), dw: p.b * (p.rho + x / s), d2w: (p.b * r * r) / s }
}

/**
 * Durrleman's function g(k); the slice is free of butterfly arbitrage at k iff g(k) >= 0 and
 * w(k) > 0. Returns −Infinity where w(k) <= 0 (no density exists there).
 */
export function durrlemanG(p: SviParams, k: number): number {
  const { w, dw, d2w } = sviPoint(p, k)
  if (!(w > 0)) return -Infinity
  const u = 1 - (k * dw) / (2 * w)
  return u * u - ((dw * dw) / 4) * (1 / w + 1 / 4) + d2w / 2
}

/**
 * Risk-neutral density of k = ln(S_T / F) implied by the slice, g(k) / sqrt(2π w) ·
 * exp(−d₋²/2) with d₋ = −k / sqrt(w) − sqrt(w)/2; negative where g is (butterfly arbitrage).
 * The density of S_T / F at x = e^k is this divided by x.
 */
export function sviDensity(p: SviParams, k: number): number {
  const w = sviTotalVariance(p, k)
  if (!(w > 0)) return Number.NaN
  const sw = Math.sqrt(w)
  const dMinus = -k / sw - sw / 2
  return (durrlemanG(p, k) / Math.sqrt(2 * Math.PI * w)) * Math.exp(-(dMinus * dMinus) / 2)
}

/**
 * The raw SVI parameters of an SSVI slice (Gatheral and Jacquier 2014, section 4):
 * w(k) = θ/2 (1 + ρ φ k + sqrt((φ k + ρ)² + 1 − ρ²)), with θ the at-the-money total variance
 * and φ > 0 the curvature: a = θ(1 − ρ²)/2, b = θφ/2, m = −ρ/φ, σ = sqrt(1 − ρ²)/φ.
 * A convenient way to set a slice by hand: θ is the ATM total variance (vol² · T), and
 * θφ(1 + |ρ|) <= 4 with θφ²(1 + |ρ|) <= 4 is sufficient for no butterfly arbitrage.
 *
 * @example sviFromSsvi(0.04, 1.5, -0.3) // ATM total variance 0.04 (20 % vol over one year)
 */
export function sviFromSsvi(theta: number, phi: number, rho: number): SviParams {
  if (!Number.isFinite(theta) || !(theta > 0)) throw new RiskInputError('theta', `must be finite and > 0, got ${theta}`)
  if (!Number.isFinite(phi) || !(phi > 0)) throw new RiskInputError('phi', `must be finite and > 0, got ${phi}`)
  if (!(Math.abs(rho) < 1)) throw new RiskInputError('rho', `must be in (-1, 1), got ${rho}`)
  return { a: (theta * (1 - rho * rho)) / 2, b: (theta * phi) / 2, rho, m: -rho / phi, sigma: Math.sqrt(1 - rho * rho) / phi }
}
