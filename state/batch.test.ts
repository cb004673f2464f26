import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CANCELLED_FILLED, FEE_ACCOUNT_INDEX, TEST_PARAMS, TxType, QueueKind, accountLevels } from './params.js'
import { RollupState } from './rollupState.js'
import { applyBatch, applyTx, assembleBatch, checkTx, replayBatch, ReplayError } from './batch.js'
import { decodeSlot, encodeSlot } from './batchData.js'
import { tradeFee } from './fees.js'
import { StateError } from './rejections.js'
import { accountLeaf, emptyPositionsHash } from './leaves.js'
import { quadRootFromProof } from './quadMerkle.js'
import { forcedWithdrawalEntry } from './queue.js'
import { cancelTx, depositTx, fundedState, order, signedOrder, testKey, testMarketTable, withdrawTx } from './testing.js'
import { freeCollateral, marginCheckValues, meetsMargin } from './margin.js'
import { accountMargin } from '../risk/margin.js'
import type { QueueEntry, Tx } from './types.js'

const P = TEST_PARAMS
const tradeTx = (buyer = 1n, seller = 2n, overrides: { fill?: bigint; price?: bigint; buyId?: bigint; sellId?: bigint; seriesId?: bigint } = {}): Tx => {
  const [kb, ks] = [testKey(Number(buyer)), testKey(Number(seller))]
  const seriesId = overrides.seriesId ?? 1n
  return {
    type: TxType.trade,
    buy: signedOrder(kb, order({ accountIndex: buyer, orderId: overrides.buyId ?? 1n, side: 0, limitPrice: 120n, seriesId })),
    sell: signedOrder(ks, order({ accountIndex: seller, orderId: overrides.sellId ?? 1n, side: 1, limitPrice: 100n, seriesId })),
    fill: overrides.fill ?? 4n,
    price: overrides.price ?? 110n,
  }
}

function expectRejected(state: RollupState, tx: Tx, code: string): void {
  const root = state.root
  expect(checkTx(state, tx)?.code).toBe(code)
  expect(() => applyTx(state, tx)).toThrow(StateError)
  expect(state.root).toBe(root)
}

describe('deposit', () => {
  it('creates an account, then credits it', () => {
    const state = new RollupState(P)
    const k = testKey(1)
    const t1 = applyTx(state, depositTx(k, 1n, 500n))
    expect(state.account(1n)).toMatchObject({ collateral: 500n, l1Address: k.l1Address, pubKey: k.pubKey })
    expect(t1.accountA?.before.pubKey).toEqual({ x: 0n, y: 0n })
    applyTx(state, depositTx(k, 1n, 250n))
    expect(state.account(1n).collateral).toBe(750n)
    expect(state.queueCount).toBe(2n)
  })

  it('refuses a deposit into account 0, the insurance fund and fee account', () => {
    expectRejected(new RollupState(P), depositTx(testKey(1), 0n, 5n), 'ACCOUNT_RESERVED')
  })

  it('refuses a deposit into an account of another key', () => {
    const { state } = fundedState(P, 1, 100n)
    expectRejected(state, depositTx(testKey(9), 1n, 5n), 'KEY_MISMATCH')
  })
})

