/**
 * verifyField: crypto/eddsa's verifier with the circuit's extra rule (small-order keys
 * refused); signField and publicKeyOf: crypto/eddsa's signer, equal to @zk-kit's. The agreement
 * with @zk-kit on every kind of input is in crypto/eddsa/verifier.test.ts and signer.test.ts.
 */
import { describe, expect, it } from 'vitest'
import { mulBase8, referenceVerify, torsionPoints, zkEddsa } from '../crypto/eddsa/testing.js'
import { forgetVerifiedSignatures, noteVerified, publicKeyOf, signField, verifyField } from './eddsa.js'

describe('verifyField', () => {
  const privateKey = new Uint8Array(32).fill(7)
  const publicKey = publicKeyOf(privateKey)
  const signature = signField(privateKey, 1234n)

  it('accepts what @zk-kit signs, under that key and message only', () => {
    expect(verifyField(1234n, signature, publicKey)).toBe(true)
    expect(verifyField(1235n, signature, publicKey)).toBe(false)
    expect(verifyField(1234n, signature, publicKeyOf(new Uint8Array(32).fill(8)))).toBe(false)
    expect(verifyField(1234n, { ...signature, S: -signature.S }, publicKey)).toBe(false)
  })

  it('refuses small-order public keys, which @zk-kit accepts but the circuit refuses', () => {
    const S = 99n
    const forged = { R8: mulBase8(S), S }
    for (const key of Object.values(torsionPoints())) {
      expect(referenceVerify(5n, forged, key)).toBe(true)
      expect(verifyField(5n, forged, key)).toBe(false)
    }
  })

  it('signField and publicKeyOf give what @zk-kit gives', () => {
    const { R8, S } = zkEddsa.signMessage(privateKey, 1234n)
    expect(signature).toEqual({ R8: { x: R8[0], y: R8[1] }, S })
    const [x, y] = zkEddsa.derivePublicKey(privateKey)
    expect(publicKey).toEqual({ x, y })
  })
})

describe('noteVerified', () => {
  it('records exactly the triple a verifier elsewhere accepted: the next verifyField of it is a lookup, any other triple is verified', () => {
    const privateKey = new Uint8Array(32).fill(11)
    const publicKey = publicKeyOf(privateKey)
    const signature = signField(privateKey, 77n)
    // A triple the verifier refuses shows the lookup: only a pool success may ever be noted.
    const wrongMessage = 78n
    expect(verifyField(wrongMessage, signature, publicKey)).toBe(false)
    noteVerified(wrongMessage, signature, publicKey)
    expect(verifyField(wrongMessage, signature, publicKey)).toBe(true)
    expect(verifyField(79n, signature, publicKey)).toBe(false)
    expect(verifyField(wrongMessage, { ...signature, S: signature.S + 1n }, publicKey)).toBe(false)
  })

  it('a signature object changed after it verified is verified again, not taken from the cache', () => {
    const privateKey = new Uint8Array(32).fill(12)
    const publicKey = publicKeyOf(privateKey)
    const signature = { ...signField(privateKey, 5n) }
    expect(verifyField(5n, signature, publicKey)).toBe(true)
    ;(signature as { S: bigint }).S = signature.S + 1n
    expect(verifyField(5n, signature, publicKey)).toBe(false)
    expect(verifyField(6n, signField(privateKey, 5n), publicKey)).toBe(false)
  })

  it('ignores malformed input', () => {
    expect(() => noteVerified(1n, { R8: { x: 1n, y: 2n } } as never, { x: 1n, y: 2n })).not.toThrow()
  })

  it('is forgotten by forgetVerifiedSignatures, as in a fresh process', () => {
    const privateKey = new Uint8Array(32).fill(13)
    const publicKey = publicKeyOf(privateKey)
    const signature = signField(privateKey, 90n)
    noteVerified(91n, signature, publicKey)
    // Another object with the same values: found by value while remembered, verified (and refused) after.
    expect(verifyField(91n, { ...signature }, publicKey)).toBe(true)
    forgetVerifiedSignatures()
    expect(verifyField(91n, { ...signature }, publicKey)).toBe(false)
    expect(verifyField(90n, { ...signature }, publicKey)).toBe(true)
  })
})
