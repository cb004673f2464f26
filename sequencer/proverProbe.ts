/**
 * Whether a prover can take the node's next batch, for readiness: the in-process prover needs
 * the circuit artifacts on disk; the BullMQ prover needs at least one worker connected to its
 * queue (a batch would otherwise wait in Redis, unproven, for as long as none comes).
 */
import { existsSync } from 'node:fs'
import { Queue } from 'bullmq'
import { circuitPaths } from '../prover/paths.js'
import { proofQueueName, redisConnection } from '../prover/queue.js'
import type { ParamSet } from '../state/params.js'

export type ProverAttachment = { readonly attached: boolean; readonly detail: string }

export type ProverProbe = {
  readonly check: () => Promise<ProverAttachment>
  readonly close: () => Promise<void>
}

/** A probe for the prover `kind` of `params` (with the Redis URL of a BullMQ prover). */
export function proverProbe(params: ParamSet, prover: { readonly kind: 'in-process' } | { readonly kind: 'bullmq'; readonly redisUrl: string }): ProverProbe {
  if (prover.kind === 'in-process') {
    const { zkey, wasm } = circuitPaths(params)
    return {
      check: async () => {
        const missing = [zkey, wasm].filter((p) => !existsSync(p))
        return missing.length === 0 ? { attached: true, detail: 'in-process prover, circuit artifacts present' } : { attached: false, detail: `in-process prover without ${missing.join(' and ')} (npm run build)` }
      },
      close: async () => {},
    }
  }
  const name = proofQueueName(params)
  const queue = new Queue(name, { connection: redisConnection(prover.redisUrl) })
  return {
    check: async () => {
      const workers = await queue.getWorkersCount()
      return workers > 0 ? { attached: true, detail: `${workers} proof worker(s) on queue ${name}` } : { attached: false, detail: `no proof worker on queue ${name} (start one: npx tsx prover/worker.ts)` }
    },
    close: () => queue.close(),
  }
}