describe('trade', () => {
  it('moves premium, positions and order slots', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const rootBefore = state.root
    const trace = applyTx(state, tradeTx())
    // Premium 4 * 110 = 440; each side pays the fee ceil(440 * 30 / 10000) = 2.
    expect(trace.fee).toBe(2n)
    expect(state.account(1n).collateral).toBe(10_000n - 440n - 2n)
    expect(state.account(2n).collateral).toBe(10_000n + 440n - 2n)
    expect(state.positions(1n)).toEqual([{ index: 0n, position: { seriesId: 1n, size: 4n } }])
    expect(state.positions(2n)).toEqual([{ index: 0n, position: { seriesId: 1n, size: -4n } }])
    expect(state.orderSlot(1n, 1n)).toEqual({ orderId: 1n, filled: 4n })
    // The seller is proven against the root after the buyer's update.
    expect(trace.accountA?.after.collateral).toBe(10_000n - 442n)
    // Both paths are 4-ary: accountsDepth / 2 levels of three siblings. A's proves its old
    // leaf under the root before the slot; B's, with B's new leaf, gives the root after it.
    expect(trace.accountB?.siblings).toHaveLength(accountLevels(P))
    expect(trace.accountB?.siblings.every((row) => row.length === 3)).toBe(true)
    expect(quadRootFromProof(accountLeaf(trace.accountA!.before), 1n, trace.accountA!.siblings)).toBe(rootBefore)
    expect(quadRootFromProof(accountLeaf(trace.accountB!.after), 2n, trace.accountB!.siblings)).toBe(state.root)
  })

  it('accumulates partial fills and refuses an over-fill', () => {
    const { state } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx(1n, 2n, { fill: 6n }))
    expectRejected(state, tradeTx(1n, 2n, { fill: 5n }), 'ORDER_OVERFILLED')
    applyTx(state, tradeTx(1n, 2n, { fill: 4n }))
    expect(state.orderSlot(1n, 1n).filled).toBe(10n)
  })

  it('closing a position frees its leaf', () => {
    const { state } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx(1n, 2n))
    applyTx(state, tradeTx(2n, 1n, { buyId: 2n, sellId: 2n }))
    expect(state.positions(1n)).toEqual([])
    expect(state.account(1n).positionsHash).toBe(emptyPositionsHash(P))
  })

  it.each([
    ['PRICE_BEYOND_LIMIT', () => tradeTx(1n, 2n, { price: 121n })],
    ['PRICE_BEYOND_LIMIT', () => tradeTx(1n, 2n, { price: 99n })],
    ['SELF_TRADE', () => tradeTx(1n, 1n)],
    ['UNKNOWN_ACCOUNT', () => tradeTx(1n, 3n)],
    ['BAD_FILL', () => tradeTx(1n, 2n, { fill: 0n })],
    ['INSUFFICIENT_COLLATERAL', () => tradeTx(1n, 2n, { fill: 10n, price: 120n })],
  ])('refuses %s', (code, make) => {
    const { state } = fundedState(P, 2, 1_000n)
    expectRejected(state, make(), code)
  })

  it('refuses a forged signature', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const tx = tradeTx() as Extract<Tx, { type: 2 }>
    const forged = { ...tx, buy: { ...tx.buy, order: { ...tx.buy.order, limitPrice: 200n } } }
    expectRejected(state, forged, 'BAD_SIGNATURE')
  })

  it('refuses an order id older than the one in its slot', () => {
    const { state } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx(1n, 2n, { buyId: 5n, sellId: 5n }))
    expectRejected(state, tradeTx(1n, 2n, { buyId: 1n, sellId: 9n }), 'ORDER_ID_REUSED')
  })
})

