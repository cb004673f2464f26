/**
 * The SDK's verifySignature (used by verifyOrder, the sequencer's cancel-all and stream
 * authorizations): @zk-kit's API, crypto/eddsa's verifier, the circuit's accept set.
 */
import { describe, expect, it } from 'vitest'
import { mulBase8, referenceVerify, torsionPoints } from '../crypto/eddsa/testing.js'
import { derivePublicKey, signMessage, verifySignature } from './eddsa.js'

describe('verifySignature', () => {
  const privateKey = new Uint8Array(32).fill(3)
  const publicKey = derivePublicKey(privateKey)
  const signature = signMessage(privateKey, 42n)

  it('accepts a signature under its key and message only, whatever number form @zk-kit allows', () => {
    expect(verifySignature(42n, signature, publicKey)).toBe(true)
    expect(verifySignature('42', signature, publicKey)).toBe(true)
    expect(verifySignature(43n, signature, publicKey)).toBe(false)
    expect(verifySignature(42n, { ...signature, S: BigInt(signature.S) + 1n }, publicKey)).toBe(false)
    expect(verifySignature(42n, signature, derivePublicKey(new Uint8Array(32).fill(4)))).toBe(false)
  })

  it('answers false for malformed input instead of throwing', () => {
    expect(verifySignature('not a number', signature, publicKey)).toBe(false)
    expect(verifySignature(42n, { R8: [1n, 2n], S: signature.S }, publicKey)).toBe(false)
    expect(verifySignature(42n, signature, [0n, 0n])).toBe(false)
  })

  it('refuses forgeries under small-order keys, which @zk-kit accepts and the circuit refuses', () => {
    const S = 77n
    const forged = { R8: mulBase8(S), S }
    for (const key of Object.values(torsionPoints())) {
      expect(referenceVerify(9n, forged, key)).toBe(true)
      expect(verifySignature(9n, { R8: [forged.R8.x, forged.R8.y], S }, [key.x, key.y])).toBe(false)
    }
  })
})
