/**
 * Field-element helpers: signed integers encoded in the BN254 scalar field and range checks
 * that mirror the circuit's.
 */
import { SNARK_FIELD } from './params.js'

/** Thrown when a value violates a bound that the protocol (and the circuit) enforces. */
export class RangeCheckError extends Error {
  override readonly name = 'RangeCheckError'
}

/** Encodes a signed integer as a field element: negative `s` becomes `SNARK_FIELD - |s|`. */
export function toField(value: bigint): bigint {
  const r = value % SNARK_FIELD
  return r < 0n ? r + SNARK_FIELD : r
}

/** Decodes a field element holding a signed integer of magnitude below 2^(bits). */
export function fromFieldSigned(element: bigint, bits = 63): bigint {
  if (element < 1n << BigInt(bits)) return element
  const negative = element - SNARK_FIELD
  if (-negative < 1n << BigInt(bits)) return negative
  throw new RangeCheckError(`field element ${element} is not a signed ${bits}-bit integer`)
}

/** True when `0 <= value < 2^bits`. */
export function fitsUnsigned(value: bigint, bits: number): boolean {
  return value >= 0n && value < 1n << BigInt(bits)
}

/** Throws unless `0 <= value < 2^bits`. */
export function assertUnsigned(value: bigint, bits: number, what: string): void {
  if (!fitsUnsigned(value, bits)) throw new RangeCheckError(`${what} = ${value} is outside [0, 2^${bits})`)
}

/** Throws unless `value` is a canonical field element. */
export function assertField(value: bigint, what: string): void {
  if (value < 0n || value >= SNARK_FIELD) throw new RangeCheckError(`${what} = ${value} is not a field element`)
}
