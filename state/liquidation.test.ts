import { describe, expect, it } from 'vitest'
import { FEE_BPS_DENOMINATOR, INSURANCE_ACCOUNT_INDEX, TEST_PARAMS, TxType } from './params.js'
import { applyBatch, applyTx, checkTx, replayBatch } from './batch.js'
import { decodeSlot } from './batchData.js'
import { StateError } from './rejections.js'
import { marginCheckValues } from './margin.js'
import { EMPTY_MARKET_TABLE } from './marketTable.js'
import type { RollupState } from './rollupState.js'
import { depositTx, fundedState, order, signedOrder, testKey, testMarketTable } from './testing.js'
import type { Tx } from './types.js'

const P = TEST_PARAMS
const FUND = BigInt(INSURANCE_ACCOUNT_INDEX)
// Calm: marks 100, values 74..126. Stressed: marks 100, values 0..200 (four times the spread).
const CALM = testMarketTable(P)
const STRESSED = testMarketTable(P, [1n, 2n, 3n], 100n, 100n)

const trade = (buyer: bigint, seller: bigint, seriesId: bigint, fill: bigint, price: bigint, orderId = 1n): Tx => ({
  type: TxType.trade,
  buy: signedOrder(testKey(Number(buyer)), order({ accountIndex: buyer, orderId, side: 0, limitPrice: price, seriesId })),
  sell: signedOrder(testKey(Number(seller)), order({ accountIndex: seller, orderId, side: 1, limitPrice: price, seriesId })),
  fill,
  price,
})

/**
 * Account 2 (with `collateral` of its own) sells 10 of series 1 at 100 to account 1 (10 000
 * more) in a batch under CALM; the next batch runs under `table`.
 */
function shortAccount(collateral: bigint, table = STRESSED): RollupState {
  const { state } = fundedState(P, 2, collateral, CALM)
  applyBatch(state, [depositTx(testKey(1), 1n, 10_000n), trade(1n, 2n, 1n, 10n, 100n)])
  state.commit()
  state.setMarketTable(table)
  return state
}

const liquidation = (size: bigint, accountIndex = 2n, seriesId = 1n): Tx => ({ type: TxType.liquidation, accountIndex, seriesId, size })

function expectRejected(state: RollupState, tx: Tx, code: string): void {
  const root = state.root
  expect(checkTx(state, tx)?.code).toBe(code)
  expect(() => applyTx(state, tx)).toThrow(StateError)
  expect(state.root).toBe(root)
}

