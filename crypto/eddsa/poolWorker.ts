/**
 * The body of one verifier-pool worker (pool.ts): a verifier with its own key cache and wasm
 * instance, answering batches of flattened items in order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { EddsaError } from './errors.js'
import { FIELDS_PER_ITEM, type PoolReply, type PoolRequest } from './poolProtocol.js'
import { EddsaPoseidonVerifier, type VerifierOptions } from './verifier.js'

if (parentPort === null) throw new EddsaError('poolWorker.ts runs only as a worker thread (see pool.ts)')
const port = parentPort
const verifier = new EddsaPoseidonVerifier(workerData as VerifierOptions)

port.on('message', (request: PoolRequest) => {
  const { id, fields } = request
  const count = fields.length / FIELDS_PER_ITEM
  const results = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const f = i * FIELDS_PER_ITEM
    const [m, rx, ry, s, ax, ay] = [fields[f]!, fields[f + 1]!, fields[f + 2]!, fields[f + 3]!, fields[f + 4]!, fields[f + 5]!]
    results[i] = verifier.verify(m, { R8: { x: rx, y: ry }, S: s }, { x: ax, y: ay }) ? 1 : 0
  }
  const reply: PoolReply = { id, results }
  port.postMessage(reply, [results.buffer])
})
