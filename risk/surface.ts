/**
 * The operator's implied volatility surface: per underlying, raw SVI slices by expiry
 * (surfaceSvi.ts), kept free of static arbitrage on every update (surfaceArbitrage.ts).
 * Marks are read from it by interpolation (surfaceInterpolation.ts) and turned into the
 * market table's `volBySeries` (surfaceMarks.ts). See docs/risk.md, "Volatility surface".
 *
 * A `VolSurface` is an immutable value: every object in it is frozen, and `setSlice`,
 * `removeSlice`, `updateSurface` and `pruneExpiredSlices` return a new surface (sharing the
 * untouched underlyings' slices) or throw, leaving their argument as it was. An update is
 * checked as a whole: for each underlying it touches, every new or replaced slice must pass
 * the `wing` and `butterfly` checks, and every pair of consecutive slices the `calendar`
 * check; otherwise it throws `SurfaceArbitrageError` naming the failed check, the slice(s)
 * and the log-moneyness. Invalid parameters throw `RiskInputError`.
 */
import { RiskInputError } from './errors.js'
import {
  calendarArbitrage,
  resolveArbitrageCheckOptions,
  sliceArbitrage,
  SurfaceArbitrageError,
  type ArbitrageCheckOptions,
  type ArbitrageViolation,
} from './surfaceArbitrage.js'
import { validateSviParams, type SurfaceSlice, type SviParams } from './surfaceSvi.js'

export * from './surfaceSvi.js'
export * from './surfaceArbitrage.js'
export * from './surfaceInterpolation.js'
export * from './surfaceMarks.js'

declare const checkedSurface: unique symbol

/**
 * Implied vol surfaces of all underlyings. Build it with `emptySurface()` and the update
 * functions (or `surfaceFromJSON`), which check it; the brand keeps hand-made objects out.
 */
export type VolSurface = {
  /** Slices per underlying, sorted by increasing expiry; an underlying has at least one. */
  readonly slicesByUnderlying: Readonly<Record<string, readonly SurfaceSlice[]>>
  readonly [checkedSurface]: true
}

/** One change of an update: set (or replace) the slice at `expiry`, or remove it (`params: null`). */
export type SliceUpdate = {
  readonly underlying: string
  /** Expiry, unix seconds (uint32, like a series' expiry). */
  readonly expiry: bigint
  readonly params: SviParams | null
}

/** Same rule as a series' underlying (series.ts). */
const UNDERLYING = /^[A-Z0-9_]{1,16}$/

function freezeSurface(slicesByUnderlying: Record<string, readonly SurfaceSlice[]>): VolSurface {
  return Object.freeze({ slicesByUnderlying: Object.freeze(slicesByUnderlying) }) as unknown as VolSurface
}

const EMPTY = freezeSurface({})

/** The surface with no slices. */
export function emptySurface(): VolSurface {
  return EMPTY
}

/** The slices of `underlying`, by increasing expiry (empty when it has none). */
export function surfaceSlices(surface: VolSurface, underlying: string): readonly SurfaceSlice[] {
  return Object.hasOwn(surface.slicesByUnderlying, underlying) ? (surface.slicesByUnderlying[underlying] ?? []) : []
}

function validateUpdate(u: SliceUpdate, i: number): void {
  if (typeof u.underlying !== 'string' || !UNDERLYING.test(u.underlying)) throw new RiskInputError(`updates[${i}].underlying`, `invalid symbol ${JSON.stringify(u.underlying)}`)
  if (typeof u.expiry !== 'bigint' || u.expiry < 0n || u.expiry >= 2n ** 32n) throw new RiskInputError(`updates[${i}].expiry`, `must be uint32 unix seconds, got ${String(u.expiry)}`)
  if (u.params !== null) validateSviParams(u.params, `updates[${i}].params`)
}

const byExpiry = (x: SurfaceSlice, y: SurfaceSlice) => (x.expiry < y.expiry ? -1 : x.expiry > y.expiry ? 1 : 0)

/**
 * All arbitrage violations among the slices of one underlying: `wing` and `butterfly` of the
 * slices whose expiry is in `only` (all when absent), `calendar` of every consecutive pair.
 */
function underlyingArbitrage(underlying: string, slices: readonly SurfaceSlice[], options: ArbitrageCheckOptions, only?: ReadonlySet<bigint>): ArbitrageViolation[] {
  const out: ArbitrageViolation[] = []
  for (const s of slices) if (!only || only.has(s.expiry)) out.push(...sliceArbitrage(underlying, s, options))
  for (let i = 1; i < slices.length; i++) out.push(...calendarArbitrage(underlying, slices[i - 1] as SurfaceSlice, slices[i] as SurfaceSlice, options))
  return out
}

/**
 * Applies a batch of slice changes atomically and returns the new surface, or throws
 * (`RiskInputError` for invalid input, a duplicate (underlying, expiry) in the batch or the
 * removal of a missing slice; `SurfaceArbitrageError` when the result has static
 * arbitrage). A batch can move several slices at once where one-by-one updates would pass
 * through an arbitrageable state. `surface` is never modified.
 *
 * @example
 * const s = updateSurface(emptySurface(), [
 *   { underlying: 'ETH', expiry: 1798358400n, params: sviFromSsvi(0.04, 1.2, -0.3) },
 *   { underlying: 'ETH', expiry: 1806134400n, params: sviFromSsvi(0.09, 0.9, -0.3) },
 * ])
 */
