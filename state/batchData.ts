/**
 * The batch data each slot publishes on L1 (docs/protocol.md, "Transactions and the data
 * they publish"), the chain that binds it, and the single public input of the proof.
 */
import { hash } from './poseidon.js'
import { Bits, SlotLayout, TxType } from './params.js'
import { assertUnsigned } from './field.js'

/** What one slot published, decoded. Only the fields of its kind are present. */
export type SlotData =
  | { readonly type: typeof TxType.noop }
  | { readonly type: typeof TxType.deposit; readonly accountIndex: bigint; readonly amount: bigint }
  | {
      readonly type: typeof TxType.withdraw | typeof TxType.forcedWithdrawal
      readonly accountIndex: bigint
      readonly amount: bigint
      readonly l1Address: bigint
    }
  | {
      readonly type: typeof TxType.trade
      readonly buyer: bigint
      readonly seller: bigint
      readonly seriesId: bigint
      readonly fill: bigint
      readonly price: bigint
      readonly buyerOrderId: bigint
      readonly sellerOrderId: bigint
      readonly buyerPosition: bigint
      readonly sellerPosition: bigint
    }
  | { readonly type: typeof TxType.cancel; readonly accountIndex: bigint; readonly orderId: bigint }
  | {
      readonly type: typeof TxType.settlement
      readonly accountIndex: bigint
      readonly seriesId: bigint
      /** |n|, the size closed. */
      readonly size: bigint
      readonly short: boolean
      readonly price: bigint
      readonly strike: bigint
      readonly isCall: boolean
      readonly accountPosition: bigint
    }
  | {
      readonly type: typeof TxType.liquidation
      readonly accountIndex: bigint
      readonly seriesId: bigint
      /** |t|, the size moved. */
      readonly size: bigint
      /** The liquidated position is short (the fund takes over a short). */
      readonly short: boolean
      readonly accountPosition: bigint
      readonly fundPosition: bigint
    }

/** Places `value` (checked to fit `bits`) at `offset`. */
function field(value: bigint, bits: number, offset: number, what: string): bigint {
  assertUnsigned(value, bits, what)
  return value << BigInt(offset)
}

function bitsAt(element: bigint, offset: number, bits: number): bigint {
  return (element >> BigInt(offset)) & ((1n << BigInt(bits)) - 1n)
}

/** The two field elements `(e1, e2)` a slot publishes. */
export function encodeSlot(d: SlotData): [bigint, bigint] {
  const type = BigInt(d.type)
  switch (d.type) {
    case TxType.noop:
      return [0n, 0n]
    case TxType.deposit:
      return [
        type | field(d.accountIndex, Bits.accountIndex, SlotLayout.account, 'account') | field(d.amount, Bits.amount, SlotLayout.amount, 'amount'),
        0n,
      ]
    case TxType.withdraw:
    case TxType.forcedWithdrawal:
      return [
        type | field(d.accountIndex, Bits.accountIndex, SlotLayout.account, 'account') | field(d.amount, Bits.amount, SlotLayout.amount, 'amount'),
        field(d.l1Address, Bits.l1Address, 0, 'l1Address'),
      ]
    case TxType.trade:
      return [
        type |
          field(d.buyer, Bits.accountIndex, SlotLayout.tradeBuyer, 'buyer') |
          field(d.seller, Bits.accountIndex, SlotLayout.tradeSeller, 'seller') |
          field(d.seriesId, Bits.seriesId, SlotLayout.tradeSeries, 'seriesId') |
          field(d.fill, Bits.size, SlotLayout.tradeSize, 'fill') |
          field(d.price, Bits.price, SlotLayout.tradePrice, 'price'),
        field(d.buyerOrderId, Bits.orderId, SlotLayout.tradeBuyerOrderId, 'buyer order id') |
          field(d.sellerOrderId, Bits.orderId, SlotLayout.tradeSellerOrderId, 'seller order id') |
          field(d.buyerPosition, Bits.positionIndex, SlotLayout.tradeBuyerPosition, 'buyer position') |
          field(d.sellerPosition, Bits.positionIndex, SlotLayout.tradeSellerPosition, 'seller position'),
      ]
    case TxType.cancel:
      return [
        type | field(d.accountIndex, Bits.accountIndex, SlotLayout.account, 'account') | field(d.orderId, Bits.orderId, SlotLayout.cancelOrderId, 'order id'),
        0n,
      ]
    case TxType.settlement:
      return [
        type |
          field(d.accountIndex, Bits.accountIndex, SlotLayout.tradeBuyer, 'account') |
          field(d.seriesId, Bits.seriesId, SlotLayout.tradeSeries, 'seriesId') |
          field(d.size, Bits.size, SlotLayout.tradeSize, 'size') |
          (d.short ? 1n << BigInt(SlotLayout.liquidationShort) : 0n),
        field(d.price, Bits.price, SlotLayout.settlementPrice, 'settlement price') |
          field(d.strike, Bits.price, SlotLayout.settlementStrike, 'strike') |
          (d.isCall ? 1n << BigInt(SlotLayout.settlementIsCall) : 0n) |
          field(d.accountPosition, Bits.positionIndex, SlotLayout.settlementPosition, 'account position'),
      ]
    case TxType.liquidation:
      return [
        type |
          field(d.accountIndex, Bits.accountIndex, SlotLayout.tradeBuyer, 'account') |
          field(d.seriesId, Bits.seriesId, SlotLayout.tradeSeries, 'seriesId') |
          field(d.size, Bits.size, SlotLayout.tradeSize, 'size') |
          (d.short ? 1n << BigInt(SlotLayout.liquidationShort) : 0n),
        field(d.accountPosition, Bits.positionIndex, SlotLayout.tradeBuyerPosition, 'account position') |
          field(d.fundPosition, Bits.positionIndex, SlotLayout.tradeSellerPosition, 'fund position'),
      ]
  }
}

