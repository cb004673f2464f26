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

/** One signature whose message is the Poseidon hash of `messageInputs`, hashed on the worker. */
export type HashedVerifyItem = { readonly messageInputs: readonly bigint[]; readonly signature: EddsaSignature; readonly publicKey: AffinePoint }

/** What `verifyHashedAll` answers per item: whether it verifies, and its message when it was hashed (a well-formed item). */
export type HashedVerdict = { readonly valid: boolean; readonly message?: bigint }

/** The most message inputs one Poseidon hash takes. */
const MAX_MESSAGE_INPUTS = 16

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

type Pending = { readonly resolve: (reply: PoolReply) => void; readonly reject: (error: Error) => void }

const INVALID: HashedVerdict = { valid: false }

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
      pending?.resolve(reply)
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
    const wellFormed = (item: VerifyItem) => typeof item === 'object' && item !== null && isWellFormed(item.message, item.signature, item.publicKey)
    const answers = await this.#verify(items, wellFormed, 0, (item) => [item.message])
    return answers.map((a) => a.valid)
  }

  /**
   * For each item, whether its signature verifies on the message `Poseidon(messageInputs)`,
   * and that message: the hashing runs on the worker too, so that the caller's thread spends
   * neither. Every item of one call has the same number of inputs (1..16); a RangeError
   * otherwise. Malformed items (inputs that are not non-negative bigints, say) are answered
   * `{ valid: false }` without being sent.
   */
  async verifyHashedAll(items: readonly HashedVerifyItem[]): Promise<HashedVerdict[]> {
    const inputs = items[0]?.messageInputs?.length ?? 0
    if (items.length > 0 && (!Number.isInteger(inputs) || inputs < 1 || inputs > MAX_MESSAGE_INPUTS))
      throw new RangeError(`a hashed message takes 1 to ${MAX_MESSAGE_INPUTS} inputs, the first item has ${inputs}`)
    const wellFormed = (item: HashedVerifyItem) =>
      typeof item === 'object' &&
      item !== null &&
      Array.isArray(item.messageInputs) &&
      item.messageInputs.length === inputs &&
      item.messageInputs.every((v) => typeof v === 'bigint' && v >= 0n) &&
      isWellFormed(0n, item.signature, item.publicKey)
    return this.#verify(items, wellFormed, inputs, (item) => item.messageInputs)
  }

  /** Sends the well-formed items to the workers in one contiguous chunk each; the others are answered invalid here. */
  async #verify<T extends { readonly signature: EddsaSignature; readonly publicKey: AffinePoint }>(
    items: readonly T[],
    wellFormed: (item: T) => boolean,
    inputs: number,
    head: (item: T) => readonly bigint[],
  ): Promise<HashedVerdict[]> {
    if (this.#failure !== undefined) throw new EddsaPoolError(`the pool cannot verify: ${this.#failure.message}`, { cause: this.#failure })
    const answers: HashedVerdict[] = new Array<HashedVerdict>(items.length).fill(INVALID)
    const sendable: number[] = []
    items.forEach((item, i) => {
      if (wellFormed(item)) sendable.push(i)
    })
    const chunk = Math.ceil(sendable.length / this.#workers.length)
    const batches = this.#workers.map(async (worker, w) => {
      const indices = sendable.slice(w * chunk, (w + 1) * chunk)
      if (indices.length === 0) return
      const fields: bigint[] = []
      for (const index of indices) {
        const { signature, publicKey } = items[index]!
        fields.push(...head(items[index]!), signature.R8.x, signature.R8.y, signature.S, publicKey.x, publicKey.y)
      }
      const reply = await this.#send(worker, fields, inputs)
      indices.forEach((index, k) => (answers[index] = reply.messages ? { valid: reply.results[k] === 1, message: reply.messages[k]! } : { valid: reply.results[k] === 1 }))
    })
    await Promise.all(batches)
    return answers
  }

  #send(worker: Worker, fields: bigint[], inputs: number): Promise<PoolReply> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      const request: PoolRequest = { id, fields, inputs }
      worker.postMessage(request)
    })
  }

  /** Stops the workers; later calls to `verifyAll` throw `EddsaPoolError`. */
  async close(): Promise<void> {
    this.#failure ??= new EddsaPoolError('the pool is closed')
    await Promise.all(this.#workers.map((worker) => worker.terminate()))
  }
}
