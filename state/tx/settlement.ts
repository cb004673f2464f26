/**
 * Settlement (docs/protocol.md, "Settlement"): closes an account's whole position in an
 * expired series at its payoff under the settlement price the L1 contract fixed, with the
 * insurance fund (account 0) as the clearing house: a short pays its payoff into the fund, a
 * long is paid from it. The L1 contract checks the published price, strike and call/put
 * against its storage, so a settlement can only use the fixed price.
 *
 * Payoff of `n` size units: `|n| * intrinsic / 10^SIZE_DECIMALS`, intrinsic `max(0, S - K)`
 * for a call, `max(0, K - S)` for a put; a long's rounds down, a short's up, so the fund never
 * pays out more than the shorts owe. A short that cannot pay all of it pays all its collateral
 * (bankrupt; the fund takes the loss). A long the fund cannot pay in full gets all the fund
 * has (`fundShort`): the loss is socialized on the longs that settle last, which is why the
 * sequencer settles every short of a series before its longs. The fund's own positions close
 * without cash: as the clearing house it already pays and is paid through the others'.
 */
import { ACCEPTED, reject, StateError, type CheckResult } from '../rejections.js'
import { Bits, INSURANCE_ACCOUNT_INDEX, SIZE_DECIMALS, TxType } from '../params.js'
import { fitsUnsigned } from '../field.js'
import { encodeSlot } from '../batchData.js'
import { heldSlotOf } from './trade.js'
import type { RollupState } from '../rollupState.js'
import type { SeriesSettlement, SettlementTx, SlotTrace } from '../types.js'

const FUND = BigInt(INSURANCE_ACCOUNT_INDEX)
const SIZE_SCALE = 10n ** BigInt(SIZE_DECIMALS)

/** Intrinsic value of one contract at the settlement price, collateral base units. */
export function intrinsicValue(s: SeriesSettlement): bigint {
  const diff = s.isCall ? s.price - s.strike : s.strike - s.price
  return diff > 0n ? diff : 0n
}

/** The payoff of `size` size units (signed): what a long is owed (> 0) or a short owes (< 0). */
export function settlementPayoff(size: bigint, s: SeriesSettlement): bigint {
  const value = (size < 0n ? -size : size) * intrinsicValue(s)
  return size < 0n ? -((value + SIZE_SCALE - 1n) / SIZE_SCALE) : value / SIZE_SCALE
}


/** What the settlement moves: the payoff, and what the account pays the fund (negative: is paid). */
export function settlementAmounts(state: RollupState, tx: SettlementTx, size: bigint): { payoff: bigint; paid: bigint; bankrupt: boolean; fundShort: boolean } {
  const payoff = settlementPayoff(size, tx.settlement)
  if (tx.accountIndex === FUND) return { payoff, paid: 0n, bankrupt: false, fundShort: false }
  const owed = -payoff
  const collateral = state.account(tx.accountIndex).collateral
  const fund = state.account(FUND).collateral
  if (owed > collateral) return { payoff, paid: collateral, bankrupt: true, fundShort: false }
  if (-owed > fund) return { payoff, paid: -fund, bankrupt: false, fundShort: true }
  return { payoff, paid: owed, bankrupt: false, fundShort: false }
}

/** Checks a settlement against the state (the price itself is checked on L1). */
export function checkSettlement(state: RollupState, tx: SettlementTx): CheckResult {
  const { accountIndex, seriesId, settlement } = tx
  if (!state.inRange(accountIndex) || (accountIndex !== FUND && !state.exists(accountIndex))) return reject('UNKNOWN_ACCOUNT', `${accountIndex}`)
  if (seriesId < 1n || !fitsUnsigned(seriesId, Bits.seriesId)) return reject('BAD_SERIES', `${seriesId}`)
  if (settlement.price < 1n || !fitsUnsigned(settlement.price, Bits.price) || !fitsUnsigned(settlement.strike, Bits.price))
    return reject('BAD_SETTLEMENT', `price ${settlement.price}, strike ${settlement.strike}`)
  const index = tx.position ?? heldSlotOf(state, accountIndex, seriesId)
  if (index === undefined || index < 0n || index >= BigInt(state.params.positionSlots)) return reject('BAD_SETTLEMENT', `account ${accountIndex} holds no series ${seriesId}`)
  const held = state.position(accountIndex, index)
  if (held.seriesId !== seriesId || held.size === 0n) return reject('BAD_SETTLEMENT', `position ${index} of account ${accountIndex} does not hold series ${seriesId}`)
  const { paid } = settlementAmounts(state, tx, held.size)
  if (!fitsUnsigned(state.account(accountIndex).collateral - paid, Bits.amount)) return reject('COLLATERAL_OVERFLOW')
  if (!fitsUnsigned(state.account(FUND).collateral + paid + state.pendingFees, Bits.amount)) return reject('COLLATERAL_OVERFLOW', 'the fund would exceed 2^64')
  return ACCEPTED
}

/** Applies a settlement; throws `StateError` when it does not pass `checkSettlement`. */
export function applySettlement(state: RollupState, tx: SettlementTx): SlotTrace {
  const check = checkSettlement(state, tx)
  if (!check.ok) throw new StateError(`settlement refused: ${check.reason}`, check)
  const { accountIndex, seriesId, settlement } = tx
  const index = tx.position ?? heldSlotOf(state, accountIndex, seriesId)!
  const size = state.position(accountIndex, index).size
  const amounts = settlementAmounts(state, tx, size)

  const before = state.account(accountIndex)
  const siblings = state.accountProof(accountIndex)
  const positionsBefore = state.positionSlots(accountIndex)
  const positionsHash = state.setPosition(accountIndex, index, { seriesId: 0n, size: 0n })
  const after = { ...before, collateral: before.collateral - amounts.paid, positionsHash }
  state.setAccount(accountIndex, after)

  // The fund's leaf, proven against the root after the account's update (none for its own positions).
  let accountB: SlotTrace['accountB']
  if (accountIndex !== FUND) {
    const fundBefore = state.account(FUND)
    const fundSiblings = state.accountProof(FUND)
    const fundAfter = { ...fundBefore, collateral: fundBefore.collateral + amounts.paid }
    state.setAccount(FUND, fundAfter)
    accountB = { index: FUND, before: fundBefore, after: fundAfter, siblings: fundSiblings }
  }

  return {
    tx,
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    accountA: { index: accountIndex, before, after, siblings },
    ...(accountB ? { accountB } : {}),
    positionsA: { index, before: positionsBefore, after: state.positionSlots(accountIndex) },
    settlement: amounts,
    data: encodeSlot({
      type: TxType.settlement,
      accountIndex,
      seriesId,
      size: size < 0n ? -size : size,
      short: size < 0n,
      price: settlement.price,
      strike: settlement.strike,
      isCall: settlement.isCall,
      accountPosition: index,
    }),
  }
}
