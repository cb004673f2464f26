/**
 * Cancel-all: one signed request that takes every resting order of an account (or of an
 * account in one series) off the book at once, with the per-order cancels that also retire
 * them in the circuit.
 *
 * The circuit knows only the single cancel (`H(Tag.cancel, accountIndex, orderId)`), so a
 * cancel-all's own signature can authorize the book removal but not an in-circuit cancel:
 * an order removed from the book only could still be filled by a malicious sequencer holding
 * its signature. So the request carries, beside its signature over
 *
 *   cancelAll = H(CANCEL_ALL_TAG, accountIndex, seriesId or 0, nonce, validUntil)
 *
 * an ordinary signed cancel for each order the trader wants retired on chain (normally the
 * open orders it read from GET /v1/accounts/:index/orders). The sequencer applies one cancel
 * transaction per distinct order slot they touch (docs/sequencer.md, "Cancels").
 *
 * Replay protection: `nonce` must exceed the account's last accepted cancel-all nonce (the
 * sequencer keeps it; the SDK uses the time in milliseconds by default) and `validUntil` be in
 * the future, so neither an old request nor a captured, unsent one works for long.
 *
 * JSON: { "accountIndex": "1", "seriesId": "0", "nonce": "1790000000123", "validUntil": "1790000060",
 *         "signature": { ... }, "cancels": [ { "orderId": "7", "signature": { ... } } ] }
 */
import { signMessage, verifySignature } from './eddsa.js'
import { hash } from '../state/poseidon.js'
import { Bits } from '../state/params.js'
import type { Point, Signature } from '../state/types.js'
import { SdkValidationError } from './errors.js'
import { checkRange, expectObject, parseJsonText, parseUint, signatureFromJSON, signatureToJSON, type SignatureJSON } from './json.js'
import { cancelRequestMessage } from './messages.js'

/**
 * Domain tag of the cancel-all message: the ASCII of "cancel_all". Not one of the protocol's
 * tags (1 order, 2 withdraw, 3 cancel), and a five-input hash unlike any of theirs, so no
 * cancel-all signature is ever a valid order, cancel or withdrawal signature, nor the reverse.
 */
export const CANCEL_ALL_TAG = 0x63616e63656c5f616c6cn

/** Largest number of per-order cancels one cancel-all may carry (the realistic set has 16 order slots). */
export const MAX_CANCELS_PER_CANCEL_ALL = 64

const max = (bits: number) => (1n << BigInt(bits)) - 1n

/** The fields of a cancel-all its owner signs. */
export type CancelAllRequest = {
  readonly accountIndex: bigint
  /** The series whose orders to cancel; 0 for every series. */
  readonly seriesId: bigint
  /** Above the account's last accepted cancel-all nonce (uint64). */
  readonly nonce: bigint
  /** Unix seconds after which the request is refused (uint32). */
  readonly validUntil: bigint
}

/** A per-order cancel carried by a cancel-all: the signature is over `H(Tag.cancel, accountIndex, orderId)`. */
export type OrderCancel = { readonly orderId: bigint; readonly signature: Signature }

/** A signed cancel-all with its per-order cancels. */
export type SignedCancelAll = CancelAllRequest & { readonly signature: Signature; readonly cancels: readonly OrderCancel[] }

/** A signed cancel-all as JSON. */
export type SignedCancelAllJSON = {
  readonly accountIndex: string
  readonly seriesId: string
  readonly nonce: string
  readonly validUntil: string
  readonly signature: SignatureJSON
  readonly cancels: readonly { readonly orderId: string; readonly signature: SignatureJSON }[]
}

const toLib = (s: Signature) => ({ R8: [s.R8.x, s.R8.y] as [bigint, bigint], S: s.S })
const fromLib = (s: { R8: [bigint, bigint]; S: bigint }): Signature => ({ R8: { x: s.R8[0], y: s.R8[1] }, S: s.S })

function checkCancelAll(c: CancelAllRequest, path: string): CancelAllRequest {
  checkRange(c.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex))
  checkRange(c.seriesId, `${path}.seriesId`, 0n, max(Bits.seriesId))
  checkRange(c.nonce, `${path}.nonce`, 0n, max(64))
  checkRange(c.validUntil, `${path}.validUntil`, 0n, max(Bits.validUntil))
  return { accountIndex: c.accountIndex, seriesId: c.seriesId, nonce: c.nonce, validUntil: c.validUntil }
}

function checkOrderIds(ids: readonly bigint[], path: string): void {
  if (ids.length > MAX_CANCELS_PER_CANCEL_ALL) throw new SdkValidationError(path, `at most ${MAX_CANCELS_PER_CANCEL_ALL} per-order cancels`)
  const seen = new Set<bigint>()
  ids.forEach((id, i) => {
    checkRange(id, `${path}[${i}].orderId`, 1n, max(Bits.orderId))
    if (seen.has(id)) throw new SdkValidationError(`${path}[${i}].orderId`, `order ${id} appears twice`)
    seen.add(id)
  })
}

/**
 * Poseidon hash of a cancel-all request, the field element its owner signs.
 *
 * @example cancelAllMessage({ accountIndex: 1n, seriesId: 0n, nonce: 1n, validUntil: 1_790_000_060n })
 */
export function cancelAllMessage(c: CancelAllRequest): bigint {
  return hash([CANCEL_ALL_TAG, c.accountIndex, c.seriesId, c.nonce, c.validUntil])
}

