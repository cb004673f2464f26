/**
 * Orders, withdrawal and cancel requests: build (with range checks), sign with the L2 key,
 * verify, and convert to and from JSON (bigints as decimal strings, points as `{ x, y }`).
 *
 * JSON of a signed order:
 *   { "order": { "accountIndex": "1", "orderId": "7", "seriesId": "1", "side": 0, "size": "100",
 *                "limitPrice": "47594", "validUntil": "1790000000" },
 *     "signature": { "R8": { "x": "...", "y": "..." }, "S": "..." } }
 * JSON of a signed withdrawal:
 *   { "accountIndex": "1", "nonce": "0", "amount": "1000000", "signature": { ... } }
 * JSON of a signed cancel:
 *   { "accountIndex": "1", "orderId": "7", "signature": { ... } }
 *
 * The parsers check every field's range (docs/protocol.md bit widths), that R8 is on the
 * curve and S below the subgroup order, and, when given the account's public key, that the
 * signature verifies: a tampered field then fails to parse.
 */
import { signMessage, verifySignature } from './eddsa.js'
import { Bits, Side } from '../state/params.js'
import type { Order, Point, Signature, SignedOrder } from '../state/types.js'
import { SdkValidationError } from './errors.js'
import {
  checkRange,
  expectObject,
  parseJsonText,
  parseUint,
  signatureFromJSON,
  signatureToJSON,
  type SignatureJSON,
} from './json.js'
import { cancelRequestMessage, orderMessage, withdrawalMessage, type CancelRequest, type WithdrawalRequest } from './messages.js'

export type { CancelRequest, WithdrawalRequest } from './messages.js'

const max = (bits: number) => (1n << BigInt(bits)) - 1n

/** Fields of `buildOrder`; `side` may be given by name. */
export type OrderParams = Omit<Order, 'side'> & { readonly side: Order['side'] | 'buy' | 'sell' }

/** A withdrawal request with its owner's signature. */
export type SignedWithdrawal = WithdrawalRequest & { readonly signature: Signature }

/** A cancel request with its owner's signature. */
export type SignedCancel = CancelRequest & { readonly signature: Signature }

/** A signed cancel as JSON. */
export type SignedCancelJSON = {
  readonly accountIndex: string
  readonly orderId: string
  readonly signature: SignatureJSON
}

/** A signed order as JSON. */
export type SignedOrderJSON = {
  readonly order: {
    readonly accountIndex: string
    readonly orderId: string
    readonly seriesId: string
    readonly side: 0 | 1
    readonly size: string
    readonly limitPrice: string
    readonly validUntil: string
  }
  readonly signature: SignatureJSON
}

/** A signed withdrawal as JSON. */
export type SignedWithdrawalJSON = {
  readonly accountIndex: string
  readonly nonce: string
  readonly amount: string
  readonly signature: SignatureJSON
}

/** Options of the parsers: with `publicKey`, the signature must verify under it. */
export type ParseOptions = { readonly publicKey?: Point }

function checkOrder(o: Order, path: string): Order {
  checkRange(o.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex))
  checkRange(o.orderId, `${path}.orderId`, 1n, max(Bits.orderId))
  checkRange(o.seriesId, `${path}.seriesId`, 1n, max(Bits.seriesId))
  if (o.side !== Side.buy && o.side !== Side.sell) throw new SdkValidationError(`${path}.side`, 'must be 0 (buy) or 1 (sell)')
  checkRange(o.size, `${path}.size`, 1n, max(Bits.size))
  checkRange(o.limitPrice, `${path}.limitPrice`, 0n, max(Bits.price))
  checkRange(o.validUntil, `${path}.validUntil`, 0n, max(Bits.validUntil))
  return o
}

function checkWithdrawal(w: WithdrawalRequest, path: string): WithdrawalRequest {
  checkRange(w.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex))
  checkRange(w.nonce, `${path}.nonce`, 0n, max(32))
  checkRange(w.amount, `${path}.amount`, 1n, max(Bits.amount))
  return w
}

const toLib = (s: Signature) => ({ R8: [s.R8.x, s.R8.y] as [bigint, bigint], S: s.S })
const fromLib = (s: { R8: [bigint, bigint]; S: bigint }): Signature => ({ R8: { x: s.R8[0], y: s.R8[1] }, S: s.S })

/**
 * Builds an order, checking every field against the protocol's bit widths
 * (size >= 1, ids >= 1); throws `SdkValidationError`.
 *
 * @example
 * const order = buildOrder({ accountIndex: 1n, orderId: 7n, seriesId: 1n, side: 'buy', size: 100n, limitPrice: 47_594n, validUntil: 1_790_000_000n })
 */
export function buildOrder(p: OrderParams): Order {
  const side = p.side === 'buy' ? Side.buy : p.side === 'sell' ? Side.sell : p.side
  return checkOrder({ ...p, side }, 'order')
}

/**
 * Signs an order with the L2 private key (EdDSA-Poseidon over `orderMessage`).
 *
 * @example const signed = signOrder(order, key.privateKey)
 */
