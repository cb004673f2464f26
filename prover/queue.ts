/**
 * Provers the sequencer can use, behind one interface:
 *
 * - `inProcessProver`: proves in the sequencer's own process (the `npm start` default).
 * - `queueProver` + `startProofWorker`: batches travel as BullMQ jobs through Redis to any
 *   number of worker processes (`npx tsx prover/worker.ts`), so proving scales out and a
 *   sequencer restart does not lose a proof in flight. The job carries the witness input
 *   (JSON), so workers need no state, only the circuit artifacts.
 */
import { Queue, QueueEvents, Worker, type ConnectionOptions } from 'bullmq'
import { buildWitnessInput, type WitnessInput } from '../state/witness.js'
import type { ParamSet } from '../state/params.js'
import type { BatchTrace } from '../state/types.js'
import { proveBatch, proveWitness, ProofError, type BatchProof, type SolidityProof } from './prove.js'

/** Proves batches, one call per batch. */
export type Prover = {
  readonly kind: 'in-process' | 'bullmq'
  readonly prove: (trace: BatchTrace) => Promise<BatchProof>
  readonly close: () => Promise<void>
}

/** Proves in this process. */
export function inProcessProver(params: ParamSet): Prover {
  return { kind: 'in-process', prove: (trace) => proveBatch(trace, params), close: async () => {} }
}

/** Name of the BullMQ queue of a parameter set. */
export function proofQueueName(params: ParamSet): string {
  return `options-rollup-proofs-${params.name}`
}

type ProofJob = { readonly input: WitnessInput; readonly inputHash: string }
type ProofResult = { readonly a: string[]; readonly b: string[][]; readonly c: string[]; readonly inputHash: string; readonly provingMs: number }

/** Redis connection options from a `redis://host:port[/db]` URL. */
export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url)
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  return { host: u.hostname, port: Number(u.port || 6379), db, maxRetriesPerRequest: null }
}

function toResult(p: BatchProof): ProofResult {
  const s = (v: bigint) => v.toString()
  return { a: p.proof.a.map(s), b: p.proof.b.map((r) => r.map(s)), c: p.proof.c.map(s), inputHash: s(p.inputHash), provingMs: p.provingMs }
}

function fromResult(r: ProofResult): BatchProof {
  const n = (v: string | undefined) => BigInt(v!)
  const proof: SolidityProof = {
    a: [n(r.a[0]), n(r.a[1])],
    b: [
      [n(r.b[0]![0]), n(r.b[0]![1])],
      [n(r.b[1]![0]), n(r.b[1]![1])],
    ],
    c: [n(r.c[0]), n(r.c[1])],
  }
  return { proof, inputHash: n(r.inputHash), provingMs: r.provingMs }
}

/**
 * Sends each batch to the proof queue and waits for a worker's proof. Jobs are retried
 * (3 attempts) when a worker fails or dies mid-proof.
 *
 * A job's id is its batch's public input (`batch-<inputHash>`): the same batch sent again (a
 * sequencer restarted before its proof came back, and re-sending what it had not submitted)
 * joins the job already queued, running or done (BullMQ keeps the last 100) instead of being
 * proven twice; a failed one is proven afresh.
 */
export async function queueProver(params: ParamSet, redisUrl: string, options: { timeoutMs?: number; queueName?: string } = {}): Promise<Prover> {
  const connection = redisConnection(redisUrl)
  const name = options.queueName ?? proofQueueName(params)
  const queue = new Queue<ProofJob, ProofResult>(name, { connection })
  const events = new QueueEvents(name, { connection })
  await events.waitUntilReady()
  return {
    kind: 'bullmq',
    prove: async (trace) => {
      const add = () =>
        queue.add(
          'prove',
          { input: buildWitnessInput(trace, params), inputHash: trace.inputHash.toString() },
          { jobId: `batch-${trace.inputHash}`, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: 100, removeOnFail: 100 },
        )
      let job = await add()
      // A job of this batch that failed before (kept for inspection) would answer its old
      // failure: a batch sent again is proven afresh, as a restart used to retry it.
      if (await job.isFailed()) {
        await job.remove()
        job = await add()
      }
      try {
        return fromResult(await job.waitUntilFinished(events, options.timeoutMs ?? 600_000))
      } catch (cause) {
        throw new ProofError(`proof job ${job.id} failed: ${(cause as Error).message}`, { cause })
      }
    },
    close: async () => {
      await events.close()
      await queue.close()
    },
  }
}

/** A proof worker consuming the queue of `params`; `close()` stops it after the current job. */
export function startProofWorker(
  params: ParamSet,
  redisUrl: string,
  options: { concurrency?: number; queueName?: string; log?: (s: string) => void } = {},
): Worker<ProofJob, ProofResult> {
  const log = options.log ?? (() => {})
  const worker = new Worker<ProofJob, ProofResult>(
    options.queueName ?? proofQueueName(params),
    async (job) => {
      const proof = await proveWitness(job.data.input, BigInt(job.data.inputHash), params)
      log(`proved job ${job.id} in ${proof.provingMs} ms`)
      return toResult(proof)
    },
    { connection: redisConnection(redisUrl), concurrency: options.concurrency ?? 1 },
  )
  worker.on('failed', (job, error) => log(`job ${job?.id} failed: ${error.message}`))
  return worker
}
