/**
 * Liquidation (docs/protocol.md, "Liquidation"): an account below maintenance margin under
 * the batch's market table hands `t` of one position over to the insurance fund (account 0)
 * at the table's mark, and pays a penalty of `liquidationPenaltyBps` of the mark value moved.
 * What the account owes, `penalty - t * mark`, comes out of its collateral; when it owes
 * more than it has it pays all it has and the fund takes the rest of the loss (bankrupt).
 * Which positions and how much to move is the sequencer's choice (the risk engine's plan);
 * the protocol only forbids liquidating an account that meets maintenance margin.
 */
import { ACCEPTED, reject, StateError, type CheckResult } from '../rejections.js'
import { Bits, FEE_BPS_DENOMINATOR, INSURANCE_ACCOUNT_INDEX, TxType } from '../params.js'
import { fitsUnsigned } from '../field.js'
import { encodeSlot } from '../batchData.js'
import { marginCheckValues, UnpricedPositionError } from '../margin.js'
import { tableRowOf } from '../marketTable.js'
import { heldSlotOf, positionIndexFor } from './trade.js'
import type { RollupState } from '../rollupState.js'
import type { LiquidationTx, Position, PositionsUpdate, SlotTrace } from '../types.js'

const MAX_POSITION = 1n << 63n
const FUND = BigInt(INSURANCE_ACCOUNT_INDEX)


/** The amounts a liquidation moves: mark, penalty, what the account owes and pays. */
export function liquidationAmounts(state: RollupState, tx: LiquidationTx): { mark: bigint; penalty: bigint; owed: bigint; paid: bigint; bankrupt: boolean } {
  const row = tableRowOf(state.marketTable, tx.seriesId)
  if (!row) throw new UnpricedPositionError(tx.seriesId)
  const magnitude = tx.size < 0n ? -tx.size : tx.size
  const value = magnitude * row.mark
  const bps = BigInt(state.params.liquidationPenaltyBps)
  const penalty = (value * bps + BigInt(FEE_BPS_DENOMINATOR) - 1n) / BigInt(FEE_BPS_DENOMINATOR)
  const owed = penalty - tx.size * row.mark
  const collateral = state.account(tx.accountIndex).collateral
  const bankrupt = owed > collateral
  return { mark: row.mark, penalty, owed, paid: bankrupt ? collateral : owed, bankrupt }
}

/** Checks a liquidation against the state and the batch's market table. */
export function checkLiquidation(state: RollupState, tx: LiquidationTx, checkMargin = true): CheckResult {
  const { accountIndex, seriesId, size } = tx
  if (accountIndex === FUND || !state.inRange(accountIndex) || !state.exists(accountIndex)) return reject('UNKNOWN_ACCOUNT', `${accountIndex}`)
  if (seriesId < 1n || !fitsUnsigned(seriesId, Bits.seriesId)) return reject('BAD_SERIES', `${seriesId}`)
  const magnitude = size < 0n ? -size : size
  if (size === 0n || !fitsUnsigned(magnitude, Bits.size)) return reject('BAD_LIQUIDATION', `size ${size}`)
  const index = tx.positions?.account ?? heldSlotOf(state, accountIndex, seriesId)
  if (index === undefined || index < 0n || index >= BigInt(state.params.positionSlots)) return reject('BAD_LIQUIDATION', `account ${accountIndex} holds no series ${seriesId}`)
  const held = state.position(accountIndex, index)
  if (held.seriesId !== seriesId || held.size === 0n) return reject('BAD_LIQUIDATION', `position ${index} of account ${accountIndex} does not hold series ${seriesId}`)
  if (held.size < 0n !== size < 0n || magnitude > (held.size < 0n ? -held.size : held.size))
    return reject('BAD_LIQUIDATION', `moves ${size} of a position of ${held.size}`)
  const { maintenanceMarginBps, scenarioCount } = state.params
  const account = state.account(accountIndex)
  let amounts: ReturnType<typeof liquidationAmounts>
  try {
    const values = marginCheckValues(account.collateral, state.positionSlots(accountIndex), state.marketTable, maintenanceMarginBps, scenarioCount)
    if (checkMargin && values.every((v) => v >= 0n)) return reject('NOT_LIQUIDATABLE', `account ${accountIndex}`)
    amounts = liquidationAmounts(state, tx)
  } catch (error) {
    if (error instanceof UnpricedPositionError) return reject('UNPRICED_POSITION', `account ${accountIndex}: ${error.message}`)
    throw error
  }
  const fundIndex = tx.positions?.fund ?? positionIndexFor(state, FUND, seriesId)
  if (fundIndex === undefined || fundIndex < 0n || fundIndex >= BigInt(state.params.positionSlots)) return reject('POSITION_SLOTS_FULL', 'the insurance fund has no free position slot')
  const fundHeld = state.position(FUND, fundIndex)
  if (fundHeld.seriesId !== seriesId && !(fundHeld.seriesId === 0n && fundHeld.size === 0n))
    return reject('POSITION_SLOTS_FULL', `position ${fundIndex} of the fund holds series ${fundHeld.seriesId}`)
  if (fundHeld.seriesId !== seriesId && state.positionSlots(FUND).some((p) => p.seriesId === seriesId))
    return reject('DUPLICATE_POSITION', `the fund holds series ${seriesId} in another slot than ${fundIndex}`)
  const fundSize = fundHeld.size + size
  if (fundSize >= MAX_POSITION || -fundSize >= MAX_POSITION) return reject('POSITION_TOO_LARGE', 'the fund position would exceed 2^63')
  // The fund's leaf holds its collateral without the batch's pending fees (credited after the
  // last slot), so it must afford what it pays now; with them, it must stay below 2^64.
  const fundCollateral = state.account(FUND).collateral + amounts.paid
  if (fundCollateral < 0n) return reject('INSUFFICIENT_FUND', `the fund would pay ${-amounts.paid}`)
  if (!fitsUnsigned(fundCollateral + state.pendingFees, Bits.amount)) return reject('COLLATERAL_OVERFLOW', 'the fund would exceed 2^64')
  if (!fitsUnsigned(account.collateral - amounts.paid, Bits.amount)) return reject('COLLATERAL_OVERFLOW')
  return ACCEPTED
}

