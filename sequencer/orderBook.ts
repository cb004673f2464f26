/**
 * A central limit order book per series with price-time priority. Pure: it only stores
 * resting orders and proposes matches; the engine decides whether a proposed fill is
 * acceptable (state rules, margin) and reports back what happened.
 *
 * Layout, for speed under load (bench/matching.ts): each side keeps its distinct prices in
 * one array sorted best first (binary search to insert a new level), each price level a
 * first-in-first-out doubly linked list of orders. Adding an order at an existing level and
 * removing any order are O(1); a new level costs O(levels), which stay few next to orders.
 * An index by account answers "this account's orders in this series" without a scan.
 */
import { Side, type SignedOrder } from '../state/index.js'
import type { OrderOptions } from '../sdk/orderRequest.js'

/** An order resting in the book with the size it has left. */
export type RestingOrder = {
  readonly signed: SignedOrder
  /** Size not yet filled (size units); the engine may trim it (reduce-only), never raise it. */
  remaining: bigint
  /** Arrival sequence number: the time priority. */
  readonly sequence: number
  /** How it was sent (type, reduce-only, self-trade policy); absent means the defaults. */
  readonly options?: OrderOptions
}

/** A buy/sell pair the book proposes: the maker's limit price is the trade price. */
export type ProposedMatch = { readonly maker: RestingOrder; readonly fill: bigint; readonly price: bigint }

/** One side's resting orders aggregated at one price. */
export type BookLevel = { readonly price: bigint; readonly size: bigint; readonly orders: number }

/** True when an incoming order at `limit` on `side` crosses a resting order at `resting`. */
export function crosses(side: Side, limit: bigint, resting: bigint): boolean {
  return side === Side.buy ? limit >= resting : limit <= resting
}

type Node = { readonly order: RestingOrder; readonly level: Level; prev: Node | undefined; next: Node | undefined }
type Level = { readonly price: bigint; head: Node | undefined; tail: Node | undefined; count: number }

/** One side of a book: price levels best first, each a FIFO queue. */
class BookSide {
  readonly #side: Side
  /** Distinct prices, best first (bids descending, asks ascending). */
  readonly prices: bigint[] = []
  readonly levels = new Map<bigint, Level>()

  constructor(side: Side) {
    this.#side = side
  }

  /** True when price `a` ranks before price `b` on this side. */
  #before(a: bigint, b: bigint): boolean {
    return this.#side === Side.buy ? a > b : a < b
  }

  /** Index of the first price that does not rank before `price` (where it is, or goes). */
  #search(price: bigint): number {
    let lo = 0
    let hi = this.prices.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#before(this.prices[mid]!, price)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  append(order: RestingOrder): Node {
    const price = order.signed.order.limitPrice
    let level = this.levels.get(price)
    if (!level) {
      level = { price, head: undefined, tail: undefined, count: 0 }
      this.levels.set(price, level)
      this.prices.splice(this.#search(price), 0, price)
    }
    const node: Node = { order, level, prev: level.tail, next: undefined }
    if (level.tail) level.tail.next = node
    else level.head = node
    level.tail = node
    level.count++
    return node
  }

  unlink(node: Node): void {
    const level = node.level
    if (node.prev) node.prev.next = node.next
    else level.head = node.next
    if (node.next) node.next.prev = node.prev
    else level.tail = node.prev
    level.count--
    if (level.count === 0) {
      this.levels.delete(level.price)
      this.prices.splice(this.#search(level.price), 1)
    }
  }
}

/** The book of one series. */
export class OrderBook {
  readonly seriesId: bigint
  readonly #bids = new BookSide(Side.buy)
  readonly #asks = new BookSide(Side.sell)
  readonly #nodes = new Map<RestingOrder, Node>()
  readonly #byAccount = new Map<bigint, Set<RestingOrder>>()

  constructor(seriesId: bigint) {
    this.seriesId = seriesId
  }

