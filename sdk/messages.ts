/**
 * The messages an L2 key signs (docs/protocol.md, "Keys and signatures"), from the shared
 * core so that the SDK, the sequencer and the circuit hash exactly the same fields:
 *
 *   order    = H(Tag.order, accountIndex, orderId, seriesId, side, size, limitPrice, validUntil)
 *   withdraw = H(Tag.withdraw, accountIndex, nonce, amount)
 *   cancel   = H(Tag.cancel, accountIndex, orderId)
 */
import { cancelMessage, orderMessage, withdrawMessage } from '../state/messages.js'

export { orderMessage }

/** The fields of a cancel the owner signs. */
export type CancelRequest = {
  readonly accountIndex: bigint
  /** The order that must never fill again (uint32, >= 1). */
  readonly orderId: bigint
}

/**
 * Poseidon hash of a cancel request, the field element its owner signs.
 *
 * @example cancelRequestMessage({ accountIndex: 3n, orderId: 7n })
 */
export function cancelRequestMessage(c: CancelRequest): bigint {
  return cancelMessage(c.accountIndex, c.orderId)
}

/** The fields of a withdrawal the owner signs. */
export type WithdrawalRequest = {
  readonly accountIndex: bigint
  /** The account's current withdrawal nonce (uint32). */
  readonly nonce: bigint
  /** Collateral base units to withdraw (uint64). */
  readonly amount: bigint
}

/**
 * Poseidon hash of a withdrawal request, the field element its owner signs.
 *
 * @example withdrawalMessage({ accountIndex: 3n, nonce: 0n, amount: 1_000_000n })
 */
export function withdrawalMessage(w: WithdrawalRequest): bigint {
  return withdrawMessage(w.accountIndex, w.nonce, w.amount)
}
