/**
 * The messages an L2 key signs (docs/protocol.md, "Keys and signatures"):
 *
 *   order    = H(Tag.order, accountIndex, orderId, seriesId, side, size, limitPrice, validUntil)
 *   withdraw = H(Tag.withdraw, accountIndex, nonce, amount)
 *
 * with H = Poseidon over BN254 (poseidon-lite, circomlib's constants).
 *
 * TODO(sdk): state/order.ts (another engineer) will own these hashes; when it exists, this
 * module should re-export them instead of restating the formulas. The SDK tests pin these
 * values against an independent Poseidon evaluation so that a divergence shows up.
 */
import { poseidon4 } from 'poseidon-lite/poseidon4'
import { poseidon8 } from 'poseidon-lite/poseidon8'
import { Tag } from '../state/params.js'
import type { Order } from '../state/types.js'

/** The fields of a withdrawal the owner signs. */
export type WithdrawalRequest = {
  readonly accountIndex: bigint
  /** The account's current withdrawal nonce (uint32). */
  readonly nonce: bigint
  /** Collateral base units to withdraw (uint64). */
  readonly amount: bigint
}

/**
 * Poseidon hash of an order, the field element its owner signs.
 *
 * @example orderMessage(order) // 1234...n
 */
export function orderMessage(o: Order): bigint {
  return poseidon8([Tag.order, o.accountIndex, o.orderId, o.seriesId, BigInt(o.side), o.size, o.limitPrice, o.validUntil])
}

/**
 * Poseidon hash of a withdrawal request, the field element its owner signs.
 *
 * @example withdrawalMessage({ accountIndex: 3n, nonce: 0n, amount: 1_000_000n })
 */
export function withdrawalMessage(w: WithdrawalRequest): bigint {
  return poseidon4([Tag.withdraw, w.accountIndex, w.nonce, w.amount])
}
