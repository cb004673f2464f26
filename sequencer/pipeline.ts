/**
 * The batch pipeline: every batch the engine cuts is proven and submitted to L1. Proofs run
 * side by side (up to `provingConcurrency` requested at once: a BullMQ prover spreads them over
 * its workers), but batches reach L1 strictly in order, since each starts from the root the
 * previous one ends at. A failure halts the pipeline: later batches would not verify, so the
 * node reports the halt instead of skipping ahead, and proofs still running are discarded.
 *
 * Memory stays bounded on a node that runs for months: a batch's trace (its witness: every
 * slot's paths and records) is kept only until the batch is on L1, and only the newest
 * `keepVerified` verified batches are listed (older ones are on L1, which is the record).
 * Batches not yet on L1 are bounded by the API, which refuses new orders while `unfinished`
 * is at the node's `maxProvingBacklog` (api/backlog.ts).
 */
import { deserialize, serialize } from 'node:v8'
import { TxType, type BatchTrace } from '../state/index.js'
import type { Prover } from '../prover/queue.js'
import type { Mined } from '../l1/rollupCalls.js'
import type { BatchProof, SolidityProof } from '../prover/prove.js'

export type BatchStatus = 'proving' | 'submitting' | 'verified' | 'failed'

/** What the node knows of one batch. */
export type BatchRecord = {
  /** The Rollup's batch number (`BatchVerified.batchNumber`: from 0, in submission order). */
  readonly number: number
  status: BatchStatus
  readonly oldRoot: bigint
  readonly newRoot: bigint
  readonly txCounts: Readonly<Record<'deposit' | 'trade' | 'withdraw' | 'forcedWithdrawal' | 'cancel' | 'noop', number>>
  readonly createdAt: string
  provingMs?: number
  l1TxHash?: `0x${string}`
  gasUsed?: bigint
  error?: string
}

/** Submits a proven batch on L1 as batch `number`. */
export type Submitter = (trace: BatchTrace, proof: SolidityProof, number: number) => Promise<Mined>

export type BatchPipelineOptions = {
  /** The number the next batch gets (the Rollup's batchCount). */
  readonly firstNumber: number
  readonly log?: (s: string) => void
  /** Called after every change of a batch's status (metrics, the stream). */
  readonly onChange?: (record: BatchRecord) => void
  /**
   * Proofs requested at once (default 1); later batches wait for a free place, in order. An
   * in-process prover proves one at a time whatever this says; a BullMQ queue holds up to
   * this many jobs for its workers.
   */
  readonly provingConcurrency?: number
  /** Verified batches kept for `batch` and `page` (default 10,000); older ones are dropped. */
  readonly keepVerified?: number
  /**
   * Batches that may wait for a proof with their trace as objects (default 64); the traces
   * of later ones are packed into one buffer each until their proof starts.
   */
  readonly packAfter?: number
}

/** A page of batches, newest first. */
export type BatchPage = { readonly batches: readonly BatchRecord[]; readonly next?: number }

/**
 * A batch on its way: its trace until it is on L1 (packed while it waits far back in the
 * queue), and its proof once requested.
 */
type InFlight = {
  readonly record: BatchRecord
  trace: BatchTrace | undefined
  packed: Buffer | undefined
  readonly proof: Promise<BatchProof>
  readonly start: () => void
  readonly cancel: (reason: string) => void
}

export const DEFAULT_KEEP_VERIFIED = 10_000

/**
 * Batches waiting for a proof whose traces stay objects. A trace is hundreds of bigints and
 * objects (about 13 KB a slot at the test parameters). When the provers fall behind, thousands
 * of waiting traces made up most of the heap, and each major GC marked them all: a stall of
 * about 100 ms (docs/benchmarks.md). Packed with `v8.serialize`, the structured-clone format the
 * hasher's thread sent them in, a waiting trace is one buffer outside the heap. That costs about
 * 22 us a batch to pack and as much to unpack when its proof starts, and only while there is a
 * backlog.
 */
export const DEFAULT_PACK_AFTER = 64

function countTxs(trace: BatchTrace): BatchRecord['txCounts'] {
  const counts = { deposit: 0, trade: 0, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 0 }
  for (const s of trace.slots) {
    const t = s.tx.type
    if (t === TxType.deposit) counts.deposit++
    else if (t === TxType.trade) counts.trade++
    else if (t === TxType.withdraw) counts.withdraw++
    else if (t === TxType.forcedWithdrawal) counts.forcedWithdrawal++
    else if (t === TxType.cancel) counts.cancel++
    else counts.noop++
  }
  return counts
}

