/**
 * Withdraw: a signed request that moves collateral out to the account's L1 address; the
 * account must meet initial margin without it.
 */
import { reject, StateError, type CheckResult } from '../rejections.js'
import { Bits, TxType } from '../params.js'
import { fitsUnsigned } from '../field.js'
import { withdrawMessage } from '../messages.js'
import { verifyField } from '../eddsa.js'
import { encodeSlot } from '../batchData.js'
import { checkInitialMarginAfter } from './marginRule.js'
import type { RollupState } from '../rollupState.js'
import type { SlotTrace, Tx } from '../types.js'

export type WithdrawTx = Extract<Tx, { type: typeof TxType.withdraw }>

/** Checks a withdrawal; `verifySignature: false` only when replaying proven data. */
export function checkWithdraw(state: RollupState, tx: WithdrawTx, verifySignature = true, checkMargin = true): CheckResult {
  const { accountIndex, amount, nonce } = tx
  if (!state.inRange(accountIndex) || !state.exists(accountIndex)) return reject('UNKNOWN_ACCOUNT', `${accountIndex}`)
  if (!fitsUnsigned(amount, Bits.amount)) return reject('AMOUNT_OUT_OF_RANGE', `${amount}`)
  const account = state.account(accountIndex)
  if (nonce !== account.nonce) return reject('NONCE_MISMATCH', `expected ${account.nonce}, got ${nonce}`)
  if (verifySignature && !verifyField(withdrawMessage(accountIndex, nonce, amount), tx.signature, account.pubKey))
    return reject('BAD_SIGNATURE')
  if (account.collateral < amount) return reject('INSUFFICIENT_COLLATERAL', `has ${account.collateral}, withdraws ${amount}`)
  return checkMargin ? checkInitialMarginAfter(state, accountIndex, account.collateral - amount, state.positionSlots(accountIndex)) : { ok: true }
}

/** Applies a withdrawal; throws `StateError` when it does not pass `checkWithdraw`. */
export function applyWithdraw(state: RollupState, tx: WithdrawTx, verifySignature = true, checkMargin = true): SlotTrace {
  const check = checkWithdraw(state, tx, verifySignature, checkMargin)
  if (!check.ok) throw new StateError(`withdrawal refused: ${check.reason}`, check)
  const before = state.account(tx.accountIndex)
  const siblings = state.accountProof(tx.accountIndex)
  const after = { ...before, nonce: before.nonce + 1n, collateral: before.collateral - tx.amount }
  state.setAccount(tx.accountIndex, after)
  return {
    tx,
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    accountA: { index: tx.accountIndex, before, after, siblings },
    positionsA: { before: state.positionSlots(tx.accountIndex), after: state.positionSlots(tx.accountIndex) },
    amountOut: tx.amount,
    data: encodeSlot({ type: TxType.withdraw, accountIndex: tx.accountIndex, amount: tx.amount, l1Address: before.l1Address }),
  }
}
