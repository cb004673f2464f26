/**
 * Authentication of an account's private reads: the WebSocket channel `orders` (its own
 * order updates) and the REST reads of its orders (the `X-Read-Auth` header,
 * sequencer/api/readAuth.ts). The subscription, or the header, carries the account's L2
 * signature over
 *
 *   streamAuth = H(STREAM_AUTH_TAG, accountIndex, validUntil)
 *
 * which the sequencer checks against the account's key in its state. Neither state/ nor the
 * circuit knows this message: it authorizes a read, never a state change.
 *
 * Replay: anyone who captures a subscription can replay it until `validUntil` (it only lets
 * them read that account's order updates), so the sequencer refuses a `validUntil` more than
 * `STREAM_AUTH_MAX_AHEAD_SECONDS` ahead (plus `STREAM_AUTH_SKEW_SECONDS` of clock skew), and
 * the SDK signs one for the middle of that window.
 *
 * JSON: { "accountIndex": "1", "validUntil": "1790000300", "signature": { "R8": { "x": "…", "y": "…" }, "S": "…" } }
 */
import { signMessage, verifySignature } from './eddsa.js'
import { hash } from '../state/poseidon.js'
import { Bits } from '../state/params.js'
import type { Point, Signature } from '../state/types.js'
import { checkRange, expectObject, parseUint, signatureFromJSON, signatureToJSON, type SignatureJSON } from './json.js'

/**
 * Domain tag of the stream authorization: the ASCII of "stream_auth". Not one of the
 * protocol's tags (1 order, 2 withdraw, 3 cancel) nor `CANCEL_ALL_TAG`, and a three-input hash
 * unlike the order's and withdrawal's, so a stream signature never authorizes anything else.
 */
export const STREAM_AUTH_TAG = 0x73747265616d5f61757468n

/** Furthest ahead of the sequencer's clock a `validUntil` may be (10 minutes). */
export const STREAM_AUTH_MAX_AHEAD_SECONDS = 600n

/**
 * Clock skew the sequencer tolerates on top of `STREAM_AUTH_MAX_AHEAD_SECONDS` (a client
 * clock up to a minute fast still passes). None is granted on the other side: an expired
 * authorization stays expired, so a captured one is never replayable for longer.
 */
export const STREAM_AUTH_SKEW_SECONDS = 60n

/**
 * The HTTP header that carries a signed authorization, as JSON, on the REST reads of an
 * account's orders (the same authorization opens the stream's `orders` channel).
 */
export const READ_AUTH_HEADER = 'x-read-auth'

/** What the SDK signs by default: 5 minutes ahead, so clocks 5 minutes slow or 6 fast pass. */
export const STREAM_AUTH_DEFAULT_LIFETIME_SECONDS = 300n

const max = (bits: number) => (1n << BigInt(bits)) - 1n

/** The fields of a stream authorization its owner signs. */
export type StreamAuthRequest = {
  readonly accountIndex: bigint
  /** Unix seconds (uint32) after which the sequencer refuses it. */
  readonly validUntil: bigint
}

/** A signed stream authorization. */
export type SignedStreamAuth = StreamAuthRequest & { readonly signature: Signature }

/** A signed stream authorization as JSON (the fields of an `orders` subscription). */
export type SignedStreamAuthJSON = { readonly accountIndex: string; readonly validUntil: string; readonly signature: SignatureJSON }

function checkAuth(a: StreamAuthRequest, path: string): StreamAuthRequest {
  checkRange(a.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex))
  checkRange(a.validUntil, `${path}.validUntil`, 0n, max(Bits.validUntil))
  return { accountIndex: a.accountIndex, validUntil: a.validUntil }
}

/**
 * Poseidon hash of a stream authorization, the field element its owner signs.
 *
 * @example streamAuthMessage({ accountIndex: 1n, validUntil: 1_790_000_300n })
 */
export function streamAuthMessage(a: StreamAuthRequest): bigint {
  return hash([STREAM_AUTH_TAG, a.accountIndex, a.validUntil])
}

/**
 * Builds and signs a stream authorization for `accountIndex`, valid until `validUntil`
 * (default: `nowSeconds` + 5 minutes, `nowSeconds` defaulting to the local clock).
 *
 * @example const auth = signStreamAuth({ accountIndex: 1n }, key.privateKey)
 */
export function signStreamAuth(a: Pick<StreamAuthRequest, 'accountIndex'> & Partial<StreamAuthRequest>, privateKey: Uint8Array, nowSeconds: bigint = BigInt(Math.floor(Date.now() / 1000))): SignedStreamAuth {
  const req = checkAuth({ accountIndex: a.accountIndex, validUntil: a.validUntil ?? nowSeconds + STREAM_AUTH_DEFAULT_LIFETIME_SECONDS }, 'streamAuth')
  const s = signMessage(privateKey, streamAuthMessage(req))
  return { ...req, signature: { R8: { x: s.R8[0], y: s.R8[1] }, S: s.S } }
}

/**
 * True when the authorization's signature verifies under `publicKey` (times are the
 * sequencer's to judge).
 *
 * @example verifyStreamAuth(auth, key.publicKey) // true
 */
export function verifyStreamAuth(a: SignedStreamAuth, publicKey: Point): boolean {
  return verifySignature(streamAuthMessage(a), { R8: [a.signature.R8.x, a.signature.R8.y], S: a.signature.S }, [publicKey.x, publicKey.y])
}

/**
 * Signed stream authorization -> JSON object.
 *
 * @example ws.send(JSON.stringify({ op: 'subscribe', channel: 'orders', ...signedStreamAuthToJSON(auth) }))
 */
export function signedStreamAuthToJSON(a: SignedStreamAuth): SignedStreamAuthJSON {
  return { accountIndex: a.accountIndex.toString(), validUntil: a.validUntil.toString(), signature: signatureToJSON(a.signature) }
}

/**
 * JSON value -> signed stream authorization: exactly the three fields, canonical decimal
 * strings in range, R8 on BabyJubJub and S below the subgroup order. Throws
 * `SdkValidationError` naming the field.
 *
 * @example const auth = signedStreamAuthFromJSON({ accountIndex: '1', validUntil: '1790000300', signature })
 */
export function signedStreamAuthFromJSON(value: unknown, path = '$'): SignedStreamAuth {
  const j = expectObject(value, path, ['accountIndex', 'validUntil', 'signature'])
  return {
    accountIndex: parseUint(j.accountIndex, `${path}.accountIndex`, 0n, max(Bits.accountIndex)),
    validUntil: parseUint(j.validUntil, `${path}.validUntil`, 0n, max(Bits.validUntil)),
    signature: signatureFromJSON(j.signature, `${path}.signature`),
  }
}
