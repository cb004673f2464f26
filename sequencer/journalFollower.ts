/**
 * A journal followed while another process writes it (the replica, sequencer/replica.ts): the
 * file is polled read-only, only complete lines (ending in a newline) are read, and they are
 * replayed in order through an engine of its own with the same logic as a restart
 * (`replayJournal`). A last line without its newline is either being written or torn by a
 * crash: it is left where it is and read again at the next poll, never consumed; if the
 * writer died, the node that takes over drops it exactly as a restart does.
 *
 * The follower's engine therefore holds, at every poll, the state a restart would rebuild
 * from the lines written so far; what it cannot know is which of the last lines are fsynced
 * yet (the writer answers a client only after its fsync), so a replica may show a little more
 * than the primary acknowledged, never less than what a takeover will serve.
 *
 * Segments: the writer creates segment k + 1 only once every line of segment k is written
 * (`Journal.rotate`), so a follower that sees segment k + 1 begun before it reads segment k has
 * all of segment k in that read; it then goes on in segment k + 1. A segment deleted before
 * the follower read it all (`journalPruner`, once L1 verified its batches) stops it with a
 * `JournalError`: a restarted replica begins at the newest checkpoint.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'
import type { Engine } from './engine.js'
import { firstJournalLine, JournalError, journalSegmentPath, journalSegments, type JournalEntry } from './journal.js'
import type { Market } from './market.js'
import { replayJournal } from './recorder.js'

/** One complete line read ahead of the follower's position, with the byte offset where it ends. */
type Line = { readonly entry: JournalEntry; readonly end: number }

const NEWLINE = 0x0a

/** The complete lines of a growing file beyond a byte offset that only moves forward. */
export class JournalTail {
  readonly path: string
  /** Bytes consumed: always just past a newline. */
  #offset = 0
  /** Lines consumed (for error messages). */
  #lines = 0

  constructor(path: string) {
    this.path = path
  }

  get offset(): number {
    return this.#offset
  }

  /** The bytes of the file beyond the offset (empty while the file does not exist). */
  #unread(): Buffer {
    if (!existsSync(this.path)) return Buffer.alloc(0)
    const fd = openSync(this.path, 'r')
    try {
      const size = fstatSync(fd).size
      // Writers only append, and a restart cuts only a torn line past the last newline: the
      // file can never end before a newline already read, unless it was replaced.
      if (size < this.#offset) throw new JournalError(`${this.path} shrank to ${size} bytes below the ${this.#offset} already followed: the journal was replaced; restart the replica`)
      const buffer = Buffer.alloc(size - this.#offset)
      let read = 0
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, this.#offset + read)
        if (n === 0) break
        read += n
      }
      return buffer.subarray(0, read)
    } finally {
      closeSync(fd)
    }
  }

