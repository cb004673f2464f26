/**
 * The sequencer's write-ahead journal: every input the engine accepted, in order, appended
 * and fsynced before the client is answered. The entries of one event-loop turn are written
 * together, at the end of the turn or when an fsync starts, whichever comes first (one write
 * a turn rather than one an entry; what a killed process had not written was not yet
 * acknowledged: nothing leaves the node before `durable()`), and made durable in groups:
 * `durable()` resolves once an fsync that started after the last append has finished, and
 * every entry appended while one fsync runs shares the next (group commit). The API answers a
 * write only after `durable()`, so an acknowledgement still means "on disk", at one fsync per
 * group instead of one per request. Replaying it through a fresh engine rebuilds
 * exactly the state, the order book and the batches (the engine is deterministic given its
 * inputs and the clock, which each entry records), so nothing acknowledged is lost to a crash.
 *
 * Each entry that applies slots also records the market tables its request opened batches
 * with (`tables`): a table is priced from the clock, the listed series and floating-point
 * math, none of which a replay can be sure to repeat (queue entries carry no time, series
 * come from L1 at restart, a new runtime may round differently), and a batch's table decides
 * its margin verdicts and forced-withdrawal payouts. Entries without `tables` (older
 * journals) are replayed by pricing the tables again. Entry kinds and fields added later
 * (`cancelAll`, an order's `options`) are optional or new, so an older journal still replays:
 * an order without `options` is a plain limit order, as every order was then.
 *
 * One JSON object per line. A torn last line (a crash mid-write, never acknowledged) is
 * dropped on read; a torn line elsewhere is corruption and stops the node.
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { SignedCancelJSON, SignedOrderJSON, SignedWithdrawalJSON } from '../sdk/orders.js'
import type { OrderOptionsJSON } from '../sdk/orderRequest.js'
import type { SignedCancelAllJSON } from '../sdk/cancelAll.js'
import type { MarketUpdate } from './market.js'
import type { BatchMarketTableJSON } from './batchTable.js'

/** The market tables a request opened batches with, in order (absent in older journals). */
type Tables = { readonly tables?: readonly BatchMarketTableJSON[] }

/** A queue entry as JSON (bigints as decimal strings). */
export type QueueEntryJSON = { readonly kind: number; readonly accountIndex: string; readonly amount: string; readonly l1Address: string; readonly pubKey: { readonly x: string; readonly y: string } }

export type JournalEntry =
  /** First line: the deployment this journal belongs to, and how many of its batches were already on L1 without it. */
  | { readonly t: 'start'; readonly chainId: number; readonly rollup: string; readonly baseBatches: number }
  | ({ readonly t: 'queue'; readonly index: string; readonly entry: QueueEntryJSON } & Tables)
  /** An order; `options` only when some differ from the defaults (older journals never have it). */
  | ({ readonly t: 'order'; readonly now: string; readonly signed: SignedOrderJSON; readonly options?: OrderOptionsJSON; readonly outcome: string } & Tables)
  | ({ readonly t: 'withdrawal'; readonly now: string; readonly signed: SignedWithdrawalJSON } & Tables)
  | ({ readonly t: 'cancel'; readonly now: string; readonly signed: SignedCancelJSON } & Tables)
  /** A cancel-all with its per-order cancels, and what it did (a replay must do the same). */
  | ({ readonly t: 'cancelAll'; readonly now: string; readonly signed: SignedCancelAllJSON; readonly outcome: string } & Tables)
  | { readonly t: 'flush' }
  | ({ readonly t: 'liquidations'; readonly now: string; readonly outcome: string } & Tables)
  /** Expired resting orders taken out of the books (no slot: nothing to price). */
  | { readonly t: 'expiry'; readonly now: string; readonly outcome: string }
  | ({ readonly t: 'settlement'; readonly now: string; readonly seriesId: string; readonly price: string; readonly outcome: string } & Tables)
  /** New market inputs (oracle prices, vols, trading states): later decisions depend on them. */
  | { readonly t: 'market'; readonly update: MarketUpdate }

/** The journal is unreadable or belongs to another deployment. */
export class JournalError extends Error {
  override readonly name = 'JournalError'
}

export class Journal {
  readonly path: string
  #fd: number | undefined
  /** Something was written since the last fsync started. */
  #unsynced = false
  /** The fsync running now. */
  #syncing: Promise<void> | undefined
  /** The fsync that starts when the running one ends (it covers every append until then). */
  #queued: Promise<void> | undefined
  /** An fsync failed: what reached the disk is unknown, so nothing more is accepted (fsync errors are not retried). */
  #failed: JournalError | undefined
  /** Entries appended since the last fsync started. */
  #pendingEntries = 0
  /** Lines appended and not yet written (written at the end of the turn or before an fsync). */
  #unwritten: string[] = []

