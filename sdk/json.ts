/**
 * Strict JSON codecs for the SDK's wire formats: bigints as canonical decimal strings
 * (no sign, no leading zeros, no exponent: one spelling per value), points as `{ x, y }`,
 * signatures as `{ R8: { x, y }, S }`. Parsers reject missing, extra and out-of-range
 * fields with `SdkValidationError` naming the field's path.
 */
import type { Point, Signature } from '../state/types.js'
import { SdkValidationError } from './errors.js'

/** Prime of BN254's scalar field, the base field of BabyJubJub. */
export const BABYJUB_BASE_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n
/** Order of BabyJubJub's prime subgroup; a signature's S must be below it. */
export const BABYJUB_SUBORDER = 2736030358979909402780800718157159386076813972158567259200215660948447373041n
const A = 168700n
const D = 168696n

/** A point as JSON. */
export type PointJSON = { readonly x: string; readonly y: string }
/** A signature as JSON. */
export type SignatureJSON = { readonly R8: PointJSON; readonly S: string }

const CANONICAL_UINT = /^(0|[1-9]\d*)$/

/** True when (x, y) satisfies the twisted Edwards equation a x² + y² = 1 + d x² y² of BabyJubJub. */
export function isOnBabyJubJub(p: Point): boolean {
  const F = BABYJUB_BASE_FIELD
  if (p.x < 0n || p.y < 0n || p.x >= F || p.y >= F) return false
  const x2 = (p.x * p.x) % F
  const y2 = (p.y * p.y) % F
  return (A * x2 + y2) % F === (1n + ((D * x2) % F) * y2) % F
}

/** Checks `value` is a plain object with exactly `keys`; returns it typed as a record. */
export function expectObject(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SdkValidationError(path, 'must be an object')
  const rec = value as Record<string, unknown>
  for (const k of Object.keys(rec)) if (!keys.includes(k)) throw new SdkValidationError(`${path}.${k}`, 'unexpected field')
  for (const k of keys) if (!(k in rec)) throw new SdkValidationError(`${path}.${k}`, 'missing')
  return rec
}

/** Parses a canonical decimal string into a bigint in [min, max]. */
export function parseUint(value: unknown, path: string, min: bigint, max: bigint): bigint {
  if (typeof value !== 'string' || !CANONICAL_UINT.test(value)) throw new SdkValidationError(path, 'must be a canonical decimal string')
  const n = BigInt(value)
  if (n < min || n > max) throw new SdkValidationError(path, `must be in [${min}, ${max}], got ${n}`)
  return n
}

/** Checks a bigint is in [min, max]. */
export function checkRange(value: bigint, path: string, min: bigint, max: bigint): bigint {
  if (typeof value !== 'bigint') throw new SdkValidationError(path, 'must be a bigint')
  if (value < min || value > max) throw new SdkValidationError(path, `must be in [${min}, ${max}], got ${value}`)
  return value
}

/** Point -> JSON. */
export function pointToJSON(p: Point): PointJSON {
  return { x: p.x.toString(), y: p.y.toString() }
}

/** JSON -> point on BabyJubJub. */
export function pointFromJSON(value: unknown, path: string): Point {
  const o = expectObject(value, path, ['x', 'y'])
  const p = { x: parseUint(o.x, `${path}.x`, 0n, BABYJUB_BASE_FIELD - 1n), y: parseUint(o.y, `${path}.y`, 0n, BABYJUB_BASE_FIELD - 1n) }
  if (!isOnBabyJubJub(p)) throw new SdkValidationError(path, 'not a point of BabyJubJub')
  return p
}

/** Signature -> JSON. */
export function signatureToJSON(s: Signature): SignatureJSON {
  return { R8: pointToJSON(s.R8), S: s.S.toString() }
}

/** JSON -> signature with R8 on the curve and S below the subgroup order. */
export function signatureFromJSON(value: unknown, path: string): Signature {
  const o = expectObject(value, path, ['R8', 'S'])
  return { R8: pointFromJSON(o.R8, `${path}.R8`), S: parseUint(o.S, `${path}.S`, 0n, BABYJUB_SUBORDER - 1n) }
}

/** `JSON.parse` that reports a syntax error as `SdkValidationError`. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new SdkValidationError(path, `invalid JSON: ${(e as Error).message}`)
  }
}
