/**
 * A standalone proof worker: `npx tsx prover/worker.ts [test|realistic]` with REDIS_URL
 * (default redis://127.0.0.1:6379). Run as many as there are machines; the sequencer started
 * with `PROVER=bullmq` hands them its batches.
 */
import { ensureArtifacts } from './artifacts.js'
import { startProofWorker } from './queue.js'
import { PARAM_SETS } from '../state/params.js'

const name = (process.argv[2] ?? 'test') as keyof typeof PARAM_SETS
const params = PARAM_SETS[name]
if (!params) {
  console.error(`unknown parameter set ${name}; known: ${Object.keys(PARAM_SETS).join(', ')}`)
  process.exit(2)
}
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
await ensureArtifacts(params, { log: (s) => console.log(`[artifacts] ${s}`) })
const worker = startProofWorker(params, redisUrl, { log: (s) => console.log(`[worker] ${s}`) })
console.log(`[worker] proving ${params.name} batches from ${redisUrl}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void worker.close().then(() => process.exit(0))
  })
}
