/**
 * The fast verifier against the reference (@zk-kit/eddsa-poseidon's verifySignature, and
 * circomlibjs's verifyPoseidon on a sample): random keys and messages, valid signatures and
 * every kind of invalid one. The reference takes ~0.1 s per full verification, so the
 * properties run few times each; every case is checked by a cold-key verifier (windowed
 * Horner) and a warm one (per-key table), which must both agree.
 */
import { buildEddsa } from 'circomlibjs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BASE8, SUBGROUP_ORDER } from './curve.js'
import { P } from './field.js'
import { addPoints, mulBase8, referenceVerify, signAs, torsionPoints, zkEddsa } from './testing.js'
import { EddsaPoseidonVerifier, verifyEddsaPoseidon, type AffinePoint, type EddsaSignature } from './verifier.js'

const cold = new EddsaPoseidonVerifier({ tableAfterUses: Number.MAX_SAFE_INTEGER })
const warm = new EddsaPoseidonVerifier({ tableAfterUses: 1, keyCacheSize: 4 })
const torsion = torsionPoints()

/** Both of our verifiers (and the default one) agree with each other; returns their answer. */
function ours(message: bigint, signature: EddsaSignature, publicKey: AffinePoint): boolean {
  const c = cold.verify(message, signature, publicKey)
  expect(warm.verify(message, signature, publicKey)).toBe(c)
  expect(verifyEddsaPoseidon(message, signature, publicKey)).toBe(c)
  return c
}

type Case = { readonly message: bigint; readonly signature: EddsaSignature; readonly publicKey: AffinePoint }

const secretArb = fc.bigInt({ min: 1n, max: SUBGROUP_ORDER - 1n })
const nonceArb = fc.bigInt({ min: 1n, max: SUBGROUP_ORDER - 1n })
// Messages up to 2^256 - 1: field elements and values >= P (both sides take them mod P).
const messageArb = fc.oneof(fc.bigInt({ min: 0n, max: P - 1n }), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }))

/** A valid signature under a random key, from the fast signer (the reference judges it). */
function signed(secret: bigint, nonce: bigint, message: bigint): Case {
  const publicKey = mulBase8(secret)
  return { message, signature: signAs(secret, publicKey, nonce, message), publicKey }
}

const notOnCurve = (p: AffinePoint): AffinePoint => ({ x: p.x, y: (p.y + 1n) % P })

/** Each tampering, with what the reference must answer (checked, so no case is vacuous). */
const TAMPERINGS: readonly { readonly name: string; readonly expected: boolean; readonly tamper: (c: Case, secret: bigint) => Case }[] = [
  { name: 'none (valid)', expected: true, tamper: (c) => c },
  { name: 'message + 1', expected: false, tamper: (c) => ({ ...c, message: c.message + 1n }) },
  { name: 'another key', expected: false, tamper: (c, secret) => ({ ...c, publicKey: mulBase8((secret % (SUBGROUP_ORDER - 1n)) + 1n) }) },
  { name: 'S + 1 mod l', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, S: (c.signature.S + 1n) % SUBGROUP_ORDER } }) },
  { name: 'S + l (>= l)', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, S: c.signature.S + SUBGROUP_ORDER } }) },
  { name: 'S = l', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, S: SUBGROUP_ORDER } }) },
  { name: 'R8 + B8', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, R8: addPoints(c.signature.R8, BASE8) } }) },
  { name: 'R8 + order-2 point', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, R8: addPoints(c.signature.R8, torsion.order2) } }) },
  { name: 'R8 + order-8 point', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, R8: addPoints(c.signature.R8, torsion.order8) } }) },
  { name: 'R8 off the curve', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, R8: notOnCurve(c.signature.R8) } }) },
  { name: 'A off the curve', expected: false, tamper: (c) => ({ ...c, publicKey: notOnCurve(c.publicKey) }) },
  { name: 'A = (0, 0), off the curve', expected: false, tamper: (c) => ({ ...c, publicKey: { x: 0n, y: 0n } }) },
  {
    name: 'coordinates and message + k*P (not reduced)',
    expected: true,
    tamper: (c) => ({
      message: c.message + P,
      signature: { R8: { x: c.signature.R8.x + P, y: c.signature.R8.y + 2n * P }, S: c.signature.S },
      publicKey: { x: c.publicKey.x + 3n * P, y: c.publicKey.y + P },
    }),
  },
  { name: 'R8 swapped with A', expected: false, tamper: (c) => ({ ...c, signature: { ...c.signature, R8: c.publicKey }, publicKey: c.signature.R8 }) },
]