  #side(side: Side): BookSide {
    return side === Side.buy ? this.#bids : this.#asks
  }

  /** Number of resting orders on both sides. */
  get size(): number {
    return this.#nodes.size
  }

  /** Resting orders of one side, best first (price, then arrival). */
  orders(side: Side): RestingOrder[] {
    const book = this.#side(side)
    const out: RestingOrder[] = []
    for (const price of book.prices) for (let n = book.levels.get(price)!.head; n; n = n.next) out.push(n.order)
    return out
  }

  /** The resting orders of one account in this series, in arrival order. */
  ordersOf(accountIndex: bigint): RestingOrder[] {
    const mine = this.#byAccount.get(accountIndex)
    return mine ? [...mine].sort((a, b) => a.sequence - b.sequence) : []
  }

  /** Whether some resting order of the account in this series satisfies `predicate` (no copy, no sort). */
  someOf(accountIndex: bigint, predicate: (o: RestingOrder) => boolean): boolean {
    const mine = this.#byAccount.get(accountIndex)
    if (mine) for (const o of mine) if (predicate(o)) return true
    return false
  }

  /** Whether the order rests in this book. */
  has(order: RestingOrder): boolean {
    return this.#nodes.has(order)
  }

  /** Adds a resting order behind every order at its price or better. Adding one twice is a bug. */
  add(order: RestingOrder): void {
    if (this.#nodes.has(order)) throw new Error(`order ${order.signed.order.orderId} of account ${order.signed.order.accountIndex} already rests in the book`)
    this.#nodes.set(order, this.#side(order.signed.order.side).append(order))
    const account = order.signed.order.accountIndex
    let mine = this.#byAccount.get(account)
    if (!mine) this.#byAccount.set(account, (mine = new Set()))
    mine.add(order)
  }

  /** Removes a resting order; returns whether it was there. */
  remove(order: RestingOrder): boolean {
    const node = this.#nodes.get(order)
    if (!node) return false
    this.#side(order.signed.order.side).unlink(node)
    this.#nodes.delete(order)
    const account = order.signed.order.accountIndex
    const mine = this.#byAccount.get(account)!
    mine.delete(order)
    if (mine.size === 0) this.#byAccount.delete(account)
    return true
  }

  /** The best resting order on `side`, if any. */
  best(side: Side): RestingOrder | undefined {
    const book = this.#side(side)
    const price = book.prices[0]
    return price === undefined ? undefined : book.levels.get(price)!.head!.order
  }

  /**
   * The best resting order an incoming order could trade with, skipping the ones `skip`
   * rejects (they stay in the book), or undefined when nothing crosses.
   */
  bestMatch(incoming: SignedOrder['order'], remaining: bigint, skip?: (o: RestingOrder) => boolean): ProposedMatch | undefined {
    const opposite = incoming.side === Side.buy ? this.#asks : this.#bids
    for (const price of opposite.prices) {
      if (!crosses(incoming.side, incoming.limitPrice, price)) return undefined
      for (let n = opposite.levels.get(price)!.head; n; n = n.next) {
        const maker = n.order
        if (skip?.(maker)) continue
        return { maker, fill: remaining < maker.remaining ? remaining : maker.remaining, price }
      }
    }
    return undefined
  }

  /** Aggregated price levels of one side, best first. */
  levels(side: Side): BookLevel[] {
    const book = this.#side(side)
    return book.prices.map((price) => {
      const level = book.levels.get(price)!
      let size = 0n
      for (let n = level.head; n; n = n.next) size += n.order.remaining
      return { price, size, orders: level.count }
    })
  }

  /** Removes every resting order `predicate` selects; returns them (bids then asks, best first). */
  removeWhere(predicate: (o: RestingOrder) => boolean): RestingOrder[] {
    const removed = [...this.orders(Side.buy), ...this.orders(Side.sell)].filter(predicate)
    for (const o of removed) this.remove(o)
    return removed
  }
}