  /** The complete lines beyond the offset, parsed, without consuming them. */
  peek(): Line[] {
    const buffer = this.#unread()
    const lines: Line[] = []
    let start = 0
    for (let nl = buffer.indexOf(NEWLINE); nl !== -1; nl = buffer.indexOf(NEWLINE, start)) {
      const text = buffer.subarray(start, nl).toString('utf8')
      start = nl + 1
      if (text === '') continue
      try {
        lines.push({ entry: JSON.parse(text) as JournalEntry, end: this.#offset + start })
      } catch {
        // A complete line is never torn (a restart cuts the torn tail before appending).
        throw new JournalError(`${this.path}: line ${this.#lines + lines.length + 1} is not JSON; the journal is corrupt`)
      }
    }
    return lines
  }

  /** Consumes the lines up to and including `line`. */
  consume(line: Line, count: number): void {
    this.#offset = line.end
    this.#lines += count
  }

  /** Complete lines written beyond the offset: how far the follower is behind. */
  behind(): number {
    const buffer = this.#unread()
    let n = 0
    for (let nl = buffer.indexOf(NEWLINE); nl !== -1; nl = buffer.indexOf(NEWLINE, nl + 1)) n++
    return n
  }
}

/** The series a journal entry trades or settles, which the follower's market must list first. */
function seriesOf(entry: JournalEntry): bigint | undefined {
  if (entry.t === 'order') return BigInt(entry.signed.order.seriesId)
  if (entry.t === 'settlement') return BigInt(entry.seriesId)
  return undefined
}

/** What one `catchUp` did. */
export type CatchUp = {
  /** Entries replayed. */
  readonly applied: number
  /** A series an unread entry needs that the market does not list yet (the caller reads L1's listed series, then calls again). */
  readonly missingSeries?: bigint
}

/**
 * Follows a journal into `engine`: `catchUp()` replays every complete line written since the
 * last call, in order. `clock.replaying` is true while it runs, so that the engine reads each
 * entry's recorded time (as during a restart) and the wall clock otherwise.
 */
export class JournalFollower {
  /** The journal's name (segment 0's path). */
  readonly path: string
  #tail: JournalTail
  #segment: number
  readonly #engine: Engine
  readonly #market: Market
  readonly #clock: { now: bigint; replaying: boolean }
  #applied = 0
  /** The first line, once read: the deployment and the L1 batches that preceded the journal. */
  #start: Extract<JournalEntry, { t: 'start' }> | undefined

  /** `segment`: the segment to begin with (the engine holds the state before it: its checkpoint, or L1's for segment 0). */
  constructor(path: string, engine: Engine, market: Market, clock: { now: bigint; replaying: boolean }, segment = 0) {
    this.path = path
    this.#segment = segment
    this.#tail = new JournalTail(journalSegmentPath(path, segment))
    this.#engine = engine
    this.#market = market
    this.#clock = clock
  }

  /** Entries replayed so far (the start line included). */
  get applied(): number {
    return this.#applied
  }

  get start(): Extract<JournalEntry, { t: 'start' }> | undefined {
    return this.#start
  }

  /** The segment being followed, and where in its file. */
  get tail(): JournalTail {
    return this.#tail
  }

  get segment(): number {
    return this.#segment
  }

  /** Whether segment k + 1 has begun (its start line is complete): segment k is then complete. */
  #nextBegun(): boolean {
    return firstJournalLine(journalSegmentPath(this.path, this.#segment + 1))?.t === 'start'
  }

  /** Replays the complete lines of every segment written since the last call (see `#catchUpSegment`). */
  catchUp(): CatchUp {
    let applied = 0
    for (;;) {
      // Looked at before the read: if the next segment had begun, this read holds all of this one.
      const nextBegun = this.#nextBegun()
      if (!existsSync(this.#tail.path) && journalSegments(this.path).some((k) => k > this.#segment))
        throw new JournalError(`${this.#tail.path} was deleted (L1 verified its batches) before this replica read all of it: restart the replica, it begins at the newest checkpoint`)
      const step = this.#catchUpSegment()
      applied += step.applied
      if (step.missingSeries !== undefined) return { applied, missingSeries: step.missingSeries }
      if (!nextBegun) return { applied }
      this.#segment++
      this.#tail = new JournalTail(journalSegmentPath(this.path, this.#segment))
    }
  }

  /**
   * Replays the complete lines of the current segment written since the last call. Stops before an entry whose series
   * the market does not list yet (`missingSeries`): the primary read it from L1 before it
   * accepted the entry; the replica must too. Throws `JournalError` when the journal is
   * corrupt or replays differently (the replica's state is then unusable: restart it).
   */
  #catchUpSegment(): CatchUp {
    const lines = this.#tail.peek()
    let ready = lines.length
    let missingSeries: bigint | undefined
    for (let i = 0; i < lines.length; i++) {
      const series = seriesOf(lines[i]!.entry)
      if (series !== undefined && !this.#market.seriesById(series)) {
        ready = i
        missingSeries = series
        break
      }
    }
    const batch = lines.slice(0, ready)
    const first = batch[0]?.entry
    if (this.#applied === 0 && first) {
      if (first.t !== 'start') throw new JournalError(`${this.#tail.path} does not begin with its start line`)
      this.#start = first
    }
    if (batch.length > 0) {
      this.#clock.replaying = true
      try {
        replayJournal(this.#engine, this.#market, batch.map((l) => l.entry), this.#clock)
      } finally {
        this.#clock.replaying = false
      }
      this.#tail.consume(batch.at(-1)!, batch.length)
      this.#applied += batch.length
    }
    return { applied: batch.length, ...(missingSeries !== undefined ? { missingSeries } : {}) }
  }

  /** Complete lines written that the follower has not replayed yet (later segments included). */
  behind(): number {
    const later = journalSegments(this.path).filter((k) => k > this.#segment)
    return later.reduce((n, k) => n + new JournalTail(journalSegmentPath(this.path, k)).behind(), this.#tail.behind())
  }
}
