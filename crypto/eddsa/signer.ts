/**
 * EdDSA-Poseidon signing and key derivation, bit-identical to `@zk-kit/eddsa-poseidon`'s
 * default (BLAKE-512) `signMessage` and `derivePublicKey`, which circomlibjs also matches, at
 * thousands of signatures per second instead of a few: the scalar multiplications by B8 use
 * the process-wide fixed-base table in wasm (wasmCurve.ts `sharedWasmCurve`) instead of a
 * double-and-add with an inversion per step.
 *
 * The scheme, as @zk-kit computes it (eddsa-poseidon-factory.ts):
 * - `k = BLAKE-512(privateKey)`; `s` = the first 32 bytes of k, little-endian, pruned (low 3
 *   bits cleared, bit 255 cleared, bit 254 set); the public key is `A = [s >> 3]B8`.
 * - `r = BLAKE-512(k[32..64] || message as 32 little-endian bytes)`, little-endian, mod l.
 * - `R8 = [r]B8`, `h = Poseidon(R8.x, R8.y, A.x, A.y, message)`, `S = (r + h * s) mod l`
 *   (the unshifted s: [S]B8 = R8 + [8h]A).
 *
 * A private key is bytes or a string (its UTF-8 bytes), as @zk-kit takes it. A message is a
 * bigint, or anything @zk-kit's `checkMessage` converts (a safe integer, a decimal or 0x
 * string, bytes read big-endian, another string's UTF-8 bytes); it must lie in [0, 2^256),
 * where @zk-kit's 32-byte nonce input has room (it throws above; below 0 it hashes a garbled
 * buffer, and no verifier accepts a negative message anyway).
 */
import { Buffer } from 'node:buffer'
import { hash } from '../../state/poseidon.js'
import { blake512 } from './blake512.js'
import { SUBGROUP_ORDER } from './curve.js'
import { EddsaError } from './errors.js'
import { LruCache } from './lruCache.js'
import type { AffinePoint, EddsaSignature } from './verifier.js'
import { sharedWasmCurve } from './wasmCurve.js'

/** What @zk-kit accepts as a private key: raw bytes (a Buffer is a Uint8Array) or a string. */
export type PrivateKey = Uint8Array | string
/** What @zk-kit accepts as a message (its `BigNumberish`). */
export type MessageInput = bigint | number | string | Uint8Array

function littleEndian(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).reverse().toString('hex') || '0'}`)
}

function keyBytes(privateKey: PrivateKey): Uint8Array {
  if (typeof privateKey === 'string') return Buffer.from(privateKey, 'utf8')
  if (privateKey instanceof Uint8Array) return privateKey
  throw new EddsaError(`a private key is a Uint8Array, Buffer or string, got ${typeof privateKey}`)
}

/**
 * The message as @zk-kit's `checkMessage` reads it: bigints as they are, numbers and numeric
 * strings through `BigInt`, bytes big-endian, other strings as their UTF-8 bytes (big-endian).
 * Throws `EddsaError` outside [0, 2^256).
 */
export function messageToBigInt(message: MessageInput): bigint {
  let m: bigint
  if (typeof message === 'bigint') m = message
  else if (typeof message === 'number') m = BigInt(message)
  else if (message instanceof Uint8Array) m = BigInt(`0x${Buffer.from(message).toString('hex')}`)
  else if (typeof message === 'string') {
    try {
      m = BigInt(message)
    } catch {
      m = BigInt(`0x${Buffer.from(message, 'utf8').toString('hex')}`)
    }
  } else throw new EddsaError(`a message is a bigint, number, string or bytes, got ${typeof message}`)
  if (m < 0n || m >> 256n !== 0n) throw new EddsaError(`the message ${m} is outside [0, 2^256): @zk-kit's signer cannot encode it`)
  return m
}

/** 32 little-endian bytes of 0 <= m < 2^256. */
function littleEndian32(m: bigint): Uint8Array {
  const out = Buffer.from(m.toString(16).padStart(64, '0'), 'hex')
  return out.reverse()
}

/**
 * The signing material of one private key, derived once: the pruned scalar, the nonce prefix
 * and the public key. Signing with it costs one BLAKE-512, one fixed-base multiplication with
 * an inversion, and one Poseidon(5).
 */
export class EddsaPoseidonSigner {
  /** The public key, [s >> 3]B8 (what @zk-kit's `derivePublicKey` returns). */
  readonly publicKey: AffinePoint
  /** The pruned scalar s (not shifted), as @zk-kit's signMessage multiplies h by it. */
  readonly #s: bigint
  /** The second half of BLAKE-512(privateKey), the secret prefix of the nonce hash. */
  readonly #noncePrefix: Uint8Array

  constructor(privateKey: PrivateKey) {
    const expanded = blake512(keyBytes(privateKey))
    const scalar = expanded.slice(0, 32)
    scalar[0]! &= 0xf8
    scalar[31]! &= 0x7f
    scalar[31]! |= 0x40
    this.#s = littleEndian(scalar)
    this.#noncePrefix = expanded.slice(32, 64)
    this.publicKey = sharedWasmCurve().mulBase8((this.#s >> 3n) % SUBGROUP_ORDER)
  }

  /** The signature of `message` (see `messageToBigInt` for what a message may be). */
  sign(message: MessageInput): EddsaSignature {
    const m = messageToBigInt(message)
    const nonceInput = new Uint8Array(64)
    nonceInput.set(this.#noncePrefix, 0)
    nonceInput.set(littleEndian32(m), 32)
    const r = littleEndian(blake512(nonceInput)) % SUBGROUP_ORDER
    const R8 = sharedWasmCurve().mulBase8(r)
    const h = hash([R8.x, R8.y, this.publicKey.x, this.publicKey.y, m])
    return { R8, S: (r + ((h * this.#s) % SUBGROUP_ORDER)) % SUBGROUP_ORDER }
  }
}

/**
 * Recently used signers by private key, so that a market maker signing many orders with one
 * key derives it once (saving a BLAKE-512 and a fixed-base multiplication per signature). The
 * cache holds derived secrets of keys this process already holds; it is module-private.
 */
const signers = new LruCache<string, EddsaPoseidonSigner>(64)

function signerOf(privateKey: PrivateKey): EddsaPoseidonSigner {
  const bytes = keyBytes(privateKey)
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  let signer = signers.get(id)
  if (signer === undefined) {
    signer = new EddsaPoseidonSigner(bytes)
    signers.set(id, signer)
  }
  return signer
}

/**
 * @zk-kit's `derivePublicKey(privateKey)`, fast, in circomlib's coordinates.
 *
 * @example derivePublicKeyFast(new Uint8Array(32).fill(7)) // { x, y }
 */
export function derivePublicKeyFast(privateKey: PrivateKey): AffinePoint {
  return { ...signerOf(privateKey).publicKey }
}

/**
 * @zk-kit's `signMessage(privateKey, message)`, fast: `{ R8: { x, y }, S }`.
 *
 * @example signMessageFast(new Uint8Array(32).fill(7), 42n) // verifies under derivePublicKeyFast(same key)
 */
export function signMessageFast(privateKey: PrivateKey, message: MessageInput): EddsaSignature {
  return signerOf(privateKey).sign(message)
}
