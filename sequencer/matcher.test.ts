/**
 * The matching layer with hooks that keep nothing but what the tests look at: the rules that
 * engine.test.ts cannot reach through a real state (a taker failing after a self-trade
 * cancellation) and the bookkeeping every caller relies on.
 */
import { describe, expect, it } from 'vitest'
import { Side, type SignedOrder } from '../state/index.js'
import { orderOptions } from '../sdk/orderRequest.js'
import { SequencerError } from './errors.js'
import { executeOrder, reducibleSize, type ExecutionHooks, type FillCheck } from './matcher.js'
import { OrderBook, type RestingOrder } from './orderBook.js'

const SIG = { R8: { x: 0n, y: 1n }, S: 0n }
let sequence = 0
const signed = (accountIndex: bigint, side: Side, limitPrice: bigint, size: bigint, validUntil = 100n): SignedOrder => ({
  order: { accountIndex, orderId: BigInt(++sequence), seriesId: 1n, side, size, limitPrice, validUntil },
  signature: SIG,
})
const rest = (book: OrderBook, s: SignedOrder) => book.add({ signed: s, remaining: s.order.size, sequence: sequence++ })

function hooks(book: OrderBook, check: (maker: RestingOrder) => FillCheck = () => ({ ok: true })) {
  const log: string[] = []
  const h: ExecutionHooks = {
    now: 50n,
    admit: (size) => void log.push(`admit ${size}`),
    check: (maker) => check(maker),
    trade: (maker, fill, price) => void log.push(`trade ${maker.signed.order.accountIndex} ${fill}@${price}`),
    dropMaker: (maker, status, reason) => {
      book.remove(maker)
      log.push(`${status} ${maker.signed.order.accountIndex}: ${reason}`)
    },
  }
  return { h, log }
}

describe('executeOrder', () => {
  it('drops expired makers, rests a limit order\'s rest, drops an IOC\'s, and never matches a post-only order', () => {
    const book = new OrderBook(1n)
    rest(book, signed(2n, Side.sell, 100n, 5n, 50n)) // expired at now = 50
    const maker = signed(3n, Side.sell, 101n, 5n)
    rest(book, maker)
    const { h, log } = hooks(book)
    const limit = signed(1n, Side.buy, 101n, 8n)
    expect(executeOrder(book, { signed: limit, options: orderOptions(), size: 8n, sequence: 90 }, h)).toEqual({ status: 'partially_filled', fills: [{ makerAccount: 3n, makerOrderId: maker.order.orderId, size: 5n, price: 101n }], resting: 3n })
    expect(log).toEqual(['admit 8', 'expired 2: order expired', 'trade 3 5@101'])
    expect(book.levels(Side.buy)).toEqual([{ price: 101n, size: 3n, orders: 1 }])
    rest(book, signed(4n, Side.sell, 102n, 5n))
    const ioc = executeOrder(book, { signed: signed(5n, Side.buy, 102n, 9n), options: orderOptions({ type: 'ioc' }), size: 9n, sequence: 91 }, h)
    expect(ioc).toMatchObject({ status: 'cancelled_remainder', resting: 0n, note: 'immediate-or-cancel: 4 not filled, not rested' })
    expect(() => executeOrder(book, { signed: signed(6n, Side.sell, 101n, 1n), options: orderOptions({ type: 'post_only' }), size: 1n, sequence: 92 }, h)).toThrow(/POST_ONLY_WOULD_CROSS/)
    expect(executeOrder(book, { signed: signed(6n, Side.sell, 103n, 1n), options: orderOptions({ type: 'post_only' }), size: 1n, sequence: 93 }, h)).toEqual({ status: 'resting', fills: [], resting: 1n })
  })

  it('refuses a taker that fails at its first fill, but accepts it once cancel_oldest removed an own order (so that removal is journaled)', () => {
    const failing = (maker: RestingOrder): FillCheck => (maker.signed.order.accountIndex === 2n ? { ok: false, drop: 'taker', error: new SequencerError(422, 'INSUFFICIENT_MARGIN', 'taker margin') } : { ok: true })
    const book = new OrderBook(1n)
    rest(book, signed(2n, Side.sell, 100n, 5n))
    const { h } = hooks(book, failing)
    expect(() => executeOrder(book, { signed: signed(1n, Side.buy, 100n, 5n), options: orderOptions(), size: 5n, sequence: 90 }, h)).toThrow(SequencerError)
    const own = signed(1n, Side.sell, 99n, 5n)
    rest(book, own)
    const taker = signed(1n, Side.buy, 100n, 5n)
    const out = executeOrder(book, { signed: taker, options: orderOptions({ selfTradePrevention: 'cancel_oldest' }), size: 5n, sequence: 91 }, h)
    expect(out).toMatchObject({ status: 'cancelled_remainder', fills: [], resting: 0n, note: 'matching stopped: taker margin', selfTradeCancelled: [own.order.orderId] })
  })

  it('reports a reduce-only cap, and measures what a fill can reduce without flipping', () => {
    const book = new OrderBook(1n)
    rest(book, signed(2n, Side.sell, 100n, 10n))
    const { h } = hooks(book)
    expect(executeOrder(book, { signed: signed(1n, Side.buy, 100n, 10n), options: orderOptions({ reduceOnly: true }), size: 4n, sequence: 90 }, h)).toMatchObject({ status: 'filled', cappedSize: 4n })
    expect([reducibleSize(-7n, Side.buy), reducibleSize(-7n, Side.sell), reducibleSize(7n, Side.sell), reducibleSize(0n, Side.buy)]).toEqual([7n, 0n, 7n, 0n])
  })
})
