/**
 * The engine behind its journal: each accepted input is applied, then appended durably,
 * and only then acknowledged. `replay` feeds a journal back through a fresh engine.
 */
import { signedCancelFromJSON, signedCancelToJSON, signedOrderFromJSON, signedOrderToJSON, signedWithdrawalFromJSON, signedWithdrawalToJSON } from '../sdk/orders.js'
import type { QueueEntry, SignedOrder } from '../state/index.js'
import { DEFAULT_ORDER_OPTIONS, isDefaultOrderOptions, orderOptionsFromJSON, orderOptionsToJSON, type OrderOptions } from '../sdk/orderRequest.js'
import { signedCancelAllFromJSON, signedCancelAllToJSON, type SignedCancelAll } from '../sdk/cancelAll.js'
import type { CancelAllOutcome, CancelOutcome, Engine, OrderOutcome, SignedCancel, SignedWithdrawal } from './engine.js'
import type { Market, MarketUpdate } from './market.js'
import { SequencerError } from './errors.js'
import { JournalError, type Journal, type JournalEntry, type QueueEntryJSON } from './journal.js'
import { batchMarketTableFromJSON, batchMarketTableToJSON, type BatchMarketTableJSON } from './batchTable.js'
import { CHECKPOINT_VERSION, encodeCheckpoint } from './checkpoint.js'

/** When the recorder starts a new journal segment with a checkpoint (`Journal.rotate`). */
export type CheckpointPolicy = {
  /**
   * A segment this many entries long ends at the next batch boundary; at twice as many the
   * open batch is cut short (a `flush`) to make one. 0: never.
   */
  readonly everyEntries: number
  /** Hears each checkpoint: the new segment, its first batch, how long it took. */
  readonly onCheckpoint?: (c: { readonly segment: number; readonly baseBatches: number; readonly ms: number; readonly bytes: number }) => void
  /**
   * Hears a checkpoint that failed (the journal stays on its segment and the request that
   * triggered it is answered as usual); the next try comes `everyEntries` entries later.
   */
  readonly onCheckpointError?: (error: Error) => void
}

function queueEntryToJSON(e: QueueEntry): QueueEntryJSON {
  return { kind: e.kind, accountIndex: e.accountIndex.toString(), amount: e.amount.toString(), l1Address: e.l1Address.toString(), pubKey: { x: e.pubKey.x.toString(), y: e.pubKey.y.toString() } }
}

function queueEntryFromJSON(j: QueueEntryJSON): QueueEntry {
  return { kind: j.kind as QueueEntry['kind'], accountIndex: BigInt(j.accountIndex), amount: BigInt(j.amount), l1Address: BigInt(j.l1Address), pubKey: { x: BigInt(j.pubKey.x), y: BigInt(j.pubKey.y) } }
}

