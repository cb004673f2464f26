/**
 * EdDSA-Poseidon on BabyJubJub (circomlib's `EdDSAPoseidonVerifier`), with the API of
 * `@zk-kit/eddsa-poseidon`'s default (BLAKE-512) build.
 *
 * `signMessage` and `derivePublicKey` run in crypto/eddsa/signer.ts: bit-identical results
 * (crypto/eddsa/signer.test.ts checks them against @zk-kit on random keys and messages) at
 * thousands of signatures per second, where @zk-kit's double-and-add manages a few. Messages
 * outside [0, 2^256), which @zk-kit cannot sign either (or signs garbled, when negative),
 * throw an `EddsaError`.
 *
 * `verifySignature` runs state/eddsa.ts's `verifyField` (crypto/eddsa's wasm verifier): what
 * @zk-kit accepts, minus signatures under small-order public keys, which the circuit refuses
 * and which anyone can forge. The SDK and the sequencer (cancel-all, stream authorizations
 * verify through here) must never accept a signature a batch could not prove.
 */
import { derivePublicKeyFast, signMessageFast } from '../crypto/eddsa/signer.js'
import { verifyField } from '../state/eddsa.js'

type EddsaPoseidon = typeof import('@zk-kit/eddsa-poseidon')

/** BabyJubJub public key `[x, y]` of a private key (bytes or a string). */
export const derivePublicKey: EddsaPoseidon['derivePublicKey'] = (privateKey) => {
  const { x, y } = derivePublicKeyFast(privateKey)
  return [x, y]
}

/** Signs a field element: `{ R8: [x, y], S }`. */
export const signMessage: EddsaPoseidon['signMessage'] = (privateKey, message) => {
  const { R8, S } = signMessageFast(privateKey, message)
  return { R8: [R8.x, R8.y], S }
}

/** Verifies a signature over a field element under a public key `[x, y]`; false for any malformed input. */
export const verifySignature: EddsaPoseidon['verifySignature'] = (message, signature, publicKey) => {
  try {
    return verifyField(
      BigInt(message as bigint),
      { R8: { x: BigInt(signature.R8[0] as bigint), y: BigInt(signature.R8[1] as bigint) }, S: BigInt(signature.S as bigint) },
      { x: BigInt(publicKey[0] as bigint), y: BigInt(publicKey[1] as bigint) },
    )
  } catch {
    return false
  }
}