export function updateSurface(surface: VolSurface, updates: readonly SliceUpdate[], options: ArbitrageCheckOptions = {}): VolSurface {
  resolveArbitrageCheckOptions(options)
  const byUnderlying = new Map<string, Map<bigint, SviParams | null>>()
  updates.forEach((u, i) => {
    validateUpdate(u, i)
    const changes = byUnderlying.get(u.underlying) ?? new Map<bigint, SviParams | null>()
    if (changes.has(u.expiry)) throw new RiskInputError(`updates[${i}]`, `second change of ${u.underlying} expiry ${u.expiry} in one update`)
    changes.set(u.expiry, u.params === null ? null : Object.freeze({ a: u.params.a, b: u.params.b, rho: u.params.rho, m: u.params.m, sigma: u.params.sigma }))
    byUnderlying.set(u.underlying, changes)
  })
  if (byUnderlying.size === 0) return surface

  const next: Record<string, readonly SurfaceSlice[]> = { ...surface.slicesByUnderlying }
  const violations: ArbitrageViolation[] = []
  for (const underlying of [...byUnderlying.keys()].sort()) {
    const changes = byUnderlying.get(underlying) as Map<bigint, SviParams | null>
    const slices = new Map(surfaceSlices(surface, underlying).map((s) => [s.expiry, s] as const))
    for (const [expiry, params] of changes) {
      if (params === null) {
        if (!slices.delete(expiry)) throw new RiskInputError('updates', `no slice of ${underlying} at expiry ${expiry} to remove`)
      } else slices.set(expiry, Object.freeze({ expiry, params }))
    }
    const sorted = [...slices.values()].sort(byExpiry)
    const changed = new Set([...changes].filter(([, p]) => p !== null).map(([e]) => e))
    violations.push(...underlyingArbitrage(underlying, sorted, options, changed))
    if (sorted.length === 0) delete next[underlying]
    else next[underlying] = Object.freeze(sorted)
  }
  const [first, ...rest] = violations
  if (first) throw new SurfaceArbitrageError([first, ...rest])
  return freezeSurface(next)
}

/**
 * Sets (or replaces) the slice of `underlying` at `expiry`; checks it for `wing` and
 * `butterfly` arbitrage and against its neighbours for `calendar` arbitrage.
 *
 * @example setSlice(emptySurface(), 'ETH', 1798358400n, { a: 0.02, b: 0.1, rho: -0.3, m: 0, sigma: 0.2 })
 */
export function setSlice(surface: VolSurface, underlying: string, expiry: bigint, params: SviParams, options: ArbitrageCheckOptions = {}): VolSurface {
  return updateSurface(surface, [{ underlying, expiry, params }], options)
}

/** Removes the slice of `underlying` at `expiry` (which must exist). */
export function removeSlice(surface: VolSurface, underlying: string, expiry: bigint, options: ArbitrageCheckOptions = {}): VolSurface {
  return updateSurface(surface, [{ underlying, expiry, params: null }], options)
}

/** Removes every slice that has expired (expiry <= now); they no longer take part in interpolation. */
export function pruneExpiredSlices(surface: VolSurface, nowUnixSeconds: bigint, options: ArbitrageCheckOptions = {}): VolSurface {
  const updates: SliceUpdate[] = []
  for (const [underlying, slices] of Object.entries(surface.slicesByUnderlying))
    for (const s of slices) if (s.expiry <= nowUnixSeconds) updates.push({ underlying, expiry: s.expiry, params: null })
  return updateSurface(surface, updates, options)
}

/**
 * Every static-arbitrage violation of a surface (all slices, all consecutive pairs), in
 * underlying then expiry order; empty when it passes. Useful to re-check a surface under
 * other `options` than it was built with.
 */
export function findSurfaceArbitrage(surface: VolSurface, options: ArbitrageCheckOptions = {}): ArbitrageViolation[] {
  resolveArbitrageCheckOptions(options)
  return Object.keys(surface.slicesByUnderlying)
    .sort()
    .flatMap((u) => underlyingArbitrage(u, surfaceSlices(surface, u), options))
}

/** Throws `SurfaceArbitrageError` (all violations) when `findSurfaceArbitrage` finds any. */
export function checkSurface(surface: VolSurface, options: ArbitrageCheckOptions = {}): void {
  const [first, ...rest] = findSurfaceArbitrage(surface, options)
  if (first) throw new SurfaceArbitrageError([first, ...rest])
}

/** JSON form of a surface: per underlying, its slices with the expiry as a decimal string. */
export type VolSurfaceJSON = Record<string, readonly { readonly expiry: string; readonly a: number; readonly b: number; readonly rho: number; readonly m: number; readonly sigma: number }[]>

/** The JSON form of a surface (numbers round-trip exactly through JSON). */
export function surfaceToJSON(surface: VolSurface): VolSurfaceJSON {
  const out: VolSurfaceJSON = {}
  for (const [u, slices] of Object.entries(surface.slicesByUnderlying)) out[u] = slices.map((s) => ({ expiry: s.expiry.toString(), ...s.params }))
  return out
}

/** Rebuilds (and checks) a surface from its JSON form; throws like `updateSurface`. */
export function surfaceFromJSON(json: VolSurfaceJSON, options: ArbitrageCheckOptions = {}): VolSurface {
  const updates: SliceUpdate[] = []
  for (const [underlying, slices] of Object.entries(json))
    for (const { expiry, a, b, rho, m, sigma } of slices) {
      if (typeof expiry !== 'string' || !/^\d{1,10}$/.test(expiry)) throw new RiskInputError(`${underlying}.expiry`, `must be a decimal string, got ${JSON.stringify(expiry)}`)
      updates.push({ underlying, expiry: BigInt(expiry), params: { a, b, rho, m, sigma } })
    }
  return updateSurface(emptySurface(), updates, options)
}
