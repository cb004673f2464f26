/**
 * Deposit: consumes one L1 queue entry and credits (or creates) an account.
 */
import { ACCEPTED, reject, StateError, type CheckResult } from '../rejections.js'
import { Bits, INSURANCE_ACCOUNT_INDEX, QueueKind, TxType } from '../params.js'
import { fitsUnsigned } from '../field.js'
import { nextQueueHash } from '../queue.js'
import { encodeSlot } from '../batchData.js'
import type { RollupState } from '../rollupState.js'
import type { SlotTrace, Tx } from '../types.js'

export type DepositTx = Extract<Tx, { type: typeof TxType.deposit }>

/** Checks a deposit against the state. */
export function checkDeposit(state: RollupState, tx: DepositTx): CheckResult {
  const { entry, accountIndex } = tx
  if (entry.kind !== QueueKind.deposit) return reject('BAD_QUEUE_ENTRY', `expected a deposit, got kind ${entry.kind}`)
  if (!state.inRange(accountIndex)) return reject('ACCOUNT_OUT_OF_RANGE', `${accountIndex}`)
  if (accountIndex === BigInt(INSURANCE_ACCOUNT_INDEX)) return reject('ACCOUNT_RESERVED')
  if (!fitsUnsigned(entry.amount, Bits.amount)) return reject('AMOUNT_OUT_OF_RANGE', `${entry.amount}`)
  if (entry.pubKey.x === 0n && entry.pubKey.y === 0n) return reject('BAD_QUEUE_ENTRY', 'deposit key is (0, 0)')
  const account = state.account(accountIndex)
  if (!state.exists(accountIndex)) return ACCEPTED
  if (account.pubKey.x !== entry.pubKey.x || account.pubKey.y !== entry.pubKey.y || account.l1Address !== entry.l1Address)
    return reject('KEY_MISMATCH', `account ${accountIndex}`)
  if (!fitsUnsigned(account.collateral + entry.amount, Bits.amount)) return reject('COLLATERAL_OVERFLOW')
  return ACCEPTED
}

/** Applies a deposit; throws `StateError` when it does not pass `checkDeposit`. */
export function applyDeposit(state: RollupState, tx: DepositTx): SlotTrace {
  const check = checkDeposit(state, tx)
  if (!check.ok) throw new StateError(`deposit refused: ${check.reason}`, check)
  const { entry, accountIndex } = tx
  const queueHashBefore = state.queueHash
  const before = state.account(accountIndex)
  const siblings = state.accountProof(accountIndex)
  const after = state.exists(accountIndex)
    ? { ...before, collateral: before.collateral + entry.amount }
    : { ...before, pubKey: entry.pubKey, l1Address: entry.l1Address, collateral: entry.amount }
  state.setAccount(accountIndex, after)
  state.consumeQueueEntry(nextQueueHash(queueHashBefore, entry))
  return {
    tx,
    queueHashBefore,
    queueHashAfter: state.queueHash,
    accountA: { index: accountIndex, before, after, siblings },
    data: encodeSlot({ type: TxType.deposit, accountIndex, amount: entry.amount }),
  }
}
