/**
 * The state-transition function: applies transactions one by one (each yielding its
 * `SlotTrace`) and assembles traces into a batch with its published data and public input;
 * assembling also credits the batch's trading fees to the fee account, its last step.
 * The sequencer, the prover's witness builder, the escape tool and the tests all use it.
 */
import { StateError, type Rejection } from './rejections.js'
import { FEE_ACCOUNT_INDEX, TxType } from './params.js'
import { dataHash, decodeSlot, inputHash } from './batchData.js'
import { applyDeposit, checkDeposit } from './tx/deposit.js'
import { applyTrade, checkTrade } from './tx/trade.js'
import { applyWithdraw, checkWithdraw } from './tx/withdraw.js'
import { applyForcedWithdrawal, checkForcedWithdrawal } from './tx/forcedWithdrawal.js'
import { applyCancel, checkCancel } from './tx/cancel.js'
import { applyLiquidation, checkLiquidation } from './tx/liquidation.js'
import { applySettlement, checkSettlement } from './tx/settlement.js'
import { marketTableWordsAndHash, type BatchMarketTable } from './marketTable.js'
import type { RollupState } from './rollupState.js'
import type { BatchTrace, QueueEntry, SignedOrder, SlotTrace, Tx } from './types.js'

/** Options of `applyTx`. */
export type ApplyOptions = {
  /** False only when replaying data that a verified proof already vouches for. */
  readonly verifySignatures?: boolean
  /**
   * False skips the margin rules (initial margin of trades and withdrawals, the maintenance
   * condition of liquidations): only when replaying data a verified proof vouches for, or in a
   * test that forces a refused transaction into a witness to see the circuit refuse it.
   */
  readonly checkMargin?: boolean
}

/** Checks a transaction against the state without changing it. */
export function checkTx(state: RollupState, tx: Tx, options: ApplyOptions = {}): Rejection | undefined {
  const verify = options.verifySignatures ?? true
  const margin = options.checkMargin ?? true
  const result =
    tx.type === TxType.noop
      ? undefined
      : tx.type === TxType.deposit
        ? checkDeposit(state, tx)
        : tx.type === TxType.trade
          ? checkTrade(state, tx, verify, margin)
          : tx.type === TxType.withdraw
            ? checkWithdraw(state, tx, verify, margin)
            : tx.type === TxType.cancel
              ? checkCancel(state, tx, verify)
              : tx.type === TxType.liquidation
                ? checkLiquidation(state, tx, margin)
                : tx.type === TxType.settlement
                  ? checkSettlement(state, tx)
                  : checkForcedWithdrawal(state, tx)
  return result && !result.ok ? result : undefined
}

/** A slot that changes nothing. */
export function noopTrace(state: RollupState): SlotTrace {
  return {
    tx: { type: TxType.noop },
    queueHashBefore: state.queueHash,
    queueHashAfter: state.queueHash,
    data: [0n, 0n],
  }
}

/** Applies one transaction; throws `StateError` (carrying the rejection) when it is refused. */
export function applyTx(state: RollupState, tx: Tx, options: ApplyOptions = {}): SlotTrace {
  const trace = applyKind(state, tx, options.verifySignatures ?? true, options.checkMargin ?? true)
  state.noteSlot()
  return trace
}

function applyKind(state: RollupState, tx: Tx, verify: boolean, margin: boolean): SlotTrace {
  switch (tx.type) {
    case TxType.noop:
      return noopTrace(state)
    case TxType.deposit:
      return applyDeposit(state, tx)
    case TxType.trade:
      return applyTrade(state, tx, verify, margin)
    case TxType.withdraw:
      return applyWithdraw(state, tx, verify, margin)
    case TxType.forcedWithdrawal:
      return applyForcedWithdrawal(state, tx)
    case TxType.cancel:
      return applyCancel(state, tx, verify)
    case TxType.liquidation:
      return applyLiquidation(state, tx, margin)
    case TxType.settlement:
      return applySettlement(state, tx)
  }
}

