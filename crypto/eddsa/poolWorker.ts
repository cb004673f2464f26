/**
 * The body of one verifier-pool worker (pool.ts): a verifier with its own key cache and wasm
 * instance, answering batches of flattened items in order.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { EddsaError } from './errors.js'
import { FIELDS_PER_ITEM, type PoolReply, type PoolRequest } from './poolProtocol.js'
import { EddsaPoseidonVerifier, type VerifierOptions } from './verifier.js'
import { poseidon } from '../poseidon/poseidon.js'

if (parentPort === null) throw new EddsaError('poolWorker.ts runs only as a worker thread (see pool.ts)')
const port = parentPort
const verifier = new EddsaPoseidonVerifier(workerData as VerifierOptions)

port.on('message', (request: PoolRequest) => {
  const { id, fields, inputs } = request
  const width = inputs > 0 ? inputs + FIELDS_PER_ITEM - 1 : FIELDS_PER_ITEM
  const count = fields.length / width
  const results = new Uint8Array(count)
  const messages: bigint[] | undefined = inputs > 0 ? new Array<bigint>(count) : undefined
  for (let i = 0; i < count; i++) {
    let f = i * width
    let m: bigint
    if (messages) {
      m = messages[i] = poseidon(fields.slice(f, f + inputs))
      f += inputs - 1
    } else m = fields[f]!
    const [rx, ry, s, ax, ay] = [fields[f + 1]!, fields[f + 2]!, fields[f + 3]!, fields[f + 4]!, fields[f + 5]!]
    results[i] = verifier.verify(m, { R8: { x: rx, y: ry }, S: s }, { x: ax, y: ay }) ? 1 : 0
  }
  const reply: PoolReply = messages ? { id, results, messages } : { id, results }
  port.postMessage(reply, [results.buffer])
})