describe('fees', () => {
  it('rounds up and is at most the premium', () => {
    expect(tradeFee(P, 110n, 4n)).toBe(2n)
    expect(tradeFee(P, 1n, 1n)).toBe(1n)
    expect(tradeFee(P, 0n, 1_000n)).toBe(0n)
    expect(tradeFee(P, 10_000n, 1n)).toBe(30n)
    expect(tradeFee({ feeBps: 10_000 }, 7n, 3n)).toBe(21n)
    expect(tradeFee({ feeBps: 0 }, 7n, 3n)).toBe(0n)
  })

  it('are held pending, then credited to the fee account once, at the end of the batch', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const fund = BigInt(FEE_ACCOUNT_INDEX)
    const oldRoot = state.root
    const slot = applyTx(state, tradeTx())
    const rootAfterSlot = state.root
    expect(state.pendingFees).toBe(4n)
    expect(state.account(fund).collateral).toBe(0n)
    const batch = assembleBatch(state, [slot])
    expect(state.pendingFees).toBe(0n)
    expect(state.account(fund).collateral).toBe(4n)
    expect(batch.feeCredit.amount).toBe(4n)
    expect(batch.feeCredit.account.before.collateral).toBe(0n)
    expect(batch.newRoot).toBe(state.root)
    expect(batch.oldRoot).toBe(oldRoot)
    expect(batch.newRoot).not.toBe(rootAfterSlot)
    // Collateral is conserved: users' losses are the fund's gain.
    expect(state.account(1n).collateral + state.account(2n).collateral + state.account(fund).collateral).toBe(20_000n)
  })

  it('a batch without trades leaves the fee account and the root as they are', () => {
    const { state, keys } = fundedState(P, 1, 1_000n)
    const probe = fundedState(P, 1, 1_000n).state
    applyTx(probe, withdrawTx(keys[0]!, 1n, 0n, 1n))
    const batch = applyBatch(state, [withdrawTx(keys[0]!, 1n, 0n, 1n)])
    expect(batch.feeCredit.amount).toBe(0n)
    expect(batch.newRoot).toBe(probe.root)
    expect(state.exists(BigInt(FEE_ACCOUNT_INDEX))).toBe(false)
  })

  it('refuses a buyer who can pay the premium but not the fee', () => {
    const { state } = fundedState(P, 2, 10_000n)
    // Premium 4 * 110 = 440, fee 2: 441 is one short.
    applyTx(state, withdrawTx(testKey(1), 1n, 0n, 10_000n - 441n))
    expectRejected(state, tradeTx(), 'INSUFFICIENT_COLLATERAL')
    applyTx(state, depositTx(testKey(1), 1n, 1n))
    expect(checkTx(state, tradeTx())).toBeUndefined()
  })

  it('refuses a trade whose fees would take the fee account past 2^64', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const fund = BigInt(FEE_ACCOUNT_INDEX)
    // A fund 3 short of 2^64 - 1 cannot take the trade's two fees of 2 (a state reached by
    // writing the record directly: fees that large need fills no test can fund).
    state.setAccount(fund, { ...state.account(fund), collateral: (1n << 64n) - 4n })
    expectRejected(state, tradeTx(), 'COLLATERAL_OVERFLOW')
    state.setAccount(fund, { ...state.account(fund), collateral: (1n << 64n) - 5n })
    const trace = applyBatch(state, [tradeTx()])
    expect(state.account(fund).collateral).toBe((1n << 64n) - 1n)
    expect(trace.feeCredit.amount).toBe(4n)
    // Pending fees count too: a second trade in the same batch would overflow.
    state.setAccount(fund, { ...state.account(fund), collateral: (1n << 64n) - 8n })
    applyTx(state, tradeTx(1n, 2n, { buyId: 2n, sellId: 2n }))
    expectRejected(state, tradeTx(1n, 2n, { buyId: 3n, sellId: 3n }), 'COLLATERAL_OVERFLOW')
  })
})