function digest(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

/** A stable text of an outcome, to check that a replay decides exactly as the original run. */
export function outcomeDigest(o: OrderOutcome): string {
  return JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
}

/** The engine's writes, each journaled before it is acknowledged. */
export class Recorder {
  readonly #engine: Engine
  readonly #journal: Journal | undefined
  readonly #now: () => bigint

  readonly #market: Market
  readonly #checkpoints: CheckpointPolicy | undefined
  /** Segment length at which the next checkpoint is tried (moves on after a failed one). */
  #checkpointAt: number

  constructor(engine: Engine, market: Market, journal: Journal | undefined, now: () => bigint, checkpoints?: CheckpointPolicy) {
    this.#engine = engine
    this.#market = market
    this.#journal = journal
    this.#now = now
    this.#checkpoints = checkpoints
    this.#checkpointAt = checkpoints?.everyEntries ?? 0
  }

  /**
   * Appends an entry, then starts a new segment if the policy says so. The entry is appended
   * whatever happens to the checkpoint: a failed one is reported, not thrown, unless the
   * journal itself failed (then the entry's fate is unknown, as after a failed fsync).
   */
  #append(entry: JournalEntry): void {
    if (!this.#journal) return
    this.#journal.append(entry)
    const every = this.#checkpoints?.everyEntries ?? 0
    const length = this.#journal.segmentEntries
    if (every <= 0 || length < this.#checkpointAt) return
    if (this.#engine.pendingSlots > 0) {
      if (length < this.#checkpointAt + every) return
      if (this.#engine.flush()) this.#journal.append({ t: 'flush' })
    }
    try {
      this.checkpoint()
    } catch (error) {
      if (this.#journal.failed) throw error
      this.#checkpointAt = this.#journal.segmentEntries + every
      this.#checkpoints?.onCheckpointError?.(error as Error)
    }
  }

  /**
   * Ends the journal's segment here, between batches, and starts the next with a checkpoint
   * of the engine and the market inputs (`Journal.rotate`); returns the new segment.
   * Throws `CheckpointError` while a batch is open.
   */
  checkpoint(): number {
    if (!this.#journal) throw new JournalError('no journal to checkpoint')
    const started = performance.now()
    const engine = this.#engine.checkpoint()
    let bytes = 0
    const segment = this.#journal.rotate((k) => {
      const text = encodeCheckpoint({ version: CHECKPOINT_VERSION, segment: k, market: this.#market.currentInputs(), engine })
      bytes = text.length
      return text
    }, engine.openBatchNumber)
    // The new segment counts from its start line again.
    this.#checkpointAt = this.#checkpoints?.everyEntries ?? 0
    this.#checkpoints?.onCheckpoint?.({ segment, baseBatches: engine.openBatchNumber, ms: performance.now() - started, bytes })
    return segment
  }

  /**
   * Resolves once everything journaled so far is on disk (`Journal.durable`: one fsync for
   * all writes since the last one). Nothing is acknowledged before it resolves.
   */
  durable(): Promise<void> {
    return this.#journal?.durable() ?? Promise.resolve()
  }

  /** New market inputs; journaled, since every later decision depends on them. */
  updateMarket(update: MarketUpdate): void {
    this.#market.update(update)
    this.#append({ t: 'market', update })
  }

  /** The tables the engine's last request opened batches with: journaled so that a replay reuses them. */
  #tables(): { tables: BatchMarketTableJSON[] } {
    return { tables: this.#engine.openedTables.map(batchMarketTableToJSON) }
  }

  placeOrder(signed: SignedOrder, options: OrderOptions = DEFAULT_ORDER_OPTIONS): OrderOutcome {
    const now = this.#now()
    const outcome = this.#engine.placeOrder(signed, options)
    const opts = isDefaultOrderOptions(options) ? {} : { options: orderOptionsToJSON(options) }
    this.#append({ t: 'order', now: now.toString(), signed: signedOrderToJSON(signed), ...opts, outcome: outcomeDigest(outcome), ...this.#tables() })
    return outcome
  }

  /** A cancel-all (`Engine.cancelAll`); journaled with what it did. */
  cancelAll(c: SignedCancelAll): CancelAllOutcome {
    const now = this.#now()
    const outcome = this.#engine.cancelAll(c)
    this.#append({ t: 'cancelAll', now: now.toString(), signed: signedCancelAllToJSON(c), outcome: digest(outcome), ...this.#tables() })
    return outcome
  }

  requestWithdrawal(w: SignedWithdrawal): void {
    const now = this.#now()
    this.#engine.requestWithdrawal(w)
    this.#append({ t: 'withdrawal', now: now.toString(), signed: signedWithdrawalToJSON(w), ...this.#tables() })
  }

  cancelOrder(c: SignedCancel): CancelOutcome {
    const now = this.#now()
    const outcome = this.#engine.cancelOrder(c)
    this.#append({ t: 'cancel', now: now.toString(), signed: signedCancelToJSON(c), ...this.#tables() })
    return outcome
  }

  applyQueueEntry(queueIndex: bigint, entry: QueueEntry): { accountIndex: bigint } {
    const result = this.#engine.applyQueueEntry(queueIndex, entry)
    this.#append({ t: 'queue', index: queueIndex.toString(), entry: queueEntryToJSON(entry), ...this.#tables() })
    return result
  }

  /** Runs the engine's liquidations (`liquidateUnderwater`); journaled, with what they did. */
  liquidate(): ReturnType<Engine['liquidateUnderwater']> {
    const now = this.#now()
    const result = this.#engine.liquidateUnderwater()
    if (result.executed.length > 0 || this.#engine.openedTables.length > 0)
      this.#append({ t: 'liquidations', now: now.toString(), outcome: digest(result.executed), ...this.#tables() })
    return result
  }

  /** Takes expired orders out of the books (`Engine.expireOrders`); journaled when it removed any. */
  expireOrders(): ReturnType<Engine['expireOrders']> {
    const now = this.#now()
    const removed = this.#engine.expireOrders()
    if (removed.length > 0) this.#append({ t: 'expiry', now: now.toString(), outcome: digest(removed) })
    return removed
  }

  /** Settles a series at its fixed price (`settleSeries`); journaled when it settled anything. */
  settleSeries(seriesId: bigint, price: bigint): ReturnType<Engine['settleSeries']> {
    const now = this.#now()
    const executed = this.#engine.settleSeries(seriesId, price)
    if (executed.length > 0)
      this.#append({ t: 'settlement', now: now.toString(), seriesId: seriesId.toString(), price: price.toString(), outcome: digest(executed), ...this.#tables() })
    return executed
  }

  flush(): boolean {
    const cut = this.#engine.flush()
    if (cut) this.#append({ t: 'flush' })
    return cut
  }
}

/**
 * Replays journal entries (after the 'start' line) through `engine`, setting `clock` to each
 * entry's recorded time and handing it the market tables each entry recorded, so that every
 * replayed batch carries the table it was first cut with. Throws `JournalError` when an order
 * is decided differently than it was, or a request opens other batches than it did: the
 * journal then does not belong to this engine's configuration. Returns the entries applied;
 * `firstIndex` numbers them in errors when a journal is replayed in parts.
 */
export function replayJournal(engine: Engine, market: Market, entries: readonly JournalEntry[], clock: { now: bigint }, firstIndex = 0): number {
  let n = 0
  for (const entry of entries) {
    if (entry.t === 'start') {
      // A later segment begins between batches, at the batch its start line names.
      if (entry.segment !== undefined && (entry.baseBatches !== engine.openBatchNumber || engine.pendingSlots > 0))
        throw new JournalError(`journal segment ${entry.segment} begins at batch ${entry.baseBatches}, but the replay stands at batch ${engine.openBatchNumber} with ${engine.pendingSlots} open slots`)
      continue
    }
    const tables = 'tables' in entry ? entry.tables : undefined
    engine.supplyTables(tables?.map((t) => batchMarketTableFromJSON(t, engine.state.params)))
    try {
      replayEntry(engine, market, entry, clock, firstIndex + n)
    } catch (error) {
      engine.supplyTables(undefined)
      // An acknowledged request that replays as refused: the replay diverged from the original run.
      if (error instanceof SequencerError) throw new JournalError(`journal entry ${firstIndex + n} (${entry.t}) was accepted but replays as refused: ${error.message}`, { cause: error })
      throw error
    }
    const unused = engine.supplyTables(undefined)
    if (unused > 0) throw new JournalError(`journal entry ${firstIndex + n}: ${unused} of its market tables were not used: the replay opened fewer batches than the original run`)
    n++
  }
  return n
}

/** Entries a starting node replays between two hand-offs to its state hasher. */
export const REPLAY_CHUNK = 200

/**
 * `replayJournal` in parts of `chunk` entries, calling `afterChunk` after each: a node hands
 * each part's operations to its state hasher there (`StateHasher.flush`), so that the worker
 * hashes one part while the engine replays the next.
 */
export function replayJournalInChunks(engine: Engine, market: Market, entries: readonly JournalEntry[], clock: { now: bigint }, chunk: number, afterChunk: () => void): number {
  let n = 0
  for (let at = 0; at < entries.length; at += chunk) {
    n += replayJournal(engine, market, entries.slice(at, at + chunk), clock, n)
    afterChunk()
  }
  return n
}

function replayEntry(engine: Engine, market: Market, entry: Exclude<JournalEntry, { t: 'start' }>, clock: { now: bigint }, n: number): void {
  switch (entry.t) {
    case 'queue':
      engine.applyQueueEntry(BigInt(entry.index), queueEntryFromJSON(entry.entry))
      return
    case 'order': {
      clock.now = BigInt(entry.now)
      const options = entry.options ? orderOptionsFromJSON(entry.options, `journal entry ${n} options`) : DEFAULT_ORDER_OPTIONS
      const outcome = outcomeDigest(engine.placeOrder(signedOrderFromJSON(entry.signed), options, { replay: true }))
      if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the order was decided ${entry.outcome} but replays as ${outcome}`)
      return
    }
    case 'withdrawal':
      clock.now = BigInt(entry.now)
      engine.requestWithdrawal(signedWithdrawalFromJSON(entry.signed))
      return
    case 'cancel':
      clock.now = BigInt(entry.now)
      engine.cancelOrder(signedCancelFromJSON(entry.signed))
      return
    case 'cancelAll': {
      clock.now = BigInt(entry.now)
      const outcome = digest(engine.cancelAll(signedCancelAllFromJSON(entry.signed)))
      if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the cancel-all did ${entry.outcome} but replays as ${outcome}`)
      return
    }
    case 'flush':
      engine.flush()
      return
    case 'settlement': {
      clock.now = BigInt(entry.now)
      const outcome = digest(engine.settleSeries(BigInt(entry.seriesId), BigInt(entry.price)))
      if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the settlement was ${entry.outcome} but replays as ${outcome}`)
      return
    }
    case 'liquidations': {
      clock.now = BigInt(entry.now)
      const outcome = digest(engine.liquidateUnderwater().executed)
      if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the liquidations were ${entry.outcome} but replay as ${outcome}`)
      return
    }
    case 'expiry': {
      clock.now = BigInt(entry.now)
      const outcome = digest(engine.expireOrders())
      if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the expiry removed ${entry.outcome} but replays as ${outcome}`)
      return
    }
    case 'market':
      market.update(entry.update)
      return
  }
}
