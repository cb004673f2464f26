/**
 * Deterministic replay without L1: a journal written by a recorder, replayed through a fresh
 * engine, gives the same batches, market tables included, though queue entries carry no time.
 */
import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { depositEntry, forcedWithdrawalEntry, RollupState, Side, signField, TEST_PARAMS, withdrawMessage, type BatchTrace, type Order } from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { Engine } from './engine.js'
import { Journal, JournalError, type JournalEntry } from './journal.js'
import { Market } from './market.js'
import { Recorder, replayJournal } from './recorder.js'
import { orderOptions } from '../sdk/orderRequest.js'
import { signCancelAll } from '../sdk/cancelAll.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const USDC = 1_000_000n
const keys = [testKey(1), testKey(2), testKey(3)]

function node(now: () => bigint) {
  const batches: BatchTrace[] = []
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now, onBatch: (b) => batches.push(b) })
  return { engine, market, batches }
}

const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrder(key, orderWith({ seriesId: 1n, size: 1_000n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))

/** A live engine on a settable clock, recording into a fresh journal. */
function recording() {
  const journal = new Journal(join(mkdtempSync(join(tmpdir(), 'journal-')), 'j.jsonl'))
  const clock = { now: NOW }
  const live = node(() => clock.now)
  return { journal, clock, live, recorder: new Recorder(live.engine, live.market, journal, () => clock.now) }
}

/** A live run: deposits, a trade, a market move, a resting order, a forced withdrawal of the short and a withdrawal. */
function liveRun() {
  const { journal, clock, live, recorder } = recording()
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
  clock.now += 60n
  recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell }))
  recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
  clock.now += 60n
  recorder.updateMarket({ spotByUnderlying: { ETH: 2_900 } })
  recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 9_000_000n }))
  recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n, limitPrice: 1_000_000n }))
  clock.now += 600n
  recorder.applyQueueEntry(3n, forcedWithdrawalEntry(keys[2]!.l1Address, 3n)) // opens a batch: its table is priced now
  const amount = 1_000n * USDC
  recorder.requestWithdrawal({ accountIndex: 2n, nonce: 0n, amount, signature: signField(keys[1]!.privateKey, withdrawMessage(2n, 0n, amount)) })
  recorder.flush()
  journal.close()
  return { live, entries: journal.read() }
}

function replay(entries: readonly JournalEntry[]) {
  const clock = { now: 0n }
  const fresh = node(() => clock.now)
  replayJournal(fresh.engine, fresh.market, entries, clock)
  return fresh
}

const digest = (b: BatchTrace) => ({ newRoot: b.newRoot, marketTableHash: b.marketTableHash, marketTable: b.marketTable })

describe('journal replay', () => {
  it('journals the tables each request opened and replays the same batches, tables included', () => {
    const { live, entries } = liveRun()
    expect(live.batches).toHaveLength(3)
    const opened = entries.flatMap((e) => ('tables' in e && e.tables ? e.tables : []))
    expect(opened.length).toBeGreaterThanOrEqual(live.batches.length)
    const again = replay(entries)
    expect(again.batches.map(digest)).toEqual(live.batches.map(digest))
    expect(again.engine.state.root).toBe(live.engine.state.root)
    expect(again.engine.restingOrders(1n).map((o) => o.signed.order.orderId)).toEqual(live.engine.restingOrders(1n).map((o) => o.signed.order.orderId))
    // The forced withdrawal paid free collateral under its batch's table: neither all nor nothing.
    const paid = live.batches.flatMap((b) => b.slots).find((s) => s.tx.type === 4)!.amountOut
    expect(paid).toBeGreaterThan(0n)
    expect(paid).toBeLessThan(5_000n * USDC)
  })

  it('would not reproduce the tables by pricing again: queue entries carry no time', () => {
    const { live, entries } = liveRun()
    const unjournaled = entries.map((e) => {
      if (!('tables' in e)) return e
      const { tables: _, ...rest } = e
      return rest as JournalEntry
    })
    let diverged: boolean
    try {
      diverged = replay(unjournaled).batches[0]!.marketTableHash !== live.batches[0]!.marketTableHash
    } catch (e) {
      diverged = e instanceof JournalError
    }
    expect(diverged).toBe(true)
  })

  it('refuses a journal whose tables the replay does not use', () => {
    const { entries } = liveRun()
    const i = entries.findIndex((e) => e.t === 'order' && e.tables?.length === 0)
    expect(i).toBeGreaterThan(0)
    const extra = entries.find((e) => 'tables' in e && e.tables && e.tables.length > 0) as { tables: NonNullable<Extract<JournalEntry, { t: 'order' }>['tables']> }
    const tampered = entries.map((e, j) => (j === i ? { ...e, tables: [extra.tables[0]!] } : e)) as JournalEntry[]
    expect(() => replay(tampered)).toThrow(/were not used/)
  })
})