describe('cancel', () => {
  it('makes a partly filled order unfillable', () => {
    const { state, keys } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx(1n, 2n, { fill: 6n }))
    const trace = applyTx(state, cancelTx(keys[0]!, 1n, 1n))
    expect(state.orderSlot(1n, 1n)).toEqual({ orderId: 1n, filled: CANCELLED_FILLED })
    expect(trace.orderSlotA?.before).toEqual({ orderId: 1n, filled: 6n })
    expect(trace.accountA?.after).toEqual({ ...trace.accountA!.before, orderSlotsRoot: state.account(1n).orderSlotsRoot })
    expect(trace.data).toEqual(encodeSlot({ type: TxType.cancel, accountIndex: 1n, orderId: 1n }))
    expectRejected(state, tradeTx(1n, 2n, { fill: 1n }), 'ORDER_CANCELLED')
    // The seller's order 1 was not cancelled: it still fills against the buyer's next order.
    applyTx(state, tradeTx(1n, 2n, { fill: 1n, buyId: 5n }))
    expect(state.orderSlot(2n, 1n)).toEqual({ orderId: 1n, filled: 7n })
  })

  it('cancels an order id the slot never held, so that it can never fill', () => {
    const { state, keys } = fundedState(P, 2, 10_000n)
    applyTx(state, cancelTx(keys[0]!, 1n, 9n))
    expect(state.orderSlot(1n, 1n)).toEqual({ orderId: 9n, filled: CANCELLED_FILLED })
    expectRejected(state, tradeTx(1n, 2n, { buyId: 9n }), 'ORDER_CANCELLED')
    // Older ids of that slot are retired as by any newer order; newer ones fill.
    expectRejected(state, tradeTx(1n, 2n, { buyId: 5n }), 'ORDER_ID_REUSED')
    applyTx(state, tradeTx(1n, 2n, { buyId: 13n }))
    expect(state.orderSlot(1n, 1n)).toEqual({ orderId: 13n, filled: 4n })
  })

  it('accepts a repeated cancel (a no-op) and refuses one of an order its slot has retired', () => {
    const { state, keys } = fundedState(P, 1, 100n)
    applyTx(state, cancelTx(keys[0]!, 1n, 6n))
    const root = state.root
    applyTx(state, cancelTx(keys[0]!, 1n, 6n))
    expect(state.root).toBe(root)
    expectRejected(state, cancelTx(keys[0]!, 1n, 2n), 'ORDER_ID_REUSED')
  })

  it.each([
    ['BAD_SIGNATURE', 'a cancel signed with another key', () => cancelTx(testKey(2), 1n, 1n)],
    ['BAD_SIGNATURE', "a cancel of another account's order", () => cancelTx(testKey(1), 2n, 1n)],
    ['BAD_ORDER_ID', 'order id 0', () => cancelTx(testKey(1), 1n, 0n)],
    ['BAD_ORDER_ID', 'an order id of 33 bits', () => cancelTx(testKey(1), 1n, 1n << 32n)],
    ['UNKNOWN_ACCOUNT', 'an account that does not exist', () => cancelTx(testKey(3), 3n, 1n)],
  ])('refuses %s: %s', (code, _, make) => {
    const { state } = fundedState(P, 2, 100n)
    expectRejected(state, make(), code)
  })

  it('publishes (5 + account * 2^4 + orderId * 2^36, 0) and decodes back', () => {
    const data = encodeSlot({ type: TxType.cancel, accountIndex: 3n, orderId: 0xffff_ffffn })
    expect(data).toEqual([5n + 3n * 16n + 0xffff_ffffn * (1n << 36n), 0n])
    expect(decodeSlot(data[0], data[1])).toEqual({ type: TxType.cancel, accountIndex: 3n, orderId: 0xffff_ffffn })
  })
})

describe('withdraw', () => {
  it('pays out and bumps the nonce; a replay is refused', () => {
    const { state, keys } = fundedState(P, 1, 1_000n)
    const tx = withdrawTx(keys[0]!, 1n, 0n, 300n)
    const trace = applyTx(state, tx)
    expect(trace.amountOut).toBe(300n)
    expect(state.account(1n)).toMatchObject({ collateral: 700n, nonce: 1n })
    expectRejected(state, tx, 'NONCE_MISMATCH')
    expectRejected(state, withdrawTx(keys[0]!, 1n, 1n, 701n), 'INSUFFICIENT_COLLATERAL')
    expectRejected(state, withdrawTx(testKey(7), 1n, 1n, 1n), 'BAD_SIGNATURE')
  })
})

