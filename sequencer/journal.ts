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
 *
 * Segments: `rotate` ends the file being written between two batches and starts the next
 * segment (`journal.1.jsonl`, `journal.2.jsonl`, ... beside `journal.jsonl`, segment 0), with
 * a checkpoint of the engine beside it (`journal.1.checkpoint.json`, sequencer/checkpoint.ts):
 * a restart loads the newest checkpoint L1 has caught up with and replays only the segments
 * from it on. Order of a rotation: every line of the old segment written and fsynced, the
 * checkpoint written whole (temporary file, rename), then the new segment created with its
 * start line; the new segment is the commit point. A crash before it leaves the old segment
 * current (a checkpoint without its segment is ignored, and overwritten by the next
 * rotation); a new segment without a complete start line is removed on open. `prune` deletes
 * the segments (and checkpoints) before a checkpoint once L1 holds every batch they cut.
 */
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, truncateSync, unlinkSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { syncDirectory, writeFileAtomically } from './checkpoint.js'
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
  /**
   * First line of every segment: the deployment this journal belongs to, and the number of
   * the first batch the segment cuts (segment 0: how many batches were on L1 without it);
   * `segment` from 1 on.
   */
  | { readonly t: 'start'; readonly chainId: number; readonly rollup: string; readonly baseBatches: number; readonly segment?: number }
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

/** The file of segment `k` of the journal at `path` (segment 0 is `path` itself). */
export function journalSegmentPath(path: string, k: number): string {
  if (k === 0) return path
  const { stem, ext } = splitName(path)
  return join(dirname(path), `${stem}.${k}${ext}`)
}

/** The checkpoint taken where segment `k` (from 1 on) begins. */
export function journalCheckpointPath(path: string, k: number): string {
  return join(dirname(path), `${splitName(path).stem}.${k}.checkpoint.json`)
}

function splitName(path: string): { stem: string; ext: string } {
  const name = basename(path)
  return name.endsWith('.jsonl') ? { stem: name.slice(0, -'.jsonl'.length), ext: '.jsonl' } : { stem: name, ext: '' }
}

/** The segments of the journal at `path` that exist, ascending. */
export function journalSegments(path: string): number[] {
  const dir = dirname(path)
  if (!existsSync(dir)) return []
  const { stem, ext } = splitName(path)
  const found = existsSync(path) ? [0] : []
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(`${stem}.`) || !name.endsWith(ext)) continue
    const middle = name.slice(stem.length + 1, name.length - ext.length)
    if (/^[1-9][0-9]*$/.test(middle)) found.push(Number(middle))
  }
  return found.sort((a, b) => a - b)
}

/** The entries of one segment file; a torn last line is dropped where `tornTailAllowed`, corruption elsewhere. */
function readSegment(path: string, tornTailAllowed: boolean): JournalEntry[] {
  if (!existsSync(path)) return []
  // A Buffer, not one string: a long segment may exceed the longest string V8 makes (~512 MB).
  const data = readFileSync(path)
  const entries: JournalEntry[] = []
  let start = 0
  let line = 0
  while (start < data.length) {
    const nl = data.indexOf(NEWLINE, start)
    const end = nl === -1 ? data.length : nl
    line++
    if (end > start) {
      try {
        entries.push(JSON.parse(data.toString('utf8', start, end)) as JournalEntry)
      } catch {
        if (nl !== -1 || !tornTailAllowed) throw new JournalError(`${path}: line ${line} is not JSON; the journal is corrupt`)
      }
    }
    start = end + 1
  }
  return entries
}

/** The first complete line of a file, parsed (undefined when it has none yet). */
export function firstJournalLine(path: string): JournalEntry | undefined {
  if (!existsSync(path)) return undefined
  const fd = openSync(path, 'r')
  try {
    const chunk = Buffer.alloc(64 * 1024)
    const n = readSync(fd, chunk, 0, chunk.length, 0)
    const nl = chunk.subarray(0, n).indexOf(NEWLINE)
    if (nl === -1) return undefined
    return JSON.parse(chunk.toString('utf8', 0, nl)) as JournalEntry
  } catch (error) {
    throw new JournalError(`${path}: its first line is not a journal entry (${(error as Error).message})`)
  } finally {
    closeSync(fd)
  }
}