describe('journal replay of order options and cancel-alls', () => {
  function optionsRun() {
    const { journal, clock, live, recorder } = recording()
    keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 100n }))
    expect(recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 150n }), orderOptions({ type: 'ioc' })).status).toBe('cancelled_remainder')
    recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 2_500_000n }), orderOptions({ type: 'post_only' }))
    expect(recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.sell, size: 200n, limitPrice: 2_600_000n }), orderOptions({ reduceOnly: true })).cappedSize).toBe(100n)
    recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 3n, side: Side.buy, size: 5n, limitPrice: 2_000_000n }))
    clock.now += 30n
    expect(recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 4n, side: Side.sell, size: 50n, limitPrice: 2_000_000n }), orderOptions({ selfTradePrevention: 'cancel_oldest' })).selfTradeCancelled).toEqual([3n])
    recorder.cancelAll(signCancelAll({ accountIndex: 3n, seriesId: 0n, nonce: 1n, validUntil: NOW + 600n }, keys[2]!.privateKey, [2n]))
    journal.close()
    return { live, entries: journal.read() }
  }

  it('journals the options and the cancel-all, and replays book, history, nonces and root exactly', () => {
    const { live, entries } = optionsRun()
    const orders = entries.filter((e) => e.t === 'order')
    expect(orders.map((e) => ('options' in e ? e.options : undefined))).toEqual([undefined, { type: 'ioc' }, { type: 'post_only' }, { reduceOnly: true }, undefined, { selfTradePrevention: 'cancel_oldest' }])
    expect(entries.filter((e) => e.t === 'cancelAll')).toHaveLength(1)
    const again = replay(entries)
    expect(again.engine.state.root).toBe(live.engine.state.root)
    for (const side of [Side.buy, Side.sell]) expect(again.engine.book(1n).levels(side)).toEqual(live.engine.book(1n).levels(side))
    for (const [account, id] of [[1n, 1n], [1n, 2n], [3n, 2n], [3n, 3n], [3n, 4n]] as const) expect(again.engine.orders.get(account, id, NOW)).toEqual(live.engine.orders.get(account, id, NOW))
    expect(again.engine.lastCancelAllNonce(3n)).toBe(1n)
  })

  it('stops on a cancel-all that replays to another outcome; an older journal (no options) has none to read', () => {
    const { entries } = optionsRun()
    const tampered = entries.map((e) => (e.t === 'cancelAll' ? { ...e, outcome: e.outcome.replace('"inCircuit":true', '"inCircuit":false') } : e))
    expect(() => replay(tampered)).toThrow(/cancel-all did/)
    expect(liveRun().entries.some((e) => 'options' in e)).toBe(false)
  })
})

describe('order expiry', () => {
  function expiryRun() {
    const { journal, clock, live, recorder } = recording()
    keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 10n, validUntil: NOW + 60n }))
    recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, size: 20n, limitPrice: 2_200_000n, validUntil: NOW + 600n }))
    recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_900_000n, validUntil: NOW + 61n }))
    expect(recorder.expireOrders()).toEqual([]) // nothing has expired yet: nothing journaled
    const slotsBefore = live.engine.pendingSlots
    clock.now += 60n
    const removed = recorder.expireOrders()
    clock.now += 1n
    const second = recorder.expireOrders()
    journal.close()
    return { live, removed, second, slotsBefore, entries: journal.read() }
  }

  it('takes the orders whose validUntil passed out of the books as expired, leaves the rest, and journals each sweep that removed any', () => {
    const { live, removed, second, slotsBefore, entries } = expiryRun()
    expect(removed).toEqual([{ accountIndex: 3n, orderId: 1n }])
    expect(second).toEqual([{ accountIndex: 1n, orderId: 1n }])
    expect(live.engine.book(1n).levels(Side.sell)).toEqual([{ price: 2_200_000n, size: 20n, orders: 1 }])
    expect(live.engine.book(1n).levels(Side.buy)).toEqual([])
    expect(live.engine.orders.get(3n, 1n, NOW + 61n)).toMatchObject({ status: 'expired', remaining: 0n, reason: 'order expired' })
    expect(live.engine.orders.get(3n, 2n, NOW + 61n)).toMatchObject({ status: 'resting', remaining: 20n })
    expect(entries.filter((e) => e.t === 'expiry').map((e) => (e as { now: string }).now)).toEqual([String(NOW + 60n), String(NOW + 61n)])
    // An expiry changes no L2 state: no slot was applied.
    expect(live.engine.pendingSlots).toBe(slotsBefore)
  })

  it('replays the sweeps to the same books and history, and stops on one that replays to another outcome', () => {
    const { live, entries } = expiryRun()
    const again = replay(entries)
    for (const side of [Side.buy, Side.sell]) expect(again.engine.book(1n).levels(side)).toEqual(live.engine.book(1n).levels(side))
    for (const [account, id] of [[3n, 1n], [3n, 2n], [1n, 1n]] as const) expect(again.engine.orders.get(account, id, NOW + 61n)).toEqual(live.engine.orders.get(account, id, NOW + 61n))
    const tampered = entries.map((e) => (e.t === 'expiry' ? { ...e, now: String(NOW + 61n) } : e))
    expect(() => replay(tampered)).toThrow(/the expiry removed .* but replays as/)
  })
})