export function signOrder(order: Order, privateKey: Uint8Array): SignedOrder {
  checkOrder(order, 'order')
  return { order, signature: fromLib(signMessage(privateKey, orderMessage(order))) }
}

/**
 * True when the order's signature verifies under `publicKey`.
 *
 * @example verifyOrder(signed, key.publicKey) // true
 */
export function verifyOrder(signed: SignedOrder, publicKey: Point): boolean {
  return verifySignature(orderMessage(signed.order), toLib(signed.signature), [publicKey.x, publicKey.y])
}

/**
 * Signed order -> JSON object (bigints as decimal strings).
 *
 * @example JSON.stringify(signedOrderToJSON(signed))
 */
export function signedOrderToJSON(s: SignedOrder): SignedOrderJSON {
  const o = s.order
  return {
    order: {
      accountIndex: o.accountIndex.toString(),
      orderId: o.orderId.toString(),
      seriesId: o.seriesId.toString(),
      side: o.side,
      size: o.size.toString(),
      limitPrice: o.limitPrice.toString(),
      validUntil: o.validUntil.toString(),
    },
    signature: signatureToJSON(s.signature),
  }
}

/**
 * JSON value -> signed order, validating every field; with `publicKey` the signature must
 * verify (so a tampered order is rejected). Throws `SdkValidationError`.
 *
 * @example const signed = signedOrderFromJSON(body, { publicKey: account.pubKey })
 */
export function signedOrderFromJSON(value: unknown, options: ParseOptions = {}): SignedOrder {
  const root = expectObject(value, '$', ['order', 'signature'])
  const j = expectObject(root.order, '$.order', ['accountIndex', 'orderId', 'seriesId', 'side', 'size', 'limitPrice', 'validUntil'])
  if (j.side !== 0 && j.side !== 1) throw new SdkValidationError('$.order.side', 'must be 0 (buy) or 1 (sell)')
  const order: Order = {
    accountIndex: parseUint(j.accountIndex, '$.order.accountIndex', 0n, max(Bits.accountIndex)),
    orderId: parseUint(j.orderId, '$.order.orderId', 1n, max(Bits.orderId)),
    seriesId: parseUint(j.seriesId, '$.order.seriesId', 1n, max(Bits.seriesId)),
    side: j.side,
    size: parseUint(j.size, '$.order.size', 1n, max(Bits.size)),
    limitPrice: parseUint(j.limitPrice, '$.order.limitPrice', 0n, max(Bits.price)),
    validUntil: parseUint(j.validUntil, '$.order.validUntil', 0n, max(Bits.validUntil)),
  }
  const signed = { order, signature: signatureFromJSON(root.signature, '$.signature') }
  if (options.publicKey && !verifyOrder(signed, options.publicKey)) throw new SdkValidationError('$.signature', 'does not verify under the account key')
  return signed
}

/**
 * Signed order -> JSON text.
 *
 * @example await fetch(url, { method: 'POST', body: serializeSignedOrder(signed) })
 */
export function serializeSignedOrder(s: SignedOrder): string {
  return JSON.stringify(signedOrderToJSON(s))
}

/**
 * JSON text -> signed order (see `signedOrderFromJSON`).
 *
 * @example const signed = parseSignedOrder(text, { publicKey })
 */
export function parseSignedOrder(text: string, options: ParseOptions = {}): SignedOrder {
  return signedOrderFromJSON(parseJsonText(text, '$'), options)
}

/**
 * Builds a withdrawal request with range checks (amount >= 1, nonce uint32).
 *
 * @example const w = buildWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 5_000_000n })
 */
export function buildWithdrawal(w: WithdrawalRequest): WithdrawalRequest {
  return checkWithdrawal({ accountIndex: w.accountIndex, nonce: w.nonce, amount: w.amount }, 'withdrawal')
}

/**
 * Signs a withdrawal request with the L2 private key. The nonce must be the account's
 * current nonce (read it with `SequencerClient.getAccount`).
 *
 * @example const signed = signWithdrawal(buildWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 5_000_000n }), key.privateKey)
 */
export function signWithdrawal(w: WithdrawalRequest, privateKey: Uint8Array): SignedWithdrawal {
  const req = buildWithdrawal(w)
  return { ...req, signature: fromLib(signMessage(privateKey, withdrawalMessage(req))) }
}

/**
 * True when the withdrawal's signature verifies under `publicKey`.
 *
 * @example verifyWithdrawal(signed, key.publicKey) // true
 */
export function verifyWithdrawal(s: SignedWithdrawal, publicKey: Point): boolean {
  return verifySignature(withdrawalMessage(s), toLib(s.signature), [publicKey.x, publicKey.y])
}

/**
 * Signed withdrawal -> JSON object.
 *
 * @example JSON.stringify(signedWithdrawalToJSON(signed))
 */
