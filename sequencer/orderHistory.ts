/**
 * Status and history of every order the engine decided: accepted orders with their fills
 * (and the batch each fill's slot went into), how they ended, and recent refusals.
 *
 * The engine writes it as it decides, so a journal replay rebuilds it exactly (same inputs,
 * same clock): the history survives a restart for everything the journal holds. Refusals
 * are not journaled (a refused request changes nothing, and journaling them would let anyone
 * with a valid signature write to the disk at will), so they are kept in memory only.
 *
 * Retention per account: every open order, the latest `closedPerAccount` closed ones and the
 * latest `rejectedPerAccount` refusals; older ones are forgotten, oldest first.
 *
 * Change feed: `onChange` listeners hear every change of a record, after it is made, with a
 * copy of the record (the WebSocket stream's source: sequencer/streamHub.ts). Every change of
 * an order book is a change of a record in that series (an order rests, fills, is trimmed or
 * leaves), so the feed also says when a book changed; the taker's `filled` change of each
 * fill describes the trade (`tradeOfChange`), once per fill.
 */
import type { Order, Side, SignedOrder } from '../state/index.js'
import type { OrderOptions } from '../sdk/orderRequest.js'

/** Where an order stands. `expired` covers an order still in the book whose `validUntil` passed. */
export type OrderStatus = 'resting' | 'partially_filled' | 'filled' | 'cancelled' | 'expired' | 'rejected'

/** One fill of an order. */
export type OrderFillRecord = {
  readonly size: bigint
  readonly price: bigint
  /** Whether the order rested (maker) or came in (taker) when it traded. */
  readonly role: 'maker' | 'taker'
  readonly counterpartyAccount: bigint
  readonly counterpartyOrderId: bigint
  /** Number of the batch whose slot carries the trade. */
  readonly batch: number
  /** Engine time of the fill (unix seconds). */
  readonly at: bigint
}

/** What the history knows of one order. */
export type OrderRecord = {
  readonly order: Order
  readonly options: OrderOptions
  readonly status: OrderStatus
  /** Size filled so far. */
  readonly filled: bigint
  /** Sum of size x price over the fills (collateral base units). */
  readonly notional: bigint
  /** Size left in the book (0 unless resting or partially filled). */
  readonly remaining: bigint
  readonly fills: readonly OrderFillRecord[]
  /** When it was accepted (or refused), engine time. */
  readonly receivedAt: bigint
  readonly updatedAt: bigint
  /** Why it ended (cancelled, expired) or was refused. */
  readonly reason?: string
  /** The refusal code of a rejected order. */
  readonly code?: string
  /** Order of arrival in this history: the pagination key. */
  readonly sequence: number
}

/** A page of an account's orders, newest first; `next` is the cursor of the following page. */
export type OrderPage = { readonly orders: readonly OrderRecord[]; readonly next?: number }

/** Which orders a listing returns. */
export type OrderFilter = 'open' | 'closed' | 'all'

/** One change of an order record, with the record as it stands after it. */
export type OrderChange =
  | { readonly kind: 'accepted' | 'resting' | 'closed' | 'rejected'; readonly record: OrderRecord }
  | { readonly kind: 'filled'; readonly record: OrderRecord; readonly fill: OrderFillRecord }

/** Hears order changes. Called synchronously inside the engine's decision: keep it cheap. */
export type OrderChangeListener = (change: OrderChange) => void

/** One fill between two orders, as the public trade feed shows it. */
export type TradeEvent = {
  readonly seriesId: bigint
  readonly price: bigint
  readonly size: bigint
  /** Side of the incoming order (the taker). */
  readonly takerSide: Side
  readonly takerAccount: bigint
  readonly takerOrderId: bigint
  readonly makerAccount: bigint
  readonly makerOrderId: bigint
  /** Number of the batch whose slot carries the trade. */
  readonly batch: number
  readonly at: bigint
}

/**
 * The trade a change describes: the taker's `filled` change of a fill (the maker's change of
 * the same fill is not one, so each trade appears once); undefined for any other change.
 */
export function tradeOfChange(change: OrderChange): TradeEvent | undefined {
  if (change.kind !== 'filled' || change.fill.role !== 'taker') return undefined
  const { order } = change.record
  const f = change.fill
  return {
    seriesId: order.seriesId,
    price: f.price,
    size: f.size,
    takerSide: order.side,
    takerAccount: order.accountIndex,
    takerOrderId: order.orderId,
    makerAccount: f.counterpartyAccount,
    makerOrderId: f.counterpartyOrderId,
    batch: f.batch,
    at: f.at,
  }
}

// A listener's bug must not cut an engine decision in half (the record already changed), nor
// vanish: by default it surfaces as an uncaught exception on a later turn.
const rethrowLater = (error: unknown) => {
  setTimeout(() => {
    throw error
  })
}

type Mutable = { -readonly [K in keyof OrderRecord]: OrderRecord[K] } & { fills: OrderFillRecord[] }

const OPEN: readonly OrderStatus[] = ['resting', 'partially_filled']