describe('EddsaPoseidonVerifier agrees with @zk-kit/eddsa-poseidon', () => {
  for (const { name, expected, tamper } of TAMPERINGS) {
    it(`tampering: ${name} (property)`, () => {
      fc.assert(
        fc.property(secretArb, nonceArb, messageArb, (secret, nonce, message) => {
          const c = tamper(signed(secret, nonce, message), secret)
          const reference = referenceVerify(c.message, c.signature, c.publicKey)
          expect(reference).toBe(expected)
          expect(ours(c.message, c.signature, c.publicKey)).toBe(reference)
        }),
        { numRuns: 2 },
      )
    })
  }

  it('signatures made by @zk-kit signMessage under random private keys (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), messageArb, (privateKey, message) => {
        const [x, y] = zkEddsa.derivePublicKey(privateKey)
        const { R8, S } = zkEddsa.signMessage(privateKey, message)
        const signature = { R8: { x: R8[0], y: R8[1] }, S }
        expect(referenceVerify(message, signature, { x, y })).toBe(true)
        expect(ours(message, signature, { x, y })).toBe(true)
        expect(ours(message + 1n, signature, { x, y })).toBe(false)
      }),
      { numRuns: 2 },
    )
  })

  it('keys with a torsion component: accepted when signed for that exact key, refused otherwise', () => {
    fc.assert(
      fc.property(secretArb, nonceArb, messageArb, (secret, nonce, message) => {
        const base = mulBase8(secret)
        const publicKey = addPoints(base, torsion.order8)
        const signature = signAs(secret, publicKey, nonce, message)
        expect(referenceVerify(message, signature, publicKey)).toBe(true)
        expect(ours(message, signature, publicKey)).toBe(true)
        // The same signature under the torsion-free key hashes another A.
        expect(referenceVerify(message, signature, base)).toBe(false)
        expect(ours(message, signature, base)).toBe(false)
      }),
      { numRuns: 1 },
    )
  })

  it('small-order keys: the reference accepts R8 = [S]B8 for any message; rejectSmallOrderKeys refuses', () => {
    const circuitLike = new EddsaPoseidonVerifier({ rejectSmallOrderKeys: true })
    for (const [name, publicKey] of Object.entries(torsion)) {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: SUBGROUP_ORDER - 1n }), messageArb, (S, message) => {
          const signature = { R8: mulBase8(S), S }
          expect(referenceVerify(message, signature, publicKey), name).toBe(true)
          expect(ours(message, signature, publicKey), name).toBe(true)
          expect(circuitLike.verify(message, signature, publicKey), name).toBe(false)
        }),
        { numRuns: 1 },
      )
    }
  })

  it('refuses negative values, where the reference never returns (its double-and-add loops on a negative scalar)', () => {
    const c = signed(12345n, 678n, 9n)
    const { R8, S } = c.signature
    const cases: Case[] = [
      { ...c, signature: { R8, S: -1n } },
      { ...c, signature: { R8, S: S - SUBGROUP_ORDER } },
      { ...c, message: c.message - P },
      { ...c, signature: { R8: { x: R8.x - P, y: R8.y }, S } },
      { ...c, signature: { R8: { x: R8.x, y: R8.y - P }, S } },
      { ...c, publicKey: { x: c.publicKey.x - P, y: c.publicKey.y } },
      { ...c, publicKey: { x: c.publicKey.x, y: c.publicKey.y - P } },
    ]
    expect(ours(c.message, c.signature, c.publicKey)).toBe(true)
    for (const bad of cases) expect(ours(bad.message, bad.signature, bad.publicKey)).toBe(false)
  })

  it('refuses malformed shapes instead of throwing', () => {
    const c = signed(5n, 7n, 11n)
    const shapes: unknown[][] = [
      [Number(c.message), c.signature, c.publicKey],
      [c.message, { R8: c.signature.R8 }, c.publicKey],
      [c.message, { S: c.signature.S }, c.publicKey],
      [c.message, null, c.publicKey],
      [c.message, c.signature, null],
      [c.message, c.signature, { x: c.publicKey.x }],
      [c.message, { R8: { x: String(c.signature.R8.x), y: c.signature.R8.y }, S: c.signature.S }, c.publicKey],
    ]
    for (const [m, s, a] of shapes) expect(cold.verify(m as bigint, s as EddsaSignature, a as AffinePoint)).toBe(false)
  })
})

