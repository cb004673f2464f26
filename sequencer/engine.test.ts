import { describe, expect, it } from 'vitest'
import { Engine } from './engine.js'
import { Market } from './market.js'
import { SequencerError } from './errors.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { fromBatchMarketTable } from './batchTable.js'
import { accountMargin, checkInitialMargin, type MarketTable } from '../risk/index.js'
import { freeCollateral, meetsMargin } from '../state/margin.js'
import {
  checkTx,
  CANCELLED_FILLED,
  cancelMessage,
  depositEntry,
  FEE_ACCOUNT_INDEX,
  forcedWithdrawalEntry,
  RollupState,
  Side,
  signField,
  TEST_PARAMS,
  tradeFee,
  TxType,
  withdrawMessage,
  type BatchTrace,
  type Order,
} from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { orderOptions } from '../sdk/orderRequest.js'
import { signCancelAll } from '../sdk/cancelAll.js'
import { mulBase8, torsionPoints } from '../crypto/eddsa/testing.js'
import { tradingRulesFor } from './tradingRules.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const USDC = 1_000_000n

function setup(collateral = 5_000n * USDC) {
  const batches: BatchTrace[] = []
  const cancelled: string[] = []
  const clock = { now: NOW }
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), {
    market,
    now: () => clock.now,
    onBatch: (b) => batches.push(b),
    onCancel: (c) => cancelled.push(`${c.accountIndex}/${c.orderId}: ${c.reason}`),
  })
  const keys = [testKey(1), testKey(2), testKey(3)]
  keys.forEach((k, i) => engine.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, collateral)))
  engine.flush()
  batches.length = 0
  return { engine, batches, cancelled, keys, market, clock }
}

function order(key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) {
  return signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))
}

/** Runs `fn`, expects a SequencerError with `code`, and checks nothing changed. */
function expectRefusal(engine: Engine, code: string, fn: () => unknown): SequencerError {
  const root = engine.state.root
  const pending = engine.pendingSlots
  const book = engine.book(1n).levels(Side.buy).concat(engine.book(1n).levels(Side.sell))
  let caught: unknown
  try {
    fn()
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(SequencerError)
  const error = caught as SequencerError
  expect(error.code).toBe(code)
  expect(error.reason.length).toBeGreaterThan(10)
  expect(engine.state.root).toBe(root)
  expect(engine.pendingSlots).toBe(pending)
  expect(engine.book(1n).levels(Side.buy).concat(engine.book(1n).levels(Side.sell))).toEqual(book)
  return error
}

describe('Engine: deposits from the L1 queue', () => {
  it('opens accounts from index 1 and credits an existing account on a second deposit', () => {
    const { engine, keys } = setup()
    expect(engine.state.account(1n).collateral).toBe(5_000n * USDC)
    const { accountIndex } = engine.applyQueueEntry(3n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, 7n))
    expect(accountIndex).toBe(1n)
    expect(engine.state.account(1n).collateral).toBe(5_000n * USDC + 7n)
  })

  it('refuses a queue entry out of order', () => {
    const { engine, keys } = setup()
    expect(() => engine.applyQueueEntry(7n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, 7n))).toThrow(/out of order/)
  })

  it('cancels resting orders of a force-withdrawn account', () => {
    const { engine, keys, cancelled } = setup()
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
    engine.applyQueueEntry(3n, forcedWithdrawalEntry(keys[0]!.l1Address, 1n))
    expect(engine.restingOrders(1n)).toHaveLength(0)
    expect(cancelled[0]).toMatch(/force-withdrawn/)
    expect(engine.state.account(1n).collateral).toBe(0n)
  })
})

describe('Engine: matching', () => {
  it('rests an order that does not cross, then fills at the maker price', () => {
    const { engine, keys, batches } = setup()
    expect(engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, limitPrice: 2_100_000n })).status).toBe('resting')
    const outcome = engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, limitPrice: 2_300_000n }))
    expect(outcome).toMatchObject({ status: 'filled', resting: 0n, fills: [{ makerAccount: 2n, makerOrderId: 1n, size: 100n, price: 2_100_000n }] })
    // Each side pays the fee ceil(210 USDC * 30 / 10000) = 0.63 USDC.
    const fee = tradeFee(TEST_PARAMS, 2_100_000n, 100n)
    expect(fee).toBe(630_000n)
    expect(engine.state.account(1n).collateral).toBe(5_000n * USDC - 100n * 2_100_000n - fee)
    expect(engine.state.account(2n).collateral).toBe(5_000n * USDC + 100n * 2_100_000n - fee)
    expect(engine.state.positions(1n).map((p) => p.position)).toEqual([{ seriesId: 1n, size: 100n }])
    expect(engine.state.positions(2n).map((p) => p.position)).toEqual([{ seriesId: 1n, size: -100n }])
    expect(engine.pendingSlots).toBe(1)
    expect(batches).toHaveLength(0)
  })

  it('fills best price first, then earlier arrival, across several makers', () => {
    const { engine, keys } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 50n, limitPrice: 2_200_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 50n, limitPrice: 2_100_000n }))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.sell, size: 50n, limitPrice: 2_200_000n }))
    const outcome = engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 120n, limitPrice: 2_200_000n }))
    expect(outcome.fills.map((f) => [f.makerAccount, f.makerOrderId, f.size, f.price])).toEqual([
      [3n, 1n, 50n, 2_100_000n],
      [2n, 1n, 50n, 2_200_000n],
      [2n, 2n, 20n, 2_200_000n],
    ])
    expect(engine.book(1n).levels(Side.sell)).toEqual([{ price: 2_200_000n, size: 30n, orders: 1 }])
  })

  it('cuts a batch as soon as batchSize slots are applied', () => {
    const { engine, keys, batches } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 100n }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 50n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.buy, size: 50n }))
    expect(batches).toHaveLength(1)
    expect(batches[0]!.slots.map((s) => s.tx.type)).toEqual([TxType.trade, TxType.trade])
    expect(batches[0]!.newRoot).toBe(engine.state.root)
  })

  it('pads a partial batch with no-ops on flush', () => {
    const { engine, keys, batches } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
    expect(engine.flush()).toBe(true)
    expect(batches[0]!.slots.map((s) => s.tx.type)).toEqual([TxType.trade, TxType.noop])
    expect(engine.flush()).toBe(false)
  })

  it('drops an expired maker instead of trading with it', () => {
    let now = NOW
    const { keys } = setup()
    const cancelled: string[] = []
    const engine = new Engine(new RollupState(TEST_PARAMS), { market: new Market(DEFAULT_MARKET, [SERIES]), now: () => now, onBatch: () => {}, onCancel: (c) => cancelled.push(c.reason) })
    keys.forEach((k, i) => engine.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, validUntil: NOW + 10n }))
    now = NOW + 10n
    expect(engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })).status).toBe('resting')
    expect(cancelled).toEqual(['order expired'])
  })

  it('cancels a maker that no longer meets margin and trades with the next one', () => {
    const { engine, keys, cancelled } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 400n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 100n, limitPrice: 2_100_000n }))
    // Account 2 withdraws most of its collateral: its resting short no longer fits.
    const amount = 4_700n * USDC
    engine.requestWithdrawal({ accountIndex: 2n, nonce: 0n, amount, signature: signField(keys[1]!.privateKey, withdrawMessage(2n, 0n, amount)) })
    const outcome = engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n, limitPrice: 2_100_000n }))
    expect(outcome.fills).toEqual([{ makerAccount: 3n, makerOrderId: 1n, size: 100n, price: 2_100_000n }])
    expect(cancelled[0]).toMatch(/^2\/1: .*initial margin/)
  })
})

