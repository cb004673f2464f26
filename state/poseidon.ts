/**
 * The one place the pure core hashes: Poseidon over BN254 with circomlib's constants
 * (identical to circomlib's `Poseidon(n)` template and poseidon-solidity's PoseidonT(n+1)).
 * A faster implementation can replace this module without touching its callers.
 */
import { poseidon1 } from 'poseidon-lite/poseidon1'
import { poseidon2 } from 'poseidon-lite/poseidon2'
import { poseidon3 } from 'poseidon-lite/poseidon3'
import { poseidon4 } from 'poseidon-lite/poseidon4'
import { poseidon5 } from 'poseidon-lite/poseidon5'
import { poseidon6 } from 'poseidon-lite/poseidon6'
import { poseidon7 } from 'poseidon-lite/poseidon7'
import { poseidon8 } from 'poseidon-lite/poseidon8'
import { poseidon9 } from 'poseidon-lite/poseidon9'
import { poseidon10 } from 'poseidon-lite/poseidon10'
import { poseidon11 } from 'poseidon-lite/poseidon11'
import { poseidon12 } from 'poseidon-lite/poseidon12'
import { poseidon13 } from 'poseidon-lite/poseidon13'
import { poseidon14 } from 'poseidon-lite/poseidon14'
import { poseidon15 } from 'poseidon-lite/poseidon15'
import { poseidon16 } from 'poseidon-lite/poseidon16'

const BY_ARITY: readonly ((inputs: bigint[]) => bigint)[] = [
  poseidon1,
  poseidon2,
  poseidon3,
  poseidon4,
  poseidon5,
  poseidon6,
  poseidon7,
  poseidon8,
  poseidon9,
  poseidon10,
  poseidon11,
  poseidon12,
  poseidon13,
  poseidon14,
  poseidon15,
  poseidon16,
]

/**
 * Poseidon hash of 1 to 16 field elements.
 *
 * @example hash([1n, 2n]) // circomlib Poseidon(2)([1, 2])
 */
export function hash(inputs: readonly bigint[]): bigint {
  const fn = BY_ARITY[inputs.length - 1]
  if (!fn) throw new RangeError(`Poseidon arity ${inputs.length} is not supported (1..16)`)
  return fn([...inputs])
}

/** Poseidon of two elements: the Merkle node hash. */
export function hash2(left: bigint, right: bigint): bigint {
  return poseidon2([left, right])
}
