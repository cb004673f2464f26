/** Fast EdDSA-Poseidon (BabyJubJub) signing and verification; see docs/signatures.md. */
export { EddsaPoseidonVerifier, verifyEddsaPoseidon, type AffinePoint, type EddsaSignature, type VerifierOptions, type VerifierStats } from './verifier.js'
export { derivePublicKeyFast, EddsaPoseidonSigner, messageToBigInt, signMessageFast, type MessageInput, type PrivateKey } from './signer.js'
export { EddsaPoolError, EddsaVerifierPool, type VerifierPoolOptions, type VerifyItem } from './pool.js'
export { EddsaError } from './errors.js'