describe('Engine: refused orders change nothing', () => {
  it('refuses an unknown account', () => {
    const { engine, keys } = setup()
    expectRefusal(engine, 'UNKNOWN_ACCOUNT', () => engine.placeOrder(order(keys[0]!, { accountIndex: 9n, orderId: 1n, side: Side.buy })))
    expectRefusal(engine, 'UNKNOWN_ACCOUNT', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n << 40n, orderId: 1n, side: Side.buy })))
  })

  it('refuses a signature by another key, and a tampered order', () => {
    const { engine, keys } = setup()
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.placeOrder(order(keys[1]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })))
    const signed = order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.placeOrder({ ...signed, order: { ...signed.order, size: 101n } }))
  })

  it('refuses an expired order and an unlisted series', () => {
    const { engine, keys } = setup()
    expectRefusal(engine, 'ORDER_EXPIRED', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, validUntil: NOW })))
    expectRefusal(engine, 'UNKNOWN_SERIES', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, seriesId: 2n })))
  })

  it('refuses a replayed order, resting or already traded', () => {
    const { engine, keys } = setup()
    const maker = order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 200n })
    engine.placeOrder(maker)
    expectRefusal(engine, 'ORDER_REPLAYED', () => engine.placeOrder(maker))
    const taker = order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })
    engine.placeOrder(taker)
    expectRefusal(engine, 'ORDER_REPLAYED', () => engine.placeOrder(taker))
  })

  it('refuses a lower order id in a used slot, and a slot held by a resting order', () => {
    const { engine, keys } = setup()
    const slots = 1n << BigInt(TEST_PARAMS.orderSlotsDepth)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n + slots, side: Side.sell }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
    expectRefusal(engine, 'ORDER_ID_REUSED', () => engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell })))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, limitPrice: 3_000_000n }))
    expectRefusal(engine, 'ORDER_SLOT_BUSY', () => engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n + slots, side: Side.sell })))
  })

  it('refuses an order that would trade with the same account', () => {
    const { engine, keys } = setup()
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.sell, limitPrice: 2_000_000n }))
    expectRefusal(engine, 'SELF_TRADE', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, limitPrice: 2_100_000n })))
  })

  it('refuses an order beyond initial margin with the required and available figures', () => {
    const { engine, keys } = setup()
    const error = expectRefusal(engine, 'INSUFFICIENT_MARGIN', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.sell, size: 5_000n })))
    expect(BigInt(error.details!.required!)).toBeGreaterThan(BigInt(error.details!.available!))
    expectRefusal(engine, 'INSUFFICIENT_COLLATERAL', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 1_000_000n })))
  })

  it('refuses a taker whose own margin fails at the fill, before any fill', () => {
    const { engine, keys } = setup(300n * USDC)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 100n, limitPrice: 2_000_000n }))
    expectRefusal(engine, 'INSUFFICIENT_MARGIN', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.sell, size: 100n, limitPrice: 2_000_000n })))
  })
})

describe('Engine: fees', () => {
  it('credits both sides\' fees to the fee account when the batch is cut', () => {
    const { engine, keys, batches } = setup()
    const fund = BigInt(FEE_ACCOUNT_INDEX)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
    const fee = tradeFee(TEST_PARAMS, 2_100_000n, 100n)
    expect(engine.state.pendingFees).toBe(2n * fee)
    expect(engine.state.account(fund).collateral).toBe(0n)
    engine.flush()
    expect(engine.state.account(fund).collateral).toBe(2n * fee)
    expect(batches[0]!.feeCredit.amount).toBe(2n * fee)
    expect(batches[0]!.newRoot).toBe(engine.state.root)
    const total = [0n, 1n, 2n, 3n].reduce((sum, i) => sum + engine.state.account(i).collateral, 0n)
    expect(total).toBe(3n * 5_000n * USDC)
  })

  it('refuses a buy that the collateral pays but not with its fee', () => {
    // 210 USDC pays the premium of 100 at 2.1 but not the fee of 0.63.
    const { engine, keys } = setup()
    const amount = 4_790n * USDC
    engine.requestWithdrawal({ accountIndex: 1n, nonce: 0n, amount, signature: signField(keys[0]!.privateKey, withdrawMessage(1n, 0n, amount)) })
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, limitPrice: 2_100_000n }))
    const error = expectRefusal(engine, 'INSUFFICIENT_COLLATERAL', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })))
    expect(error.details).toMatchObject({ required: (210n * USDC + 630_000n).toString(), available: (210n * USDC).toString() })
  })
})