describe('liquidation', () => {
  it('moves a short to the fund at the mark with the penalty, and publishes what replays it', () => {
    const state = shortAccount(400n)
    // Below maintenance under STRESSED: 10 short, worst loss 10 * 100 = 1000 > equity.
    expect(marginCheckValues(state.account(2n).collateral, state.positionSlots(2n), state.marketTable, P.maintenanceMarginBps, P.scenarioCount).some((v) => v < 0n)).toBe(true)
    const collateral = state.account(2n).collateral
    const slot = applyTx(state, liquidation(-4n))
    // Owed: penalty ceil(4 * 100 * 5%) = 20, plus buying back 4 at 100.
    expect(slot.liquidation).toEqual({ paid: 420n, bankrupt: false, penalty: 20n, mark: 100n })
    expect(state.account(2n).collateral).toBe(collateral - 420n)
    expect(state.account(FUND).collateral).toBe(6n + 420n) // the first batch's fees, then the payment
    expect(state.position(2n, 0n)).toEqual({ seriesId: 1n, size: -6n })
    expect(state.position(FUND, 0n)).toEqual({ seriesId: 1n, size: -4n })
    expect(decodeSlot(...slot.data)).toEqual({ type: TxType.liquidation, accountIndex: 2n, seriesId: 1n, size: 4n, short: true, accountPosition: 0n, fundPosition: 0n })
  })

  it('a bankrupt account pays all its collateral and the fund absorbs the rest', () => {
    // Marks of 1000: buying back 10 costs 10 000 and the account has 1327 (330 + the premium less the fee).
    const state = shortAccount(330n, testMarketTable(P, [1n, 2n, 3n], 1_000n, 100n))
    const collateral = state.account(2n).collateral
    expect(collateral).toBe(1_327n)
    const slot = applyTx(state, liquidation(-10n))
    expect(slot.liquidation?.bankrupt).toBe(true)
    expect(slot.liquidation?.paid).toBe(collateral)
    expect(state.account(2n).collateral).toBe(0n)
    expect(state.positionSlots(2n).every((p) => p.size === 0n)).toBe(true)
    // The fund had the first batch's fees (6) and now holds the short, bought for less than its mark.
    expect(state.account(FUND).collateral).toBe(6n + collateral)
    expect(state.position(FUND, 0n)).toEqual({ seriesId: 1n, size: -10n })
  })

  it('refuses liquidating the long counterparty (a long alone never falls below maintenance)', () => {
    expect(checkTx(shortAccount(400n), liquidation(4n, 1n))?.code).toBe('NOT_LIQUIDATABLE')
  })

  /** Account 1 short 10 of series 1 and long 10 of series 2 (both at 100 against account 2). */
  function mixedAccount(table: ReturnType<typeof testMarketTable>): RollupState {
    const { state } = fundedState(P, 2, 10_000n, CALM)
    applyBatch(state, [trade(2n, 1n, 1n, 10n, 100n), trade(1n, 2n, 2n, 10n, 100n, 2n)])
    state.commit()
    state.setMarketTable(table)
    return state
  }
  // Series 1 values up to 2000 (the short loses 19 000), series 2 calm.
  const SHORT_BLOWS_UP = {
    rows: [
      { ...CALM.rows[0]!, scenarioValues: CALM.rows[0]!.scenarioValues.map((_, k) => BigInt(k) * 75n) },
      CALM.rows[1]!,
      CALM.rows[2]!,
    ],
  }

  it('a liquidated long is sold to the fund at the mark less the penalty, if the fund can pay', () => {
    const state = mixedAccount(SHORT_BLOWS_UP)
    expect(marginCheckValues(state.account(1n).collateral, state.positionSlots(1n), state.marketTable, P.maintenanceMarginBps, P.scenarioCount).some((v) => v < 0n)).toBe(true)
    // The fund holds only the fees (12): it cannot pay 10 * 100 - 50 for the long.
    expectRejected(state, liquidation(10n, 1n, 2n), 'INSUFFICIENT_FUND')
    // Taking over one unit of the short pays the fund 105; then it can buy one unit of the long.
    applyTx(state, liquidation(-1n, 1n, 1n))
    const fund = state.account(FUND).collateral
    expect(fund).toBe(12n + 105n)
    const before = state.account(1n).collateral
    const slot = applyTx(state, liquidation(1n, 1n, 2n))
    expect(slot.liquidation?.paid).toBe(5n - 100n)
    expect(state.account(1n).collateral).toBe(before + 95n)
    expect(state.account(FUND).collateral).toBe(fund - 95n)
    expect(state.position(FUND, 1n)).toEqual({ seriesId: 2n, size: 1n })
  })

  it.each<[string, () => Tx, string]>([
    ['a healthy account', () => liquidation(-1n, 1n), 'BAD_LIQUIDATION'],
    ['the fund itself', () => liquidation(-1n, FUND), 'UNKNOWN_ACCOUNT'],
    ['more than the position', () => liquidation(-11n), 'BAD_LIQUIDATION'],
    ['the wrong sign (growing the short)', () => liquidation(4n), 'BAD_LIQUIDATION'],
    ['a zero size', () => liquidation(0n), 'BAD_LIQUIDATION'],
    ['a series the account does not hold', () => liquidation(-1n, 2n, 2n), 'BAD_LIQUIDATION'],
  ])('refuses %s', (_, make, code) => {
    expectRejected(shortAccount(400n), make(), code)
  })

  it('refuses an account that meets maintenance margin (NOT_LIQUIDATABLE)', () => {
    expectRejected(shortAccount(400n, CALM), liquidation(-4n), 'NOT_LIQUIDATABLE')
  })

  it('replays from the published data and the batch table alone', () => {
    const live = mixedAccount(SHORT_BLOWS_UP)
    const trace = applyBatch(live, [liquidation(-1n, 1n, 1n), liquidation(1n, 1n, 2n)])
    const replica = mixedAccount(EMPTY_MARKET_TABLE)
    const replayed = replayBatch(replica, trace.data, [], trace.marketTable, trace.newRoot)
    expect(replayed.inputHash).toBe(trace.inputHash)
    expect(replica.root).toBe(live.root)
  })

  it('charges the penalty by the rule ceil(|t| * mark * bps / 10000)', () => {
    const state = shortAccount(400n)
    const slot = applyTx(state, liquidation(-3n))
    expect(slot.liquidation?.penalty).toBe((3n * 100n * BigInt(P.liquidationPenaltyBps) + BigInt(FEE_BPS_DENOMINATOR) - 1n) / BigInt(FEE_BPS_DENOMINATOR))
  })
})
