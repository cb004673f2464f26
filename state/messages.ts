/**
 * The field elements an L2 key signs (docs/protocol.md, "Keys and signatures").
 */
import { hash } from './poseidon.js'
import { Tag } from './params.js'
import type { Order } from './types.js'

/**
 * Messages of order objects already hashed. An order is checked at admission and again in
 * every trade it fills (the state-transition function verifies both orders of a trade), and
 * `Order` is immutable, so its message is computed once per object.
 */
const orderMessages = new WeakMap<Order, bigint>()

/** `H(Tag.order, accountIndex, orderId, seriesId, side, size, limitPrice, validUntil)`. */
export function orderMessage(o: Order): bigint {
  let message = orderMessages.get(o)
  if (message === undefined) {
    message = hash(orderMessageInputs(o))
    orderMessages.set(o, message)
  }
  return message
}

/** What `orderMessage` hashes: `[Tag.order, accountIndex, orderId, seriesId, side, size, limitPrice, validUntil]`. */
export function orderMessageInputs(o: Order): bigint[] {
  return [Tag.order, o.accountIndex, o.orderId, o.seriesId, BigInt(o.side), o.size, o.limitPrice, o.validUntil]
}

/**
 * Records `message` as the order's message, hashed elsewhere (the sequencer's verifier
 * thread, crypto/eddsa/pool.ts `verifyHashedAll`): only the Poseidon hash of
 * `orderMessageInputs(o)` may be recorded, which `orderMessage` would otherwise compute.
 */
export function rememberOrderMessage(o: Order, message: bigint): void {
  orderMessages.set(o, message)
}

/** `H(Tag.withdraw, accountIndex, nonce, amount)`. */
export function withdrawMessage(accountIndex: bigint, nonce: bigint, amount: bigint): bigint {
  return hash([Tag.withdraw, accountIndex, nonce, amount])
}

/** `H(Tag.cancel, accountIndex, orderId)`: the owner's request that order `orderId` never fill again. */
export function cancelMessage(accountIndex: bigint, orderId: bigint): bigint {
  return hash([Tag.cancel, accountIndex, orderId])
}
