/**
 * B8's fixed-base table on bigints (circomlib's Base8, the EdDSA-Poseidon generator): 32
 * windows of 8 bits, 4,096 affine points, built once on first use (~50 ms). The reference the
 * wasm code (wasmCurve.ts, which signing and verification use) is tested against, and the
 * tests' way to make points.
 */
import { BASE8, fromAffine, IDENTITY, toAffine } from './curve.js'
import { addMultiple, buildFixedBaseTable, type FixedBaseTable } from './fixedBaseTable.js'

/** Scalars below l < 2^251. */
export const SCALAR_BITS = 251
const WINDOW_BITS = 8

let table: FixedBaseTable | undefined

/** B8's table (built at the first call). */
export function base8Table(): FixedBaseTable {
  table ??= buildFixedBaseTable(fromAffine(BASE8.x, BASE8.y), WINDOW_BITS, SCALAR_BITS)
  return table
}

/** [k]B8 in circomlib's coordinates, for 0 <= k < 2^254: 32 mixed additions and one inversion. */
export function mulBase8(k: bigint): { x: bigint; y: bigint } {
  return toAffine(addMultiple(IDENTITY, base8Table(), k, false))
}
