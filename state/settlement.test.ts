import { describe, expect, it } from 'vitest'
import { INSURANCE_ACCOUNT_INDEX, TEST_PARAMS, TxType } from './params.js'
import { applyBatch, applyTx, checkTx, replayBatch } from './batch.js'
import { decodeSlot } from './batchData.js'
import { StateError } from './rejections.js'
import { fundedState, order, signedOrder, testKey, testMarketTable } from './testing.js'
import { intrinsicValue, settlementPayoff } from './tx/settlement.js'
import type { RollupState } from './rollupState.js'
import type { SeriesSettlement, Tx } from './types.js'

const P = TEST_PARAMS
const FUND = BigInt(INSURANCE_ACCOUNT_INDEX)
const CALL: SeriesSettlement = { price: 3_000_000_123n, strike: 3_000_000_000n, isCall: true }

const trade = (buyer: bigint, seller: bigint, fill: bigint, orderId = 1n): Tx => ({
  type: TxType.trade,
  buy: signedOrder(testKey(Number(buyer)), order({ accountIndex: buyer, orderId, side: 0, limitPrice: 100n })),
  sell: signedOrder(testKey(Number(seller)), order({ accountIndex: seller, orderId, side: 1, limitPrice: 100n })),
  fill,
  price: 100n,
})

/** Account 1 long 10, account 2 short 10 of series 1 (at 100), in a batch whose fees (6) went to the fund. */
function expired(collateral = 10_000n): RollupState {
  const { state } = fundedState(P, 2, collateral)
  applyBatch(state, [trade(1n, 2n, 10n)])
  state.commit()
  return state
}

const settle = (accountIndex: bigint, settlement = CALL, seriesId = 1n): Tx => ({ type: TxType.settlement, accountIndex, seriesId, settlement })

function expectRejected(state: RollupState, tx: Tx, code: string): void {
  const root = state.root
  expect(checkTx(state, tx)?.code).toBe(code)
  expect(() => applyTx(state, tx)).toThrow(StateError)
  expect(state.root).toBe(root)
}

describe('settlement', () => {
  it('computes intrinsic values and rounds a long down and a short up', () => {
    expect(intrinsicValue(CALL)).toBe(123n)
    expect(intrinsicValue({ ...CALL, isCall: false })).toBe(0n)
    expect(intrinsicValue({ price: 90n, strike: 100n, isCall: false })).toBe(10n)
    expect(settlementPayoff(10n, CALL)).toBe(12n) // 10 * 123 / 100 = 12.3
    expect(settlementPayoff(-10n, CALL)).toBe(-13n)
  })

  it('the short pays its payoff into the fund, then the long is paid from it; both positions close', () => {
    const state = expired()
    const [short, long] = [state.account(2n).collateral, state.account(1n).collateral]
    const a = applyTx(state, settle(2n))
    expect(a.settlement).toEqual({ payoff: -13n, paid: 13n, bankrupt: false, fundShort: false })
    const b = applyTx(state, settle(1n))
    expect(b.settlement).toEqual({ payoff: 12n, paid: -12n, bankrupt: false, fundShort: false })
    expect(state.account(2n).collateral).toBe(short - 13n)
    expect(state.account(1n).collateral).toBe(long + 12n)
    expect(state.account(FUND).collateral).toBe(6n + 13n - 12n) // fees, plus the rounding
    expect(state.positions(1n)).toEqual([])
    expect(state.positions(2n)).toEqual([])
    expect(decodeSlot(...a.data)).toEqual({ type: TxType.settlement, accountIndex: 2n, seriesId: 1n, size: 10n, short: true, price: CALL.price, strike: CALL.strike, isCall: true, accountPosition: 0n })
  })

  it('an out-of-the-money position closes without cash', () => {
    const state = expired()
    const before = state.account(1n).collateral
    expect(applyTx(state, settle(1n, { ...CALL, isCall: false })).settlement?.paid).toBe(0n)
    expect(state.account(1n).collateral).toBe(before)
    expect(state.positions(1n)).toEqual([])
  })

  it('a short that cannot pay pays all it has; a long the fund cannot pay gets all the fund has', () => {
    const state = expired()
    const deep = { price: 3_100_000_000n, strike: 3_000_000_000n, isCall: true } // 10 units owe 10 000 000
    const short = state.account(2n).collateral
    expect(applyTx(state, settle(2n, deep)).settlement).toMatchObject({ bankrupt: true, paid: short })
    expect(state.account(2n).collateral).toBe(0n)
    const fund = state.account(FUND).collateral
    expect(applyTx(state, settle(1n, deep)).settlement).toMatchObject({ fundShort: true, paid: -fund })
    expect(state.account(FUND).collateral).toBe(0n)
  })

  it("closes the fund's own position without cash (it is the clearing house)", () => {
    const { state } = fundedState(P, 2, 10_000n, testMarketTable(P, [1n, 2n, 3n], 100n, 100n))
    applyBatch(state, [trade(1n, 2n, 10n)])
    state.commit()
    // Hand one unit of account 2's short to the fund by liquidation under a stressed table.
    state.setMarketTable(testMarketTable(P, [1n, 2n, 3n], 1_000n, 100n))
    applyBatch(state, [{ type: TxType.liquidation, accountIndex: 2n, seriesId: 1n, size: -1n }])
    state.commit()
    expect(state.position(FUND, 0n)).toEqual({ seriesId: 1n, size: -1n })
    const fund = state.account(FUND).collateral
    const slot = applyTx(state, settle(FUND))
    expect(slot.settlement?.paid).toBe(0n)
    expect(slot.accountB).toBeUndefined()
    expect(state.account(FUND).collateral).toBe(fund)
    expect(state.positions(FUND)).toEqual([])
  })

  it.each<[string, () => Tx, string]>([
    ['a series the account does not hold', () => settle(1n, CALL, 2n), 'BAD_SETTLEMENT'],
    ['a price of 0 (not fixed)', () => settle(1n, { ...CALL, price: 0n }), 'BAD_SETTLEMENT'],
    ['a strike of 2^64', () => settle(1n, { ...CALL, strike: 1n << 64n }), 'BAD_SETTLEMENT'],
    ['an unknown account', () => settle(5n), 'UNKNOWN_ACCOUNT'],
    ['series 0', () => settle(1n, CALL, 0n), 'BAD_SERIES'],
  ])('refuses %s', (_, make, code) => {
    expectRejected(expired(), make(), code)
  })

  it('replays from the published data alone', () => {
    const live = expired()
    const trace = applyBatch(live, [settle(2n), settle(1n)])
    const replica = expired()
    expect(replayBatch(replica, trace.data, [], trace.marketTable, trace.newRoot).inputHash).toBe(trace.inputHash)
  })
})