describe('Engine: cancels', () => {
  const cancel = (key: TestKey, accountIndex: bigint, orderId: bigint) => ({ accountIndex, orderId, signature: signField(key.privateKey, cancelMessage(accountIndex, orderId)) })

  it('removes a resting order from the book and bumps its slot in the next batch', () => {
    const { engine, keys, cancelled, batches } = setup()
    const resting = order(keys[1]!, { accountIndex: 2n, orderId: 3n, side: Side.sell, size: 70n })
    engine.placeOrder(resting)
    expect(engine.cancelOrder(cancel(keys[1]!, 2n, 3n))).toEqual({ status: 'cancelled', removedFromBook: 70n })
    expect(engine.restingOrders(2n)).toEqual([])
    expect(cancelled).toEqual(['2/3: cancelled by its owner'])
    expect(engine.state.orderSlot(2n, 3n)).toEqual({ orderId: 3n, filled: CANCELLED_FILLED })
    engine.flush()
    expect(batches[0]!.slots.map((s) => s.tx.type)).toEqual([TxType.cancel, TxType.noop])
    // Nothing trades with it any more, and it cannot be sent again.
    expect(engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })).status).toBe('resting')
    expectRefusal(engine, 'ORDER_REPLAYED', () => engine.placeOrder(resting))
  })

  it('cancels an order id never sent, which can then never be placed', () => {
    const { engine, keys } = setup()
    expect(engine.cancelOrder(cancel(keys[0]!, 1n, 5n))).toEqual({ status: 'cancelled', removedFromBook: 0n })
    expectRefusal(engine, 'ORDER_REPLAYED', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 5n, side: Side.buy })))
    expectRefusal(engine, 'ORDER_ID_REUSED', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })))
  })

  it('is allowed while the underlying is halted', () => {
    const { engine, keys } = setup()
    const market = new Market(DEFAULT_MARKET, [SERIES])
    const e = new Engine(engine.state, { market, now: () => NOW, onBatch: () => {} })
    e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    market.update({ statusByUnderlying: { ETH: { mode: 'halted', reason: 'circuit breaker', liquidationsAllowed: true } } })
    expect(e.cancelOrder(cancel(keys[1]!, 2n, 1n)).removedFromBook).toBe(100n)
  })

  it('refuses a forged cancel, one of another account, an unknown account, a repeat, a retired order and a busy slot', () => {
    const { engine, keys } = setup()
    const slots = 1n << BigInt(TEST_PARAMS.orderSlotsDepth)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.cancelOrder(cancel(keys[0]!, 2n, 1n)))
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.cancelOrder({ ...cancel(keys[1]!, 2n, 1n), orderId: 2n }))
    expectRefusal(engine, 'UNKNOWN_ACCOUNT', () => engine.cancelOrder(cancel(keys[0]!, 9n, 1n)))
    expectRefusal(engine, 'BAD_ORDER_ID', () => engine.cancelOrder(cancel(keys[0]!, 1n, 0n)))
    // Cancelling 1 + slots would retire the resting order 1 of the same slot.
    expectRefusal(engine, 'ORDER_SLOT_BUSY', () => engine.cancelOrder(cancel(keys[1]!, 2n, 1n + slots)))
    engine.cancelOrder(cancel(keys[1]!, 2n, 1n))
    expectRefusal(engine, 'ALREADY_CANCELLED', () => engine.cancelOrder(cancel(keys[1]!, 2n, 1n)))
    engine.cancelOrder(cancel(keys[1]!, 2n, 1n + slots))
    expectRefusal(engine, 'ORDER_ID_REUSED', () => engine.cancelOrder(cancel(keys[1]!, 2n, 1n)))
  })
})

describe('Engine: withdrawals', () => {
  const sign = (key: TestKey, accountIndex: bigint, nonce: bigint, amount: bigint) => ({ accountIndex, nonce, amount, signature: signField(key.privateKey, withdrawMessage(accountIndex, nonce, amount)) })

  it('applies a signed withdrawal and bumps the nonce', () => {
    const { engine, keys } = setup()
    const slot = engine.requestWithdrawal(sign(keys[0]!, 1n, 0n, 1_000n * USDC))
    expect(slot.amountOut).toBe(1_000n * USDC)
    expect(engine.state.account(1n)).toMatchObject({ collateral: 4_000n * USDC, nonce: 1n })
  })

  it('refuses a replayed withdrawal, a forged one, one beyond collateral and one beyond margin', () => {
    const { engine, keys } = setup()
    const w = sign(keys[0]!, 1n, 0n, USDC)
    engine.requestWithdrawal(w)
    expectRefusal(engine, 'NONCE_MISMATCH', () => engine.requestWithdrawal(w))
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.requestWithdrawal(sign(keys[1]!, 1n, 1n, USDC)))
    expectRefusal(engine, 'UNKNOWN_ACCOUNT', () => engine.requestWithdrawal(sign(keys[0]!, 12n, 0n, USDC)))
    expectRefusal(engine, 'INSUFFICIENT_COLLATERAL', () => engine.requestWithdrawal(sign(keys[0]!, 1n, 1n, 10_000n * USDC)))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 500n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 500n, limitPrice: 2_000_000n }))
    const short = engine.state.account(3n).collateral
    expectRefusal(engine, 'INSUFFICIENT_MARGIN', () => engine.requestWithdrawal(sign(keys[2]!, 3n, 0n, short)))
  })
})

describe('Engine: trading states of an underlying', () => {
  const halted = { mode: 'halted', reason: 'circuit breaker: ETH moved 12% in 5 min', liquidationsAllowed: true } as const
  const reduceOnly = { mode: 'reduce-only', reason: 'oracle quorum lost', liquidationsAllowed: false } as const

  it('refuses every order while the underlying is halted, and drops nothing from the book', () => {
    const { engine, keys } = setup()
    const market = new Market(DEFAULT_MARKET, [SERIES])
    const e = new Engine(engine.state, { market, now: () => NOW, onBatch: () => {} })
    e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    market.update({ statusByUnderlying: { ETH: halted } })
    const error = expectRefusal(e, 'MARKET_HALTED', () => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })))
    expect(error.status).toBe(503)
    expect(error.reason).toMatch(/circuit breaker/)
    market.update({ statusByUnderlying: { ETH: { mode: 'normal', liquidationsAllowed: true } } })
    expect(e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy })).status).toBe('filled')
  })

  it('in reduce-only, lets a position shrink but never open, grow or flip', () => {
    const { engine, keys } = setup()
    const market = new Market(DEFAULT_MARKET, [SERIES])
    const e = new Engine(engine.state, { market, now: () => NOW, onBatch: () => {} })
    e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 100n }))
    e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n })) // 1 long 100, 2 short 100
    market.update({ statusByUnderlying: { ETH: reduceOnly } })
    expectRefusal(e, 'REDUCE_ONLY', () => e.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 10n })))
    expectRefusal(e, 'REDUCE_ONLY', () => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n })))
    expectRefusal(e, 'REDUCE_ONLY', () => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.sell, size: 101n })))
    // Account 1 sells 60 of its long to account 2, which buys back part of its short: both shrink.
    e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.sell, size: 60n }))
    expect(e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.buy, size: 60n })).status).toBe('filled')
    expect(e.state.positions(1n).map((p) => p.position.size)).toEqual([40n])
    expect(e.state.positions(2n).map((p) => p.position.size)).toEqual([-40n])
  })

  it('refuses withdrawals of accounts exposed to an underlying whose prices are not trusted', () => {
    const { engine, keys } = setup()
    const market = new Market(DEFAULT_MARKET, [SERIES])
    const e = new Engine(engine.state, { market, now: () => NOW, onBatch: () => {} })
    e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))
    e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }))
    market.update({ statusByUnderlying: { ETH: reduceOnly } })
    const w = (key: TestKey, accountIndex: bigint) => ({ accountIndex, nonce: 0n, amount: USDC, signature: signField(key.privateKey, withdrawMessage(accountIndex, 0n, USDC)) })
    expectRefusal(e, 'MARKET_DEGRADED', () => e.requestWithdrawal(w(keys[0]!, 1n)))
    expect(e.requestWithdrawal(w(keys[2]!, 3n)).amountOut).toBe(USDC) // flat: always free to leave
  })
})