describe('forced withdrawal', () => {
  it('pays all collateral of a flat account to its owner, nothing to anyone else', () => {
    const { state, keys } = fundedState(P, 2, 1_000n)
    const stranger = applyTx(state, { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[1]!.l1Address, 1n) })
    expect(stranger.amountOut).toBe(0n)
    const owner = applyTx(state, { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[0]!.l1Address, 1n) })
    expect(owner.amountOut).toBe(1_000n)
    expect(state.account(1n).collateral).toBe(0n)
  })

  it('pays the free collateral of an account with open positions, which then sits at initial margin', () => {
    const { state, keys } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx())
    // The long (account 1) is worth more than its margin: all its collateral is free.
    for (const account of [1n, 2n]) {
      const before = state.account(account).collateral
      const free = freeCollateral(before, state.positionSlots(account), state.marketTable, P.initialMarginBps, P.scenarioCount)
      expect(free).toBeGreaterThan(0n)
      if (account === 1n) expect(free).toBe(before)
      else expect(free).toBeLessThan(before)
      const t = applyTx(state, { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[Number(account) - 1]!.l1Address, account) })
      expect(t.amountOut).toBe(free)
      const left = state.account(account).collateral
      expect(meetsMargin(left, state.positionSlots(account), state.marketTable, P.initialMarginBps, P.scenarioCount)).toBe(true)
      if (account === 2n) expect(meetsMargin(left - 1n, state.positionSlots(account), state.marketTable, P.initialMarginBps, P.scenarioCount)).toBe(false)
    }
  })

  it('pays nothing to an account already below initial margin', () => {
    const { state, keys } = fundedState(P, 2, 330n)
    applyTx(state, depositTx(testKey(1), 1n, 10_000n))
    applyTx(state, tradeTx(1n, 2n, { fill: 10n, price: 100n }))
    state.closeBatch()
    // The same positions under a table four times as volatile: the seller is below initial margin.
    state.setMarketTable(testMarketTable(P, [1n, 2n, 3n], 100n, 100n))
    const values = marginCheckValues(state.account(2n).collateral, state.positionSlots(2n), state.marketTable, P.initialMarginBps, P.scenarioCount)
    expect(values.some((v) => v < 0n)).toBe(true)
    const t = applyTx(state, { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[1]!.l1Address, 2n) })
    expect(t.amountOut).toBe(0n)
  })

  it('refuses to serve an owner whose series has no row in the table (the sequencer must price it)', () => {
    const { state, keys } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx())
    state.closeBatch()
    state.setMarketTable(testMarketTable(P, [2n, 3n]))
    expectRejected(state, { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[0]!.l1Address, 1n) }, 'UNPRICED_POSITION')
  })
})

