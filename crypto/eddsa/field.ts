/**
 * Arithmetic in BN254's scalar field F_p, the base field of BabyJubJub, on plain bigints.
 *
 * The hot loops in `curve.ts` inline `(a * b) % P` instead of calling `mul`: on V8 the modular
 * reduction costs ~20x the multiplication, and a call per operation adds measurable overhead,
 * so the curve code reduces only products and keeps sums unreduced (but non-negative and below
 * a few P) until the next product. The functions here serve setup and tests.
 */
import { EddsaError } from './errors.js'

/** The BN254 scalar field modulus, BabyJubJub's base field. */
export const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n

/** `a` reduced into [0, P), negative values included. */
export function mod(a: bigint): bigint {
  const r = a % P
  return r < 0n ? r + P : r
}

/** `a * b mod P` for any integers. */
export function mul(a: bigint, b: bigint): bigint {
  return mod(a * b)
}

/** The inverse of `a` mod P (extended Euclid). Throws `EddsaError` for a multiple of P. */
export function invert(a: bigint): bigint {
  let r0 = P
  let r1 = mod(a)
  if (r1 === 0n) throw new EddsaError('0 has no inverse mod P')
  let t0 = 0n
  let t1 = 1n
  while (r1 !== 0n) {
    const q = r0 / r1
    ;[r0, r1] = [r1, r0 - q * r1]
    ;[t0, t1] = [t1, t0 - q * t1]
  }
  return mod(t0)
}

/**
 * The inverses of all `values` with one field inversion (Montgomery's trick): 3 products per
 * value instead of one Euclid each. Throws `EddsaError` if any value is 0 mod P.
 */
export function batchInvert(values: readonly bigint[]): bigint[] {
  const prefix: bigint[] = new Array<bigint>(values.length)
  let acc = 1n
  for (let i = 0; i < values.length; i++) {
    prefix[i] = acc
    acc = (acc * values[i]!) % P
  }
  let inv = invert(acc)
  const out: bigint[] = new Array<bigint>(values.length)
  for (let i = values.length - 1; i >= 0; i--) {
    out[i] = (inv * prefix[i]!) % P
    inv = (inv * values[i]!) % P
  }
  return out
}