export function signedWithdrawalToJSON(s: SignedWithdrawal): SignedWithdrawalJSON {
  return { accountIndex: s.accountIndex.toString(), nonce: s.nonce.toString(), amount: s.amount.toString(), signature: signatureToJSON(s.signature) }
}

/**
 * JSON value -> signed withdrawal, validated; with `publicKey` the signature must verify.
 *
 * @example const w = signedWithdrawalFromJSON(body, { publicKey })
 */
export function signedWithdrawalFromJSON(value: unknown, options: ParseOptions = {}): SignedWithdrawal {
  const j = expectObject(value, '$', ['accountIndex', 'nonce', 'amount', 'signature'])
  const signed: SignedWithdrawal = {
    accountIndex: parseUint(j.accountIndex, '$.accountIndex', 0n, max(Bits.accountIndex)),
    nonce: parseUint(j.nonce, '$.nonce', 0n, max(32)),
    amount: parseUint(j.amount, '$.amount', 1n, max(Bits.amount)),
    signature: signatureFromJSON(j.signature, '$.signature'),
  }
  if (options.publicKey && !verifyWithdrawal(signed, options.publicKey)) throw new SdkValidationError('$.signature', 'does not verify under the account key')
  return signed
}

/**
 * Signed withdrawal -> JSON text.
 *
 * @example const body = serializeSignedWithdrawal(signed)
 */
export function serializeSignedWithdrawal(s: SignedWithdrawal): string {
  return JSON.stringify(signedWithdrawalToJSON(s))
}

/**
 * JSON text -> signed withdrawal (see `signedWithdrawalFromJSON`).
 *
 * @example const w = parseSignedWithdrawal(text, { publicKey })
 */
export function parseSignedWithdrawal(text: string, options: ParseOptions = {}): SignedWithdrawal {
  return signedWithdrawalFromJSON(parseJsonText(text, '$'), options)
}

function checkCancel(c: CancelRequest, path: string): CancelRequest {
  checkRange(c.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex))
  checkRange(c.orderId, `${path}.orderId`, 1n, max(Bits.orderId))
  return c
}

/**
 * Builds a cancel request with range checks (order id in [1, 2^32)). Any order id of the
 * account may be cancelled, also one never sent: it can then never fill.
 *
 * @example const c = buildCancel({ accountIndex: 1n, orderId: 7n })
 */
export function buildCancel(c: CancelRequest): CancelRequest {
  return checkCancel({ accountIndex: c.accountIndex, orderId: c.orderId }, 'cancel')
}

/**
 * Signs a cancel request with the L2 private key.
 *
 * @example const signed = signCancel(buildCancel({ accountIndex: 1n, orderId: 7n }), key.privateKey)
 */
export function signCancel(c: CancelRequest, privateKey: Uint8Array): SignedCancel {
  const req = buildCancel(c)
  return { ...req, signature: fromLib(signMessage(privateKey, cancelRequestMessage(req))) }
}

/**
 * True when the cancel's signature verifies under `publicKey`.
 *
 * @example verifyCancel(signed, key.publicKey) // true
 */
export function verifyCancel(s: SignedCancel, publicKey: Point): boolean {
  return verifySignature(cancelRequestMessage(s), toLib(s.signature), [publicKey.x, publicKey.y])
}

/**
 * Signed cancel -> JSON object.
 *
 * @example JSON.stringify(signedCancelToJSON(signed))
 */
export function signedCancelToJSON(s: SignedCancel): SignedCancelJSON {
  return { accountIndex: s.accountIndex.toString(), orderId: s.orderId.toString(), signature: signatureToJSON(s.signature) }
}

/**
 * JSON value -> signed cancel, validated; with `publicKey` the signature must verify.
 *
 * @example const c = signedCancelFromJSON(body, { publicKey })
 */
export function signedCancelFromJSON(value: unknown, options: ParseOptions = {}): SignedCancel {
  const j = expectObject(value, '$', ['accountIndex', 'orderId', 'signature'])
  const signed: SignedCancel = {
    accountIndex: parseUint(j.accountIndex, '$.accountIndex', 0n, max(Bits.accountIndex)),
    orderId: parseUint(j.orderId, '$.orderId', 1n, max(Bits.orderId)),
    signature: signatureFromJSON(j.signature, '$.signature'),
  }
  if (options.publicKey && !verifyCancel(signed, options.publicKey)) throw new SdkValidationError('$.signature', 'does not verify under the account key')
  return signed
}

/**
 * Signed cancel -> JSON text.
 *
 * @example const body = serializeSignedCancel(signed)
 */
export function serializeSignedCancel(s: SignedCancel): string {
  return JSON.stringify(signedCancelToJSON(s))
}

/**
 * JSON text -> signed cancel (see `signedCancelFromJSON`).
 *
 * @example const c = parseSignedCancel(text, { publicKey })
 */
export function parseSignedCancel(text: string, options: ParseOptions = {}): SignedCancel {
  return signedCancelFromJSON(parseJsonText(text, '$'), options)
}

export * from './orderRequest.js'
export * from './cancelAll.js'
