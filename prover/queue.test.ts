/**
 * The BullMQ prover on a real Redis: a batch travels as a job to a worker and comes back as
 * a proof the verification key accepts; a batch the circuit refuses fails with ProofError.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { readFileSync } from 'node:fs'
import * as snarkjs from 'snarkjs'
import { Queue } from 'bullmq'
import { applyBatch, TEST_PARAMS } from '../state/index.js'
import { fundedState, withdrawTx } from '../state/testing.js'
import { circuitPaths } from './paths.js'
import { ProofError } from './prove.js'
import { proofQueueName, queueProver, redisConnection, startProofWorker, type Prover } from './queue.js'
import { terminateCurves } from './curves.js'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
// A queue of its own per run, so parallel runs on one Redis never take each other's jobs.
const queueName = `${proofQueueName(TEST_PARAMS)}-test-${process.pid}-${Date.now()}`
const params = TEST_PARAMS
let prover: Prover
let worker: ReturnType<typeof startProofWorker>
const proved: string[] = []

beforeAll(async () => {
  worker = startProofWorker(params, redisUrl, { queueName, log: (line) => proved.push(line) })
  prover = await queueProver(params, redisUrl, { queueName })
})

afterAll(async () => {
  await prover?.close()
  await worker?.close()
  const queue = new Queue(queueName, { connection: redisConnection(redisUrl) })
  await queue.obliterate({ force: true })
  await queue.close()
  await terminateCurves()
})

describe('BullMQ prover', () => {
  it('proves a batch in a worker and returns a proof for the Rollup', async () => {
    const { state, keys } = fundedState(TEST_PARAMS, 2, 10_000n)
    const trace = applyBatch(state, [withdrawTx(keys[0]!, 1n, 0n, 300n)])
    const result = await prover.prove(trace)
    expect(result.inputHash).toBe(trace.inputHash)
    expect(result.provingMs).toBeGreaterThan(0)
    // Back to snarkjs's layout (b's coordinates swapped for the EVM) and verified once more.
    const s = (v: bigint) => v.toString()
    const proof = {
      pi_a: [s(result.proof.a[0]), s(result.proof.a[1]), '1'],
      pi_b: [[s(result.proof.b[0][1]), s(result.proof.b[0][0])], [s(result.proof.b[1][1]), s(result.proof.b[1][0])], ['1', '0']],
      pi_c: [s(result.proof.c[0]), s(result.proof.c[1]), '1'],
      protocol: 'groth16',
      curve: 'bn128',
    }
    const vkey = JSON.parse(readFileSync(circuitPaths(TEST_PARAMS).vkey, 'utf8'))
    expect(await snarkjs.groth16.verify(vkey, [trace.inputHash.toString()], proof)).toBe(true)

    // Sent again (a restarted sequencer re-sending a batch it had not submitted): the finished
    // job answers, nothing is proven twice.
    const again = await prover.prove(trace)
    expect(again).toEqual(result)
    expect(proved).toHaveLength(1)
  })

  it('fails with ProofError when the circuit refuses the batch', async () => {
    const { state, keys } = fundedState(TEST_PARAMS, 2, 10_000n)
    // Another batch than the test above proved (a job is known by its public input).
    const trace = applyBatch(state, [withdrawTx(keys[0]!, 1n, 0n, 400n)])
    const forged = { ...trace, slots: trace.slots.map((slot, i) => (i === 0 ? { ...slot, amountOut: 401n, tx: { ...slot.tx, amount: 401n } } : slot)) }
    await expect(prover.prove(forged as typeof trace)).rejects.toThrow(ProofError)
    // Sent again, a failed batch is proven afresh (three more attempts), not answered by its
    // kept failed job.
    const failedAttempts = () => proved.filter((line) => line.includes(`job batch-${trace.inputHash} failed`)).length
    await vi.waitFor(() => expect(failedAttempts()).toBe(3))
    await expect(prover.prove(forged as typeof trace)).rejects.toThrow(ProofError)
    await vi.waitFor(() => expect(failedAttempts()).toBe(6))
  })
})
