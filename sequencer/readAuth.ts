/**
 * Read authorizations: an account's own data that is not public (its orders, resting and
 * past, with their limit prices; its order updates on the stream) is served only against the
 * account's L2 signature over `H(STREAM_AUTH_TAG, accountIndex, validUntil)` (sdk/streamAuth.ts).
 * The same signed authorization opens the stream's `orders` channel and the REST reads, since
 * it grants the same thing: reading that account's orders until `validUntil`, nothing else.
 *
 * The checks run cheapest first (the account, the times, then the signature). A verified
 * authorization is remembered until it expires, so a client that polls with the same one pays
 * for one signature check, not one per request.
 */
import { verifyField } from '../state/eddsa.js'
import type { RollupState } from '../state/index.js'
import { STREAM_AUTH_MAX_AHEAD_SECONDS, STREAM_AUTH_SKEW_SECONDS, streamAuthMessage, type SignedStreamAuth } from '../sdk/streamAuth.js'

/** Why a read authorization is refused. */
export type ReadAuthRefusal = { readonly code: 'UNKNOWN_ACCOUNT' | 'REQUEST_EXPIRED' | 'VALID_UNTIL_TOO_FAR' | 'BAD_SIGNATURE'; readonly reason: string }

/** The checks of a read authorization at `now` (unix seconds): undefined when it holds. */
export function checkReadAuth(state: RollupState, now: bigint, auth: SignedStreamAuth): ReadAuthRefusal | undefined {
  return checkTimes(state, now, auth) ?? checkSignature(state, auth)
}

function checkTimes(state: RollupState, now: bigint, auth: SignedStreamAuth): ReadAuthRefusal | undefined {
  if (!state.inRange(auth.accountIndex) || !state.exists(auth.accountIndex)) return { code: 'UNKNOWN_ACCOUNT', reason: `account ${auth.accountIndex} does not exist` }
  if (auth.validUntil <= now) return { code: 'REQUEST_EXPIRED', reason: `the read authorization expired at ${auth.validUntil} (now ${now})` }
  const latest = now + STREAM_AUTH_MAX_AHEAD_SECONDS + STREAM_AUTH_SKEW_SECONDS
  if (auth.validUntil > latest)
    return { code: 'VALID_UNTIL_TOO_FAR', reason: `validUntil ${auth.validUntil} is more than ${STREAM_AUTH_MAX_AHEAD_SECONDS} s (+${STREAM_AUTH_SKEW_SECONDS} s skew) ahead of now ${now}` }
  return undefined
}

function checkSignature(state: RollupState, auth: SignedStreamAuth): ReadAuthRefusal | undefined {
  if (!verifyField(streamAuthMessage(auth), auth.signature, state.account(auth.accountIndex).pubKey))
    return { code: 'BAD_SIGNATURE', reason: `the read authorization does not verify under the key of account ${auth.accountIndex}` }
  return undefined
}

/** Authorizations remembered at most (each about 200 bytes); past it, expired ones go first, then the oldest. */
export const READ_AUTH_CACHE_SIZE = 10_000

/** `checkReadAuth` that verifies each distinct authorization's signature once. */
export class ReadAuthChecker {
  /** Verified authorizations by their key (the text the client sent), with the key they verified under. */
  readonly #verified = new Map<string, { readonly validUntil: bigint; readonly keyX: bigint; readonly keyY: bigint }>()
  readonly #capacity: number

  constructor(capacity = READ_AUTH_CACHE_SIZE) {
    this.#capacity = capacity
  }

  /** Remembered authorizations (for tests and metrics). */
  get size(): number {
    return this.#verified.size
  }

  /** `checkReadAuth(state, now, auth)`; `key` identifies `auth` exactly (e.g. the header it came in). */
  check(state: RollupState, now: bigint, auth: SignedStreamAuth, key: string): ReadAuthRefusal | undefined {
    const refused = checkTimes(state, now, auth)
    if (refused) return refused
    const pubKey = state.account(auth.accountIndex).pubKey
    const known = this.#verified.get(key)
    if (known && known.validUntil === auth.validUntil && known.keyX === pubKey.x && known.keyY === pubKey.y) return undefined
    const bad = checkSignature(state, auth)
    if (bad) return bad
    this.#remember(key, { validUntil: auth.validUntil, keyX: pubKey.x, keyY: pubKey.y }, now)
    return undefined
  }

  #remember(key: string, entry: { readonly validUntil: bigint; readonly keyX: bigint; readonly keyY: bigint }, now: bigint): void {
    if (this.#verified.size >= this.#capacity) {
      for (const [k, v] of this.#verified) if (v.validUntil <= now) this.#verified.delete(k)
      // Still full: forget the oldest (Map order is insertion order).
      for (const k of this.#verified.keys()) {
        if (this.#verified.size < this.#capacity) break
        this.#verified.delete(k)
      }
    }
    this.#verified.set(key, entry)
  }
}
