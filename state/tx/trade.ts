/**
 * Trade: two signed orders on one series, the buyer (account A) pays `price * fill` to the
 * seller (account B) and each side pays the trading fee (`tradeFee`), which the state holds
 * as pending until the batch credits it to the fee account; positions and order slots move
 * as docs/protocol.md states; both accounts must meet initial margin after it, under the
 * open batch's market table.
 */
import { ACCEPTED, reject, StateError, type CheckResult, type Rejection } from '../rejections.js'
import { Bits, CANCELLED_FILLED, FEE_ACCOUNT_INDEX, Side, TxType } from '../params.js'
import { tradeFee } from '../fees.js'
import { fitsUnsigned } from '../field.js'
import { orderMessage } from '../messages.js'
import { verifyField } from '../eddsa.js'
import { encodeSlot } from '../batchData.js'
import type { RollupState } from '../rollupState.js'
import { checkInitialMarginAfter, positionsAfterMove } from './marginRule.js'
import type { Account, AccountUpdate, LeafUpdate, OrderSlot, Position, PositionsUpdate, SignedOrder, SlotTrace, Tx } from '../types.js'

export type TradeTx = Extract<Tx, { type: typeof TxType.trade }>

const MAX_POSITION = 1n << 63n

/** The position index a trade uses: the one holding the series, else the lowest empty one. */
export function positionIndexFor(state: RollupState, account: bigint, seriesId: bigint): bigint | undefined {
  const size = BigInt(state.params.positionSlots)
  let firstEmpty: bigint | undefined
  for (let i = 0n; i < size; i++) {
    const p = state.position(account, i)
    if (p.seriesId === seriesId) return i
    if (firstEmpty === undefined && p.seriesId === 0n && p.size === 0n) firstEmpty = i
  }
  return firstEmpty
}

/** The account's slot holding an open position in `seriesId`, if any (one slot per series). */
export function heldSlotOf(state: RollupState, account: bigint, seriesId: bigint): bigint | undefined {
  const i = state.positionSlots(account).findIndex((p) => p.seriesId === seriesId && p.size !== 0n)
  return i < 0 ? undefined : BigInt(i)
}

/** How much of an order is already filled, or why it cannot fill at all. */
export function filledBefore(state: RollupState, order: SignedOrder['order']): bigint | Rejection {
  const held = state.orderSlot(order.accountIndex, state.slotIndexOf(order.orderId))
  if (held.orderId === order.orderId) return held.filled
  if (held.orderId < order.orderId) return 0n
  return reject('ORDER_ID_REUSED', `slot holds order ${held.orderId} > ${order.orderId}`)
}

function checkOrderFields(state: RollupState, o: SignedOrder['order']): CheckResult {
  if (!state.inRange(o.accountIndex) || !state.exists(o.accountIndex)) return reject('UNKNOWN_ACCOUNT', `${o.accountIndex}`)
  if (o.orderId < 1n || !fitsUnsigned(o.orderId, Bits.orderId)) return reject('BAD_ORDER_ID', `${o.orderId}`)
  if (o.seriesId < 1n || !fitsUnsigned(o.seriesId, Bits.seriesId)) return reject('BAD_SERIES', `${o.seriesId}`)
  if (!fitsUnsigned(o.size, Bits.size) || !fitsUnsigned(o.limitPrice, Bits.price) || !fitsUnsigned(o.validUntil, Bits.validUntil))
    return reject('AMOUNT_OUT_OF_RANGE', 'order size, limit price or validUntil out of range')
  return ACCEPTED
}

