/**
 * Static-arbitrage checks of SVI slices and of pairs of consecutive slices, and the errors a
 * volatility surface throws.
 *
 * Checks, each named in a violation's `check`:
 * - `wing` (Roger Lee's moment formula): the wing slopes of total variance are at most 2,
 *   b (1 + |ρ|) <= 2. Beyond that no density has the implied smile's tails.
 * - `butterfly`: the minimum total variance a + b σ sqrt(1 − ρ²) is > 0, and Durrleman's
 *   g(k) >= −tolerance at every point of the log-moneyness grid (k in [−3, 3] by default,
 *   601 points). Together with `wing` (which governs g as |k| → ∞) this is the density test.
 * - `calendar`: at every grid point the later slice's total variance is at least the
 *   earlier one's, w(k, T2) >= w(k, T1) − tolerance for T2 > T1 (k is forward
 *   log-moneyness, so this is the no-calendar-spread condition with deterministic rates);
 *   and beyond the grid, where both smiles are straight lines, the later wing slopes
 *   b(1 ± ρ) are at least the earlier ones (when equal, the asymptotes' intercepts are
 *   compared), so the two slices cannot cross outside the grid either.
 *
 * Each check reports its worst point only (the most negative g, the largest shortfall).
 */
import { RiskError, RiskInputError } from './errors.js'
import { durrlemanG, sviMinLogMoneyness, sviMinTotalVariance, sviTotalVariance, type SurfaceSlice, type SviParams } from './surfaceSvi.js'

/** Name of a static-arbitrage check. */
export type SurfaceArbitrageCheck = 'wing' | 'butterfly' | 'calendar'

/** Where and how densely the checks look; defaults in `DEFAULT_ARBITRAGE_CHECK`. */
export type ArbitrageCheckOptions = {
  /** Lowest log-moneyness of the grid (default −3). */
  readonly kMin?: number
  /** Highest log-moneyness of the grid (default 3). */
  readonly kMax?: number
  /** Number of evenly spaced grid points, kMin and kMax included, >= 2 (default 601). */
  readonly gridPoints?: number
  /** Slack allowed for rounding in g, in total variance and in wing slopes (default 1e-12). */
  readonly tolerance?: number
}

/** Default grid and tolerance of the arbitrage checks. */
export const DEFAULT_ARBITRAGE_CHECK = { kMin: -3, kMax: 3, gridPoints: 601, tolerance: 1e-12 } as const

/** One failed check at one place of the surface. */
export type ArbitrageViolation = {
  readonly check: SurfaceArbitrageCheck
  readonly underlying: string
  /** The slice's expiry (unix seconds); for `calendar`, the later slice of the pair. */
  readonly expiry: bigint
  /** For `calendar`, the earlier slice of the pair; otherwise undefined. */
  readonly earlierExpiry: bigint | undefined
  /** Log-moneyness of the worst point; ±Infinity for a wing (asymptotic) failure. */
  readonly logMoneyness: number
  /** `wing`: b(1+|ρ|); `butterfly`: g(k) or the minimum variance; `calendar`: w(T2) − w(T1) or slope difference. */
  readonly value: number
  readonly message: string
}

/**
 * A surface update (or a surface under `checkSurface`) has static arbitrage. `check`,
 * `underlying`, `expiry`, `earlierExpiry` and `logMoneyness` describe the first violation;
 * `violations` lists all of them (the worst point of each failed check).
 *
 * @example
 * try { setSlice(surface, 'ETH', expiry, params) } catch (e) { if (e instanceof SurfaceArbitrageError) console.log(e.check, e.expiry, e.logMoneyness) }
 */
export class SurfaceArbitrageError extends RiskError {
  override name = 'SurfaceArbitrageError'
  readonly check: SurfaceArbitrageCheck
  readonly underlying: string
  readonly expiry: bigint
  readonly earlierExpiry: bigint | undefined
  readonly logMoneyness: number
  constructor(readonly violations: readonly [ArbitrageViolation, ...ArbitrageViolation[]]) {
    const first = violations[0]
    super(violations.length === 1 ? first.message : `${first.message} (and ${violations.length - 1} more violation${violations.length > 2 ? 's' : ''})`)
    this.check = first.check
    this.underlying = first.underlying
    this.expiry = first.expiry
    this.earlierExpiry = first.earlierExpiry
    this.logMoneyness = first.logMoneyness
  }
}

/**
 * The surface has no slice that covers a requested expiry: the underlying has no live slice,
 * or the expiry is after its last slice (the surface does not extrapolate; see surface.ts).
 */
export class SurfaceCoverageError extends RiskError {
  override name = 'SurfaceCoverageError'
  constructor(
    readonly underlying: string,
    readonly expiry: bigint,
    message: string,
  ) {
    super(message)
  }
}

/** The check options with defaults filled in; throws `RiskInputError` for a bad grid or tolerance. */
export function resolveArbitrageCheckOptions(options: ArbitrageCheckOptions = {}): Required<ArbitrageCheckOptions> {
  const o = { ...DEFAULT_ARBITRAGE_CHECK, ...options }
  if (!Number.isFinite(o.kMin) || !Number.isFinite(o.kMax) || !(o.kMin < o.kMax)) throw new RiskInputError('options.kMin', `need finite kMin < kMax, got [${o.kMin}, ${o.kMax}]`)
  if (!Number.isInteger(o.gridPoints) || o.gridPoints < 2) throw new RiskInputError('options.gridPoints', `must be an integer >= 2, got ${o.gridPoints}`)
  if (!(o.tolerance >= 0) || !Number.isFinite(o.tolerance)) throw new RiskInputError('options.tolerance', `must be finite and >= 0, got ${o.tolerance}`)
  return o
}

