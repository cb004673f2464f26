/**
 * Reading a vol from the surface: total implied variance w(k, T) at any expiry between
 * now and the underlying's last slice, and the Black-Scholes vol sqrt(w / T).
 *
 * With live slices (expiry > now) at T1 < T2 < ... < Tn (years from now) and k = ln(K/F)
 * (F the forward to the requested expiry):
 * - at a slice's expiry: that slice, w(k, Ti) = w_i(k);
 * - between slices, Ti < T < Ti+1: linear in time in total variance at constant k,
 *   w(k, T) = w_i(k) + α (w_{i+1}(k) − w_i(k)), α = (T − Ti) / (Ti+1 − Ti), clamped
 *   between the two (against rounding); since the slices pass the calendar check, w is
 *   non-decreasing in T at every k of the grid, and each vol in between is a variance-
 *   weighted blend of its neighbours'. (Butterfly-freeness is checked at the slices, not
 *   in between: a convex blend of two arbitrage-free smiles is not always one.)
 * - before the first slice, 0 < T < T1: the first slice scaled linearly,
 *   w(k, T) = w_1(k) · T/T1, i.e. the vol at each k is flat in T. This cannot create
 *   arbitrage: w goes to 0 with T (no calendar arbitrage), and Durrleman's g of c·w is
 *   concave in c with g >= 0 at c = 0 and c = 1, so scaling by c in [0, 1] keeps g >= 0.
 * - after the last slice: refused with `SurfaceCoverageError`. Flat-vol extrapolation
 *   would scale w up (c > 1), which can break the wing bound and Durrleman's condition,
 *   and a mark for an expiry the operator never quoted should not exist; listing a longer
 *   series needs a slice at or beyond its expiry first.
 * Slices at or before now are ignored (prune them with `pruneExpiredSlices`).
 */
import { RiskInputError } from './errors.js'
import { SECONDS_PER_YEAR } from './marketTable.js'
import type { VolSurface } from './surface.js'
import { SurfaceCoverageError } from './surfaceArbitrage.js'
import { sviTotalVariance, type SurfaceSlice } from './surfaceSvi.js'

function requireTimes(expiry: bigint, nowUnixSeconds: bigint): void {
  if (typeof expiry !== 'bigint' || typeof nowUnixSeconds !== 'bigint') throw new RiskInputError('expiry', 'expiry and now must be bigint unix seconds')
  if (expiry <= nowUnixSeconds) throw new RiskInputError('expiry', `expiry ${expiry} is not after now (${nowUnixSeconds}); an expired option has no implied vol`)
}

/**
 * Total implied variance w(k, T) of `underlying` at `expiry` (unix seconds, > now) and
 * log-moneyness k = ln(K/F), interpolated as described in this module's header. Throws
 * `SurfaceCoverageError` when the underlying has no live slice or `expiry` is after its
 * last slice, `RiskInputError` when `expiry <= now` or k is not finite.
 */
export function totalVarianceAt(surface: VolSurface, underlying: string, expiry: bigint, logMoneyness: number, nowUnixSeconds: bigint): number {
  requireTimes(expiry, nowUnixSeconds)
  if (typeof logMoneyness !== 'number' || !Number.isFinite(logMoneyness)) throw new RiskInputError('logMoneyness', `must be finite, got ${String(logMoneyness)}`)
  const slices = Object.hasOwn(surface.slicesByUnderlying, underlying) ? (surface.slicesByUnderlying[underlying] ?? []) : []
  const i = slices.findIndex((s) => s.expiry >= expiry)
  const after = i < 0 ? undefined : slices[i]
  const before = i > 0 ? slices[i - 1] : undefined
  if (after === undefined) {
    const last = slices[slices.length - 1]
    throw new SurfaceCoverageError(
      underlying,
      expiry,
      last === undefined || last.expiry <= nowUnixSeconds
        ? `no live volatility slice for ${underlying}`
        : `expiry ${expiry} of ${underlying} is after its last volatility slice (${last.expiry}); the surface does not extrapolate`,
    )
  }
  const k = logMoneyness
  const w2 = sviTotalVariance(after.params, k)
  if (after.expiry === expiry) return w2
  if (before === undefined || before.expiry <= nowUnixSeconds) return scaleFirst(after, w2, expiry, nowUnixSeconds)
  const w1 = sviTotalVariance(before.params, k)
  const alpha = Number(expiry - before.expiry) / Number(after.expiry - before.expiry)
  const w = w1 + alpha * (w2 - w1)
  return Math.min(Math.max(w, Math.min(w1, w2)), Math.max(w1, w2))
}

/** Before the first live slice: its total variance scaled by T / T1 (flat vol in T). */
function scaleFirst(first: SurfaceSlice, w1: number, expiry: bigint, nowUnixSeconds: bigint): number {
  return w1 * (Number(expiry - nowUnixSeconds) / Number(first.expiry - nowUnixSeconds))
}

/**
 * Black-Scholes implied vol (per √year) of `underlying` at `expiry` for `strike` given the
 * `forward` to that expiry (both in collateral per unit of underlying, > 0):
 * sqrt(w(ln(K/F), T) / T) with T = (expiry − now) / SECONDS_PER_YEAR. Throws like
 * `totalVarianceAt`, and `RiskInputError` for a non-positive strike or forward.
 *
 * @example impliedVolAt(surface, 'ETH', 1798358400n, 3200, 3050.5, 1790000000n) // e.g. 0.62
 */
export function impliedVolAt(surface: VolSurface, underlying: string, expiry: bigint, strike: number, forward: number, nowUnixSeconds: bigint): number {
  if (typeof strike !== 'number' || !Number.isFinite(strike) || !(strike > 0)) throw new RiskInputError('strike', `must be finite and > 0, got ${String(strike)}`)
  if (typeof forward !== 'number' || !Number.isFinite(forward) || !(forward > 0)) throw new RiskInputError('forward', `must be finite and > 0, got ${String(forward)}`)
  requireTimes(expiry, nowUnixSeconds)
  const w = totalVarianceAt(surface, underlying, expiry, Math.log(strike / forward), nowUnixSeconds)
  return Math.sqrt(w / (Number(expiry - nowUnixSeconds) / SECONDS_PER_YEAR))
}
