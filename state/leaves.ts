/**
 * Leaf hashes of the three trees (docs/protocol.md, "Trees") and the empty values they start
 * from. Every leaf is the hash of its record; an empty leaf is the hash of the all-zero record.
 */
import { hash } from './poseidon.js'
import { toField } from './field.js'
import { zeroHashes } from './merkle.js'
import type { ParamSet } from './params.js'
import type { Account, OrderSlot, Position } from './types.js'

/** `H(seriesId, size)` with a signed size encoded in the field. */
export function positionLeaf(p: Position): bigint {
  return hash([p.seriesId, toField(p.size)])
}

/** `H(orderId, filled)`. */
export function orderSlotLeaf(s: OrderSlot): bigint {
  return hash([s.orderId, s.filled])
}

/** `H(collateral, positionsRoot, orderSlotsRoot)`: the part of an account that trades change. */
export function accountBalanceHash(a: Account): bigint {
  return hash([a.collateral, a.positionsRoot, a.orderSlotsRoot])
}

/** `H(pubKeyX, pubKeyY, l1Address, nonce, H(collateral, positionsRoot, orderSlotsRoot))`. */
export function accountLeaf(a: Account): bigint {
  return hash([a.pubKey.x, a.pubKey.y, a.l1Address, a.nonce, accountBalanceHash(a)])
}

/** The empty position / order-slot leaf `H(0, 0)`. */
export const EMPTY_LEAF: bigint = hash([0n, 0n])

export const EMPTY_POSITION: Position = { seriesId: 0n, size: 0n }
export const EMPTY_ORDER_SLOT: OrderSlot = { orderId: 0n, filled: 0n }

/** Root of a positions or order-slot tree of `depth` with every leaf empty. */
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
    positionsRoot: emptySubtreeRoot(params.positionsDepth),
    orderSlotsRoot: emptySubtreeRoot(params.orderSlotsDepth),
  }
}

/** Leaf of an account that does not exist yet. */
export function emptyAccountLeaf(params: ParamSet): bigint {
  return accountLeaf(emptyAccount(params))
}
