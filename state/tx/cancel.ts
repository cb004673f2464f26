/**
 * Cancel: the owner's signed request that an order never fill again. It writes
 * `(orderId, CANCELLED_FILLED)` into the order's slot, so any later fill of that order would
 * exceed its size and the trade rule refuses it. An order id the slot has never held may be
 * cancelled too (the slot then moves on to that id), which is how an order that was sent but
 * not yet filled is killed for good (docs/protocol.md, "Cancel").
 */
import { ACCEPTED, reject, StateError, type CheckResult } from '../rejections.js'
import { Bits, CANCELLED_FILLED, TxType } from '../params.js'
import { fitsUnsigned } from '../field.js'
import { cancelMessage } from '../messages.js'
import { verifyField } from '../eddsa.js'
import { encodeSlot } from '../batchData.js'
import type { RollupState } from '../rollupState.js'
import type { OrderSlot, SlotTrace, Tx } from '../types.js'

export type CancelTx = Extract<Tx, { type: typeof TxType.cancel }>

/**
 * Checks a cancel; `verifySignature: false` only when replaying proven data. Cancelling an
 * order that is already cancelled, or fully filled, is valid (and changes at most `filled`).
 */
export function checkCancel(state: RollupState, tx: CancelTx, verifySignature = true): CheckResult {
  const { accountIndex, orderId } = tx
  if (!state.inRange(accountIndex) || !state.exists(accountIndex)) return reject('UNKNOWN_ACCOUNT', `${accountIndex}`)
  if (orderId < 1n || !fitsUnsigned(orderId, Bits.orderId)) return reject('BAD_ORDER_ID', `${orderId}`)
  const account = state.account(accountIndex)
  if (verifySignature && !verifyField(cancelMessage(accountIndex, orderId), tx.signature, account.pubKey)) return reject('BAD_SIGNATURE')
  const held = state.orderSlot(accountIndex, state.slotIndexOf(orderId))
  if (held.orderId > orderId) return reject('ORDER_ID_REUSED', `slot holds order ${held.orderId} > ${orderId}: order ${orderId} can no longer fill`)
  return ACCEPTED
}

/** Applies a cancel; throws `StateError` when it does not pass `checkCancel`. */
export function applyCancel(state: RollupState, tx: CancelTx, verifySignature = true): SlotTrace {
  const check = checkCancel(state, tx, verifySignature)
  if (!check.ok) throw new StateError(`cancel refused: ${check.reason}`, check)
  const { accountIndex, orderId } = tx
  const before = state.account(accountIndex)
  const accountSiblings = state.accountProof(accountIndex)
  const slotIndex = state.slotIndexOf(orderId)
  const heldSlot = state.orderSlot(accountIndex, slotIndex)
  const slotSiblings = state.orderSlotProof(accountIndex, slotIndex)
  const newSlot: OrderSlot = { orderId, filled: CANCELLED_FILLED }
  const orderSlotsRoot = state.setOrderSlot(accountIndex, slotIndex, newSlot)
  const after = { ...before, orderSlotsRoot }
  state.setAccount(accountIndex, after)
  return {
    tx,
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    accountA: { index: accountIndex, before, after, siblings: accountSiblings },
    orderSlotA: { index: slotIndex, before: heldSlot, after: newSlot, siblings: slotSiblings },
    data: encodeSlot({ type: TxType.cancel, accountIndex, orderId }),
  }
}