const NEWLINE = 0x0a

type StartLine = Extract<JournalEntry, { t: 'start' }>

export class Journal {
  /** Segment 0's file: the journal's name (later segments sit beside it). */
  readonly path: string
  #fd: number | undefined
  /** The segment appended to (known once the journal is opened for writing). */
  #segment = 0
  /** Entries in that segment, its start line included. */
  #segmentEntries = 0
  /** The start line of segment 0 or of the last segment read or written: a rotation's new start line copies its deployment. */
  #start: StartLine | undefined
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

  /** The segment being appended to (opens the journal for writing). */
  get segment(): number {
    this.#open()
    return this.#segment
  }

  /** Entries in the segment being appended to, its start line included (opens the journal for writing). */
  get segmentEntries(): number {
    this.#open()
    return this.#segmentEntries
  }

  /** Whether the journal refuses writes (a failed write, fsync or rotation): the node must restart. */
  get failed(): boolean {
    return this.#failed !== undefined
  }

  /** Every entry written so far, in every segment still on disk, in order (a torn final line is ignored). */
  read(): JournalEntry[] {
    return this.readFrom(0)
  }

  /** The entries of the segments from `first` on (each begins with its start line). */
  readFrom(first: number): JournalEntry[] {
    this.#write()
    const segments = journalSegments(this.path).filter((k) => k >= first)
    const entries: JournalEntry[] = []
    segments.forEach((k, i) => {
      const last = i === segments.length - 1
      const segment = readSegment(journalSegmentPath(this.path, k), last)
      // A new segment without its start line is a rotation cut short: nothing is in it.
      if (k > 0 && last && segment.length === 0) return
      if (k > 0 && segment[0]?.t !== 'start') throw new JournalError(`${journalSegmentPath(this.path, k)} does not begin with its start line`)
      for (const e of segment) entries.push(e)
    })
    const start = entries.find((e): e is StartLine => e.t === 'start')
    if (start) this.#start ??= start
    return entries
  }

