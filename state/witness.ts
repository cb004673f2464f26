/**
 * Builds the batch circuit's input signals from a `BatchTrace` (circuits/batch.circom).
 * Signals a slot's kind does not use are zero, which the circuit's gating accepts.
 */
import { TX_KINDS, TxType, accountLevels, type ParamSet } from './params.js'
import { toField } from './field.js'
import { marketTableLanes, type BatchMarketTable } from './marketTable.js'
import { firstFailingCheck, marginCheckValues, smallestCheck } from './margin.js'
import type { Account, AccountUpdate, BatchTrace, Position, Signature, SlotTrace } from './types.js'

/** A signal value as the circuit input JSON holds it: a decimal string, or nested arrays of them. */
export type SignalValue = string | SignalValue[]
/** Circuit inputs: every signal as a decimal string (arrays nested per slot). */
export type WitnessInput = Record<string, SignalValue>
type Signal = bigint | Signal[]

const ZERO_SIGNATURE: Signature = { R8: { x: 0n, y: 0n }, S: 0n }

function accountFields(a: Account): bigint[] {
  return [a.pubKey.x, a.pubKey.y, a.l1Address, a.nonce, a.collateral, a.positionsHash, a.orderSlotsRoot]
}

/** Index, leaf fields and `[levels][3]` sibling triples of an account update; zeros when the slot has none. */
function account(update: AccountUpdate | undefined, levels: number): { index: bigint; fields: bigint[]; siblings: bigint[][] } {
  if (!update) return { index: 0n, fields: Array(7).fill(0n), siblings: Array.from({ length: levels }, () => [0n, 0n, 0n]) }
  return { index: update.index, fields: accountFields(update.before), siblings: update.siblings.map((row) => [...row]) }
}

function positionSignals(positions: readonly Position[] | undefined, params: ParamSet): bigint[][] {
  return Array.from({ length: params.positionSlots }, (_, i) => {
    const p = positions?.[i]
    return p ? [p.seriesId, toField(p.size)] : [0n, 0n]
  })
}

/** Margin hints of an account's positions: the one-hot table row of each slot and its sign. */
function marginHints(positions: readonly Position[] | undefined, table: BatchMarketTable, params: ParamSet): { rowSelect: bigint[][]; isShort: bigint[] } {
  const rowSelect: bigint[][] = []
  const isShort: bigint[] = []
  for (let i = 0; i < params.positionSlots; i++) {
    const p = positions?.[i]
    const row = p && p.size !== 0n ? table.rows.findIndex((r) => r.seriesId === p.seriesId) : 0
    rowSelect.push(Array.from({ length: params.marketRows }, (_, j) => (j === Math.max(row, 0) ? 1n : 0n)))
    isShort.push(p && p.size < 0n ? 1n : 0n)
  }
  return { rowSelect, isShort }
}

/**
 * The margin-check hints (circuits/slot.circom): for a forced withdrawal, whether the account
 * was below initial margin, whether all of its collateral is paid, and which check pins the
 * payout; for a liquidation, which check is negative at the maintenance factor.
 */
function forcedHints(slot: SlotTrace, table: BatchMarketTable, params: ParamSet): { paid: bigint; below: bigint; paysAll: bigint; select: number } {
  const none = { paid: 0n, below: 0n, paysAll: 0n, select: 0 }
  if (slot.tx.type === TxType.liquidation && slot.accountA && slot.positionsA) {
    // The check that shows the account below maintenance before the slot.
    const values = marginCheckValues(slot.accountA.before.collateral, slot.positionsA.before, table, params.maintenanceMarginBps, params.scenarioCount)
    return { ...none, select: Math.max(firstFailingCheck(values), 0) }
  }
  if (slot.tx.type !== TxType.forcedWithdrawal || !slot.accountA || !slot.positionsA) return none
  const before = slot.accountA.before
  if (before.l1Address !== slot.tx.entry.l1Address) return none
  const paid = slot.amountOut ?? 0n
  const values = marginCheckValues(before.collateral, slot.positionsA.before, table, params.initialMarginBps, params.scenarioCount)
  const failing = firstFailingCheck(values)
  if (failing >= 0) return { paid: 0n, below: 1n, paysAll: 0n, select: failing }
  if (paid === before.collateral) return { paid, below: 0n, paysAll: 1n, select: 0 }
  return { paid, below: 0n, paysAll: 0n, select: smallestCheck(values) }
}

