/**
 * The batch pipeline: every batch the engine cuts is proven and submitted to L1, strictly in
 * order (each batch starts from the root the previous one ends at). A failure halts the
 * pipeline: later batches would not verify, so the node reports the halt instead of
 * skipping ahead.
 */
import { TxType, type BatchTrace } from '../state/index.js'
import type { Prover } from '../prover/queue.js'
import type { Mined } from '../l1/rollupCalls.js'
import type { SolidityProof } from '../prover/prove.js'

export type BatchStatus = 'proving' | 'submitting' | 'verified' | 'failed'

/** What the node knows of one batch. */
export type BatchRecord = {
  /** The Rollup's batch number (`BatchVerified.batchNumber`: from 0, in submission order). */
  readonly number: number
  status: BatchStatus
  readonly trace: BatchTrace
  readonly txCounts: Readonly<Record<'deposit' | 'trade' | 'withdraw' | 'forcedWithdrawal' | 'cancel' | 'noop', number>>
  readonly createdAt: string
  provingMs?: number
  l1TxHash?: `0x${string}`
  gasUsed?: bigint
  error?: string
}

/** Submits a proven batch on L1 as batch `number`. */
export type Submitter = (trace: BatchTrace, proof: SolidityProof, number: number) => Promise<Mined>

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
  readonly #records: BatchRecord[] = []
  #tail: Promise<void> = Promise.resolve()
  #halted: string | undefined
  #nextNumber: number

  /**
   * `firstNumber`: the number the next verified batch gets (the Rollup's batchCount).
   * `onChange`: called after every change of a batch's status (metrics).
   */
  constructor(prover: Prover, submit: Submitter, options: { firstNumber: number; log?: (s: string) => void; onChange?: (record: BatchRecord) => void }) {
    this.#prover = prover
    this.#submit = submit
    this.#nextNumber = options.firstNumber
    this.#log = options.log ?? (() => {})
    this.#onChange = options.onChange ?? (() => {})
  }

  /** Every batch so far, oldest first. */
  get records(): readonly BatchRecord[] {
    return this.#records
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
  }

  /** Queues a batch for proving and submission. */
  enqueue(trace: BatchTrace): BatchRecord {
    const record: BatchRecord = { number: this.#nextNumber++, status: 'proving', trace, txCounts: countTxs(trace), createdAt: new Date().toISOString() }
    this.#records.push(record)
    this.#onChange(record)
    this.#tail = this.#tail.then(() => this.#process(record))
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

  async #process(record: BatchRecord): Promise<void> {
    if (this.#halted) {
      record.status = 'failed'
      record.error = `not submitted: ${this.#halted}`
      this.#onChange(record)
      return
    }
    try {
      const { proof, provingMs } = await this.#prover.prove(record.trace)
      record.provingMs = provingMs
      record.status = 'submitting'
      this.#onChange(record)
      this.#log(`batch ${record.number} proven in ${provingMs} ms`)
      const mined = await this.#submit(record.trace, proof, record.number)
      record.l1TxHash = mined.hash
      record.gasUsed = mined.gasUsed
      record.status = 'verified'
      this.#onChange(record)
      this.#log(`batch ${record.number} verified on L1 (${mined.gasUsed} gas, ${mined.hash})`)
    } catch (error) {
      record.status = 'failed'
      record.error = (error as Error).message
      this.#halted = `batch ${record.number} failed: ${record.error}`
      this.#onChange(record)
      this.#log(this.#halted)
    }
  }
}
