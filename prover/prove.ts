/**
 * Proves a batch: witness from the pure core's trace, Groth16 proof with snarkjs, verified
 * locally against the verification key, and formatted for `Rollup.submitBatch`.
 */
import { readFileSync } from 'node:fs'
import * as snarkjs from 'snarkjs'
import { buildWitnessInput, type WitnessInput } from '../state/witness.js'
import type { ParamSet } from '../state/params.js'
import type { BatchTrace } from '../state/types.js'
import { circuitPaths } from './paths.js'

/** A Groth16 proof as `Rollup.submitBatch` takes it (b's coordinates in the EVM's order). */
export type SolidityProof = {
  readonly a: readonly [bigint, bigint]
  readonly b: readonly [readonly [bigint, bigint], readonly [bigint, bigint]]
  readonly c: readonly [bigint, bigint]
}

/** The result of proving one batch. */
export type BatchProof = {
  readonly proof: SolidityProof
  /** The single public signal: the batch's input hash. */
  readonly inputHash: bigint
  readonly provingMs: number
}

/** Thrown when the circuit refuses the witness or the proof does not verify. */
export class ProofError extends Error {
  override readonly name = 'ProofError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

type SnarkProof = { pi_a: string[]; pi_b: string[][]; pi_c: string[] }

/** Converts snarkjs's proof object to the Solidity verifier's argument order. */
export function toSolidityProof(p: SnarkProof): SolidityProof {
  const n = (s: string | undefined) => BigInt(s!)
  return {
    a: [n(p.pi_a[0]), n(p.pi_a[1])],
    b: [
      [n(p.pi_b[0]![1]), n(p.pi_b[0]![0])],
      [n(p.pi_b[1]![1]), n(p.pi_b[1]![0])],
    ],
    c: [n(p.pi_c[0]), n(p.pi_c[1])],
  }
}

const vkeys = new Map<string, unknown>()

/**
 * Proves `trace` with the artifacts of `params` (built by `ensureArtifacts`). Throws
 * `ProofError` when the witness violates a constraint or the proof fails local verification.
 */
export async function proveBatch(trace: BatchTrace, params: ParamSet): Promise<BatchProof> {
  return proveWitness(buildWitnessInput(trace, params), trace.inputHash, params)
}

/**
 * Proves a batch from its witness input (JSON-safe: what a remote prover receives) and
 * checks the public input is `expectedInputHash`.
 */
export async function proveWitness(input: WitnessInput, expectedInputHash: bigint, params: ParamSet): Promise<BatchProof> {
  const paths = circuitPaths(params)
  const started = Date.now()
  let result: { proof: SnarkProof; publicSignals: string[] }
  try {
    result = await snarkjs.groth16.fullProve(input, paths.wasm, paths.zkey, undefined, undefined, { singleThread: false })
  } catch (cause) {
    throw new ProofError(`the circuit refused the batch with input hash ${expectedInputHash}: ${(cause as Error).message}`, { cause })
  }
  const inputHash = BigInt(result.publicSignals[0]!)
  if (inputHash !== expectedInputHash) throw new ProofError(`public input ${inputHash} differs from the trace's ${expectedInputHash}`)
  let vkey = vkeys.get(paths.vkey)
  if (!vkey) vkeys.set(paths.vkey, (vkey = JSON.parse(readFileSync(paths.vkey, 'utf8'))))
  if (!(await snarkjs.groth16.verify(vkey, result.publicSignals, result.proof))) throw new ProofError('proof failed local verification')
  return { proof: toSolidityProof(result.proof), inputHash, provingMs: Date.now() - started }
}