export class BatchPipeline {
  readonly #prover: Prover
  readonly #submit: Submitter
  readonly #log: (s: string) => void
  readonly #onChange: (record: BatchRecord) => void
  readonly #concurrency: number
  readonly #keepVerified: number
  readonly #packAfter: number
  /** Consecutive batch numbers, oldest first: the records kept. */
  #records: BatchRecord[] = []
  /** Batches whose proof is not requested yet, oldest first. */
  readonly #waiting: InFlight[] = []
  readonly #counts = new Map<BatchStatus, number>()
  #proving = 0
  #total = 0
  #tail: Promise<void> = Promise.resolve()
  #halted: string | undefined
  #nextNumber: number

  constructor(prover: Prover, submit: Submitter, options: BatchPipelineOptions) {
    const { provingConcurrency = 1, keepVerified = DEFAULT_KEEP_VERIFIED, packAfter = DEFAULT_PACK_AFTER } = options
    if (!Number.isInteger(provingConcurrency) || provingConcurrency < 1) throw new RangeError(`provingConcurrency must be a positive integer, got ${provingConcurrency}`)
    if (!Number.isInteger(keepVerified) || keepVerified < 0) throw new RangeError(`keepVerified must be a non-negative integer, got ${keepVerified}`)
    if (!Number.isInteger(packAfter) || packAfter < 0) throw new RangeError(`packAfter must be a non-negative integer, got ${packAfter}`)
    this.#packAfter = packAfter
    this.#prover = prover
    this.#submit = submit
    this.#nextNumber = options.firstNumber
    this.#log = options.log ?? (() => {})
    this.#onChange = options.onChange ?? (() => {})
    this.#concurrency = provingConcurrency
    this.#keepVerified = keepVerified
  }

  /** The batches kept, oldest first: every one not yet verified, and the newest verified ones. */
  get records(): readonly BatchRecord[] {
    return this.#records
  }

  /** Batch `number`, if this node cut it since it started and still keeps it. */
  batch(number: number): BatchRecord | undefined {
    const first = this.#records[0]
    return first && Number.isInteger(number) ? this.#records[number - first.number] : undefined
  }