describe('margin', () => {
  it('refuses a trade that leaves the seller below initial margin, and one on a series without a row', () => {
    const { state } = fundedState(P, 2, 10_000n)
    expectRejected(state, tradeTx(1n, 2n, { seriesId: 4n }), 'UNPRICED_POSITION')
    // Selling 10 at 100 leaves the seller equity C - fee and needs 1.25 * max(10 * 26, 10 * 10) = 325.
    const poor = fundedState(P, 2, 300n).state
    applyTx(poor, depositTx(testKey(1), 1n, 10_000n))
    poor.closeBatch()
    expectRejected(poor, tradeTx(1n, 2n, { fill: 10n, price: 100n }), 'INSUFFICIENT_MARGIN')
    const enough = fundedState(P, 2, 330n).state
    applyTx(enough, depositTx(testKey(1), 1n, 10_000n))
    enough.closeBatch()
    applyTx(enough, tradeTx(1n, 2n, { fill: 10n, price: 100n }))
  })

  it('refuses a withdrawal that would leave an open position under-margined', () => {
    const { state, keys } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx())
    const free = freeCollateral(state.account(2n).collateral, state.positionSlots(2n), state.marketTable, P.initialMarginBps, P.scenarioCount)
    expectRejected(state, withdrawTx(keys[1]!, 2n, 0n, free + 1n), 'INSUFFICIENT_MARGIN')
    applyTx(state, withdrawTx(keys[1]!, 2n, 0n, free))
  })

  it('refuses a second slot for a series the account already holds (DUPLICATE_POSITION)', () => {
    const { state } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx())
    const again = tradeTx(1n, 2n, { buyId: 2n, sellId: 2n }) as Extract<Tx, { type: 2 }>
    expectRejected(state, { ...again, positions: { buyer: 1n, seller: 0n } }, 'DUPLICATE_POSITION')
  })

  it('the table changes only between batches', () => {
    const { state } = fundedState(P, 2, 10_000n)
    applyTx(state, tradeTx())
    expect(() => state.setMarketTable(testMarketTable(P, [1n]))).toThrow(StateError)
  })

  it('agrees with the risk engine: E >= IM exactly when every check holds (property)', () => {
    const table = testMarketTable(P, [1n, 2n, 3n], 1_000n, 300n)
    const riskTable = {
      asOfUnixSeconds: 0n,
      scenarioCount: P.scenarioCount,
      rows: new Map(table.rows.map((r) => [r.seriesId, { seriesId: r.seriesId, mark: r.mark, shortMinimum: r.shortMinimum, scenarioValues: r.scenarioValues }])),
    }
    fc.assert(
      // One slot per series, as the trade rule keeps it.
      fc.property(fc.bigInt({ min: 0n, max: 100_000n }), fc.uniqueArray(fc.tuple(fc.constantFrom(1n, 2n, 3n), fc.bigInt({ min: -50n, max: 50n })), { maxLength: 3, selector: ([id]) => id }), (collateral, held) => {
        const positions = held.map(([seriesId, size]) => ({ seriesId, size }))
        const m = accountMargin(collateral, positions, riskTable)
        expect(meetsMargin(collateral, positions, table, P.initialMarginBps, P.scenarioCount)).toBe(m.equity >= m.initialMargin)
        expect(meetsMargin(collateral, positions, table, P.maintenanceMarginBps, P.scenarioCount)).toBe(m.equity >= m.maintenanceMargin)
        const free = freeCollateral(collateral, positions, table, P.initialMarginBps, P.scenarioCount)
        const expected = m.freeCollateral < 0n ? 0n : m.freeCollateral < collateral ? m.freeCollateral : collateral
        expect(free).toBe(expected)
      }),
      { numRuns: 300 },
    )
  })
})

describe('applyBatch', () => {
  it('pads with no-ops and binds the data', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const batch = applyBatch(state, [tradeTx()])
    expect(batch.slots).toHaveLength(P.batchSize)
    expect(batch.data).toHaveLength(2 * P.batchSize)
    expect(batch.newRoot).toBe(state.root)
    expect(batch.queueCount).toBe(0)
  })

  it('is atomic: a refused transaction leaves the state as before', () => {
    const { state } = fundedState(P, 2, 10_000n)
    const root = state.root
    expect(() => applyBatch(state, [tradeTx(), tradeTx(1n, 2n, { price: 500n })])).toThrow(StateError)
    expect(state.root).toBe(root)
    expect(state.orderSlot(1n, 1n).filled).toBe(0n)
  })

  it('refuses more transactions than slots', () => {
    const state = new RollupState(P)
    expect(() => applyBatch(state, Array.from({ length: P.batchSize + 1 }, () => ({ type: TxType.noop }) as Tx))).toThrow(StateError)
  })
})

