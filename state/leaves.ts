/**
 * Leaf hashes of the two trees, the positions hash (docs/protocol.md, "Trees") and the empty values they start
 * from. Every leaf is the hash of its record; an empty leaf is the hash of the all-zero record.
 */
import { hash } from './poseidon.js'
import { toField } from './field.js'
import { zeroHashes } from './merkle.js'
import type { ParamSet } from './params.js'
import type { Account, OrderSlot, Position } from './types.js'

/**
 * `H(seriesId_0, size_0, ..., seriesId_{P-1}, size_{P-1})`: every position slot of an
 * account, signed sizes encoded in the field, empty slots `(0, 0)`.
 */
export function positionsHash(positions: readonly Position[]): bigint {
  return hash(positions.flatMap((p) => [p.seriesId, toField(p.size)]))
}

/** The positions of an account with every slot empty. */
export function emptyPositions(params: ParamSet): Position[] {
  return Array.from({ length: params.positionSlots }, () => EMPTY_POSITION)
}

/** `positionsHash` of an account with no position. */
export function emptyPositionsHash(params: ParamSet): bigint {
  return positionsHash(emptyPositions(params))
}

/** `H(orderId, filled)`. */
export function orderSlotLeaf(s: OrderSlot): bigint {
  return hash([s.orderId, s.filled])
}

/** `H(collateral, positionsHash, orderSlotsRoot)`: the part of an account that trades change. */
export function accountBalanceHash(a: Account): bigint {
  return hash([a.collateral, a.positionsHash, a.orderSlotsRoot])
}

/** `H(pubKeyX, pubKeyY, l1Address, nonce, H(collateral, positionsHash, orderSlotsRoot))`. */
export function accountLeaf(a: Account): bigint {
  return hash([a.pubKey.x, a.pubKey.y, a.l1Address, a.nonce, accountBalanceHash(a)])
}

/** The empty order-slot leaf `H(0, 0)`. */
export const EMPTY_LEAF: bigint = hash([0n, 0n])

export const EMPTY_POSITION: Position = { seriesId: 0n, size: 0n }
export const EMPTY_ORDER_SLOT: OrderSlot = { orderId: 0n, filled: 0n }

/** Root of an order-slot tree of `depth` with every leaf empty. */
export function emptySubtreeRoot(depth: number): bigint {
  return zeroHashes(depth, EMPTY_LEAF)[depth]!
}

/** The record of an account that does not exist yet. */
export function emptyAccount(params: ParamSet): Account {
  return {
    pubKey: { x: 0n, y: 0n },
    l1Address: 0n,
    nonce: 0n,
    collateral: 0n,
    positionsHash: emptyPositionsHash(params),
    orderSlotsRoot: emptySubtreeRoot(params.orderSlotsDepth),
  }
}

/** Leaf of an account that does not exist yet. */
export function emptyAccountLeaf(params: ParamSet): bigint {
  return accountLeaf(emptyAccount(params))
}