  /** Up to `limit` kept batches numbered below `before` (default: all), newest first; `next` pages on. */
  page(options: { readonly before?: number; readonly limit: number }): BatchPage {
    const first = this.#records[0]?.number ?? 0
    const end = Math.min(this.#records.length, Math.max(0, (options.before ?? Number.POSITIVE_INFINITY) - first))
    const start = Math.max(0, end - options.limit)
    const batches = this.#records.slice(start, end).reverse()
    return start > 0 ? { batches, next: first + start } : { batches }
  }

  /** Batches cut since this node started (kept or not). */
  get total(): number {
    return this.#total
  }

  /** Batches in `status` since this node started (kept or not). */
  count(status: BatchStatus): number {
    return this.#counts.get(status) ?? 0
  }

  /**
   * Batches cut but not yet on L1: waiting for a proof, proving, or being submitted. Their
   * traces (witnesses) are what the node holds in memory for the pipeline.
   */
  get unfinished(): number {
    return this.count('proving') + this.count('submitting')
  }

  /** Why the pipeline stopped, if it did. */
  get halted(): string | undefined {
    return this.#halted
  }

  /**
   * Stops the pipeline for a reason found outside it (the state hasher diverged): batches
   * not yet submitted are failed, and writes are refused while halted, as after a failed batch.
   */
  halt(reason: string): void {
    if (this.#halted) return
    this.#halted = reason
    this.#log(reason)
    for (const waiting of this.#waiting.splice(0)) waiting.cancel(reason)
  }

  /** Queues a batch for proving and submission. */
  enqueue(trace: BatchTrace): BatchRecord {
    const record: BatchRecord = {
      number: this.#nextNumber++,
      status: 'proving',
      oldRoot: trace.oldRoot,
      newRoot: trace.newRoot,
      txCounts: countTxs(trace),
      createdAt: new Date().toISOString(),
    }
    this.#records.push(record)
    this.#total++
    this.#counted(record, undefined)
    this.#onChange(record)
    const entry = this.#inFlight(record, trace)
    if (!this.#halted) {
      this.#waiting.push(entry)
      if (this.#waiting.length > this.#packAfter) {
        entry.packed = serialize(trace)
        entry.trace = undefined
      }
    }
    this.#startProofs()
    this.#tail = this.#tail.then(() => this.#finish(entry))
    return record
  }

  /** Resolves when every queued batch is verified or the pipeline halted. */
  async idle(): Promise<void> {
    let tail: Promise<void>
    do {
      tail = this.#tail
      await tail
    } while (tail !== this.#tail)
  }

  #inFlight(record: BatchRecord, trace: BatchTrace): InFlight {
    let start!: () => void
    let cancel!: (reason: string) => void
    const proof = new Promise<BatchProof>((resolve, reject) => {
      start = () => {
        this.#proving++
        let proving: Promise<BatchProof>
        try {
          proving = this.#prover.prove(this.#unpacked(entry))
        } catch (error) {
          // A prover that throws instead of rejecting fails the batch the same way.
          proving = Promise.reject(error as Error)
        }
        proving
          .then(resolve, reject)
          .finally(() => {
            this.#proving--
            this.#startProofs()
          })
      }
      cancel = (reason) => reject(new Error(`not proven: ${reason}`))
    })
    // Awaited in turn by #finish; a failure before then must not count as unhandled.
    proof.catch(() => {})
    const entry: InFlight = { record, trace, packed: undefined, proof, start, cancel }
    return entry
  }

  /** The entry's trace as objects, unpacked (once) if it waited packed. */
  #unpacked(entry: InFlight): BatchTrace {
    if (!entry.trace) {
      entry.trace = deserialize(entry.packed!) as BatchTrace
      entry.packed = undefined
    }
    return entry.trace
  }

  #startProofs(): void {
    while (!this.#halted && this.#proving < this.#concurrency && this.#waiting.length > 0) this.#waiting.shift()!.start()
  }

  /** In batch order: waits for the batch's proof, submits it, and records the outcome. */
  async #finish(entry: InFlight): Promise<void> {
    const { record } = entry
    try {
      if (this.#halted) {
        this.#setStatus(record, 'failed', { error: `not submitted: ${this.#halted}` })
        return
      }
      try {
        const { proof, provingMs } = await entry.proof
        // Halted while this proof ran (from outside: the state hasher diverged).
        if (this.#halted) throw new Error(`not submitted: ${this.#halted}`)
        this.#setStatus(record, 'submitting', { provingMs })
        this.#log(`batch ${record.number} proven in ${provingMs} ms`)
        const mined = await this.#submit(this.#unpacked(entry), proof, record.number)
        this.#setStatus(record, 'verified', { l1TxHash: mined.hash, gasUsed: mined.gasUsed })
        this.#log(`batch ${record.number} verified on L1 (${mined.gasUsed} gas, ${mined.hash})`)
        this.#dropOldVerified()
      } catch (error) {
        const message = (error as Error).message
        this.#setStatus(record, 'failed', { error: message })
        this.halt(`batch ${record.number} failed: ${message}`)
      }
    } finally {
      entry.trace = undefined
      entry.packed = undefined
    }
  }

  #setStatus(record: BatchRecord, status: BatchStatus, facts: Partial<Pick<BatchRecord, 'provingMs' | 'l1TxHash' | 'gasUsed' | 'error'>>): void {
    const before = record.status
    Object.assign(record, facts)
    record.status = status
    this.#counted(record, before)
    this.#onChange(record)
  }

  #counted(record: BatchRecord, before: BatchStatus | undefined): void {
    if (before !== undefined) this.#counts.set(before, this.count(before) - 1)
    this.#counts.set(record.status, this.count(record.status) + 1)
  }

  /** Drops the oldest verified records beyond `keepVerified`, a slice at a time (no shift per batch). */
  #dropOldVerified(): void {
    const slack = Math.max(64, this.#keepVerified >> 4)
    if (this.#records.length <= this.#keepVerified + slack) return
    let drop = 0
    while (drop < this.#records.length - this.#keepVerified && this.#records[drop]!.status === 'verified') drop++
    if (drop === 0) return
    this.#records = this.#records.slice(drop)
  }
}