describe('replayBatch', () => {
  it('rebuilds the same state from published data and queue entries alone', () => {
    const live = new RollupState(P)
    live.setMarketTable(testMarketTable(P))
    const replica = new RollupState(P)
    const keys = [testKey(1), testKey(2)]
    const batches: Tx[][] = [
      [depositTx(keys[0]!, 1n, 5_000n), depositTx(keys[1]!, 2n, 5_000n)],
      [tradeTx(), withdrawTx(keys[0]!, 1n, 0n, 100n)],
      [cancelTx(keys[0]!, 1n, 1n), tradeTx(1n, 2n, { buyId: 2n, fill: 3n })],
      [{ type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(keys[1]!.l1Address, 2n) }],
    ]
    for (const txs of batches) {
      const entries = txs.flatMap((t): QueueEntry[] => (t.type === TxType.deposit || t.type === TxType.forcedWithdrawal ? [t.entry] : []))
      const trace = applyBatch(live, txs)
      const replayed = replayBatch(replica, trace.data, entries, trace.marketTable, trace.newRoot)
      expect(replayed.inputHash).toBe(trace.inputHash)
    }
    expect(replica.root).toBe(live.root)
    // The fees of both trades reached the fee account of the replica too.
    expect(replica.account(BigInt(FEE_ACCOUNT_INDEX)).collateral).toBe(2n * (tradeFee(P, 110n, 4n) + tradeFee(P, 110n, 3n)))
    expect(replica.orderSlot(1n, 1n)).toEqual({ orderId: 1n, filled: CANCELLED_FILLED })
  })

  it('refuses data that does not reproduce the verified root', () => {
    const live = new RollupState(P)
    const trace = applyBatch(live, [depositTx(testKey(1), 1n, 10n)])
    expect(() => replayBatch(new RollupState(P), trace.data, [], trace.marketTable, trace.newRoot)).toThrow(ReplayError)
    const entry = (trace.slots[0]!.tx as Extract<Tx, { type: 1 }>).entry
    expect(() => replayBatch(new RollupState(P), trace.data, [entry], trace.marketTable, trace.newRoot + 1n)).toThrow(ReplayError)
    expect(replayBatch(new RollupState(P), trace.data, [entry], trace.marketTable, trace.newRoot).newRoot).toBe(trace.newRoot)
  })
})

describe('conservation (property)', () => {
  it('collateral is conserved and positions net to zero over random trades and withdrawals', () => {
    const keys = [1, 2, 3].map(testKey)
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('trade' as const), buyer: fc.integer({ min: 1, max: 3 }), seller: fc.integer({ min: 1, max: 3 }), fill: fc.integer({ min: 1, max: 12 }), price: fc.integer({ min: 90, max: 130 }), id: fc.integer({ min: 1, max: 6 }) }),
            fc.record({ kind: fc.constant('withdraw' as const), who: fc.integer({ min: 1, max: 3 }), amount: fc.integer({ min: 0, max: 3000 }) }),
          ),
          { maxLength: 8 },
        ),
        (ops) => {
          const { state } = fundedState(P, 3, 2_000n)
          let withdrawn = 0n
          for (const op of ops) {
            const tx: Tx =
              op.kind === 'trade'
                ? {
                    type: TxType.trade,
                    buy: signedOrder(keys[op.buyer - 1]!, order({ accountIndex: BigInt(op.buyer), orderId: BigInt(op.id), side: 0, limitPrice: 120n })),
                    sell: signedOrder(keys[op.seller - 1]!, order({ accountIndex: BigInt(op.seller), orderId: BigInt(op.id), side: 1, limitPrice: 100n })),
                    fill: BigInt(op.fill),
                    price: BigInt(op.price),
                  }
                : withdrawTx(keys[op.who - 1]!, BigInt(op.who), state.account(BigInt(op.who)).nonce, BigInt(op.amount))
            const root = state.root
            if (checkTx(state, tx)) {
              expect(() => applyTx(state, tx)).toThrow(StateError)
              expect(state.root).toBe(root)
            } else {
              const trace = applyTx(state, tx)
              withdrawn += trace.amountOut ?? 0n
            }
          }
          // Fees wait in pendingFees until a batch credits them to the fee account.
          const total = [1n, 2n, 3n].reduce((s, i) => s + state.account(i).collateral, 0n)
          expect(total + withdrawn + state.pendingFees).toBe(6_000n)
          const net = [1n, 2n, 3n].flatMap((i) => state.positions(i)).reduce((s, p) => s + p.position.size, 0n)
          expect(net).toBe(0n)
        },
      ),
      { numRuns: 25 },
    )
  })
})

it('queue kinds are distinct', () => {
  expect(QueueKind.deposit).not.toBe(QueueKind.forcedWithdrawal)
})
