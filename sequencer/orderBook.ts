/**
 * A central limit order book per series with price-time priority. Pure: it only stores
 * resting orders and proposes matches; the engine decides whether a proposed fill is
 * acceptable (state rules, margin) and reports back what happened.
 */
import { Side, type SignedOrder } from '../state/index.js'

/** An order resting in the book with the size it has left. */
export type RestingOrder = {
  readonly signed: SignedOrder
  /** Size not yet filled (size units). */
  remaining: bigint
  /** Arrival sequence number: the time priority. */
  readonly sequence: number
}

/** A buy/sell pair the book proposes: the maker's limit price is the trade price. */
export type ProposedMatch = { readonly maker: RestingOrder; readonly fill: bigint; readonly price: bigint }

/** One side's resting orders, best first. */
export type BookLevel = { readonly price: bigint; readonly size: bigint; readonly orders: number }

function better(side: Side, a: RestingOrder, b: RestingOrder): boolean {
  const pa = a.signed.order.limitPrice
  const pb = b.signed.order.limitPrice
  if (pa !== pb) return side === Side.buy ? pa > pb : pa < pb
  return a.sequence < b.sequence
}

/** True when an incoming order at `limit` on `side` crosses a resting order at `resting`. */
export function crosses(side: Side, limit: bigint, resting: bigint): boolean {
  return side === Side.buy ? limit >= resting : limit <= resting
}

/** The book of one series. */
export class OrderBook {
  readonly seriesId: bigint
  readonly #bids: RestingOrder[] = []
  readonly #asks: RestingOrder[] = []

  constructor(seriesId: bigint) {
    this.seriesId = seriesId
  }

  #side(side: Side): RestingOrder[] {
    return side === Side.buy ? this.#bids : this.#asks
  }

  /** Resting orders of one side, best first. */
  orders(side: Side): readonly RestingOrder[] {
    return this.#side(side)
  }

  /** Adds a resting order (keeps the side sorted by price, then arrival). */
  add(order: RestingOrder): void {
    const side = order.signed.order.side
    const list = this.#side(side)
    const at = list.findIndex((o) => better(side, order, o))
    if (at < 0) list.push(order)
    else list.splice(at, 0, order)
  }

  /** Removes a resting order; returns whether it was there. */
  remove(order: RestingOrder): boolean {
    const list = this.#side(order.signed.order.side)
    const at = list.indexOf(order)
    if (at >= 0) list.splice(at, 1)
    return at >= 0
  }

  /**
   * The best resting order an incoming order could trade with, skipping the ones `skip`
   * rejects (they stay in the book), or undefined when nothing crosses.
   */
  bestMatch(incoming: SignedOrder['order'], remaining: bigint, skip: (o: RestingOrder) => boolean = () => false): ProposedMatch | undefined {
    const opposite = incoming.side === Side.buy ? this.#asks : this.#bids
    for (const maker of opposite) {
      if (!crosses(incoming.side, incoming.limitPrice, maker.signed.order.limitPrice)) return undefined
      if (skip(maker)) continue
      return { maker, fill: remaining < maker.remaining ? remaining : maker.remaining, price: maker.signed.order.limitPrice }
    }
    return undefined
  }

  /** Aggregated price levels of one side, best first. */
  levels(side: Side): BookLevel[] {
    const levels: BookLevel[] = []
    for (const o of this.#side(side)) {
      const last = levels[levels.length - 1]
      if (last && last.price === o.signed.order.limitPrice) levels[levels.length - 1] = { price: last.price, size: last.size + o.remaining, orders: last.orders + 1 }
      else levels.push({ price: o.signed.order.limitPrice, size: o.remaining, orders: 1 })
    }
    return levels
  }

  /** Removes every resting order `predicate` selects; returns them. */
  removeWhere(predicate: (o: RestingOrder) => boolean): RestingOrder[] {
    const removed: RestingOrder[] = []
    for (const list of [this.#bids, this.#asks]) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (predicate(list[i]!)) removed.push(...list.splice(i, 1))
      }
    }
    return removed
  }
}