describe('Engine: liquidation preview', () => {
  it('finds an account below maintenance after a spot move, and defers it while prices are untrusted', () => {
    const { engine, keys } = setup(20_000n * USDC)
    const market = new Market(DEFAULT_MARKET, [SERIES])
    const e = new Engine(engine.state, { market, now: () => NOW, onBatch: () => {} })
    e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 2_000n, limitPrice: 2_000_000n }))
    e.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 2_000n, limitPrice: 2_000_000n }))
    expect(e.liquidationPreview([1n]).round.plans).toEqual([])
    market.update({ spotByUnderlying: { ETH: 4_500 } }) // the short calls of account 3 lose far more than its margin
    const { round, deferred } = e.liquidationPreview([1n])
    expect(deferred).toEqual([])
    expect(round.plans.map((p) => [p.accountIndex, p.liquidatorIndex])).toEqual([[3n, 1n]])
    expect(round.plans[0]!.transfers[0]).toMatchObject({ seriesId: 1n })
    market.update({ statusByUnderlying: { ETH: { mode: 'reduce-only', reason: 'oracle quorum lost', liquidationsAllowed: false } } })
    const stale = e.liquidationPreview([1n])
    expect(stale.round.plans).toEqual([])
    expect(stale.deferred).toMatchObject([{ accountIndex: 3n }])
  })
})

/** The risk view of the open batch's table. */
const batchView = (engine: Engine) => fromBatchMarketTable(engine.state.marketTable, NOW, TEST_PARAMS.scenarioCount)

/** The largest short in series 1 at `price` that an account with `collateral` and no position may sell under `table`. */
function maxShort(table: MarketTable, collateral: bigint, price: bigint): bigint {
  const fits = (n: bigint) => checkInitialMargin({ collateral, positions: [] }, { seriesId: 1n, size: -n, price, fee: tradeFee(TEST_PARAMS, price, n) }, table).ok
  let [lo, hi] = [0n, 1_000_000n]
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n
    if (fits(mid)) lo = mid
    else hi = mid - 1n
  }
  return lo
}

const cancelOf = (key: TestKey, accountIndex: bigint, orderId: bigint) => ({ accountIndex, orderId, signature: signField(key.privateKey, cancelMessage(accountIndex, orderId)) })

describe('Engine: the market table of each batch', () => {
  it('opens the table with the batch\'s first slot and changes it only between batches', () => {
    const { engine, keys, market, batches } = setup()
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 3n)) // slot 1 of 2: the batch opens at spot 3000
    const opened = engine.state.marketTable
    expect(opened.rows.map((r) => r.seriesId)).toEqual([1n])
    expect(opened.rows[0]!.mark).toBe(engine.marketTable().rows.get(1n)!.mark)
    market.update({ spotByUnderlying: { ETH: 3_300 } })
    expect(engine.marketTable().rows.get(1n)!.mark).toBeGreaterThan(opened.rows[0]!.mark) // live marks moved...
    engine.cancelOrder(cancelOf(keys[1]!, 2n, 3n))
    expect(batches).toHaveLength(1)
    expect(batches[0]!.marketTable).toEqual(opened) // ...the batch kept its table
    engine.cancelOrder(cancelOf(keys[2]!, 3n, 3n)) // the next batch opens at 3300
    expect(engine.state.marketTable.rows[0]!.mark).toBe(engine.marketTable().rows.get(1n)!.mark)
    engine.flush()
    expect(batches[1]!.marketTable).toEqual(engine.state.marketTable)
    expect(batches[1]!.marketTableHash).not.toBe(batches[0]!.marketTableHash)
  })

  it('accepts a short that meets margin under the batch table though live marks have moved against it', () => {
    const { engine, keys, market, batches } = setup()
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 3n)) // the batch opens at spot 3000
    const price = 2_100_000n
    const size = maxShort(batchView(engine), 5_000n * USDC, price)
    expect(size).toBeGreaterThan(100n)
    market.update({ spotByUnderlying: { ETH: 3_300 } })
    // Under the live marks the same short would be refused: the table, not the live marks, decides.
    expect(maxShort(engine.marketTable(), 5_000n * USDC, price)).toBeLessThan(size)
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size, limitPrice: price }))
    const outcome = engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size, limitPrice: price }))
    expect(outcome).toMatchObject({ status: 'filled', fills: [{ makerAccount: 1n, size, price }] })
    expect(batches[0]!.slots.map((s) => s.tx.type)).toEqual([TxType.cancel, TxType.trade])
    const table = batches[0]!.marketTable
    const seller = engine.state.account(3n)
    expect(meetsMargin(seller.collateral, engine.state.positionSlots(3n), table, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount)).toBe(true)
    expect(accountMargin(seller.collateral, [{ seriesId: 1n, size: -size }], engine.marketTable()).freeCollateral).toBeLessThan(0n)
  })

  it('refuses a short one unit beyond margin under the batch table, as the core does, changing nothing', () => {
    const { engine, keys } = setup()
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 3n))
    const price = 2_100_000n
    const size = maxShort(batchView(engine), 5_000n * USDC, price) + 1n
    const maker = order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size, limitPrice: price })
    engine.placeOrder(maker)
    const taker = order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size, limitPrice: price })
    const error = expectRefusal(engine, 'INSUFFICIENT_MARGIN', () => engine.placeOrder(taker))
    expect(BigInt(error.details!.required!)).toBeGreaterThan(BigInt(error.details!.available!))
    expect(engine.restingOrders(1n)).toHaveLength(1)
    const core = checkTx(engine.state, { type: TxType.trade, buy: maker, sell: taker, fill: size, price })
    expect(core).toMatchObject({ ok: false, code: 'INSUFFICIENT_MARGIN' })
    expect(checkTx(engine.state, { type: TxType.trade, buy: maker, sell: taker, fill: size - 1n, price })).toBeUndefined()
  })

  it('refuses a series listed after the batch opened until the next batch', () => {
    const { engine, keys, market } = setup()
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 3n))
    market.addSeries({ ...SERIES, id: 2n, strike: 3_200_000000n })
    const error = expectRefusal(engine, 'UNPRICED_POSITION', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, seriesId: 2n })))
    expect(error.reason).toMatch(/next|opens with it/)
    engine.flush()
    expect(engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, seriesId: 2n })).status).toBe('resting')
    expect(engine.state.marketTable.rows.map((r) => r.seriesId)).toEqual([1n, 2n])
  })
})

