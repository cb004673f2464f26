/**
 * `prover.batch_prove_s.test`: wall seconds of `proveBatch` for one full test batch (a trade
 * and a withdrawal on a funded state): witness generation, the Groth16 proof with snarkjs on
 * every core, and the local verification. Median of three runs of the same batch; the first
 * also starts snarkjs's bn128 worker pool. Building the batch (signatures, trees) is not timed.
 */
import { proveBatch } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import { TEST_PARAMS } from '../state/params.js'
import type { Benchmark } from './figure.js'
import { builtArtifacts, median, progress, round, timed, tradeAndWithdrawBatch } from './support.js'

const RUNS = 3

export const proveBatchTest: Benchmark = {
  figures: ['prover.batch_prove_s.test'],
  run: async () => {
    builtArtifacts(TEST_PARAMS)
    const { trace } = tradeAndWithdrawBatch(TEST_PARAMS)
    const seconds: number[] = []
    try {
      for (let i = 0; i < RUNS; i++) {
        const { seconds: s } = await timed(() => proveBatch(trace, TEST_PARAMS))
        progress(`proveBatch run ${i + 1}/${RUNS}: ${s.toFixed(2)} s`)
        seconds.push(s)
      }
    } finally {
      await terminateCurves()
    }
    return [{ name: 'prover.batch_prove_s.test', value: round(median(seconds), 2), unit: 's' }]
  },
}