  /** Appends one entry: written by the end of this event-loop turn, durable once `durable()` resolves. */
  append(entry: JournalEntry): void {
    if (this.#failed) throw this.#failed
    this.#open()
    if (entry.t === 'start') this.#start ??= entry
    if (this.#unwritten.length === 0 && !this.#writeAtOnce) setImmediate(() => this.#write())
    this.#unwritten.push(`${JSON.stringify(entry)}\n`)
    this.#unsynced = true
    this.#pendingEntries++
    this.#segmentEntries++
    if (this.#writeAtOnce) this.#write()
  }

  /** Opens the last segment for appending: a rotation cut short is undone, a torn last line cut. */
  #open(): void {
    if (this.#fd !== undefined) return
    mkdirSync(dirname(this.path), { recursive: true })
    let segments = journalSegments(this.path)
    let segment = segments.at(-1) ?? 0
    if (segment > 0 && firstJournalLine(journalSegmentPath(this.path, segment)) === undefined) {
      unlinkSync(journalSegmentPath(this.path, segment))
      syncDirectory(dirname(this.path))
      segments = segments.slice(0, -1)
      segment = segments.at(-1) ?? 0
    }
    const path = journalSegmentPath(this.path, segment)
    this.#segmentEntries = this.#dropTornTail(path)
    const created = !existsSync(path)
    this.#fd = openSync(path, 'a')
    this.#segment = segment
    // A new file's directory entry is durable only once the directory is synced: without
    // it, a power cut could lose the whole journal even though every line was fsynced.
    if (created) syncDirectory(dirname(path))
  }

  /**
   * Ends the current segment and starts the next, with `checkpoint(k)` (the text of the
   * checkpoint where segment k begins) beside it; `baseBatches` is the number of the first
   * batch the new segment cuts. Synchronous: every line appended so far is written and
   * fsynced first, so the checkpoint never holds an effect whose line could be lost. Returns
   * the new segment's number.
   *
   * A failure before the new segment exists (`checkpoint` throws, the checkpoint file cannot
   * be written) leaves the journal on its segment, usable: the error is thrown and nothing
   * else changed. A failure while the new segment is created removes it again; if even that
   * fails, the journal refuses every later write (`JournalError`), as after a failed fsync:
   * a reader could take the new segment as begun while writes went on in the old one.
   */
  rotate(checkpoint: (segment: number) => string, baseBatches: number): number {
    if (this.#failed) throw this.#failed
    this.#open()
    const start = this.#start ?? firstJournalLine(this.path) ?? firstJournalLine(journalSegmentPath(this.path, this.#segment))
    if (start?.t !== 'start') throw new JournalError(`${this.path}: the journal has no start line to copy into a new segment`)
    this.#write()
    if (this.#failed) throw this.#failed
    const old = this.#fd!
    try {
      fsyncSync(old)
    } catch (error) {
      this.#failed = new JournalError(`${this.path}: fsync failed (${(error as Error).message}); writes are refused until the node restarts`, { cause: error })
      throw this.#failed
    }
    this.#unsynced = false
    this.#pendingEntries = 0
    const next = this.#segment + 1
    writeFileAtomically(journalCheckpointPath(this.path, next), checkpoint(next))
    const path = journalSegmentPath(this.path, next)
    const line: StartLine = { t: 'start', chainId: start.chainId, rollup: start.rollup, baseBatches, segment: next }
    const fd = this.#createSegment(path, line)
    // The old file closes once the fsyncs running on it end; appends now go to the new one.
    const pending = this.#queued ?? this.#syncing
    if (pending) void pending.then(() => closeSync(old), () => closeSync(old))
    else closeSync(old)
    this.#fd = fd
    this.#segment = next
    this.#segmentEntries = 1
    this.#start = line
    return next
  }

  /** Creates a segment file holding its start line, durably; on failure removes it, or fails the journal if it cannot. */
  #createSegment(path: string, line: StartLine): number {
    let fd: number | undefined
    try {
      fd = openSync(path, 'wx')
      const data = Buffer.from(`${JSON.stringify(line)}\n`)
      for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset)
      fsyncSync(fd)
      syncDirectory(dirname(path))
      return fd
    } catch (error) {
      try {
        // Only a file this call created is removed ('wx' refuses one that exists).
        if (fd !== undefined) {
          closeSync(fd)
          unlinkSync(path)
        }
      } catch (cleanup) {
        this.#failed = new JournalError(`${path}: a new journal segment could not be created (${(error as Error).message}) nor removed (${(cleanup as Error).message}); writes are refused until the node restarts`, { cause: error })
        throw this.#failed
      }
      throw new JournalError(`${path}: a new journal segment could not be created (${(error as Error).message}); writing goes on in the current one`, { cause: error })
    }
  }

  /** Deletes the segments before `keep` and their checkpoints (`keep`'s checkpoint stays: a restart starts there). */
  prune(keep: number): number[] {
    const removed = journalSegments(this.path).filter((k) => k < keep)
    for (const k of removed) {
      unlinkSync(journalSegmentPath(this.path, k))
      if (k > 0 && existsSync(journalCheckpointPath(this.path, k))) unlinkSync(journalCheckpointPath(this.path, k))
    }
    if (removed.length > 0) syncDirectory(dirname(this.path))
    return removed
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

  /** A crash mid-write leaves a last line without its newline: cut it before appending. Returns the complete lines. */
  #dropTornTail(path: string): number {
    if (!existsSync(path)) return 0
    const data = readFileSync(path)
    let lines = 0
    for (let nl = data.indexOf(NEWLINE); nl !== -1; nl = data.indexOf(NEWLINE, nl + 1)) lines++
    if (data.length > 0 && data[data.length - 1] !== NEWLINE) truncateSync(path, data.lastIndexOf(NEWLINE) + 1)
    return lines
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