describe('Engine: forced withdrawals pay free collateral', () => {
  /** Account 3 sells 1000 calls to account 1 and keeps a resting sell; the batch is flushed. */
  function withShort() {
    const t = setup()
    const { engine, keys } = t
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 1_000n, limitPrice: 2_100_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 1_000n, limitPrice: 2_100_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 9_000_000n }))
    engine.flush()
    return t
  }

  it('pays an account with an open short exactly its free collateral and leaves it at initial margin', () => {
    const { engine, keys, cancelled } = withShort()
    const before = engine.state.account(3n)
    const { accountIndex } = engine.applyQueueEntry(3n, forcedWithdrawalEntry(keys[2]!.l1Address, 3n))
    expect(accountIndex).toBe(3n)
    const table = engine.state.marketTable
    const slots = engine.state.positionSlots(3n)
    const expected = freeCollateral(before.collateral, slots, table, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount)
    expect(expected).toBeGreaterThan(0n)
    expect(expected).toBeLessThan(before.collateral)
    const after = engine.state.account(3n)
    expect(after.collateral).toBe(before.collateral - expected)
    expect(meetsMargin(after.collateral, slots, table, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount)).toBe(true)
    expect(meetsMargin(after.collateral - 1n, slots, table, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount)).toBe(false)
    expect(accountMargin(after.collateral, [{ seriesId: 1n, size: -1_000n }], batchView(engine)).freeCollateral).toBe(0n)
    expect(engine.restingOrders(3n)).toHaveLength(0)
    expect(cancelled.at(-1)).toMatch(new RegExp(`^3/2: account force-withdrawn on L1 \\(${expected} paid out\\)`))
    engine.flush()
    expect(engine.state.account(3n).collateral).toBe(before.collateral - expected)
  })

  it('pays nothing and cancels nothing when someone else asks for the account', () => {
    const { engine, keys } = withShort()
    const before = engine.state.account(3n)
    engine.applyQueueEntry(3n, forcedWithdrawalEntry(keys[0]!.l1Address, 3n))
    expect(engine.state.account(3n)).toEqual(before)
    expect(engine.restingOrders(3n)).toHaveLength(1)
  })

  it('keeps a row for every held series, expired ones included, so forced withdrawals stay payable', () => {
    const { engine, keys, clock, market } = withShort()
    clock.now = SERIES.expiry + 1n // the series expired in the money: valued at intrinsic
    market.update({ spotByUnderlying: { ETH: 3_100 } })
    expect(market.liveSeries(clock.now)).toEqual([])
    const before = engine.state.account(3n).collateral
    engine.applyQueueEntry(3n, forcedWithdrawalEntry(keys[2]!.l1Address, 3n))
    const table = engine.state.marketTable
    expect(table.rows.map((r) => r.seriesId)).toEqual([1n])
    expect(table.rows[0]!.mark).toBe(1_000_000n) // 100 USDC of intrinsic value per call, per size unit of 0.01
    const paid = before - engine.state.account(3n).collateral
    expect(paid).toBe(freeCollateral(before, engine.state.positionSlots(3n), table, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount))
  })
})

describe('Engine: table reuse between batches', () => {
  it('keeps the table in force while it is young and the marks have not moved, so L1 hashes no new one', () => {
    const { engine, keys, market, clock, batches } = setup()
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 3n))
    engine.flush()
    const first = batches[0]!
    clock.now = NOW + 30n
    engine.cancelOrder(cancelOf(keys[1]!, 2n, 3n))
    engine.flush()
    expect(batches[1]!.marketTableHash).toBe(first.marketTableHash) // 30 s later, same marks: reused
    market.update({ spotByUnderlying: { ETH: 3_090 } }) // +3 %: the call's mark moves far more than 1 %
    engine.cancelOrder(cancelOf(keys[2]!, 3n, 3n))
    engine.flush()
    expect(batches[2]!.marketTableHash).not.toBe(first.marketTableHash)
    clock.now = NOW + 200n // older than 60 s: priced anew even without a move
    const before = engine.state.marketTable
    engine.cancelOrder(cancelOf(keys[0]!, 1n, 4n))
    expect(engine.state.marketTable).not.toBe(before)
  })
})

