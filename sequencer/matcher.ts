/**
 * The matching layer between an admitted order and the book: the order type's rules
 * (post-only, immediate-or-cancel), self-trade prevention, the price-time matching loop, and
 * whether the rest rests. It decides nothing about the state: the engine's hooks check each
 * proposed fill (margin, trading state, the core's rules) and apply it. The benchmark
 * (bench/matching.ts) drives this same code with hooks that only keep positions.
 */
import { Side, type SignedOrder } from '../state/index.js'
import type { OrderOptions } from '../sdk/orderRequest.js'
import { SequencerError } from './errors.js'
import { crosses, type OrderBook, type RestingOrder } from './orderBook.js'

/** A fill of an incoming order. */
export type Fill = { readonly makerAccount: bigint; readonly makerOrderId: bigint; readonly size: bigint; readonly price: bigint }

/** What happened to an accepted order. */
export type OrderOutcome = {
  readonly status: 'filled' | 'partially_filled' | 'resting' | 'cancelled_remainder'
  readonly fills: readonly Fill[]
  /** Size left resting in the book (0 when none). */
  readonly resting: bigint
  /** Why matching stopped early, or why the rest did not rest (immediate-or-cancel), when so. */
  readonly note?: string
  /** Resting orders of the same account that self-trade prevention `cancel_oldest` removed from the book. */
  readonly selfTradeCancelled?: readonly bigint[]
  /** The size the order could trade when reduce-only capped it below its signed size. */
  readonly cappedSize?: bigint
}

/** The verdict on one proposed fill. */
export type FillCheck =
  | { readonly ok: true }
  /** The maker cannot trade (margin, expiry, state rule): it leaves the book and matching goes on. */
  | { readonly ok: false; readonly drop: 'maker'; readonly reason: string }
  /** The taker cannot trade: matching stops (the order is refused when nothing filled yet). */
  | { readonly ok: false; readonly drop: 'taker'; readonly error: SequencerError }

/** What the matching layer asks of its caller. */
export type ExecutionHooks = {
  /** Unix seconds: makers whose `validUntil` is not after it are dropped as expired. */
  readonly now: bigint
  /** The checks that depend on the size the order may trade (position slot, margin); throws to refuse. */
  admit(size: bigint): void
  check(maker: RestingOrder, fill: bigint, price: bigint): FillCheck
  /** Applies a fill the check accepted (the maker's `remaining` is not reduced yet). */
  trade(maker: RestingOrder, fill: bigint, price: bigint): void
  /** After a fill and the maker's update (it left the book when `remaining` is 0). */
  afterTrade?(maker: RestingOrder, fill: bigint, price: bigint): void
  /** Removes a maker from the book, cancelled or expired, and says so. */
  dropMaker(maker: RestingOrder, status: 'cancelled' | 'expired', reason: string): void
}

/** An admitted order: `size` is what it may trade (the signed size, or less when reduce-only capped it). */
export type IncomingOrder = { readonly signed: SignedOrder; readonly options: OrderOptions; readonly size: bigint; readonly sequence: number }

/** How much a fill on `side` can shrink a position of `held` without flipping it (a buy shrinks a short, a sell a long). */
export function reducibleSize(held: bigint, side: Side): bigint {
  if (side === Side.buy) return held < 0n ? -held : 0n
  return held > 0n ? held : 0n
}

/** The refusals that depend on the book alone: post-only that would take, a self-trade under `cancel_newest`. */
function bookRefusal(book: OrderBook, incoming: IncomingOrder): SequencerError | undefined {
  const order = incoming.signed.order
  if (incoming.options.type === 'post_only') {
    const best = book.best(order.side === Side.buy ? Side.sell : Side.buy)
    if (best && crosses(order.side, order.limitPrice, best.signed.order.limitPrice))
      return new SequencerError(422, 'POST_ONLY_WOULD_CROSS', `post-only order at ${order.limitPrice} would trade with the resting order at ${best.signed.order.limitPrice}; it only ever rests`)
  }
  if (incoming.options.selfTradePrevention === 'cancel_newest') {
    const own = book.someOf(order.accountIndex, (o) => o.signed.order.side !== order.side && crosses(order.side, order.limitPrice, o.signed.order.limitPrice))
    if (own) return new SequencerError(409, 'SELF_TRADE', 'the order would trade against a resting order of the same account (self-trade prevention cancel_newest; cancel_oldest removes the resting one instead)')
  }
  return undefined
}

/**
 * Executes an admitted order against `book`: refuses it (throws `SequencerError`, nothing
 * changed) for a book rule or when the taker fails before any fill; else matches it at the
 * makers' prices while they cross, and rests the rest unless immediate-or-cancel.
 */
export function executeOrder(book: OrderBook, incoming: IncomingOrder, hooks: ExecutionHooks): OrderOutcome {
  const { signed, options } = incoming
  const order = signed.order
  const refusal = bookRefusal(book, incoming)
  if (refusal) throw refusal
  hooks.admit(incoming.size)
  const fills: Fill[] = []
  const selfTradeCancelled: bigint[] = []
  let remaining = incoming.size
  let note: string | undefined
  while (remaining > 0n && options.type !== 'post_only') {
    const match = book.bestMatch(order, remaining)
    if (!match) break
    const maker = match.maker
    const made = maker.signed.order
    if (made.accountIndex === order.accountIndex) {
      // Only reachable under cancel_oldest: cancel_newest refused the order above.
      hooks.dropMaker(maker, 'cancelled', `self-trade prevention: replaced by order ${order.orderId} of the same account (cancel_oldest)`)
      selfTradeCancelled.push(made.orderId)
      continue
    }
    if (made.validUntil <= hooks.now) {
      hooks.dropMaker(maker, 'expired', 'order expired')
      continue
    }
    const verdict = hooks.check(maker, match.fill, match.price)
    if (!verdict.ok && verdict.drop === 'maker') {
      hooks.dropMaker(maker, 'cancelled', verdict.reason)
      continue
    }
    if (!verdict.ok) {
      if (fills.length === 0 && selfTradeCancelled.length === 0) throw verdict.error
      note = `matching stopped: ${verdict.error.reason}`
      break
    }
    hooks.trade(maker, match.fill, match.price)
    maker.remaining -= match.fill
    if (maker.remaining === 0n) book.remove(maker)
    remaining -= match.fill
    fills.push({ makerAccount: made.accountIndex, makerOrderId: made.orderId, size: match.fill, price: match.price })
    hooks.afterTrade?.(maker, match.fill, match.price)
  }
  const extras = {
    ...(selfTradeCancelled.length > 0 ? { selfTradeCancelled } : {}),
    ...(incoming.size < order.size ? { cappedSize: incoming.size } : {}),
  }
  if (remaining > 0n && note === undefined && options.type === 'ioc') note = `immediate-or-cancel: ${remaining} not filled, not rested`
  if (remaining > 0n && note === undefined) {
    book.add({ signed, remaining, sequence: incoming.sequence, options })
    return { status: fills.length > 0 ? 'partially_filled' : 'resting', fills, resting: remaining, ...extras }
  }
  if (remaining > 0n) return { status: 'cancelled_remainder', fills, resting: 0n, note: note ?? '', ...extras }
  return { status: 'filled', fills, resting: 0n, ...extras }
}
