import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createFr, MAX_DOT } from './fr.js'
import { P, R, toLimbs } from './frLayout.js'

const mod = (x: bigint) => ((x % P) + P) % P

/** Field elements, the values next to the edges of each representation, and integers of any sign and size. */
const anyInteger = fc.oneof(
  fc.bigInt({ min: 0n, max: P - 1n }),
  fc.constantFrom(0n, 1n, P - 1n, P, P + 1n, 2n * P - 1n, 2n * P, (1n << 256n) - 1n, 1n << 256n, -1n, -P, 1n << 300n),
  fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
)

describe('createFr', () => {
  const fr = createFr()

  it('agrees with BigInt arithmetic mod p on any integers', () => {
    fc.assert(
      fc.property(anyInteger, anyInteger, anyInteger, (a, b, c) => {
        expect(fr.mul(a, b)).toBe(mod(a * b))
        expect(fr.square(a)).toBe(mod(a * a))
        expect(fr.add(a, b)).toBe(mod(a + b))
        expect(fr.sub(a, b)).toBe(mod(a - b))
        expect(fr.mulAdd(a, b, c)).toBe(mod(a * b + c))
      }),
      { numRuns: 500 },
    )
  })

  it('reaches the largest values the lazy reduction allows: (p - 1)^2 and sums of 17 of them', () => {
    const top = Array.from({ length: MAX_DOT }, () => P - 1n)
    expect(fr.mul(P - 1n, P - 1n)).toBe(1n)
    expect(fr.mulAdd(P - 1n, P - 1n, P - 1n)).toBe(0n)
    expect(fr.dot(top, top)).toBe(mod(BigInt(MAX_DOT)))
    expect(fr.dotAdd(top, top, P - 1n)).toBe(mod(BigInt(MAX_DOT) - 1n))
    expect(fr.sub(0n, P - 1n)).toBe(1n)
  })

  it('sums products of up to 17 pairs (every length, so every normalization point)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyInteger, anyInteger), { minLength: 0, maxLength: MAX_DOT }), (pairs) => {
        const [a, b] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])]
        expect(fr.dot(a, b)).toBe(mod(pairs.reduce((s, [x, y]) => s + x * y, 0n)))
      }),
      { numRuns: 200 },
    )
  })

  it('adds c to a sum of products of up to 17 pairs (dotAdd)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyInteger, anyInteger), { minLength: 0, maxLength: MAX_DOT }), anyInteger, (pairs, c) => {
        const [a, b] = [pairs.map((p) => p[0]), pairs.map((p) => p[1])]
        expect(fr.dotAdd(a, b, c)).toBe(mod(pairs.reduce((s, [x, y]) => s + x * y, c)))
      }),
      { numRuns: 200 },
    )
  })

  it('refuses a dot of unequal or too long arrays', () => {
    expect(() => fr.dot([1n], [1n, 2n])).toThrow(RangeError)
    const long = Array.from({ length: MAX_DOT + 1 }, () => 1n)
    expect(() => fr.dot(long, long)).toThrow(/at most 17/)
    expect(() => fr.dotAdd(long, long, 1n)).toThrow(/at most 17/)
  })
})

describe('toLimbs', () => {
  it('splits into 29-bit limbs and refuses what does not fit', () => {
    expect(toLimbs(R - 1n).every((l) => l === (1n << 29n) - 1n)).toBe(true)
    expect(() => toLimbs(R)).toThrow(RangeError)
    expect(() => toLimbs(-1n)).toThrow(RangeError)
  })
})