/**
 * Pads consecutive slot traces with no-ops to `batchSize`, credits the fees of their trades
 * to the fee account (a write to `state`: the batch's last step, as in the circuit), and
 * computes the batch's data, queue range and public input. The traces must be the slots
 * applied to `state` since the last batch was assembled, in order; the batch binds the
 * market table they were checked against (`state.marketTable`).
 */
export function assembleBatch(state: RollupState, slots: readonly SlotTrace[]): BatchTrace {
  const { batchSize } = state.params
  if (slots.length > batchSize) throw new StateError(`${slots.length} slots do not fit a batch of ${batchSize}`)
  if (slots.length !== state.openSlots) throw new StateError(`${slots.length} traces given, ${state.openSlots} slots applied since the last batch`)
  for (let i = 1; i < slots.length; i++) {
    if (slots[i]!.queueHashBefore !== slots[i - 1]!.queueHashAfter) throw new StateError(`slot ${i} does not follow slot ${i - 1}`)
  }
  const last = slots[slots.length - 1]
  if (last && last.queueHashAfter !== state.queueHash) throw new StateError('the last slot is not the state\'s latest change')
  const padding: SlotTrace = {
    tx: { type: TxType.noop },
    queueHashBefore: last?.queueHashAfter ?? state.queueHash,
    queueHashAfter: last?.queueHashAfter ?? state.queueHash,
    data: [0n, 0n],
  }
  const all = [...slots, ...Array.from({ length: batchSize - slots.length }, () => padding)]
  const fees = state.takePendingFees()
  const feesOfSlots = all.reduce((sum, s) => sum + 2n * (s.fee ?? 0n), 0n)
  if (fees !== feesOfSlots) throw new StateError(`pending fees ${fees} are not the fees of the batch's slots (${feesOfSlots})`)
  const feeIndex = BigInt(FEE_ACCOUNT_INDEX)
  const feeBefore = state.account(feeIndex)
  const feeAccount = { index: feeIndex, before: feeBefore, after: { ...feeBefore, collateral: feeBefore.collateral + fees }, siblings: state.accountProof(feeIndex) }
  // A zero credit leaves the leaf as it is; writing it would only mark the account as existing.
  if (fees > 0n) state.setAccount(feeIndex, feeAccount.after)
  const data = all.flatMap((s) => [...s.data])
  const first = all[0]!
  const final = all[all.length - 1]!
  const queueCount = all.filter((s) => s.tx.type === TxType.deposit || s.tx.type === TxType.forcedWithdrawal).length
  const marketTable = state.marketTable
  const { words: marketTableWordsValue, hash: tableHash } = marketTableWordsAndHash(marketTable, state.params)
  // Without trees there is no root to bind: the public input is the follower's to compute.
  const hash = state.hashing ? dataHash(data, tableHash) : 0n
  const oldRoot = state.openBatchRoot
  const newRoot = state.root
  state.closeBatch()
  return {
    oldRoot,
    newRoot,
    queueHashBefore: first.queueHashBefore,
    queueHashAfter: final.queueHashAfter,
    queueCount,
    data,
    marketTable,
    marketTableWords: marketTableWordsValue,
    marketTableHash: tableHash,
    dataHash: hash,
    inputHash: state.hashing ? inputHash(oldRoot, newRoot, first.queueHashBefore, final.queueHashAfter, hash) : 0n,
    slots: all,
    feeCredit: { amount: fees, account: feeAccount },
  }
}

/**
 * Applies up to `batchSize` transactions atomically: when one is refused the state is left
 * exactly as before and the `StateError` (with its rejection) is thrown.
 */
export function applyBatch(state: RollupState, txs: readonly Tx[], options: ApplyOptions = {}): BatchTrace {
  if (txs.length > state.params.batchSize) throw new StateError(`${txs.length} transactions do not fit a batch of ${state.params.batchSize}`)
  const checkpoint = state.checkpoint()
  try {
    const slots = txs.map((tx) => applyTx(state, tx, options))
    return assembleBatch(state, slots)
  } catch (error) {
    state.rollback(checkpoint)
    throw error
  }
}

/** Thrown when published data does not replay to the root L1 recorded. */
export class ReplayError extends Error {
  override readonly name = 'ReplayError'
}