describe('EddsaPoseidonVerifier agrees with circomlibjs verifyPoseidon (sample)', () => {
  it('valid, wrong message, R8 + torsion, small-order key', async () => {
    const eddsa = await buildEddsa()
    const F = eddsa.F
    const circomlib = (c: Case) =>
      eddsa.verifyPoseidon(F.e(c.message), { R8: [F.e(c.signature.R8.x), F.e(c.signature.R8.y)], S: c.signature.S }, [F.e(c.publicKey.x), F.e(c.publicKey.y)]) as boolean
    const c = signed(987654321n, 123456789n, 42n)
    const S = 31337n
    const cases: readonly [Case, boolean][] = [
      [c, true],
      [{ ...c, message: 43n }, false],
      [{ ...c, signature: { ...c.signature, R8: addPoints(c.signature.R8, torsion.order4) } }, false],
      [{ message: 5n, signature: { R8: mulBase8(S), S }, publicKey: torsion.order8 }, true],
    ]
    for (const [k, expected] of cases) {
      expect(circomlib(k)).toBe(expected)
      expect(ours(k.message, k.signature, k.publicKey)).toBe(expected)
    }
  })
})

describe('EddsaPoseidonVerifier key cache', () => {
  it('builds a table on the configured use, evicts least recently used keys, and still agrees', () => {
    const v = new EddsaPoseidonVerifier({ keyCacheSize: 2, tableAfterUses: 2 })
    const cases = [1n, 2n, 3n].map((k) => signed(k * 1000n, k, k))
    const check = (c: Case) => expect(v.verify(c.message, c.signature, c.publicKey)).toBe(true)
    check(cases[0]!)
    expect(v.stats).toMatchObject({ tablesBuilt: 0, coldMultiplications: 1 })
    check(cases[0]!)
    expect(v.stats).toMatchObject({ tablesBuilt: 1, coldMultiplications: 1 })
    check(cases[1]!)
    check(cases[2]!) // evicts key 0
    check(cases[0]!) // cold again: its use count starts over
    expect(v.stats).toMatchObject({ tablesBuilt: 1, coldMultiplications: 4 })
    check(cases[0]!)
    expect(v.stats).toMatchObject({ tablesBuilt: 2, coldMultiplications: 4 })
    expect(v.verify(cases[1]!.message, cases[0]!.signature, cases[0]!.publicKey)).toBe(false)
  })

  it('rejects impossible options', () => {
    expect(() => new EddsaPoseidonVerifier({ keyWindowBits: 1 })).toThrow(/keyWindowBits/)
    expect(() => new EddsaPoseidonVerifier({ keyWindowBits: 9 })).toThrow(/keyWindowBits/)
    expect(() => new EddsaPoseidonVerifier({ tableAfterUses: 0 })).toThrow(/tableAfterUses/)
    expect(() => new EddsaPoseidonVerifier({ keyCacheSize: 0 })).toThrow(/capacity/)
  })
})