describe('Engine: liquidations', () => {
  /** Account 3 sells 2000 calls to account 2 at 2.0 USDC; then spot jumps to 4500. */
  function underwater() {
    const s = setup(20_000n * USDC)
    s.engine.placeOrder(order(s.keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 2_000n, limitPrice: 2_000_000n }))
    s.engine.placeOrder(order(s.keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 2_000n, limitPrice: 2_000_000n }))
    s.engine.flush()
    s.batches.length = 0
    return s
  }

  it('does nothing, and opens no table, while every account meets maintenance', () => {
    const { engine } = underwater()
    const table = engine.state.marketTable
    expect(engine.liquidateUnderwater()).toEqual({ executed: [], skipped: [] })
    expect(engine.state.marketTable).toBe(table)
    expect(engine.pendingSlots).toBe(0)
  })

  it('hands the short of an account below maintenance to the insurance fund, as the core checks it', () => {
    const { engine, market, keys, cancelled, batches } = underwater()
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 9_000_000n, seriesId: 1n }))
    market.update({ spotByUnderlying: { ETH: 4_500 } })
    const fund = BigInt(FEE_ACCOUNT_INDEX)
    const { executed, skipped } = engine.liquidateUnderwater()
    expect(skipped).toEqual([])
    expect(executed.length).toBeGreaterThan(0)
    expect(executed.every((e) => e.accountIndex === 3n && e.seriesId === 1n && e.size < 0n)).toBe(true)
    const moved = executed.reduce((sum, e) => sum + e.size, 0n)
    expect(engine.state.position(3n, 0n).size).toBe(-2_000n - moved)
    expect(engine.state.positionSlots(fund).find((p) => p.seriesId === 1n)?.size).toBe(moved)
    expect(cancelled.some((c) => c.startsWith('3/2:'))).toBe(true) // its resting order went first
    engine.flush()
    expect(batches.flatMap((b) => b.slots.map((s) => s.tx.type))).toContain(TxType.liquidation)
  })

  it('skips accounts exposed to an underlying whose prices are not trusted', () => {
    const { engine, market } = underwater()
    market.update({ spotByUnderlying: { ETH: 4_500 } })
    market.update({ statusByUnderlying: { ETH: { mode: 'reduce-only', reason: 'oracle quorum lost', liquidationsAllowed: false } } })
    const { executed, skipped } = engine.liquidateUnderwater()
    expect(executed).toEqual([])
    expect(skipped).toMatchObject([{ accountIndex: 3n }])
  })
})

describe('Engine: settlement of an expired series', () => {
  it('settles shorts first, then longs, at the fixed price; then nothing is left to settle', () => {
    const { engine, keys, batches, cancelled } = setup(20_000n * USDC)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 200n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 200n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_000_000n }))
    engine.flush()
    batches.length = 0
    const price = SERIES.strike + 150_000000n // 150 USDC in the money, if a call
    const intrinsic = SERIES.isCall ? 150_000000n : 0n
    const [long, short] = [engine.state.account(2n).collateral, engine.state.account(3n).collateral]
    const executed = engine.settleSeries(1n, price)
    expect(executed.map((e) => [e.accountIndex, e.size])).toEqual([
      [3n, -200n],
      [2n, 200n],
    ])
    const payoff = (200n * intrinsic) / 100n
    expect(engine.state.account(3n).collateral).toBe(short - payoff)
    expect(engine.state.account(2n).collateral).toBe(long + payoff)
    expect(engine.state.positions(2n)).toEqual([])
    expect(engine.state.positions(3n)).toEqual([])
    expect(cancelled.some((c) => c.startsWith('1/1:') && /expired/.test(c))).toBe(true)
    expect(engine.settleSeries(1n, price)).toEqual([])
    engine.flush()
    expect(batches.flatMap((b) => b.slots.map((s) => s.tx.type)).filter((t) => t === TxType.settlement)).toHaveLength(2)
  })
})

describe('Engine: a settlement price the protocol cannot carry', () => {
  it('is refused before any position or order changes', () => {
    const { engine, keys } = setup(20_000n * USDC)
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 20n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 20n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_000_000n }))
    const root = engine.state.root
    const error = expectRefusal(engine, 'BAD_SETTLEMENT', () => engine.settleSeries(1n, 1n << 64n))
    expect(error.reason).toMatch(/price/)
    expect(engine.state.root).toBe(root)
    expect(engine.restingOrders(1n)).toHaveLength(1)
    expect(engine.state.position(3n, 0n).size).toBe(-20n)
  })
})

describe('Engine: order types', () => {
  const ioc = orderOptions({ type: 'ioc' })
  const postOnly = orderOptions({ type: 'post_only' })

  it('immediate-or-cancel fills what crosses and drops the rest; one that fills nothing is accepted, never rests, and cannot be sent again', () => {
    const { engine, keys } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n }))
    const out = engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n }), ioc)
    expect(out).toEqual({ status: 'cancelled_remainder', fills: [{ makerAccount: 2n, makerOrderId: 1n, size: 40n, price: 2_100_000n }], resting: 0n, note: 'immediate-or-cancel: 60 not filled, not rested' })
    expect(engine.book(1n).levels(Side.buy)).toEqual([])
    expect(engine.orders.get(1n, 1n, NOW)).toMatchObject({ status: 'cancelled', filled: 40n, remaining: 0n, reason: out.note })
    const none = order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n })
    expect(engine.placeOrder(none, ioc)).toMatchObject({ status: 'cancelled_remainder', fills: [], resting: 0n })
    expect(engine.restingOrders(1n)).toEqual([])
    expectRefusal(engine, 'ORDER_REPLAYED', () => engine.placeOrder(none, ioc))
  })

  it('post-only rests, and is refused when it would take, changing nothing', () => {
    const { engine, keys } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, limitPrice: 2_100_000n }))
    const error = expectRefusal(engine, 'POST_ONLY_WOULD_CROSS', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, limitPrice: 2_100_000n }), postOnly))
    expect(error.status).toBe(422)
    expect(engine.orders.get(1n, 1n, NOW)).toMatchObject({ status: 'rejected', code: 'POST_ONLY_WOULD_CROSS' })
    expect(engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, limitPrice: 2_000_000n }), postOnly)).toEqual({ status: 'resting', fills: [], resting: 100n })
    expect(engine.orders.get(1n, 1n, NOW)).toMatchObject({ status: 'resting', remaining: 100n, options: postOnly })
  })

  it('reduce-only is refused without a position to shrink, capped to it, and resting ones are trimmed, then cancelled, as other fills shrink it', () => {
    const { engine, keys, cancelled } = setup()
    const ro = orderOptions({ reduceOnly: true })
    expectRefusal(engine, 'REDUCE_ONLY_REJECTED', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.sell, size: 10n }), ro))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 100n }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n })) // 1 long 100
    expectRefusal(engine, 'REDUCE_ONLY_REJECTED', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n }), ro))
    // Each reduce-only order is capped to the position (not their sum): both rest.
    expect(engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.sell, size: 150n, limitPrice: 3_000_000n }), ro)).toEqual({ status: 'resting', fills: [], resting: 100n, cappedSize: 100n })
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.sell, size: 100n, limitPrice: 3_100_000n }), ro)
    // A plain sale of 70 shrinks the long to 30: both are trimmed to 30.
    engine.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.buy, size: 70n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 4n, side: Side.sell, size: 70n, limitPrice: 2_000_000n }))
    expect(engine.book(1n).levels(Side.sell)).toEqual([
      { price: 3_000_000n, size: 30n, orders: 1 },
      { price: 3_100_000n, size: 30n, orders: 1 },
    ])
    // Account 2 buys 50 through both: 30 close the long, and the other reduce-only order is gone before it could open a short.
    const out = engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.buy, size: 50n, limitPrice: 3_100_000n }))
    expect(out).toEqual({ status: 'partially_filled', fills: [{ makerAccount: 1n, makerOrderId: 2n, size: 30n, price: 3_000_000n }], resting: 20n })
    expect(engine.state.positions(1n)).toEqual([])
    expect(cancelled).toContain('1/3: reduce-only: account holds 0, nothing left to reduce')
    expect(engine.orders.get(1n, 2n, NOW)).toMatchObject({ status: 'filled', filled: 30n })
    expect(engine.orders.get(1n, 3n, NOW)).toMatchObject({ status: 'cancelled', filled: 0n })
  })

  it('self-trade prevention: cancel_newest refuses the order, cancel_oldest removes the resting one and goes on', () => {
    const { engine, keys, cancelled } = setup()
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.sell, size: 50n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 100n, limitPrice: 2_100_000n }))
    const buy = order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 100n, limitPrice: 2_100_000n })
    expectRefusal(engine, 'SELF_TRADE', () => engine.placeOrder(buy))
    expectRefusal(engine, 'SELF_TRADE', () => engine.placeOrder(buy, orderOptions({ selfTradePrevention: 'cancel_newest' })))
    const out = engine.placeOrder(buy, orderOptions({ selfTradePrevention: 'cancel_oldest' }))
    expect(out).toEqual({ status: 'filled', fills: [{ makerAccount: 2n, makerOrderId: 1n, size: 100n, price: 2_100_000n }], resting: 0n, selfTradeCancelled: [1n] })
    expect(cancelled).toEqual(['1/1: self-trade prevention: replaced by order 2 of the same account (cancel_oldest)'])
    expect(engine.orders.get(1n, 1n, NOW)).toMatchObject({ status: 'cancelled', filled: 0n })
  })
})