function replayOrder(accountIndex: bigint, orderId: bigint, seriesId: bigint, side: 0 | 1, price: bigint): SignedOrder {
  // Published data carries no order size or signature; the proof already enforced both.
  const order = { accountIndex, orderId, seriesId, side, size: (1n << 64n) - 1n, limitPrice: price, validUntil: 0n }
  return { order, signature: { R8: { x: 0n, y: 0n }, S: 0n } }
}

/**
 * Rebuilds a verified batch from its published data, its market table and the queue entries
 * it consumed (in order), without signatures. With `expectedRoot`, fails unless it is reproduced.
 */
export function replayBatch(state: RollupState, data: readonly bigint[], queueEntries: readonly QueueEntry[], table: BatchMarketTable, expectedRoot?: bigint): BatchTrace {
  if (data.length !== 2 * state.params.batchSize) throw new ReplayError(`batch data has ${data.length} elements, expected ${2 * state.params.batchSize}`)
  state.setMarketTable(table)
  const queue = [...queueEntries]
  const txs: Tx[] = []
  for (let i = 0; i < data.length; i += 2) {
    const slot = decodeSlot(data[i]!, data[i + 1]!)
    switch (slot.type) {
      case TxType.noop:
        txs.push({ type: TxType.noop })
        break
      case TxType.deposit: {
        const entry = queue.shift()
        if (!entry || entry.amount !== slot.amount) throw new ReplayError(`slot ${i / 2}: deposit does not match the queue`)
        txs.push({ type: TxType.deposit, accountIndex: slot.accountIndex, entry })
        break
      }
      case TxType.forcedWithdrawal: {
        const entry = queue.shift()
        if (!entry || entry.accountIndex !== slot.accountIndex) throw new ReplayError(`slot ${i / 2}: forced withdrawal does not match the queue`)
        txs.push({ type: TxType.forcedWithdrawal, entry })
        break
      }
      case TxType.withdraw:
        txs.push({
          type: TxType.withdraw,
          accountIndex: slot.accountIndex,
          amount: slot.amount,
          nonce: state.account(slot.accountIndex).nonce + BigInt(txs.filter((t) => t.type === TxType.withdraw && t.accountIndex === slot.accountIndex).length),
          signature: { R8: { x: 0n, y: 0n }, S: 0n },
        })
        break
      case TxType.cancel:
        txs.push({ type: TxType.cancel, accountIndex: slot.accountIndex, orderId: slot.orderId, signature: { R8: { x: 0n, y: 0n }, S: 0n } })
        break
      case TxType.settlement:
        txs.push({
          type: TxType.settlement,
          accountIndex: slot.accountIndex,
          seriesId: slot.seriesId,
          settlement: { price: slot.price, strike: slot.strike, isCall: slot.isCall },
          position: slot.accountPosition,
        })
        break
      case TxType.liquidation:
        txs.push({
          type: TxType.liquidation,
          accountIndex: slot.accountIndex,
          seriesId: slot.seriesId,
          size: slot.short ? -slot.size : slot.size,
          positions: { account: slot.accountPosition, fund: slot.fundPosition },
        })
        break
      case TxType.trade:
        txs.push({
          type: TxType.trade,
          buy: replayOrder(slot.buyer, slot.buyerOrderId, slot.seriesId, 0, slot.price),
          sell: replayOrder(slot.seller, slot.sellerOrderId, slot.seriesId, 1, slot.price),
          fill: slot.fill,
          price: slot.price,
          positions: { buyer: slot.buyerPosition, seller: slot.sellerPosition },
        })
        break
    }
  }
  if (queue.length > 0) throw new ReplayError(`${queue.length} queue entries left unconsumed`)
  const trace = applyBatch(state, txs, { verifySignatures: false, checkMargin: false })
  const published = data.join(',')
  if (trace.data.join(',') !== published) {
    throw new ReplayError('replayed data differs from the published data')
  }
  if (expectedRoot !== undefined && trace.newRoot !== expectedRoot) {
    throw new ReplayError(`replayed root ${trace.newRoot} differs from the verified root ${expectedRoot}`)
  }
  return trace
}