/** The log-moneyness grid of the checks: `gridPoints` evenly spaced points from kMin to kMax. */
export function arbitrageGrid(options: ArbitrageCheckOptions = {}): number[] {
  const { kMin, kMax, gridPoints } = resolveArbitrageCheckOptions(options)
  return Array.from({ length: gridPoints }, (_, i) => (i === gridPoints - 1 ? kMax : kMin + ((kMax - kMin) * i) / (gridPoints - 1)))
}

const fmt = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x))

/**
 * The `wing` and `butterfly` violations of one slice (empty when it is free of butterfly
 * arbitrage on the grid). `params` must be valid (`validateSviParams`).
 */
export function sliceArbitrage(underlying: string, slice: SurfaceSlice, options: ArbitrageCheckOptions = {}): ArbitrageViolation[] {
  const { tolerance } = resolveArbitrageCheckOptions(options)
  const p = slice.params
  const where = `${underlying} expiry ${slice.expiry}`
  const out: ArbitrageViolation[] = []
  const base = { underlying, expiry: slice.expiry, earlierExpiry: undefined }

  const slope = p.b * (1 + Math.abs(p.rho))
  if (slope > 2 + tolerance)
    out.push({ ...base, check: 'wing', logMoneyness: p.rho >= 0 ? Infinity : -Infinity, value: slope, message: `wing: ${where} has wing slope b(1+|rho|) = ${fmt(slope)} > 2 (Lee's moment bound)` })

  const wMin = sviMinTotalVariance(p)
  if (!(wMin > 0)) {
    const k = sviMinLogMoneyness(p)
    out.push({ ...base, check: 'butterfly', logMoneyness: k, value: wMin, message: `butterfly: ${where} has zero total variance at k = ${fmt(k)} (no density)` })
    return out
  }
  let worstK = Number.NaN
  let worstG = Infinity
  for (const k of arbitrageGrid(options)) {
    const g = durrlemanG(p, k)
    if (!(g >= worstG)) {
      worstG = g
      worstK = k
    }
  }
  if (!(worstG >= -tolerance))
    out.push({ ...base, check: 'butterfly', logMoneyness: worstK, value: worstG, message: `butterfly: ${where} has Durrleman g(k) = ${fmt(worstG)} < 0 at k = ${fmt(worstK)} (negative density)` })
  return out
}

/** Slope and intercept of a slice's right (+1) or left (−1) asymptote in k. */
function asymptote(p: SviParams, side: 1 | -1): { slope: number; intercept: number } {
  const slope = p.b * (1 + side * p.rho)
  // w ≈ a + b(ρ(k−m) + |k−m|) = a + side·slope·(k − m) as side·k → ∞; in the variable side·k:
  return { slope, intercept: p.a - slope * side * p.m }
}

/**
 * The `calendar` violation of two slices of one underlying (empty when the later slice's
 * total variance is nowhere below the earlier one's: on the grid, and asymptotically).
 * Requires `earlier.expiry < later.expiry`.
 */
export function calendarArbitrage(underlying: string, earlier: SurfaceSlice, later: SurfaceSlice, options: ArbitrageCheckOptions = {}): ArbitrageViolation[] {
  if (!(earlier.expiry < later.expiry)) throw new RiskError(`calendarArbitrage: expiry ${earlier.expiry} is not before ${later.expiry}`)
  const { tolerance } = resolveArbitrageCheckOptions(options)
  const where = `${underlying} expiry ${later.expiry} vs earlier expiry ${earlier.expiry}`
  const base = { check: 'calendar', underlying, expiry: later.expiry, earlierExpiry: earlier.expiry } as const

  let worstK = Number.NaN
  let worstD = Infinity
  for (const k of arbitrageGrid(options)) {
    const d = sviTotalVariance(later.params, k) - sviTotalVariance(earlier.params, k)
    if (!(d >= worstD)) {
      worstD = d
      worstK = k
    }
  }
  if (!(worstD >= -tolerance))
    return [{ ...base, logMoneyness: worstK, value: worstD, message: `calendar: ${where}: total variance falls by ${fmt(-worstD)} at k = ${fmt(worstK)}` }]

  for (const side of [1, -1] as const) {
    const e = asymptote(earlier.params, side)
    const l = asymptote(later.params, side)
    const slopeGap = l.slope - e.slope
    const crosses = slopeGap < -tolerance || (slopeGap <= tolerance && l.intercept - e.intercept < -tolerance)
    if (crosses) {
      const name = side === 1 ? 'right' : 'left'
      return [{ ...base, logMoneyness: side * Infinity, value: slopeGap < -tolerance ? slopeGap : l.intercept - e.intercept, message: `calendar: ${where}: the ${name} wing falls below the earlier slice's as k -> ${side === 1 ? '+' : '-'}inf (slope ${fmt(l.slope)} vs ${fmt(e.slope)})` }]
    }
  }
  return []
}
