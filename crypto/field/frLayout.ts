/**
 * How an element of the BN254 scalar field Fr lives in wasm memory, and the Montgomery
 * constants of that representation.
 *
 * An element is 9 limbs of 29 bits, each in its own little-endian i64 (72 bytes), in
 * Montgomery form `x * R mod p` with `R = 2^261`. 29-bit limbs (not 32) are what make the
 * multiplication cheap in wasm: a limb product is below 2^58, so 18 of them add up in an i64
 * without a carry, and carries are propagated once per column instead of once per product.
 * R being about 170 times p leaves room for lazy reduction: values are kept below 2p, not
 * below p, and a Montgomery product of two such values is again below 2p without a final
 * subtraction (docs/hashing.md works the bounds out).
 */
import { SNARK_FIELD } from '../../state/params.js'

/** The modulus p. */
export const P: bigint = SNARK_FIELD
/** Bits per limb. */
export const LIMB_BITS = 29
/** Limbs per element. */
export const LIMBS = 9
/** Bytes of one element in wasm memory. */
export const ELEMENT_BYTES = LIMBS * 8
/** The limb mask, 2^29 - 1. */
export const MASK: bigint = (1n << BigInt(LIMB_BITS)) - 1n
/** The Montgomery radix R = 2^261. */
export const R: bigint = 1n << BigInt(LIMB_BITS * LIMBS)
/** R^2 mod p: multiplying by it (Montgomery) converts into Montgomery form. */
export const R2: bigint = (R * R) % P

function inverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m]
  let [oldS, s] = [1n, 0n]
  while (r !== 0n) {
    const q = oldR / r
    ;[oldR, r] = [r, oldR - q * r]
    ;[oldS, s] = [s, oldS - q * s]
  }
  return ((oldS % m) + m) % m
}

/** -p^-1 mod 2^29: the Montgomery quotient digit of a column is `(low 29 bits) * MU mod 2^29`. */
export const MU: bigint = (1n << BigInt(LIMB_BITS)) - inverse(P % (1n << BigInt(LIMB_BITS)), 1n << BigInt(LIMB_BITS))

/** The 29-bit limbs of a non-negative integer below 2^261, least significant first. */
export function toLimbs(value: bigint): bigint[] {
  if (value < 0n || value >= R) throw new RangeError(`${value} does not fit ${LIMBS} limbs of ${LIMB_BITS} bits`)
  return Array.from({ length: LIMBS }, (_, i) => (value >> BigInt(i * LIMB_BITS)) & MASK)
}

/** Limbs of p and of 2p, used by the generated code as immediates. */
export const P_LIMBS: readonly bigint[] = toLimbs(P)
export const P2_LIMBS: readonly bigint[] = toLimbs(2n * P)

/** `value * R mod p` for `0 <= value`: the Montgomery form of a constant (slow, BigInt). */
export function toMontgomery(value: bigint): bigint {
  return ((value % P) * R) % P
}