describe('Engine: tick size and size increment', () => {
  it('refuses prices off the tick and sizes off the increment (per series over the default); a replayed order is not re-judged', () => {
    const { engine, keys } = setup()
    const e = new Engine(engine.state, { market: new Market(DEFAULT_MARKET, [SERIES]), now: () => NOW, onBatch: () => {}, tradingRules: { default: { tickSize: 1_000n }, bySeries: { '1': { sizeIncrement: 10n } } } })
    expect(e.tradingRules(1n)).toEqual({ tickSize: 1_000n, sizeIncrement: 10n })
    expect(e.tradingRules(9n)).toBeUndefined()
    expect(() => tradingRulesFor({ byUnderlying: { ETH: { tickSize: 0n } } }, SERIES)).toThrow(RangeError)
    const tick = expectRefusal(e, 'BAD_TICK', () => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n, limitPrice: 2_100_500n })))
    expect(tick.details).toEqual({ tickSize: '1000' })
    expectRefusal(e, 'BAD_SIZE_INCREMENT', () => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 105n })))
    expect(e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 110n, limitPrice: 2_101_000n })).status).toBe('resting')
    // An older journal's order, accepted before the grid existed, replays.
    expect(e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 105n, limitPrice: 2_100_500n }), undefined, { replay: true }).status).toBe('resting')
  })
})