/** Moves `delta` at `index` of an account's slots; returns the update and the new positions hash. */
function moveSlot(state: RollupState, account: bigint, index: bigint, seriesId: bigint, delta: bigint): { update: PositionsUpdate; hash: bigint } {
  const before = state.positionSlots(account)
  const size = before[Number(index)]!.size + delta
  const next: Position = size === 0n ? { seriesId: 0n, size: 0n } : { seriesId, size }
  const hash = state.setPosition(account, index, next)
  return { update: { index, before, after: state.positionSlots(account) }, hash }
}

/** Applies a liquidation; throws `StateError` when it does not pass `checkLiquidation`. */
export function applyLiquidation(state: RollupState, tx: LiquidationTx, checkMargin = true): SlotTrace {
  const check = checkLiquidation(state, tx, checkMargin)
  if (!check.ok) throw new StateError(`liquidation refused: ${check.reason}`, check)
  const { accountIndex, seriesId, size } = tx
  const index = tx.positions?.account ?? heldSlotOf(state, accountIndex, seriesId)!
  const fundIndex = tx.positions?.fund ?? positionIndexFor(state, FUND, seriesId)!
  const amounts = liquidationAmounts(state, tx)

  const before = state.account(accountIndex)
  const siblings = state.accountProof(accountIndex)
  const moved = moveSlot(state, accountIndex, index, seriesId, -size)
  const after = { ...before, collateral: before.collateral - amounts.paid, positionsHash: moved.hash }
  state.setAccount(accountIndex, after)

  const fundBefore = state.account(FUND)
  const fundSiblings = state.accountProof(FUND)
  const fundMoved = moveSlot(state, FUND, fundIndex, seriesId, size)
  const fundAfter = { ...fundBefore, collateral: fundBefore.collateral + amounts.paid, positionsHash: fundMoved.hash }
  state.setAccount(FUND, fundAfter)

  const magnitude = size < 0n ? -size : size
  return {
    tx,
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    accountA: { index: accountIndex, before, after, siblings },
    accountB: { index: FUND, before: fundBefore, after: fundAfter, siblings: fundSiblings },
    positionsA: moved.update,
    positionsB: fundMoved.update,
    liquidation: { paid: amounts.paid, bankrupt: amounts.bankrupt, penalty: amounts.penalty, mark: amounts.mark },
    data: encodeSlot({ type: TxType.liquidation, accountIndex, seriesId, size: magnitude, short: size < 0n, accountPosition: index, fundPosition: fundIndex }),
  }
}