/**
 * Builds a cancel-all request with range checks; `nonce` defaults to the time in
 * milliseconds and `validUntil` to a minute from now, `seriesId` to 0 (every series).
 *
 * @example const req = buildCancelAll({ accountIndex: 1n, seriesId: 3n })
 */
export function buildCancelAll(c: Pick<CancelAllRequest, 'accountIndex'> & Partial<CancelAllRequest>): CancelAllRequest {
  const nowMs = BigInt(Date.now())
  return checkCancelAll({ accountIndex: c.accountIndex, seriesId: c.seriesId ?? 0n, nonce: c.nonce ?? nowMs, validUntil: c.validUntil ?? nowMs / 1000n + 60n }, 'cancelAll')
}

/**
 * Signs a cancel-all with the L2 private key, and a cancel of each of `orderIds` (the orders
 * to retire in the circuit as well; without them they only leave the book).
 *
 * @example
 * const open = await client.getOrders(1n, { status: 'open' })
 * const signed = signCancelAll(buildCancelAll({ accountIndex: 1n }), key.privateKey, open.orders.map((o) => BigInt(o.orderId)))
 * await client.cancelAll(signed)
 */
export function signCancelAll(c: CancelAllRequest, privateKey: Uint8Array, orderIds: readonly bigint[] = []): SignedCancelAll {
  const req = checkCancelAll(c, 'cancelAll')
  checkOrderIds(orderIds, 'cancelAll.cancels')
  const cancels = orderIds.map((orderId) => ({ orderId, signature: fromLib(signMessage(privateKey, cancelRequestMessage({ accountIndex: req.accountIndex, orderId }))) }))
  return { ...req, signature: fromLib(signMessage(privateKey, cancelAllMessage(req))), cancels }
}

/**
 * True when the cancel-all's own signature verifies under `publicKey` (per-order cancels: `badOrderCancels`).
 *
 * @example verifyCancelAll(signed, key.publicKey) // true
 */
export function verifyCancelAll(s: SignedCancelAll, publicKey: Point): boolean {
  return verifySignature(cancelAllMessage(s), toLib(s.signature), [publicKey.x, publicKey.y])
}

/**
 * The per-order cancels whose signature does not verify under `publicKey` (none: all good).
 *
 * @example badOrderCancels(signed, key.publicKey) // []
 */
export function badOrderCancels(s: SignedCancelAll, publicKey: Point): bigint[] {
  return s.cancels.filter((c) => !verifySignature(cancelRequestMessage({ accountIndex: s.accountIndex, orderId: c.orderId }), toLib(c.signature), [publicKey.x, publicKey.y])).map((c) => c.orderId)
}

/**
 * Signed cancel-all -> JSON object.
 *
 * @example JSON.stringify(signedCancelAllToJSON(signed))
 */
export function signedCancelAllToJSON(s: SignedCancelAll): SignedCancelAllJSON {
  return {
    accountIndex: s.accountIndex.toString(),
    seriesId: s.seriesId.toString(),
    nonce: s.nonce.toString(),
    validUntil: s.validUntil.toString(),
    signature: signatureToJSON(s.signature),
    cancels: s.cancels.map((c) => ({ orderId: c.orderId.toString(), signature: signatureToJSON(c.signature) })),
  }
}

/**
 * JSON value -> signed cancel-all, validated (ranges, points, distinct order ids); with
 * `publicKey`, its signature and every per-order cancel must verify.
 *
 * @example const c = signedCancelAllFromJSON(body, { publicKey })
 */
export function signedCancelAllFromJSON(value: unknown, options: { readonly publicKey?: Point } = {}): SignedCancelAll {
  const j = expectObject(value, '$', ['accountIndex', 'seriesId', 'nonce', 'validUntil', 'signature', 'cancels'])
  if (!Array.isArray(j.cancels)) throw new SdkValidationError('$.cancels', 'must be an array')
  const cancels = (j.cancels as unknown[]).map((c, i) => {
    const o = expectObject(c, `$.cancels[${i}]`, ['orderId', 'signature'])
    return { orderId: parseUint(o.orderId, `$.cancels[${i}].orderId`, 1n, max(Bits.orderId)), signature: signatureFromJSON(o.signature, `$.cancels[${i}].signature`) }
  })
  checkOrderIds(
    cancels.map((c) => c.orderId),
    '$.cancels',
  )
  const signed: SignedCancelAll = {
    accountIndex: parseUint(j.accountIndex, '$.accountIndex', 0n, max(Bits.accountIndex)),
    seriesId: parseUint(j.seriesId, '$.seriesId', 0n, max(Bits.seriesId)),
    nonce: parseUint(j.nonce, '$.nonce', 0n, max(64)),
    validUntil: parseUint(j.validUntil, '$.validUntil', 0n, max(Bits.validUntil)),
    signature: signatureFromJSON(j.signature, '$.signature'),
    cancels,
  }
  if (options.publicKey) {
    if (!verifyCancelAll(signed, options.publicKey)) throw new SdkValidationError('$.signature', 'does not verify under the account key')
    const bad = badOrderCancels(signed, options.publicKey)
    if (bad.length > 0) throw new SdkValidationError('$.cancels', `the cancel of order ${bad[0]} does not verify under the account key`)
  }
  return signed
}

/**
 * JSON text -> signed cancel-all (see `signedCancelAllFromJSON`).
 *
 * @example const c = parseSignedCancelAll(text, { publicKey })
 */
export function parseSignedCancelAll(text: string, options: { readonly publicKey?: Point } = {}): SignedCancelAll {
  return signedCancelAllFromJSON(parseJsonText(text, '$'), options)
}
