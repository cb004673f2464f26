/**
 * Helpers shared by the benchmarks: timing, medians, progress on stderr (stdout carries only
 * the JSON figures), a check that the built artifacts are current, and the test batches.
 */
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { artifactsKey } from '../prover/artifacts.js'
import { circuitPaths, ROOT, type CircuitPaths } from '../prover/paths.js'
import { applyBatch } from '../state/batch.js'
import { TxType, type ParamSet } from '../state/params.js'
import { fundedState, order, signedOrder, withdrawTx } from '../state/testing.js'
import type { RollupState } from '../state/rollupState.js'
import type { BatchTrace, Tx } from '../state/types.js'

/** Thrown when a benchmark cannot measure what it should (stale build, bad setup). */
export class BenchError extends Error {
  override readonly name = 'BenchError'
}

/** Writes a progress line to stderr, so that stdout keeps only the figures. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

/** Runs `f` and returns its result with the wall time it took, in seconds. */
export async function timed<T>(f: () => Promise<T>): Promise<{ readonly result: T; readonly seconds: number }> {
  const started = process.hrtime.bigint()
  const result = await f()
  return { result, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new BenchError('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Rounds to `digits` decimal places. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/**
 * The paths of `params`' compiled and set-up artifacts, failing unless `npm run build` left
 * them current. The benchmarks never rebuild the set-up artifacts themselves: a rebuild makes
 * a new zkey whose verifier no longer matches the contracts in build/forge, and other work
 * in the same checkout relies on both.
 */
export function builtArtifacts(params: ParamSet): CircuitPaths {
  const paths = circuitPaths(params)
  const stale = (why: string) => new BenchError(`${relative(ROOT, paths.dir)}/ ${why}: run npm run build`)
  for (const file of [paths.r1cs, paths.wasm, paths.zkey, paths.vkey, paths.stamp]) {
    if (!existsSync(file)) throw stale(`lacks ${relative(paths.dir, file)}`)
  }
  const stamp = JSON.parse(readFileSync(paths.stamp, 'utf8')) as { key?: string; setup?: boolean }
  if (stamp.key !== artifactsKey(params) || stamp.setup !== true) throw stale('does not match the circuit sources')
  return paths
}

/**
 * A full batch of `params` (every slot used when batchSize is 2) on a funded state: account 1
 * buys 4 contracts from account 2 at 110, then account 1 withdraws 300. Returns the state
 * after it and the batch's trace.
 */
export function tradeAndWithdrawBatch(params: ParamSet): { readonly state: RollupState; readonly trace: BatchTrace } {
  const { state, keys } = fundedState(params, 2, 10_000n)
  const [buyer, seller] = [keys[0]!, keys[1]!]
  const trade: Tx = {
    type: TxType.trade,
    buy: signedOrder(buyer, order({ accountIndex: 1n, orderId: 1n, side: 0, limitPrice: 120n })),
    sell: signedOrder(seller, order({ accountIndex: 2n, orderId: 1n, side: 1, limitPrice: 100n })),
    fill: 4n,
    price: 110n,
  }
  const trace = applyBatch(state, [trade, withdrawTx(buyer, 1n, 0n, 300n)])
  state.commit()
  return { state, trace }
}
