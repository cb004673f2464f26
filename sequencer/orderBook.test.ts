/**
 * The order book against a plain reference (a sorted list): same best-first order, same
 * levels and same proposed matches after any sequence of adds and removes; plus its index by
 * account and its refusal to hold an order twice.
 */
import { describe, expect, it } from 'vitest'
import { Side, type SignedOrder } from '../state/index.js'
import { OrderBook, crosses, type RestingOrder } from './orderBook.js'

const SIG = { R8: { x: 0n, y: 1n }, S: 0n }
let sequence = 0

function resting(accountIndex: bigint, side: Side, limitPrice: bigint, size: bigint, orderId = BigInt(sequence + 1)): RestingOrder {
  const signed: SignedOrder = { order: { accountIndex, orderId, seriesId: 1n, side, size, limitPrice, validUntil: 9_999n }, signature: SIG }
  return { signed, remaining: size, sequence: sequence++ }
}

/** Price-time priority, the slow obvious way. */
function reference(orders: readonly RestingOrder[], side: Side): RestingOrder[] {
  return orders
    .filter((o) => o.signed.order.side === side)
    .sort((a, b) => {
      const pa = a.signed.order.limitPrice
      const pb = b.signed.order.limitPrice
      if (pa !== pb) return (side === Side.buy ? pa > pb : pa < pb) ? -1 : 1
      return a.sequence - b.sequence
    })
}

describe('OrderBook', () => {
  it('keeps price-time priority, levels, matches and the account index through random adds and removes (property)', () => {
    let seed = 7
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    const book = new OrderBook(1n)
    const live: RestingOrder[] = []
    for (let step = 0; step < 3_000; step++) {
      if (live.length > 0 && rand(3) === 0) {
        const [o] = live.splice(rand(live.length), 1)
        expect(book.remove(o!)).toBe(true)
        expect(book.remove(o!)).toBe(false)
      } else {
        const o = resting(BigInt(1 + rand(5)), rand(2) === 0 ? Side.buy : Side.sell, BigInt(90 + rand(20)), BigInt(1 + rand(9)))
        book.add(o)
        live.push(o)
      }
      if (step % 50 !== 0) continue
      for (const side of [Side.buy, Side.sell]) {
        const want = reference(live, side)
        expect(book.orders(side)).toEqual(want)
        expect(book.best(side)).toBe(want[0])
        const levels = new Map<bigint, { size: bigint; orders: number }>()
        for (const o of want) {
          const l = levels.get(o.signed.order.limitPrice) ?? { size: 0n, orders: 0 }
          levels.set(o.signed.order.limitPrice, { size: l.size + o.remaining, orders: l.orders + 1 })
        }
        expect(book.levels(side)).toEqual([...levels].map(([price, l]) => ({ price, ...l })))
        // An incoming order at 100 on the other side matches the first crossing maker, if any.
        const incoming = { ...resting(9n, side === Side.buy ? Side.sell : Side.buy, 100n, 4n).signed.order }
        const first = want.find((o) => crosses(incoming.side, incoming.limitPrice, o.signed.order.limitPrice) && o === want[0])
        const match = book.bestMatch(incoming, 4n)
        expect(match?.maker).toBe(first)
        if (match) expect(match).toEqual({ maker: first, fill: first!.remaining < 4n ? first!.remaining : 4n, price: first!.signed.order.limitPrice })
      }
      for (const account of [1n, 2n, 3n, 4n, 5n]) expect(book.ordersOf(account)).toEqual(live.filter((o) => o.signed.order.accountIndex === account).sort((a, b) => a.sequence - b.sequence))
      expect(book.size).toBe(live.length)
    }
  })

  it('skips makers the caller rejects, stops at the first price that does not cross, and removes by predicate', () => {
    const book = new OrderBook(1n)
    const a = resting(1n, Side.sell, 100n, 5n)
    const b = resting(2n, Side.sell, 100n, 5n)
    const c = resting(3n, Side.sell, 105n, 5n)
    for (const o of [a, b, c]) book.add(o)
    const buy = { ...resting(4n, Side.buy, 100n, 1n).signed.order }
    expect(book.bestMatch(buy, 3n)).toEqual({ maker: a, fill: 3n, price: 100n })
    expect(book.bestMatch(buy, 3n, (o) => o === a)?.maker).toBe(b)
    expect(book.bestMatch(buy, 3n, (o) => o !== c)).toBeUndefined()
    expect(book.someOf(2n, (o) => o === b)).toBe(true)
    expect(book.someOf(7n, () => true)).toBe(false)
    expect(book.removeWhere((o) => o.signed.order.limitPrice === 100n)).toEqual([a, b])
    expect(book.levels(Side.sell)).toEqual([{ price: 105n, size: 5n, orders: 1 }])
    expect(book.ordersOf(1n)).toEqual([])
  })

  it('refuses to hold the same order twice', () => {
    const book = new OrderBook(1n)
    const o = resting(1n, Side.buy, 100n, 5n)
    book.add(o)
    expect(() => book.add(o)).toThrow(/already rests/)
    expect(book.size).toBe(1)
  })
})
