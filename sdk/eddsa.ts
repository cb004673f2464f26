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
 * `verifySignature` is still @zk-kit's, loaded through its CommonJS build: the package's ESM
 * entry imports named exports from the CommonJS `blakejs`, which Node's ESM loader refuses
 * ("Named export 'blake2bFinal' not found"), so a plain `import` fails under Node 20 and vitest.
 */
import { createRequire } from 'node:module'
import { derivePublicKeyFast, signMessageFast } from '../crypto/eddsa/signer.js'

type EddsaPoseidon = typeof import('@zk-kit/eddsa-poseidon')

const eddsa = createRequire(import.meta.url)('@zk-kit/eddsa-poseidon') as EddsaPoseidon

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

/** Verifies a signature over a field element under a public key `[x, y]`. */
export const verifySignature: EddsaPoseidon['verifySignature'] = eddsa.verifySignature
