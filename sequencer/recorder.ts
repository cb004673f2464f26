/**
 * The engine behind its journal: each accepted input is applied, then appended durably,
 * and only then acknowledged. `replay` feeds a journal back through a fresh engine.
 */
import { signedCancelFromJSON, signedCancelToJSON, signedOrderFromJSON, signedOrderToJSON, signedWithdrawalFromJSON, signedWithdrawalToJSON } from '../sdk/orders.js'
import type { QueueEntry, SignedOrder } from '../state/index.js'
import type { CancelOutcome, Engine, OrderOutcome, SignedCancel, SignedWithdrawal } from './engine.js'
import type { Market, MarketUpdate } from './market.js'
import { JournalError, type Journal, type JournalEntry, type QueueEntryJSON } from './journal.js'

function queueEntryToJSON(e: QueueEntry): QueueEntryJSON {
  return { kind: e.kind, accountIndex: e.accountIndex.toString(), amount: e.amount.toString(), l1Address: e.l1Address.toString(), pubKey: { x: e.pubKey.x.toString(), y: e.pubKey.y.toString() } }
}

function queueEntryFromJSON(j: QueueEntryJSON): QueueEntry {
  return { kind: j.kind as QueueEntry['kind'], accountIndex: BigInt(j.accountIndex), amount: BigInt(j.amount), l1Address: BigInt(j.l1Address), pubKey: { x: BigInt(j.pubKey.x), y: BigInt(j.pubKey.y) } }
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

  constructor(engine: Engine, market: Market, journal: Journal | undefined, now: () => bigint) {
    this.#engine = engine
    this.#market = market
    this.#journal = journal
    this.#now = now
  }

  /** New market inputs; journaled, since every later decision depends on them. */
  updateMarket(update: MarketUpdate): void {
    this.#market.update(update)
    this.#journal?.append({ t: 'market', update })
  }

  placeOrder(signed: SignedOrder): OrderOutcome {
    const now = this.#now()
    const outcome = this.#engine.placeOrder(signed)
    this.#journal?.append({ t: 'order', now: now.toString(), signed: signedOrderToJSON(signed), outcome: outcomeDigest(outcome) })
    return outcome
  }

  requestWithdrawal(w: SignedWithdrawal): void {
    const now = this.#now()
    this.#engine.requestWithdrawal(w)
    this.#journal?.append({ t: 'withdrawal', now: now.toString(), signed: signedWithdrawalToJSON(w) })
  }

  cancelOrder(c: SignedCancel): CancelOutcome {
    const now = this.#now()
    const outcome = this.#engine.cancelOrder(c)
    this.#journal?.append({ t: 'cancel', now: now.toString(), signed: signedCancelToJSON(c) })
    return outcome
  }

  applyQueueEntry(queueIndex: bigint, entry: QueueEntry): { accountIndex: bigint } {
    const result = this.#engine.applyQueueEntry(queueIndex, entry)
    this.#journal?.append({ t: 'queue', index: queueIndex.toString(), entry: queueEntryToJSON(entry) })
    return result
  }

  flush(): boolean {
    const cut = this.#engine.flush()
    if (cut) this.#journal?.append({ t: 'flush' })
    return cut
  }
}

/**
 * Replays journal entries (after the 'start' line) through `engine`, setting `clock` to each
 * entry's recorded time. Throws `JournalError` when an order is decided differently than it
 * was: the journal then does not belong to this engine's configuration.
 */
export function replayJournal(engine: Engine, market: Market, entries: readonly JournalEntry[], clock: { now: bigint }): number {
  let n = 0
  for (const entry of entries) {
    switch (entry.t) {
      case 'start':
        continue
      case 'queue':
        engine.applyQueueEntry(BigInt(entry.index), queueEntryFromJSON(entry.entry))
        break
      case 'order': {
        clock.now = BigInt(entry.now)
        const outcome = outcomeDigest(engine.placeOrder(signedOrderFromJSON(entry.signed)))
        if (outcome !== entry.outcome) throw new JournalError(`journal entry ${n}: the order was decided ${entry.outcome} but replays as ${outcome}`)
        break
      }
      case 'withdrawal':
        clock.now = BigInt(entry.now)
        engine.requestWithdrawal(signedWithdrawalFromJSON(entry.signed))
        break
      case 'cancel':
        clock.now = BigInt(entry.now)
        engine.cancelOrder(signedCancelFromJSON(entry.signed))
        break
      case 'flush':
        engine.flush()
        break
      case 'market':
        market.update(entry.update)
        break
    }
    n++
  }
  return n
}
