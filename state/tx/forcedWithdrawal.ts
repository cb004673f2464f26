/**
 * Forced withdrawal: an L1 queue entry the sequencer must process in order. When the
 * requester is the account's L1 address it pays the account's free collateral (all of it
 * when it has no open positions): the most it can pay and still meet initial margin under
 * the batch's market table, 0 when the account is below initial margin already. Any other
 * request is served by paying nothing (docs/protocol.md).
 */
import { ACCEPTED, reject, StateError, type CheckResult } from '../rejections.js'
import { QueueKind, TxType } from '../params.js'
import { nextQueueHash } from '../queue.js'
import { encodeSlot } from '../batchData.js'
import { freeCollateral, UnpricedPositionError } from '../margin.js'
import type { RollupState } from '../rollupState.js'
import type { SlotTrace, Tx } from '../types.js'

export type ForcedWithdrawalTx = Extract<Tx, { type: typeof TxType.forcedWithdrawal }>

/** Checks a forced withdrawal: only its queue entry can be wrong, never the account. */
export function checkForcedWithdrawal(state: RollupState, tx: ForcedWithdrawalTx): CheckResult {
  if (tx.entry.kind !== QueueKind.forcedWithdrawal) return reject('BAD_QUEUE_ENTRY', `expected a forced withdrawal, got kind ${tx.entry.kind}`)
  if (!state.inRange(tx.entry.accountIndex)) return reject('ACCOUNT_OUT_OF_RANGE', `${tx.entry.accountIndex}`)
  try {
    forcedWithdrawalPayout(state, tx)
  } catch (error) {
    // The sequencer must put every series the account holds into the batch's table.
    if (error instanceof UnpricedPositionError) return reject('UNPRICED_POSITION', `account ${tx.entry.accountIndex}: ${error.message}`)
    throw error
  }
  return ACCEPTED
}

/**
 * The amount a forced withdrawal pays out in the current state. Throws
 * `UnpricedPositionError` when the requester owns the account and the table lacks a series it holds.
 */
export function forcedWithdrawalPayout(state: RollupState, tx: ForcedWithdrawalTx): bigint {
  const index = tx.entry.accountIndex
  const account = state.account(index)
  if (account.l1Address !== tx.entry.l1Address) return 0n
  const { initialMarginBps, scenarioCount } = state.params
  return freeCollateral(account.collateral, state.positionSlots(index), state.marketTable, initialMarginBps, scenarioCount)
}

/** Applies a forced withdrawal; throws `StateError` when its entry is malformed. */
export function applyForcedWithdrawal(state: RollupState, tx: ForcedWithdrawalTx): SlotTrace {
  const check = checkForcedWithdrawal(state, tx)
  if (!check.ok) throw new StateError(`forced withdrawal refused: ${check.reason}`, check)
  const index = tx.entry.accountIndex
  const queueHashBefore = state.queueHash
  const before = state.account(index)
  const siblings = state.accountProof(index)
  const paid = forcedWithdrawalPayout(state, tx)
  const after = { ...before, collateral: before.collateral - paid }
  if (paid > 0n) state.setAccount(index, after)
  state.consumeQueueEntry(nextQueueHash(queueHashBefore, tx.entry))
  return {
    tx,
    queueHashBefore,
    queueHashAfter: state.queueHash,
    accountA: { index, before, after, siblings },
    positionsA: { before: state.positionSlots(index), after: state.positionSlots(index) },
    amountOut: paid,
    data: encodeSlot({ type: TxType.forcedWithdrawal, accountIndex: index, amount: paid, l1Address: tx.entry.l1Address }),
  }
}