  readonly #writeAtOnce: boolean

  /**
   * `writeAtOnce` writes each entry as it is appended rather than at the end of the turn: for
   * a reader of the file in the same turn (tests that follow a primary step by step).
   */
  constructor(path: string, options: { readonly writeAtOnce?: boolean } = {}) {
    this.path = path
    this.#writeAtOnce = options.writeAtOnce ?? false
  }

  /** Every entry written so far (a torn final line is ignored). */
  read(): JournalEntry[] {
    this.#write()
    if (!existsSync(this.path)) return []
    const lines = readFileSync(this.path, 'utf8').split('\n')
    const entries: JournalEntry[] = []
    lines.forEach((line, i) => {
      if (line === '') return
      try {
        entries.push(JSON.parse(line) as JournalEntry)
      } catch {
        const last = lines.slice(i + 1).every((l) => l === '')
        if (!last) throw new JournalError(`${this.path}: line ${i + 1} is not JSON; the journal is corrupt`)
      }
    })
    return entries
  }

  /** Appends one entry: written by the end of this event-loop turn, durable once `durable()` resolves. */
  append(entry: JournalEntry): void {
    if (this.#failed) throw this.#failed
    if (this.#fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true })
      this.#dropTornTail()
      const created = !existsSync(this.path)
      this.#fd = openSync(this.path, 'a')
      // A new file's directory entry is durable only once the directory is synced: without
      // it, a power cut could lose the whole journal even though every line was fsynced.
      if (created) syncDirectory(dirname(this.path))
    }
    if (this.#unwritten.length === 0 && !this.#writeAtOnce) setImmediate(() => this.#write())
    this.#unwritten.push(`${JSON.stringify(entry)}\n`)
    this.#unsynced = true
    this.#pendingEntries++
    if (this.#writeAtOnce) this.#write()
  }

  /** Writes the lines appended so far; a failed write fails the journal as a failed fsync does. */
  #write(): void {
    if (this.#unwritten.length === 0 || this.#fd === undefined || this.#failed) return
    const data = Buffer.from(this.#unwritten.join(''))
    this.#unwritten = []
    try {
      for (let offset = 0; offset < data.length; ) offset += writeSync(this.#fd, data, offset)
    } catch (error) {
      this.#failed = new JournalError(`${this.path}: a write failed (${(error as Error).message}); writes are refused until the node restarts`, { cause: error })
    }
  }

  /** Called after each fsync with its duration and how many entries it made durable (metrics). */
  protected synced(_seconds: number, _entries: number): void {}

  /**
   * Resolves once every entry appended so far is on disk; rejects with a `JournalError` when
   * the fsync fails (and every later append and `durable()` then fails too).
   */
  durable(): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed)
    if (!this.#unsynced) return this.#syncing ?? Promise.resolve()
    if (!this.#syncing) return this.#startSync()
    this.#queued ??= this.#syncing.then(
      () => this.#startQueued(),
      () => this.#startQueued(),
    )
    return this.#queued
  }

  #startQueued(): Promise<void> {
    this.#queued = undefined
    return this.#failed ? Promise.reject(this.#failed) : this.#startSync()
  }

  #startSync(): Promise<void> {
    this.#write()
    if (this.#failed) return Promise.reject(this.#failed)
    this.#unsynced = false
    const entries = this.#pendingEntries
    this.#pendingEntries = 0
    const fd = this.#fd!
    const started = process.hrtime.bigint()
    const sync = new Promise<void>((resolve, reject) =>
      fsync(fd, (error) => {
        if (this.#syncing === sync) this.#syncing = undefined
        if (!error) {
          this.synced(Number(process.hrtime.bigint() - started) / 1e9, entries)
          return resolve()
        }
        this.#failed ??= new JournalError(`${this.path}: fsync failed (${error.message}); writes are refused until the node restarts`, { cause: error })
        reject(this.#failed)
      }),
    )
    this.#syncing = sync
    return sync
  }

  /** A crash mid-write leaves a last line without its newline: cut it before appending. */
  #dropTornTail(): void {
    if (!existsSync(this.path)) return
    const text = readFileSync(this.path, 'utf8')
    if (text === '' || text.endsWith('\n')) return
    truncateSync(this.path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)))
  }

  /** Makes everything written durable and closes the file (after a running fsync, if any). */
  close(): void {
    this.#write()
    const fd = this.#fd
    if (fd === undefined) return
    this.#fd = undefined
    if (!this.#failed) fsyncSync(fd)
    this.#unsynced = false
    const pending = this.#queued ?? this.#syncing
    if (pending) void pending.then(() => closeSync(fd), () => closeSync(fd))
    else closeSync(fd)
  }
}

/** fsync of a directory (its entries); read-only open is what POSIX allows for directories. */
function syncDirectory(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