/** The circuit signals of one slot, as bigints keyed by the batch signal names. */
export function slotSignals(slot: SlotTrace, params: ParamSet, table: BatchMarketTable): Record<string, Signal> {
  const tx = slot.tx
  const a = account(slot.accountA, accountLevels(params))
  const b = account(slot.accountB, accountLevels(params))
  const trade = tx.type === TxType.trade ? tx : undefined
  const entry = tx.type === TxType.deposit || tx.type === TxType.forcedWithdrawal ? tx.entry : undefined
  const cancel = tx.type === TxType.cancel ? tx : undefined
  const sigA = trade ? trade.buy.signature : tx.type === TxType.withdraw ? tx.signature : cancel ? cancel.signature : ZERO_SIGNATURE
  const sigB = trade ? trade.sell.signature : ZERO_SIGNATURE
  const zeros = (n: number) => Array<bigint>(n).fill(0n)
  // Margin values the positions after the slot (a trade's moved ones); a liquidation's
  // account A, before it (the violation it proves).
  const hintsA = marginHints(tx.type === TxType.liquidation ? slot.positionsA?.before : slot.positionsA?.after, table, params)
  const hintsB = marginHints(slot.positionsB?.after, table, params)
  const forced = forcedHints(slot, table, params)
  const liquidation = tx.type === TxType.liquidation ? tx : undefined
  const settlement = tx.type === TxType.settlement ? tx : undefined
  // A settlement closes the whole position it names: its size is the size held.
  const settledSize = settlement && slot.positionsA ? slot.positionsA.before[Number(slot.positionsA.index ?? 0n)]!.size : 0n
  const movedSize = liquidation ? liquidation.size : settledSize
  const liquidationRowIndex = liquidation ? table.rows.findIndex((r) => r.seriesId === liquidation.seriesId) : 0
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
    seriesId: trade?.buy.order.seriesId ?? liquidation?.seriesId ?? settlement?.seriesId ?? 0n,
    fill: trade?.fill ?? (movedSize < 0n ? -movedSize : movedSize),
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
    positionA: slot.positionsA?.index ?? 0n,
    positionsA: positionSignals(slot.positionsA?.before, params),
    positionB: slot.positionsB?.index ?? 0n,
    positionsB: positionSignals(slot.positionsB?.before, params),
    rowSelectA: hintsA.rowSelect,
    isShortA: hintsA.isShort,
    rowSelectB: hintsB.rowSelect,
    isShortB: hintsB.isShort,
    forcedPaid: forced.paid,
    forcedBelow: forced.below,
    forcedPaysAll: forced.paysAll,
    checkSelect: Array.from({ length: params.scenarioCount + 1 }, (_, k) => (k === forced.select ? 1n : 0n)),
    movedShort: movedSize < 0n ? 1n : 0n,
    bankrupt: slot.liquidation?.bankrupt || slot.settlement?.bankrupt ? 1n : 0n,
    settlementPrice: settlement?.settlement.price ?? 0n,
    strike: settlement?.settlement.strike ?? 0n,
    isCall: settlement?.settlement.isCall ? 1n : 0n,
    fundShort: slot.settlement?.fundShort ? 1n : 0n,
    liquidationRow: Array.from({ length: params.marketRows }, (_, j) => (j === Math.max(liquidationRowIndex, 0) ? 1n : 0n)),
    orderSlotAOld: slot.orderSlotA ? [slot.orderSlotA.before.orderId, slot.orderSlotA.before.filled] : zeros(2),
    orderSlotASiblings: slot.orderSlotA ? [...slot.orderSlotA.siblings] : zeros(params.orderSlotsDepth),
    orderSlotBOld: slot.orderSlotB ? [slot.orderSlotB.before.orderId, slot.orderSlotB.before.filled] : zeros(2),
    orderSlotBSiblings: slot.orderSlotB ? [...slot.orderSlotB.siblings] : zeros(params.orderSlotsDepth),
  }
}

/** The input object of `Batch(batchSize, ...)` for a whole batch. */
export function buildWitnessInput(trace: BatchTrace, params: ParamSet): WitnessInput {
  if (trace.slots.length !== params.batchSize) throw new RangeError(`batch has ${trace.slots.length} slots, circuit expects ${params.batchSize}`)
  const perSlot = trace.slots.map((s) => slotSignals(s, params, trace.marketTable))
  const fee = trace.feeCredit.account
  const lanes = marketTableLanes(trace.marketTable, params)
  const rowLanes = lanes.length / params.marketRows
  const input: WitnessInput = {
    marketTable: Array.from({ length: params.marketRows }, (_, r) => lanes.slice(r * rowLanes, (r + 1) * rowLanes).map(String)),
    oldRoot: trace.oldRoot.toString(),
    queueHashBefore: trace.queueHashBefore.toString(),
    feeAccountFields: accountFields(fee.before).map(String),
    feeAccountSiblings: fee.siblings.map((row) => row.map(String)),
  }
  for (const name of Object.keys(perSlot[0]!)) input[name] = perSlot.map((s) => asStrings(s[name]!))
  return input
}

function asStrings(v: Signal): SignalValue {
  return Array.isArray(v) ? v.map(asStrings) : v.toString()
}
