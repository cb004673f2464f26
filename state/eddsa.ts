/**
 * EdDSA-Poseidon on BabyJubJub, compatible with circomlib's `EdDSAPoseidonVerifier`
 * (`@zk-kit/eddsa-poseidon`, default Blake-512 key expansion, as circomlibjs).
 *
 * Everything runs in crypto/eddsa: signing and key derivation produce exactly what @zk-kit's
 * `signMessage` and `derivePublicKey` produce, and verification accepts exactly what @zk-kit's
 * `verifySignature` accepts, minus small-order public keys, which the circuit refuses
 * (docs/signatures.md); both at hundreds of times @zk-kit's speed.
 */
import { EddsaPoseidonVerifier } from '../crypto/eddsa/index.js'
import { derivePublicKeyFast, signMessageFast } from '../crypto/eddsa/signer.js'
import type { Point, Signature } from './types.js'

/**
 * One verifier per process (per worker thread): its cache keeps the tables of recently seen
 * public keys. Small-order keys are refused because the circuit refuses them (`IsZero` on the x
 * of [8]A): a signature the circuit cannot check must never enter a batch.
 */
export const VERIFIER_OPTIONS = { rejectSmallOrderKeys: true } as const
const verifier = new EddsaPoseidonVerifier(VERIFIER_OPTIONS)

/** The BabyJubJub public key of a 32-byte private key. */
export function publicKeyOf(privateKey: Uint8Array): Point {
  return derivePublicKeyFast(privateKey)
}

/** Signs one field element. */
export function signField(privateKey: Uint8Array, message: bigint): Signature {
  return signMessageFast(privateKey, message)
}

/** Most signatures verified lately, remembered (only successes): a bounded set in insertion order. */
const VERIFIED_CAPACITY = 8_192
const verified = new Set<string>()

/** The exact triple each signature object was last verified with: a lookup without building a key. */
type Verified = { readonly message: bigint; readonly rx: bigint; readonly ry: bigint; readonly s: bigint; readonly ax: bigint; readonly ay: bigint }
const verifiedObjects = new WeakMap<Signature, Verified>()

/**
 * True when `signature` signs `message` under `publicKey`; false for any malformed input.
 * A resting order's signature is checked when it arrives and again in each trade it fills;
 * a verification that succeeded is remembered (the exact message, signature and key), so the
 * repeats cost a lookup: first by the signature object (its values compared, so a changed
 * object is checked again), then by the values. Failures are not remembered: they are rare
 * and must stay cheap to attempt only for their sender.
 */
export function verifyField(message: bigint, signature: Signature, publicKey: Point): boolean {
  if (!wellTyped(message, signature, publicKey)) return verifier.verify(message, signature, publicKey)
  if (sameAsVerified(verifiedObjects.get(signature), message, signature, publicKey)) return true
  const key = verifiedKey(message, signature, publicKey)
  if (!verified.has(key)) {
    if (!verifier.verify(message, signature, publicKey)) return false
    remember(key)
  }
  verifiedObjects.set(signature, { message, rx: signature.R8.x, ry: signature.R8.y, s: signature.S, ax: publicKey.x, ay: publicKey.y })
  return true
}

/**
 * Records that `signature` signs `message` under `publicKey`, as established by a verifier
 * with this module's options running elsewhere (the sequencer's worker pool,
 * crypto/eddsa/pool.ts, built with `VERIFIER_OPTIONS`): the next `verifyField` of the same
 * triple is then a lookup. Only a success of such a verifier may be recorded.
 */
export function noteVerified(message: bigint, signature: Signature, publicKey: Point): void {
  if (!wellTyped(message, signature, publicKey)) return
  const key = verifiedKey(message, signature, publicKey)
  if (!verified.has(key)) remember(key)
  verifiedObjects.set(signature, { message, rx: signature.R8.x, ry: signature.R8.y, s: signature.S, ax: publicKey.x, ay: publicKey.y })
}

/**
 * Forgets every remembered verification (not the verifier's key tables): what a fresh process
 * starts with. For benchmarks that replay a journal this process signed, which would otherwise
 * find every signature already verified.
 */
export function forgetVerifiedSignatures(): void {
  verified.clear()
}

function wellTyped(message: bigint, signature: Signature, publicKey: Point): boolean {
  return typeof message === 'bigint' && typeof signature?.S === 'bigint' && typeof signature.R8?.x === 'bigint' && typeof signature.R8.y === 'bigint' && typeof publicKey?.x === 'bigint' && typeof publicKey.y === 'bigint'
}

function sameAsVerified(v: Verified | undefined, message: bigint, signature: Signature, publicKey: Point): boolean {
  return v !== undefined && v.message === message && v.rx === signature.R8.x && v.ry === signature.R8.y && v.s === signature.S && v.ax === publicKey.x && v.ay === publicKey.y
}

function verifiedKey(message: bigint, signature: Signature, publicKey: Point): string {
  return `${message}:${signature.R8.x}:${signature.R8.y}:${signature.S}:${publicKey.x}:${publicKey.y}`
}

function remember(key: string): void {
  if (verified.size >= VERIFIED_CAPACITY) verified.delete(verified.values().next().value!)
  verified.add(key)
}
