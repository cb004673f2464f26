/**
 * The field elements an L2 key signs (docs/protocol.md, "Keys and signatures").
 */
import { hash } from './poseidon.js'
import { Tag } from './params.js'
import type { Order } from './types.js'

/** `H(Tag.order, accountIndex, orderId, seriesId, side, size, limitPrice, validUntil)`. */
export function orderMessage(o: Order): bigint {
  return hash([Tag.order, o.accountIndex, o.orderId, o.seriesId, BigInt(o.side), o.size, o.limitPrice, o.validUntil])
}

/** `H(Tag.withdraw, accountIndex, nonce, amount)`. */
export function withdrawMessage(accountIndex: bigint, nonce: bigint, amount: bigint): bigint {
  return hash([Tag.withdraw, accountIndex, nonce, amount])
}

/** `H(Tag.cancel, accountIndex, orderId)`: the owner's request that order `orderId` never fill again. */
export function cancelMessage(accountIndex: bigint, orderId: bigint): bigint {
  return hash([Tag.cancel, accountIndex, orderId])
}