/** Thrown when published data does not decode to a slot. */
export class SlotDecodeError extends Error {
  override readonly name = 'SlotDecodeError'
}

/** Inverse of `encodeSlot`; the escape tool rebuilds the state with it. */
export function decodeSlot(e1: bigint, e2: bigint): SlotData {
  const type = Number(bitsAt(e1, SlotLayout.type, Bits.type))
  let decoded: SlotData
  switch (type) {
    case TxType.noop:
      decoded = { type }
      break
    case TxType.deposit:
      decoded = { type, accountIndex: bitsAt(e1, SlotLayout.account, Bits.accountIndex), amount: bitsAt(e1, SlotLayout.amount, Bits.amount) }
      break
    case TxType.withdraw:
    case TxType.forcedWithdrawal:
      decoded = {
        type,
        accountIndex: bitsAt(e1, SlotLayout.account, Bits.accountIndex),
        amount: bitsAt(e1, SlotLayout.amount, Bits.amount),
        l1Address: e2,
      }
      break
    case TxType.trade:
      decoded = {
        type,
        buyer: bitsAt(e1, SlotLayout.tradeBuyer, Bits.accountIndex),
        seller: bitsAt(e1, SlotLayout.tradeSeller, Bits.accountIndex),
        seriesId: bitsAt(e1, SlotLayout.tradeSeries, Bits.seriesId),
        fill: bitsAt(e1, SlotLayout.tradeSize, Bits.size),
        price: bitsAt(e1, SlotLayout.tradePrice, Bits.price),
        buyerOrderId: bitsAt(e2, SlotLayout.tradeBuyerOrderId, Bits.orderId),
        sellerOrderId: bitsAt(e2, SlotLayout.tradeSellerOrderId, Bits.orderId),
        buyerPosition: bitsAt(e2, SlotLayout.tradeBuyerPosition, Bits.positionIndex),
        sellerPosition: bitsAt(e2, SlotLayout.tradeSellerPosition, Bits.positionIndex),
      }
      break
    case TxType.cancel:
      decoded = { type, accountIndex: bitsAt(e1, SlotLayout.account, Bits.accountIndex), orderId: bitsAt(e1, SlotLayout.cancelOrderId, Bits.orderId) }
      break
    case TxType.settlement:
      decoded = {
        type,
        accountIndex: bitsAt(e1, SlotLayout.tradeBuyer, Bits.accountIndex),
        seriesId: bitsAt(e1, SlotLayout.tradeSeries, Bits.seriesId),
        size: bitsAt(e1, SlotLayout.tradeSize, Bits.size),
        short: bitsAt(e1, SlotLayout.liquidationShort, 1) === 1n,
        price: bitsAt(e2, SlotLayout.settlementPrice, Bits.price),
        strike: bitsAt(e2, SlotLayout.settlementStrike, Bits.price),
        isCall: bitsAt(e2, SlotLayout.settlementIsCall, 1) === 1n,
        accountPosition: bitsAt(e2, SlotLayout.settlementPosition, Bits.positionIndex),
      }
      break
    case TxType.liquidation:
      decoded = {
        type,
        accountIndex: bitsAt(e1, SlotLayout.tradeBuyer, Bits.accountIndex),
        seriesId: bitsAt(e1, SlotLayout.tradeSeries, Bits.seriesId),
        size: bitsAt(e1, SlotLayout.tradeSize, Bits.size),
        short: bitsAt(e1, SlotLayout.liquidationShort, 1) === 1n,
        accountPosition: bitsAt(e2, SlotLayout.tradeBuyerPosition, Bits.positionIndex),
        fundPosition: bitsAt(e2, SlotLayout.tradeSellerPosition, Bits.positionIndex),
      }
      break
    default:
      throw new SlotDecodeError(`unknown slot type ${type}`)
  }
  const [r1, r2] = encodeSlot(decoded)
  if (r1 !== e1 || r2 !== e2) throw new SlotDecodeError(`slot data (${e1}, ${e2}) is not canonical`)
  return decoded
}

/**
 * `d[0] = tableHash` (the batch's market table, marketTable.ts), `d[i+1] = H(d[i], e1[i], e2[i])`
 * over `data = [e1[0], e2[0], e1[1], ...]`.
 */
export function dataHash(data: readonly bigint[], tableHash: bigint): bigint {
  if (data.length % 2 !== 0) throw new RangeError('batch data holds two elements per slot')
  let d = tableHash
  for (let i = 0; i < data.length; i += 2) d = hash([d, data[i]!, data[i + 1]!])
  return d
}

/** The proof's single public input. */
export function inputHash(oldRoot: bigint, newRoot: bigint, queueHashBefore: bigint, queueHashAfter: bigint, dataHashValue: bigint): bigint {
  return hash([oldRoot, newRoot, queueHashBefore, queueHashAfter, dataHashValue])
}
