/** Order history retention and pagination (the engine tests cover what it records). */
import { describe, expect, it } from 'vitest'
import { Side, type SignedOrder } from '../state/index.js'
import { DEFAULT_ORDER_OPTIONS } from '../sdk/orderRequest.js'
import { OrderHistory, tradeOfChange, type OrderChange } from './orderHistory.js'

const SIG = { R8: { x: 0n, y: 1n }, S: 0n }
const signed = (orderId: bigint, accountIndex = 1n): SignedOrder => ({ order: { accountIndex, orderId, seriesId: 1n, side: Side.buy, size: 10n, limitPrice: 5n, validUntil: 100n }, signature: SIG })

describe('OrderHistory', () => {
  it('keeps every open order, the latest closed ones and the latest refusals, forgetting the oldest first', () => {
    const h = new OrderHistory({ closedPerAccount: 2, rejectedPerAccount: 1 })
    for (const id of [1n, 2n, 3n, 4n]) h.accepted(signed(id), DEFAULT_ORDER_OPTIONS, 1n)
    h.resting(1n, 4n, 10n, 1n)
    for (const id of [1n, 2n, 3n]) h.closed(1n, id, 'cancelled', 'by owner', 2n)
    h.closed(1n, 3n, 'expired', 'again', 3n) // closing twice changes nothing
    expect(h.get(1n, 1n, 2n)).toBeUndefined()
    expect(h.get(1n, 3n, 2n)).toMatchObject({ status: 'cancelled', reason: 'by owner', updatedAt: 2n })
    expect(h.get(1n, 4n, 2n)).toMatchObject({ status: 'resting', remaining: 10n })
    h.rejected(signed(5n), DEFAULT_ORDER_OPTIONS, 'INSUFFICIENT_MARGIN', 'no', 2n)
    h.rejected(signed(6n), DEFAULT_ORDER_OPTIONS, 'INSUFFICIENT_MARGIN', 'no', 2n)
    expect(h.get(1n, 5n, 2n)).toBeUndefined()
    expect(h.get(1n, 6n, 2n)).toMatchObject({ status: 'rejected', code: 'INSUFFICIENT_MARGIN' })
    // A refusal never overwrites an accepted order; an acceptance replaces a refusal.
    h.rejected(signed(4n), DEFAULT_ORDER_OPTIONS, 'ORDER_REPLAYED', 'dup', 3n)
    expect(h.get(1n, 4n, 3n)?.status).toBe('resting')
    expect(h.wasAccepted(1n, 6n)).toBe(false)
    h.accepted(signed(6n), DEFAULT_ORDER_OPTIONS, 4n)
    expect(h.wasAccepted(1n, 6n)).toBe(true)
    expect(h.list(1n, {}, 4n).orders.map((o) => o.order.orderId)).toEqual([6n, 4n, 3n, 2n])
  })

  it('pages newest first with a cursor, filters open and closed, and reads an open order past validUntil as expired', () => {
    const h = new OrderHistory()
    for (let id = 1n; id <= 5n; id++) {
      h.accepted(signed(id), DEFAULT_ORDER_OPTIONS, id)
      h.resting(1n, id, 10n, id)
    }
    h.filled(1n, 2n, { size: 10n, price: 5n, role: 'maker', counterpartyAccount: 2n, counterpartyOrderId: 1n, batch: 3, at: 6n })
    h.closed(1n, 2n, 'filled', undefined, 6n)
    const pages: bigint[][] = []
    let cursor: number | undefined
    do {
      const page = h.list(1n, { limit: 2, ...(cursor !== undefined ? { before: cursor } : {}) }, 50n)
      pages.push(page.orders.map((o) => o.order.orderId))
      cursor = page.next
    } while (cursor !== undefined)
    expect(pages).toEqual([[5n, 4n], [3n, 2n], [1n]])
    expect(h.list(1n, { filter: 'open' }, 50n).orders.map((o) => o.order.orderId)).toEqual([5n, 4n, 3n, 1n])
    expect(h.list(1n, { filter: 'closed' }, 50n).orders.map((o) => [o.order.orderId, o.status])).toEqual([[2n, 'filled']])
    expect(h.list(1n, { filter: 'open' }, 100n).orders).toEqual([])
    expect(h.get(1n, 1n, 100n)).toMatchObject({ status: 'expired', remaining: 0n })
    expect(h.list(9n, {}, 1n)).toEqual({ orders: [] })
  })

  it('tells its listeners every change, with the record after it; the taker side of a fill is the trade', () => {
    const h = new OrderHistory()
    const seen: OrderChange[] = []
    const stop = h.onChange((c) => seen.push(c))
    h.accepted(signed(1n), DEFAULT_ORDER_OPTIONS, 1n)
    h.resting(1n, 1n, 10n, 1n)
    const maker = { size: 4n, price: 5n, role: 'maker', counterpartyAccount: 2n, counterpartyOrderId: 9n, batch: 3, at: 2n } as const
    h.filled(1n, 1n, maker)
    h.accepted(signed(9n, 2n), DEFAULT_ORDER_OPTIONS, 2n)
    const taker = { size: 4n, price: 5n, role: 'taker', counterpartyAccount: 1n, counterpartyOrderId: 1n, batch: 3, at: 2n } as const
    h.filled(2n, 9n, taker)
    h.closed(1n, 1n, 'cancelled', 'by owner', 3n)
    h.closed(1n, 1n, 'cancelled', 'again', 4n) // no change, no call
    h.rejected(signed(5n), DEFAULT_ORDER_OPTIONS, 'BAD_TICK', 'off grid', 4n)
    h.filled(1n, 77n, maker) // unknown order: no change, no call
    expect(seen.map((c) => [c.kind, c.record.order.accountIndex, c.record.order.orderId, c.record.status])).toEqual([
      ['accepted', 1n, 1n, 'resting'],
      ['resting', 1n, 1n, 'resting'],
      ['filled', 1n, 1n, 'partially_filled'],
      ['accepted', 2n, 9n, 'resting'],
      ['filled', 2n, 9n, 'partially_filled'],
      ['closed', 1n, 1n, 'cancelled'],
      ['rejected', 1n, 5n, 'rejected'],
    ])
    // Copies: a later change does not rewrite what a listener was given.
    expect(seen[2]!.record).toMatchObject({ filled: 4n, remaining: 10n, fills: [maker] })
    expect(seen.map(tradeOfChange).filter((t) => t !== undefined)).toEqual([
      { seriesId: 1n, price: 5n, size: 4n, takerSide: Side.buy, takerAccount: 2n, takerOrderId: 9n, makerAccount: 1n, makerOrderId: 1n, batch: 3, at: 2n },
    ])
    stop()
    h.accepted(signed(2n), DEFAULT_ORDER_OPTIONS, 5n)
    expect(seen).toHaveLength(7)
  })

  it('keeps a throwing listener from stopping the change or the other listeners', () => {
    const h = new OrderHistory()
    const errors: unknown[] = []
    const heard: string[] = []
    h.onChange(() => {
      throw new Error('listener bug')
    }, (e) => errors.push(e))
    h.onChange((c) => heard.push(c.kind))
    h.accepted(signed(1n), DEFAULT_ORDER_OPTIONS, 1n)
    expect(h.get(1n, 1n, 1n)?.status).toBe('resting')
    expect(heard).toEqual(['accepted'])
    expect(errors).toEqual([new Error('listener bug')])
  })
})
