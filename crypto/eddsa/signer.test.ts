/**
 * The fast signer against @zk-kit/eddsa-poseidon: identical signatures and public keys for
 * random private keys (bytes and strings of any length, so BLAKE-512's padding cases) and
 * messages (every type @zk-kit converts). @zk-kit signs ~5 times a second, so the properties
 * that call its signMessage run few times; BLAKE-512 is also checked at every length across
 * two blocks through @zk-kit's cheap `deriveSecretScalar`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { blake512 } from './blake512.js'
import { SUBGROUP_ORDER } from './curve.js'
import { EddsaError } from './errors.js'
import { derivePublicKeyFast, EddsaPoseidonSigner, messageToBigInt, signMessageFast, type MessageInput } from './signer.js'
import { zkEddsa } from './testing.js'
import { verifyEddsaPoseidon } from './verifier.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** @zk-kit's result in our shape. */
function reference(privateKey: Uint8Array | string, message: MessageInput) {
  const { R8, S } = zkEddsa.signMessage(privateKey, message)
  return { R8: { x: R8[0], y: R8[1] }, S }
}

const keyArb = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.string({ maxLength: 80 }))
const messageArb = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n }))

describe('blake512', () => {
  it('matches the published digest of the empty message', () => {
    expect(hex(blake512(new Uint8Array(0)))).toBe(
      'a8cfbbd73726062df0c6864dda65defe58ef0cc52a5625090fa17601e1eecd1b628e94f396ae402a00acc9eab77b4d4c2e852aaaa25a636d80af3fc7913ef5b8',
    )
  })

  it("agrees with @zk-kit's BLAKE-512 (through deriveSecretScalar) at every length up to 300 bytes", () => {
    for (let length = 0; length <= 300; length++) {
      const key = Uint8Array.from({ length }, (_, i) => (i * 131 + length * 7) & 0xff)
      const digest = blake512(key).slice(0, 32)
      digest[0]! &= 0xf8
      digest[31]! &= 0x7f
      digest[31]! |= 0x40
      const s = BigInt(`0x${hex(digest.reverse())}`)
      expect((s >> 3n) % SUBGROUP_ORDER, `length ${length}`).toBe(zkEddsa.deriveSecretScalar(key))
    }
  })
})

describe('signMessageFast and derivePublicKeyFast agree with @zk-kit', () => {
  it('random keys and messages (property)', () => {
    fc.assert(
      fc.property(keyArb, messageArb, (privateKey, message) => {
        const signature = signMessageFast(privateKey, message)
        expect(signature).toEqual(reference(privateKey, message))
        const [x, y] = zkEddsa.derivePublicKey(privateKey)
        expect(derivePublicKeyFast(privateKey)).toEqual({ x, y })
        expect(verifyEddsaPoseidon(message, signature, { x, y })).toBe(true)
      }),
      { numRuns: 12 },
    )
  })

  it('a signer object signs many messages as @zk-kit does', () => {
    const privateKey = new Uint8Array(32).fill(42)
    const signer = new EddsaPoseidonSigner(privateKey)
    const [x, y] = zkEddsa.derivePublicKey(privateKey)
    expect(signer.publicKey).toEqual({ x, y })
    for (const message of [0n, 1n, SUBGROUP_ORDER, 2n ** 256n - 1n]) expect(signer.sign(message)).toEqual(reference(privateKey, message))
  })

  it('converts every message type as @zk-kit does', () => {
    const privateKey = 'a passphrase'
    const inputs: MessageInput[] = [42, '42', '0x2a', ' 42 ', '', Uint8Array.of(1, 2, 3), 'not a number']
    for (const message of inputs) expect(signMessageFast(privateKey, message), String(message)).toEqual(reference(privateKey, message))
  })
})

describe('refusals', () => {
  it('refuses messages outside [0, 2^256) and keys of other types, with EddsaError', () => {
    expect(() => messageToBigInt(-1n)).toThrow(EddsaError)
    expect(() => messageToBigInt(2n ** 256n)).toThrow(/outside \[0, 2\^256\)/)
    expect(() => zkEddsa.signMessage(new Uint8Array(32), 2n ** 256n)).toThrow() // @zk-kit cannot either
    expect(() => messageToBigInt({} as unknown as bigint)).toThrow(EddsaError)
    expect(() => signMessageFast(12 as unknown as string, 1n)).toThrow(/private key/)
    expect(() => new EddsaPoseidonSigner(null as unknown as string)).toThrow(EddsaError)
  })

  it('throws where @zk-kit throws on unconvertible messages', () => {
    expect(() => messageToBigInt(1.5)).toThrow(RangeError)
    expect(() => zkEddsa.signMessage(new Uint8Array(32), 1.5)).toThrow(RangeError)
    expect(() => messageToBigInt(new Uint8Array(0))).toThrow(SyntaxError)
  })
})
