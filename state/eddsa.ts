/**
 * EdDSA-Poseidon on BabyJubJub, compatible with circomlib's `EdDSAPoseidonVerifier`
 * (`@zk-kit/eddsa-poseidon`, default Blake-512 key expansion, as circomlibjs).
 *
 * Loaded through its CommonJS build: the package's ESM entry imports named exports from the
 * CommonJS `blakejs`, which Node's ESM loader refuses ("Named export 'blake2bFinal' not found").
 */
import { createRequire } from 'node:module'
import type { Point, Signature } from './types.js'

type EddsaPoseidon = typeof import('@zk-kit/eddsa-poseidon')

const eddsa = createRequire(import.meta.url)('@zk-kit/eddsa-poseidon') as EddsaPoseidon

/** The BabyJubJub public key of a 32-byte private key. */
export function publicKeyOf(privateKey: Uint8Array): Point {
  const [x, y] = eddsa.derivePublicKey(privateKey)
  return { x: BigInt(x), y: BigInt(y) }
}

/** Signs one field element. */
export function signField(privateKey: Uint8Array, message: bigint): Signature {
  const { R8, S } = eddsa.signMessage(privateKey, message)
  return { R8: { x: BigInt(R8[0]), y: BigInt(R8[1]) }, S: BigInt(S) }
}

/** True when `signature` signs `message` under `publicKey`; false for any malformed input. */
export function verifyField(message: bigint, signature: Signature, publicKey: Point): boolean {
  try {
    return eddsa.verifySignature(
      message,
      { R8: [signature.R8.x, signature.R8.y], S: signature.S },
      [publicKey.x, publicKey.y],
    )
  } catch {
    return false
  }
}