/** Retention limits (per account). */
export type OrderHistoryLimits = { readonly closedPerAccount: number; readonly rejectedPerAccount: number }

export const DEFAULT_HISTORY_LIMITS: OrderHistoryLimits = { closedPerAccount: 1_000, rejectedPerAccount: 100 }

/**
 * An order history as data (`OrderHistory.checkpoint`): every record once, by position in
 * `records` (with `done[i]`: it reached a final status), and each account's index of them, so
 * that a record an account's map no longer names (a rejection later accepted under the same
 * id) keeps its place in the retention queues. The records are the history's own objects, not
 * copies (a checkpoint of a large history is encoded at once, sequencer/checkpoint.ts): encode
 * it before the history changes again.
 */
export type OrderHistoryCheckpoint = {
  readonly sequence: number
  readonly records: readonly OrderRecord[]
  readonly done: readonly boolean[]
  readonly accounts: readonly { readonly index: bigint; readonly byId: readonly (readonly [bigint, number])[]; readonly closed: readonly number[]; readonly rejected: readonly number[] }[]
}

type AccountHistory = { readonly records: Map<bigint, Mutable>; readonly closed: Mutable[]; readonly rejected: Mutable[] }

export class OrderHistory {
  readonly #accounts = new Map<bigint, AccountHistory>()
  readonly #limits: OrderHistoryLimits
  /** Records that reached a final status. */
  readonly #done = new WeakSet<Mutable>()
  #sequence = 0
  readonly #listeners = new Set<{ readonly listener: OrderChangeListener; readonly onError: (error: unknown) => void }>()

  constructor(limits: OrderHistoryLimits = DEFAULT_HISTORY_LIMITS) {
    this.#limits = limits
  }

  /**
   * Calls `listener` after every change of an order record (accepted, filled, resting, closed,
   * rejected) with a copy of the record; returns the function that stops it. A listener that
   * throws does not interrupt the others nor the engine; its error goes to `onError` (by
   * default rethrown on a later turn).
   */
  onChange(listener: OrderChangeListener, onError: (error: unknown) => void = rethrowLater): () => void {
    const entry = { listener, onError }
    this.#listeners.add(entry)
    return () => void this.#listeners.delete(entry)
  }

  #emit(kind: OrderChange['kind'], r: Mutable, fill?: OrderFillRecord): void {
    if (this.#listeners.size === 0) return
    const record: OrderRecord = { ...r, fills: [...r.fills] }
    const change: OrderChange = kind === 'filled' ? { kind, record, fill: fill! } : { kind, record }
    for (const { listener, onError } of [...this.#listeners]) {
      try {
        listener(change)
      } catch (error) {
        onError(error)
      }
    }
  }

  #account(index: bigint): AccountHistory {
    let a = this.#accounts.get(index)
    if (!a) this.#accounts.set(index, (a = { records: new Map(), closed: [], rejected: [] }))
    return a
  }

