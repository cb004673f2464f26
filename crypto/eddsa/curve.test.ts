/** Constants, recoding and the group law against @zk-kit/baby-jubjub (the reference's curve code). */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { A_COEFF, BASE8, D_COEFF, isOnCurve, K2D, SQRT_NEG_A, SUBGROUP_ORDER } from './curve.js'
import { batchInvert, invert, mod, P } from './field.js'
import { LruCache } from './lruCache.js'
import { addPoints, mulBase8, mulPoint, zkBabyJub } from './testing.js'
import { signedWindows, windowCount } from './windows.js'

describe('curve constants', () => {
  it('match @zk-kit/baby-jubjub and the a = -1 isomorphism', () => {
    expect(SUBGROUP_ORDER).toBe(zkBabyJub.subOrder)
    expect([BASE8.x, BASE8.y]).toEqual(zkBabyJub.Base8)
    expect(P).toBe(zkBabyJub.r)
    expect(mod(SQRT_NEG_A * SQRT_NEG_A)).toBe(mod(-A_COEFF))
    expect(K2D).toBe(mod(-2n * D_COEFF * invert(A_COEFF)))
    expect(isOnCurve(BASE8.x, BASE8.y)).toBe(true)
    expect(isOnCurve(BASE8.x, BASE8.y + 1n)).toBe(false)
  })
})

describe('field', () => {
  it('inverts, one at a time and in batches; refuses 0', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: P - 1n }), { minLength: 1, maxLength: 8 }), (values) => {
        const inverses = batchInvert(values)
        values.forEach((v, i) => expect(mod(v * inverses[i]!)).toBe(1n))
        expect(mod(values[0]! * invert(values[0]!))).toBe(1n)
      }),
    )
    expect(() => invert(P)).toThrow(/no inverse/)
  })
})

describe('signedWindows', () => {
  it('recodes every scalar below 2^251 exactly, digits within [-2^(w-1), 2^(w-1))', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 251n - 1n }), fc.integer({ min: 2, max: 8 }), (k, w) => {
        const count = windowCount(251, w)
        const digits = signedWindows(k, w, count)
        let sum = 0n
        digits.forEach((d, i) => {
          expect(d).toBeGreaterThanOrEqual(-(1 << (w - 1)))
          expect(d).toBeLessThan(1 << (w - 1))
          sum += BigInt(d) << BigInt(w * i)
        })
        expect(sum).toBe(k)
      }),
    )
  })

  it('refuses scalars that do not fit', () => {
    expect(() => signedWindows(-1n, 4, 64)).toThrow(/does not fit/)
    expect(() => signedWindows(2n ** 254n, 4, 64)).toThrow(/does not fit/)
  })
})

describe('group law', () => {
  it('addition agrees with @zk-kit addPoint (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: SUBGROUP_ORDER - 1n }), fc.bigInt({ min: 0n, max: SUBGROUP_ORDER - 1n }), (a, b) => {
        const p = mulBase8(a)
        const q = mulBase8(b)
        const [x, y] = zkBabyJub.addPoint([p.x, p.y], [q.x, q.y])
        expect(addPoints(p, q)).toEqual({ x, y })
        expect(addPoints(p, p)).toEqual(mulBase8((2n * a) % SUBGROUP_ORDER))
      }),
      { numRuns: 20 },
    )
  })

  it('fixed-base and variable-base multiplication agree with @zk-kit mulPointEscalar', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: SUBGROUP_ORDER - 1n }), (k) => {
        const [x, y] = zkBabyJub.mulPointEscalar(zkBabyJub.Base8, k)
        expect(mulBase8(k)).toEqual({ x, y })
        expect(mulPoint(BASE8, k)).toEqual({ x, y })
      }),
      { numRuns: 3 },
    )
    expect(mulBase8(SUBGROUP_ORDER)).toEqual({ x: 0n, y: 1n })
  })
})

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1) // a is now the most recent
    cache.set('c', 3) // evicts b
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')).toBe(1)
    expect(cache.get('c')).toBe(3)
    expect(cache.size).toBe(2)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(() => new LruCache(0)).toThrow(/capacity/)
  })
})
