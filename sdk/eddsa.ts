/**
 * EdDSA-Poseidon on BabyJubJub (circomlib's `EdDSAPoseidonVerifier`), from
 * `@zk-kit/eddsa-poseidon`.
 *
 * Loaded through its CommonJS build: the package's ESM entry imports named exports from the
 * CommonJS `blakejs`, which Node's ESM loader refuses ("Named export 'blake2bFinal' not
 * found"), so a plain `import` fails under Node 20 and vitest. The default build (Blake-512
 * key expansion) is the one that matches circomlib; sdk tests check it against circomlibjs.
 */
import { createRequire } from 'node:module'

type EddsaPoseidon = typeof import('@zk-kit/eddsa-poseidon')

const eddsa = createRequire(import.meta.url)('@zk-kit/eddsa-poseidon') as EddsaPoseidon

/** BabyJubJub public key `[x, y]` of a 32-byte private key. */
export const derivePublicKey: EddsaPoseidon['derivePublicKey'] = eddsa.derivePublicKey
/** Signs a field element: `{ R8: [x, y], S }`. */
export const signMessage: EddsaPoseidon['signMessage'] = eddsa.signMessage
/** Verifies a signature over a field element under a public key `[x, y]`. */
export const verifySignature: EddsaPoseidon['verifySignature'] = eddsa.verifySignature
