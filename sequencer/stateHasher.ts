/**
 * The state's trees on a thread of their own. The engine's state keeps records only
 * (`RollupState.dropTrees`): admission, margin, matching and every record a transaction
 * writes are computed on the event loop as before, but none of the ~20 Poseidon hashes a
 * trade costs (positions hash, order-slot path, account leaf and path, at 30-130 µs each).
 * This follower replays every slot the engine applies, in order, on a full `RollupState` in
 * a worker thread (stateHasherWorker.ts), assembles each batch there, with its roots,
 * siblings and public input, and hands it back: what the prover and L1 need.
 *
 * The worker applies the transactions the engine already checked, with signature and margin
 * checks off (the engine ran them under the same table) and every other rule on: a
 * transaction it refuses means the two states diverged, a bug that no proof could follow,
 * so the follower fails and reports it (`onFailure`; the node halts its pipeline).
 *
 * Operations are sent once per event-loop turn, as one message.
 */
import { Worker } from 'node:worker_threads'
import type { BatchMarketTable } from '../state/marketTable.js'
import type { ParamSet } from '../state/params.js'
import type { StateRecords } from '../state/rollupState.js'
import type { BatchTrace, SlotTrace, Tx } from '../state/types.js'

/** What the engine tells a follower of its state (sequencer/engine.ts, `EngineOptions.follower`). */
export type StateFollower = {
  /** The open batch's market table was set (and the state committed). */
  table(table: BatchMarketTable): void
  /** A transaction was applied as the next slot. */
  apply(tx: Tx): void
  /** The open batch was cut: assemble it from the slots applied since the last cut. */
  cut(): void
}

/**
 * Messages to the worker: its operations in order. A `table` without one keeps the table in
 * force: the engine reuses a table across batches while the market holds still, and sending
 * it again would make the worker hash it again (a table's hash is remembered per object).
 */
export type HasherOp = { readonly op: 'table'; readonly table?: BatchMarketTable } | { readonly op: 'apply'; readonly tx: Tx } | { readonly op: 'cut' } | { readonly op: 'root'; readonly id: number }

/** Messages from the worker. */
export type HasherReply = { readonly t: 'batch'; readonly batch: BatchTrace } | { readonly t: 'root'; readonly id: number; readonly root: bigint } | { readonly t: 'failed'; readonly message: string }

/** What the worker starts from: the engine's state and the slots of its open batch. */
export type HasherSeed = { readonly params: ParamSet; readonly records: StateRecords; readonly pending: readonly SlotTrace[] }

/** The follower failed: the worker refused a slot, died, or was used after `close`. */
export class StateHasherError extends Error {
  override readonly name = 'StateHasherError'
}

export type StateHasherOptions = {
  /** Each assembled batch, in order. */
  readonly onBatch: (batch: BatchTrace) => void
  /** Called once, when the follower fails; later operations are dropped. */
  readonly onFailure: (error: StateHasherError) => void
  /** The worker's entry (default ./stateHasherWorker.mjs beside this file; a bundle must point at the source tree). */
  readonly workerUrl?: URL
}

const WORKER_URL = new URL('./stateHasherWorker.mjs', import.meta.url)

/** A full copy of the engine's state in a worker thread, kept in step by the engine. */
export class StateHasher implements StateFollower {
  readonly #worker: Worker
  readonly #options: StateHasherOptions
  readonly #roots = new Map<number, { resolve: (root: bigint) => void; reject: (error: Error) => void }>()
  #ops: HasherOp[] = []
  #scheduled = false
  #nextId = 0
  #failure: StateHasherError | undefined
  #lastTable: BatchMarketTable | undefined
  #cuts = 0
  #assembled = 0

  constructor(seed: HasherSeed, options: StateHasherOptions) {
    this.#options = options
    this.#worker = new Worker(options.workerUrl ?? WORKER_URL, { workerData: seed })
    this.#lastTable = seed.records.marketTable
    this.#worker.on('message', (reply: HasherReply) => this.#receive(reply))
    this.#worker.on('error', (cause) => this.#fail(`the state hasher failed: ${cause.message}`))
    this.#worker.on('exit', (code) => this.#fail(`the state hasher exited (code ${code})`))
  }

  table(table: BatchMarketTable): void {
    this.#send(table === this.#lastTable ? { op: 'table' } : { op: 'table', table })
    this.#lastTable = table
  }

  apply(tx: Tx): void {
    this.#send({ op: 'apply', tx })
  }

  cut(): void {
    this.#cuts++
    this.#send({ op: 'cut' })
  }

  /** Batches cut and not yet handed to `onBatch`: how far the hashing lags the engine. */
  get pendingBatches(): number {
    return this.#cuts - this.#assembled
  }

  /** The state root after every operation sent so far. */
  root(): Promise<bigint> {
    if (this.#failure) return Promise.reject(this.#failure)
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#roots.set(id, { resolve, reject })
      this.#send({ op: 'root', id })
    })
  }

  /** Resolves once every batch cut so far was handed to `onBatch` (rejects if the follower failed). */
  async idle(): Promise<void> {
    await this.root()
  }

  /**
   * Sends the operations buffered so far now rather than at the end of this event-loop turn:
   * a long synchronous run (a journal replay) calls it every so often, so that the worker
   * hashes while the engine goes on.
   */
  flush(): void {
    const ops = this.#ops
    this.#ops = []
    if (!this.#failure && ops.length > 0) this.#worker.postMessage(ops)
  }

  /** Why the follower stopped, if it did. */
  get failure(): StateHasherError | undefined {
    return this.#failure
  }

  #send(op: HasherOp): void {
    if (this.#failure) return
    this.#ops.push(op)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.flush()
    })
  }

  #receive(reply: HasherReply): void {
    if (reply.t === 'batch') {
      this.#assembled++
      this.#options.onBatch(reply.batch)
    }
    else if (reply.t === 'root') {
      this.#roots.get(reply.id)?.resolve(reply.root)
      this.#roots.delete(reply.id)
    } else this.#fail(reply.message)
  }

  #fail(message: string): void {
    if (this.#failure) return
    this.#failure = new StateHasherError(message)
    for (const waiting of this.#roots.values()) waiting.reject(this.#failure)
    this.#roots.clear()
    this.#options.onFailure(this.#failure)
  }

  /** Stops the worker (operations not yet processed are dropped). */
  async close(): Promise<void> {
    this.#failure ??= new StateHasherError('the state hasher is closed')
    for (const waiting of this.#roots.values()) waiting.reject(this.#failure)
    this.#roots.clear()
    await this.#worker.terminate()
  }
}