/** Checks a trade; `verifySignatures: false` only when replaying proven data. */
export function checkTrade(state: RollupState, tx: TradeTx, verifySignatures = true, checkMargin = true): CheckResult {
  const { buy, sell, fill, price } = tx
  if (buy.order.side !== Side.buy || sell.order.side !== Side.sell) return reject('WRONG_SIDE')
  for (const o of [buy.order, sell.order]) {
    const fields = checkOrderFields(state, o)
    if (!fields.ok) return fields
  }
  const buyer = buy.order.accountIndex
  const seller = sell.order.accountIndex
  if (buyer === seller) return reject('SELF_TRADE', `account ${buyer}`)
  if (buy.order.seriesId !== sell.order.seriesId) return reject('SERIES_MISMATCH')
  if (fill < 1n || !fitsUnsigned(fill, Bits.size)) return reject('BAD_FILL', `${fill}`)
  if (!fitsUnsigned(price, Bits.price)) return reject('AMOUNT_OUT_OF_RANGE', `price ${price}`)
  if (price > buy.order.limitPrice) return reject('PRICE_BEYOND_LIMIT', `price ${price} above the buy limit ${buy.order.limitPrice}`)
  if (price < sell.order.limitPrice) return reject('PRICE_BEYOND_LIMIT', `price ${price} below the sell limit ${sell.order.limitPrice}`)
  if (verifySignatures) {
    for (const o of [buy, sell]) {
      if (!verifyField(orderMessage(o.order), o.signature, state.account(o.order.accountIndex).pubKey))
        return reject('BAD_SIGNATURE', `order ${o.order.orderId} of account ${o.order.accountIndex}`)
    }
  }
  for (const o of [buy.order, sell.order]) {
    const filled = filledBefore(state, o)
    if (typeof filled !== 'bigint') return filled
    if (filled === CANCELLED_FILLED) return reject('ORDER_CANCELLED', `order ${o.orderId} of account ${o.accountIndex}`)
    if (filled + fill > o.size) return reject('ORDER_OVERFILLED', `order ${o.orderId}: ${filled} filled of ${o.size}, fill ${fill}`)
  }
  const premium = price * fill
  const fee = tradeFee(state.params, price, fill)
  const buyerAccount = state.account(buyer)
  if (buyerAccount.collateral < premium + fee)
    return reject('INSUFFICIENT_COLLATERAL', `premium ${premium} plus fee ${fee}, collateral ${buyerAccount.collateral}`)
  // fee <= premium (feeBps <= 10000), so the seller's collateral never falls; it may overflow.
  if (!fitsUnsigned(state.account(seller).collateral + premium - fee, Bits.amount)) return reject('COLLATERAL_OVERFLOW')
  const feeAccount = state.account(BigInt(FEE_ACCOUNT_INDEX)).collateral
  if (!fitsUnsigned(feeAccount + state.pendingFees + 2n * fee, Bits.amount)) return reject('COLLATERAL_OVERFLOW', 'the fee account would exceed 2^64')
  for (const [account, delta, chosen, collateralAfter] of [
    [buyer, fill, tx.positions?.buyer, buyerAccount.collateral - premium - fee],
    [seller, -fill, tx.positions?.seller, state.account(seller).collateral + premium - fee],
  ] as const) {
    const index = chosen ?? positionIndexFor(state, account, buy.order.seriesId)
    if (index === undefined) return reject('POSITION_SLOTS_FULL', `account ${account}`)
    if (index < 0n || index >= BigInt(state.params.positionSlots)) return reject('POSITION_SLOTS_FULL', `index ${index}`)
    const held = state.position(account, index)
    if (held.seriesId !== buy.order.seriesId && !(held.seriesId === 0n && held.size === 0n))
      return reject('POSITION_SLOTS_FULL', `position ${index} of account ${account} holds series ${held.seriesId}`)
    if (held.seriesId !== buy.order.seriesId && state.positionSlots(account).some((p) => p.seriesId === buy.order.seriesId))
      return reject('DUPLICATE_POSITION', `account ${account} holds series ${buy.order.seriesId} in another slot than ${index}`)
    const size = held.size + delta
    if (size >= MAX_POSITION || -size >= MAX_POSITION) return reject('POSITION_TOO_LARGE')
    if (!checkMargin) continue
    const margin = checkInitialMarginAfter(state, account, collateralAfter, positionsAfterMove(state, account, index, buy.order.seriesId, delta))
    if (!margin.ok) return margin
  }
  return ACCEPTED
}

type SideUpdate = {
  account: AccountUpdate
  positions: PositionsUpdate
  orderSlot: LeafUpdate<OrderSlot>
}

/** Moves one side: position, order slot, collateral; proofs taken before each write. */
function applySide(state: RollupState, o: SignedOrder['order'], positionIndex: bigint, sizeDelta: bigint, collateralDelta: bigint, fill: bigint): SideUpdate {
  const index = o.accountIndex
  const before = state.account(index)
  const accountSiblings = state.accountProof(index)

  const positionsBefore = state.positionSlots(index)
  const size = positionsBefore[Number(positionIndex)]!.size + sizeDelta
  const newPosition: Position = size === 0n ? { seriesId: 0n, size: 0n } : { seriesId: o.seriesId, size }
  const positionsHash = state.setPosition(index, positionIndex, newPosition)

  const slotIndex = state.slotIndexOf(o.orderId)
  const heldSlot = state.orderSlot(index, slotIndex)
  const slotSiblings = state.orderSlotProof(index, slotIndex)
  const filled = heldSlot.orderId === o.orderId ? heldSlot.filled : 0n
  const newSlot: OrderSlot = { orderId: o.orderId, filled: filled + fill }
  const orderSlotsRoot = state.setOrderSlot(index, slotIndex, newSlot)

  const after: Account = { ...before, collateral: before.collateral + collateralDelta, positionsHash, orderSlotsRoot }
  state.setAccount(index, after)
  return {
    account: { index, before, after, siblings: accountSiblings },
    positions: { index: positionIndex, before: positionsBefore, after: state.positionSlots(index) },
    orderSlot: { index: slotIndex, before: heldSlot, after: newSlot, siblings: slotSiblings },
  }
}

/** Applies a trade; throws `StateError` when it does not pass `checkTrade`. */
export function applyTrade(state: RollupState, tx: TradeTx, verifySignatures = true, checkMargin = true): SlotTrace {
  const check = checkTrade(state, tx, verifySignatures, checkMargin)
  if (!check.ok) throw new StateError(`trade refused: ${check.reason}`, check)
  const { buy, sell, fill, price } = tx
  const seriesId = buy.order.seriesId
  const buyerPosition = tx.positions?.buyer ?? positionIndexFor(state, buy.order.accountIndex, seriesId)!
  const sellerPosition = tx.positions?.seller ?? positionIndexFor(state, sell.order.accountIndex, seriesId)!
  const premium = price * fill
  const fee = tradeFee(state.params, price, fill)
  const a = applySide(state, buy.order, buyerPosition, fill, -premium - fee, fill)
  const b = applySide(state, sell.order, sellerPosition, -fill, premium - fee, fill)
  state.addPendingFees(2n * fee)
  return {
    tx,
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    accountA: a.account,
    accountB: b.account,
    positionsA: a.positions,
    positionsB: b.positions,
    orderSlotA: a.orderSlot,
    orderSlotB: b.orderSlot,
    fee,
    data: encodeSlot({
      type: TxType.trade,
      buyer: buy.order.accountIndex,
      seller: sell.order.accountIndex,
      seriesId,
      fill,
      price,
      buyerOrderId: buy.order.orderId,
      sellerOrderId: sell.order.orderId,
      buyerPosition,
      sellerPosition,
    }),
  }
}
