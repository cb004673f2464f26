/**
 * Builds the batch circuit's input signals from a `BatchTrace` (circuits/batch.circom).
 * Signals a slot's kind does not use are zero, which the circuit's gating accepts.
 */
import { TX_KINDS, TxType, type ParamSet } from './params.js'
import { toField } from './field.js'
import type { Account, BatchTrace, LeafUpdate, Signature, SlotTrace } from './types.js'

/** Circuit inputs: every signal as a decimal string (arrays nested per slot). */
export type WitnessInput = Record<string, string | string[] | string[][]>

const ZERO_SIGNATURE: Signature = { R8: { x: 0n, y: 0n }, S: 0n }

function accountFields(a: Account): bigint[] {
  return [a.pubKey.x, a.pubKey.y, a.l1Address, a.nonce, a.collateral, a.positionsRoot, a.orderSlotsRoot]
}

function account(update: LeafUpdate<Account> | undefined, depth: number): { index: bigint; fields: bigint[]; siblings: bigint[] } {
  if (!update) return { index: 0n, fields: Array(7).fill(0n), siblings: Array(depth).fill(0n) }
  return { index: update.index, fields: accountFields(update.before), siblings: [...update.siblings] }
}

/** The circuit signals of one slot, as bigints keyed by the batch signal names. */
export function slotSignals(slot: SlotTrace, params: ParamSet): Record<string, bigint | bigint[]> {
  const tx = slot.tx
  const a = account(slot.accountA, params.accountsDepth)
  const b = account(slot.accountB, params.accountsDepth)
  const trade = tx.type === TxType.trade ? tx : undefined
  const entry = tx.type === TxType.deposit || tx.type === TxType.forcedWithdrawal ? tx.entry : undefined
  const cancel = tx.type === TxType.cancel ? tx : undefined
  const sigA = trade ? trade.buy.signature : tx.type === TxType.withdraw ? tx.signature : cancel ? cancel.signature : ZERO_SIGNATURE
  const sigB = trade ? trade.sell.signature : ZERO_SIGNATURE
  const zeros = (n: number) => Array<bigint>(n).fill(0n)
  return {
    type: BigInt(tx.type),
    typeFlags: Array.from({ length: TX_KINDS }, (_, k) => (k === tx.type ? 1n : 0n)),
    amount: tx.type === TxType.deposit ? tx.entry.amount : tx.type === TxType.withdraw ? tx.amount : 0n,
    l1Address: entry?.l1Address ?? 0n,
    entryPubKeyX: tx.type === TxType.deposit ? tx.entry.pubKey.x : 0n,
    entryPubKeyY: tx.type === TxType.deposit ? tx.entry.pubKey.y : 0n,
    accountA: a.index,
    accountAFields: a.fields,
    accountASiblings: a.siblings,
    accountB: b.index,
    accountBFields: b.fields,
    accountBSiblings: b.siblings,
    seriesId: trade?.buy.order.seriesId ?? 0n,
    fill: trade?.fill ?? 0n,
    price: trade?.price ?? 0n,
    // The buy order's id in a trade; the cancelled order's id in a cancel.
    buyOrderId: trade?.buy.order.orderId ?? cancel?.orderId ?? 0n,
    buySize: trade?.buy.order.size ?? 0n,
    buyLimitPrice: trade?.buy.order.limitPrice ?? 0n,
    buyValidUntil: trade?.buy.order.validUntil ?? 0n,
    sellOrderId: trade?.sell.order.orderId ?? 0n,
    sellSize: trade?.sell.order.size ?? 0n,
    sellLimitPrice: trade?.sell.order.limitPrice ?? 0n,
    sellValidUntil: trade?.sell.order.validUntil ?? 0n,
    sigAR8x: sigA.R8.x,
    sigAR8y: sigA.R8.y,
    sigAS: sigA.S,
    sigBR8x: sigB.R8.x,
    sigBR8y: sigB.R8.y,
    sigBS: sigB.S,
    positionA: slot.positionA?.index ?? 0n,
    positionAOld: slot.positionA ? [slot.positionA.before.seriesId, toField(slot.positionA.before.size)] : zeros(2),
    positionASiblings: slot.positionA ? [...slot.positionA.siblings] : zeros(params.positionsDepth),
    positionB: slot.positionB?.index ?? 0n,
    positionBOld: slot.positionB ? [slot.positionB.before.seriesId, toField(slot.positionB.before.size)] : zeros(2),
    positionBSiblings: slot.positionB ? [...slot.positionB.siblings] : zeros(params.positionsDepth),
    orderSlotAOld: slot.orderSlotA ? [slot.orderSlotA.before.orderId, slot.orderSlotA.before.filled] : zeros(2),
    orderSlotASiblings: slot.orderSlotA ? [...slot.orderSlotA.siblings] : zeros(params.orderSlotsDepth),
    orderSlotBOld: slot.orderSlotB ? [slot.orderSlotB.before.orderId, slot.orderSlotB.before.filled] : zeros(2),
    orderSlotBSiblings: slot.orderSlotB ? [...slot.orderSlotB.siblings] : zeros(params.orderSlotsDepth),
  }
}

/** The input object of `Batch(batchSize, ...)` for a whole batch. */
export function buildWitnessInput(trace: BatchTrace, params: ParamSet): WitnessInput {
  if (trace.slots.length !== params.batchSize) throw new RangeError(`batch has ${trace.slots.length} slots, circuit expects ${params.batchSize}`)
  const perSlot = trace.slots.map((s) => slotSignals(s, params))
  const fee = trace.feeCredit.account
  const input: WitnessInput = {
    oldRoot: trace.oldRoot.toString(),
    queueHashBefore: trace.queueHashBefore.toString(),
    feeAccountFields: accountFields(fee.before).map(String),
    feeAccountSiblings: fee.siblings.map(String),
  }
  for (const name of Object.keys(perSlot[0]!)) {
    input[name] = perSlot.map((s) => {
      const v = s[name]!
      return Array.isArray(v) ? v.map(String) : v.toString()
    }) as string[] | string[][]
  }
  return input
}
