/**
 * The one place the pure core hashes: Poseidon over BN254 with circomlib's constants
 * (identical to circomlib's `Poseidon(n)` template and poseidon-solidity's PoseidonT(n+1)).
 *
 * The permutation runs in generated WebAssembly (crypto/poseidon, docs/hashing.md), about ten
 * times faster than poseidon-lite, which it replaced and agrees with on every input
 * (crypto/poseidon/poseidon.test.ts): every input is taken mod p, negative ones included.
 */
import { poseidon } from '../crypto/poseidon/poseidon.js'

/**
 * Poseidon hash of 1 to 16 field elements; a RangeError for any other count.
 *
 * @example hash([1n, 2n]) // circomlib Poseidon(2)([1, 2])
 */
export function hash(inputs: readonly bigint[]): bigint {
  return poseidon(inputs)
}

/** Poseidon of two elements: the Merkle node hash. */
export function hash2(left: bigint, right: bigint): bigint {
  return poseidon([left, right])
}