describe('Engine: cancel-all', () => {
  const SERIES2 = { ...SERIES, id: 2n, strike: 3200_000000n }
  const cancelAll = (key: TestKey, accountIndex: bigint, seriesId: bigint, nonce: bigint, orderIds: bigint[] = [], validUntil = NOW + 60n) =>
    signCancelAll({ accountIndex, seriesId, nonce, validUntil }, key.privateKey, orderIds)
  function twoSeries() {
    const base = setup()
    const cancelled: string[] = []
    const e = new Engine(base.engine.state, { market: new Market(DEFAULT_MARKET, [SERIES, SERIES2]), now: () => NOW, onBatch: () => {}, onCancel: (c) => cancelled.push(`${c.accountIndex}/${c.orderId}`) })
    const k = base.keys[1]!
    e.placeOrder(order(k, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 10n }))
    e.placeOrder(order(k, { accountIndex: 2n, orderId: 2n, side: Side.sell, size: 20n, limitPrice: 2_200_000n }))
    e.placeOrder(order(k, { accountIndex: 2n, orderId: 3n, seriesId: 2n, side: Side.sell, size: 30n }))
    return { e, k, keys: base.keys, cancelled }
  }

  it('takes an account\'s orders in one series off the book, retires those it carries cancels for, one slot per order slot', () => {
    const { e, k, cancelled } = twoSeries()
    const slots = 1n << BigInt(TEST_PARAMS.orderSlotsDepth)
    const pending = e.pendingSlots
    // 3 + slots shares order 3's slot: its cancel would retire order 3 (series 2), which this request does not cover.
    const out = e.cancelAll(cancelAll(k, 2n, 1n, 1n, [1n, 3n + slots]))
    expect(out).toEqual({
      status: 'cancelled',
      removed: [
        { orderId: 1n, seriesId: 1n, removedFromBook: 10n, inCircuit: true },
        { orderId: 2n, seriesId: 1n, removedFromBook: 20n, inCircuit: false },
      ],
      cancelTxs: [1n],
      skipped: [{ orderId: 3n + slots, reason: 'it would retire the resting order 3, which this cancel-all does not cover' }],
    })
    expect(e.pendingSlots).toBe((pending + 1) % TEST_PARAMS.batchSize)
    expect(e.state.orderSlot(2n, 1n)).toEqual({ orderId: 1n, filled: CANCELLED_FILLED })
    expect(cancelled).toEqual(['2/1', '2/2'])
    expect(e.book(1n).levels(Side.sell)).toEqual([])
    expect(e.restingOrders(2n).map((o) => o.signed.order.orderId)).toEqual([3n])
    expect(e.orders.get(2n, 2n, NOW)).toMatchObject({ status: 'cancelled', reason: 'cancelled by its owner (cancel-all)' })
    expect(e.lastCancelAllNonce(2n)).toBe(1n)
  })

  it('cancels every series with seriesId 0; the highest id of an order slot retires the lower; already cancelled ids are skipped', () => {
    const { e, k } = twoSeries()
    const slots = 1n << BigInt(TEST_PARAMS.orderSlotsDepth)
    const out = e.cancelAll(cancelAll(k, 2n, 0n, 5n, [3n, 3n + slots, 1n, 2n]))
    expect(out.removed.map((r) => [r.orderId, r.inCircuit])).toEqual([
      [1n, true],
      [2n, true],
      [3n, true],
    ])
    expect(out.cancelTxs).toEqual([1n, 2n, 3n + slots])
    expect(out.skipped).toEqual([{ orderId: 3n, reason: `order ${3n + slots} in the same order slot retires it` }])
    expect(e.cancelAll(cancelAll(k, 2n, 0n, 6n, [1n]))).toEqual({ status: 'cancelled', removed: [], cancelTxs: [], skipped: [{ orderId: 1n, reason: 'already cancelled' }] })
  })

  it('refuses a cancel-all forged for an account registered with a small-order key (which @zk-kit would accept)', () => {
    const { e } = twoSeries()
    const weak = torsionPoints().order8
    const { accountIndex: weakIndex } = e.applyQueueEntry(3n, depositEntry(99n, weak, 1_000n * USDC))
    // Under a small-order key, (R8 = [S]B8, S) passes @zk-kit's check for every message.
    const S = 1234n
    const forged = { R8: mulBase8(S), S }
    const request = { accountIndex: weakIndex, seriesId: 0n, nonce: 1n, validUntil: NOW + 60n, signature: forged, cancels: [] }
    expect(expectRefusal(e, 'BAD_SIGNATURE', () => e.cancelAll(request)).reason).toMatch(/the cancel-all signature does not verify/)
    expectRefusal(e, 'BAD_SIGNATURE', () => e.cancelAll({ ...request, cancels: [{ orderId: 1n, signature: forged }] }))
    expect(e.lastCancelAllNonce(weakIndex)).toBeUndefined()
  })

  it('refuses a replayed nonce, an expired request, a forged signature or per-order cancel, an unknown account, a repeated id, too many cancels: nothing changes', () => {
    const { e, k, keys } = twoSeries()
    e.cancelAll(cancelAll(k, 2n, 2n, 7n))
    const replayed = expectRefusal(e, 'CANCEL_ALL_REPLAYED', () => e.cancelAll(cancelAll(k, 2n, 1n, 7n)))
    expect(replayed.details).toEqual({ lastNonce: '7' })
    expectRefusal(e, 'REQUEST_EXPIRED', () => e.cancelAll(cancelAll(k, 2n, 1n, 8n, [], NOW)))
    expectRefusal(e, 'BAD_SIGNATURE', () => e.cancelAll(cancelAll(keys[0]!, 2n, 1n, 8n)))
    const forgedCancel = { ...cancelAll(k, 2n, 1n, 8n), cancels: cancelAll(keys[0]!, 2n, 1n, 8n, [1n]).cancels }
    expect(expectRefusal(e, 'BAD_SIGNATURE', () => e.cancelAll(forgedCancel)).reason).toMatch(/cancel of order 1/)
    expectRefusal(e, 'UNKNOWN_ACCOUNT', () => e.cancelAll(cancelAll(k, 9n, 1n, 8n)))
    const one = cancelAll(k, 2n, 1n, 8n, [1n])
    expectRefusal(e, 'BAD_ORDER_ID', () => e.cancelAll({ ...one, cancels: [one.cancels[0]!, one.cancels[0]!] }))
    const many = { ...one, cancels: Array.from({ length: 5 }, (_, i) => ({ ...one.cancels[0]!, orderId: BigInt(i + 1) })) }
    expectRefusal(e, 'TOO_MANY_CANCELS', () => e.cancelAll(many))
    expect(e.restingOrders(2n)).toHaveLength(2)
    expect(e.cancelAll(cancelAll(k, 2n, 1n, 8n)).removed).toHaveLength(2)
  })
})

describe('Engine: order status and history', () => {
  it('tracks status, filled size, average price and fills with their batch; lists newest first in pages; keeps verified refusals only', () => {
    const { engine, keys } = setup()
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 30n, limitPrice: 2_000_000n }))
    engine.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.sell, size: 70n, limitPrice: 2_200_000n }))
    const batch = engine.openBatchNumber
    expect(batch).toBe(2) // the setup's deposits filled batches 0 and 1
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 100n, limitPrice: 2_200_000n }))
    const taker = engine.orders.get(1n, 1n, NOW)!
    expect(taker).toMatchObject({ status: 'filled', filled: 100n, notional: 30n * 2_000_000n + 70n * 2_200_000n, remaining: 0n })
    expect(taker.fills).toEqual([
      { size: 30n, price: 2_000_000n, role: 'taker', counterpartyAccount: 2n, counterpartyOrderId: 1n, batch, at: NOW },
      { size: 70n, price: 2_200_000n, role: 'taker', counterpartyAccount: 2n, counterpartyOrderId: 2n, batch, at: NOW },
    ])
    expect(engine.orders.get(2n, 2n, NOW)).toMatchObject({ status: 'filled', fills: [{ role: 'maker', counterpartyOrderId: 1n }] })
    engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n, limitPrice: 1_000_000n, validUntil: NOW + 100n }))
    expect(engine.orders.get(1n, 2n, NOW)).toMatchObject({ status: 'resting', remaining: 10n })
    expect(engine.orders.get(1n, 2n, NOW + 100n)).toMatchObject({ status: 'expired', remaining: 0n })
    expectRefusal(engine, 'INSUFFICIENT_MARGIN', () => engine.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.sell, size: 100_000n })))
    expectRefusal(engine, 'BAD_SIGNATURE', () => engine.placeOrder(order(keys[1]!, { accountIndex: 1n, orderId: 5n, side: Side.buy })))
    expect(engine.orders.get(1n, 3n, NOW)).toMatchObject({ status: 'rejected', code: 'INSUFFICIENT_MARGIN' })
    expect(engine.orders.get(1n, 5n, NOW)).toBeUndefined()
    const first = engine.orders.list(1n, { limit: 2 }, NOW)
    expect(first.orders.map((o) => o.order.orderId)).toEqual([3n, 2n])
    expect(engine.orders.list(1n, { limit: 2, before: first.next! }, NOW)).toEqual({ orders: [expect.objectContaining({ status: 'filled' })] })
    expect(engine.orders.list(1n, { filter: 'open' }, NOW).orders.map((o) => o.order.orderId)).toEqual([2n])
    expect(engine.orders.list(1n, { filter: 'closed' }, NOW + 100n).orders.map((o) => o.order.orderId)).toEqual([3n, 2n, 1n])
  })
})