  #record(accountIndex: bigint, orderId: bigint): Mutable | undefined {
    return this.#accounts.get(accountIndex)?.records.get(orderId)
  }

  /** Every record and queue as data, the records not copied (listeners are not part of it). */
  checkpoint(): OrderHistoryCheckpoint {
    const ids = new Map<Mutable, number>()
    const records: OrderRecord[] = []
    const done: boolean[] = []
    const id = (r: Mutable) => {
      let n = ids.get(r)
      if (n === undefined) {
        ids.set(r, (n = records.length))
        records.push(r)
        done.push(this.#done.has(r))
      }
      return n
    }
    const accounts = [...this.#accounts].map(([index, a]) => ({
      index,
      byId: [...a.records].map(([orderId, r]) => [orderId, id(r)] as const),
      closed: a.closed.map(id),
      rejected: a.rejected.map(id),
    }))
    return { sequence: this.#sequence, records, done, accounts }
  }

  /** Takes the records and queues of a checkpoint (into an empty history). */
  restore(checkpoint: OrderHistoryCheckpoint): void {
    if (this.#accounts.size > 0 || this.#sequence > 0) throw new Error('an order history is restored only into an empty one')
    const records = checkpoint.records.map((r, i) => {
      const m: Mutable = { ...r, fills: [...r.fills] }
      if (checkpoint.done[i]) this.#done.add(m)
      return m
    })
    for (const a of checkpoint.accounts)
      this.#accounts.set(a.index, { records: new Map(a.byId.map(([orderId, i]) => [orderId, records[i]!])), closed: a.closed.map((i) => records[i]!), rejected: a.rejected.map((i) => records[i]!) })
    this.#sequence = checkpoint.sequence
  }

  /** Whether the engine accepted this order id of this account (and still remembers it). */
  wasAccepted(accountIndex: bigint, orderId: bigint): boolean {
    const r = this.#record(accountIndex, orderId)
    return r !== undefined && r.status !== 'rejected'
  }

  /** An order was accepted (before any of its fills). */
  accepted(signed: SignedOrder, options: OrderOptions, now: bigint): void {
    const o = signed.order
    const a = this.#account(o.accountIndex)
    this.#forgetRejection(a, a.records.get(o.orderId))
    const r: Mutable = { order: o, options, status: 'resting', filled: 0n, notional: 0n, remaining: 0n, fills: [], receivedAt: now, updatedAt: now, sequence: this.#sequence++ }
    a.records.set(o.orderId, r)
    this.#emit('accepted', r)
  }

  /** A fill of an accepted order. */
  filled(accountIndex: bigint, orderId: bigint, fill: OrderFillRecord): void {
    const r = this.#record(accountIndex, orderId)
    if (!r) return
    r.fills.push(fill)
    r.filled += fill.size
    r.notional += fill.size * fill.price
    r.status = 'partially_filled'
    r.updatedAt = fill.at
    this.#emit('filled', r, fill)
  }

  /** How much of the order rests in the book now (0: it no longer rests). */
  resting(accountIndex: bigint, orderId: bigint, remaining: bigint, now: bigint): void {
    const r = this.#record(accountIndex, orderId)
    if (!r) return
    r.remaining = remaining
    r.status = r.filled > 0n ? 'partially_filled' : 'resting'
    r.updatedAt = now
    this.#emit('resting', r)
  }

  /**
   * The order no longer rests, nor ever will: `filled` (all of the size it could trade),
   * `cancelled` or `expired`, with the reason. Closing twice changes nothing.
   */
  closed(accountIndex: bigint, orderId: bigint, status: 'filled' | 'cancelled' | 'expired', reason: string | undefined, now: bigint): void {
    const a = this.#accounts.get(accountIndex)
    const r = a?.records.get(orderId)
    if (!a || !r || r.status === 'rejected' || this.#done.has(r)) return
    this.#done.add(r)
    r.status = status
    r.remaining = 0n
    r.updatedAt = now
    if (reason !== undefined && status !== 'filled') r.reason = reason
    a.closed.push(r)
    this.#evict(a, a.closed, this.#limits.closedPerAccount)
    this.#emit('closed', r)
  }

  /** A refused order whose signature verified; an accepted record of the same id is never overwritten. */
  rejected(signed: SignedOrder, options: OrderOptions, code: string, reason: string, now: bigint): void {
    const o = signed.order
    const a = this.#account(o.accountIndex)
    const previous = a.records.get(o.orderId)
    if (previous && previous.status !== 'rejected') return
    this.#forgetRejection(a, previous)
    const r: Mutable = { order: o, options, status: 'rejected', filled: 0n, notional: 0n, remaining: 0n, fills: [], receivedAt: now, updatedAt: now, reason, code, sequence: this.#sequence++ }
    a.records.set(o.orderId, r)
    a.rejected.push(r)
    this.#evict(a, a.rejected, this.#limits.rejectedPerAccount)
    this.#emit('rejected', r)
  }

  #forgetRejection(a: AccountHistory, previous: Mutable | undefined): void {
    const at = previous ? a.rejected.indexOf(previous) : -1
    if (at >= 0) a.rejected.splice(at, 1)
  }

  #evict(a: AccountHistory, queue: Mutable[], limit: number): void {
    while (queue.length > limit) {
      const old = queue.shift()!
      if (a.records.get(old.order.orderId) === old) a.records.delete(old.order.orderId)
    }
  }

  /** One order as it stands at `now` (an open order past its `validUntil` reads as expired), or undefined. */
  get(accountIndex: bigint, orderId: bigint, now: bigint): OrderRecord | undefined {
    const r = this.#record(accountIndex, orderId)
    return r && view(r, now)
  }

  /**
   * An account's orders, newest first: `open` (resting or partially filled, not expired),
   * `closed` (everything else) or `all`; at most `limit`, starting after cursor `before`.
   */
  list(accountIndex: bigint, options: { readonly filter?: OrderFilter; readonly limit?: number; readonly before?: number }, now: bigint): OrderPage {
    const a = this.#accounts.get(accountIndex)
    if (!a) return { orders: [] }
    const filter = options.filter ?? 'all'
    const limit = Math.max(1, options.limit ?? 50)
    const before = options.before ?? Number.POSITIVE_INFINITY
    const selected = [...a.records.values()]
      .filter((r) => r.sequence < before)
      .map((r) => view(r, now))
      .filter((r) => filter === 'all' || (filter === 'open') === OPEN.includes(r.status))
      .sort((x, y) => y.sequence - x.sequence)
    const orders = selected.slice(0, limit)
    return selected.length > limit ? { orders, next: orders[orders.length - 1]!.sequence } : { orders }
  }
}

function view(r: Mutable, now: bigint): OrderRecord {
  const copy: OrderRecord = { ...r, fills: [...r.fills] }
  if (OPEN.includes(r.status) && r.order.validUntil <= now) return { ...copy, status: 'expired', remaining: 0n, reason: `validUntil ${r.order.validUntil} passed; it can no longer trade` }
  return copy
}
