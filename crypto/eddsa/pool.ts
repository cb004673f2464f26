/**
 * EdDSA-Poseidon verification on several worker threads: `verifyAll(items)` splits the items
 * into one contiguous chunk per worker and returns the answers in the items' order.
 *
 * Each worker has its own `EddsaPoseidonVerifier` (options as given), so its own key cache:
 * a key gets a table in each worker that sees it `tableAfterUses` times, and each worker's
 * cache takes its own memory (~108 KB a key at w = 4). Contiguous chunks rather than routing
 * by key: a burst from one account (a market maker requoting) still spreads over all workers.
 * Malformed items are answered false here without being sent (as the verifier would answer).
 *
 * @example
 * const pool = new EddsaVerifierPool({ workers: 2, rejectSmallOrderKeys: true })
 * const ok = await pool.verifyAll([{ message, signature, publicKey }]) // [true]
 * await pool.close()
 */
import { Worker } from 'node:worker_threads'
import { EddsaError } from './errors.js'
import { FIELDS_PER_ITEM, type PoolReply, type PoolRequest } from './poolProtocol.js'
import { isWellFormed, type AffinePoint, type EddsaSignature, type VerifierOptions } from './verifier.js'

/** One signature to check. */
export type VerifyItem = { readonly message: bigint; readonly signature: EddsaSignature; readonly publicKey: AffinePoint }

export type VerifierPoolOptions = VerifierOptions & {
  /** Worker threads (default 2). */
  readonly workers?: number
  /**
   * The worker's entry (default ./poolWorker.mjs beside this file). A bundle that inlines this
   * module must point it at the file in the source tree, which a bundle has no copy of.
   */
  readonly workerUrl?: URL
}

/** A worker died, or the pool was used after `close`. */
export class EddsaPoolError extends EddsaError {
  override readonly name = 'EddsaPoolError'
}

type Pending = { readonly resolve: (results: Uint8Array) => void; readonly reject: (error: Error) => void }

const WORKER_URL = new URL('./poolWorker.mjs', import.meta.url)

/** A fixed set of verifier workers. Call `close` when done, or the threads keep the process alive. */
export class EddsaVerifierPool {
  readonly #workers: Worker[]
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #failure: Error | undefined

  constructor(options: VerifierPoolOptions = {}) {
    const { workers = 2, workerUrl = WORKER_URL, ...verifierOptions } = options
    if (!Number.isInteger(workers) || workers < 1) throw new EddsaPoolError(`workers must be a positive integer, got ${workers}`)
    this.#workers = Array.from({ length: workers }, () => this.#start(workerUrl, verifierOptions))
  }

  #start(url: URL, options: VerifierOptions): Worker {
    const worker = new Worker(url, { workerData: options })
    worker.on('message', (reply: PoolReply) => {
      const pending = this.#pending.get(reply.id)
      this.#pending.delete(reply.id)
      pending?.resolve(reply.results)
    })
    const fail = (error: Error) => {
      this.#failure ??= error
      for (const pending of this.#pending.values()) pending.reject(error)
      this.#pending.clear()
    }
    worker.on('error', (cause) => fail(new EddsaPoolError(`a verifier worker failed: ${cause.message}`, { cause })))
    worker.on('exit', (code) => fail(new EddsaPoolError(`a verifier worker exited (code ${code})`)))
    return worker
  }

  /** Number of worker threads. */
  get size(): number {
    return this.#workers.length
  }

  /** For each item, whether its signature verifies (what `EddsaPoseidonVerifier.verify` answers), in order. */
  async verifyAll(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (this.#failure !== undefined) throw new EddsaPoolError(`the pool cannot verify: ${this.#failure.message}`, { cause: this.#failure })
    const results = new Array<boolean>(items.length).fill(false)
    const sendable: number[] = []
    items.forEach((item, i) => {
      if (typeof item === 'object' && item !== null && isWellFormed(item.message, item.signature, item.publicKey)) sendable.push(i)
    })
    const chunk = Math.ceil(sendable.length / this.#workers.length)
    const batches = this.#workers.map(async (worker, w) => {
      const indices = sendable.slice(w * chunk, (w + 1) * chunk)
      if (indices.length === 0) return
      const fields: bigint[] = new Array<bigint>(indices.length * FIELDS_PER_ITEM)
      indices.forEach((index, k) => {
        const { message, signature, publicKey } = items[index]!
        const f = k * FIELDS_PER_ITEM
        fields[f] = message
        fields[f + 1] = signature.R8.x
        fields[f + 2] = signature.R8.y
        fields[f + 3] = signature.S
        fields[f + 4] = publicKey.x
        fields[f + 5] = publicKey.y
      })
      const answers = await this.#send(worker, fields)
      indices.forEach((index, k) => (results[index] = answers[k] === 1))
    })
    await Promise.all(batches)
    return results
  }

  #send(worker: Worker, fields: bigint[]): Promise<Uint8Array> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      const request: PoolRequest = { id, fields }
      worker.postMessage(request)
    })
  }

  /** Stops the workers; later calls to `verifyAll` throw `EddsaPoolError`. */
  async close(): Promise<void> {
    this.#failure ??= new EddsaPoolError('the pool is closed')
    await Promise.all(this.#workers.map((worker) => worker.terminate()))
  }
}
