import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as lite from 'poseidon-lite'
import { buildPoseidon } from 'circomlibjs'
import { poseidon } from './poseidon.js'
import { poseidonConstants } from './constants.js'
import { P } from '../field/frLayout.js'

type Hash = (inputs: bigint[]) => bigint
const liteByArity = (n: number) => (lite as unknown as Record<string, Hash>)[`poseidon${n}`]!

/** Field elements, edge values, and integers of any sign and size (taken mod p by both sides). */
const anyInteger = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: P - 1n }) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, P - 1n, P, P + 1n, (1n << 256n) - 1n, 1n << 256n, -1n, -P, 1n << 300n) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }) },
)

describe('poseidon', () => {
  for (let n = 1; n <= 16; n++) {
    it(`equals poseidon-lite's poseidon${n} on random inputs`, () => {
      fc.assert(
        fc.property(fc.array(anyInteger, { minLength: n, maxLength: n }), (inputs) => {
          expect(poseidon(inputs)).toBe(liteByArity(n)([...inputs]))
        }),
        { numRuns: n <= 4 ? 40 : 12 },
      )
    })
  }

  it('equals poseidon-lite on all-zero and all-(p - 1) inputs of every arity', () => {
    for (let n = 1; n <= 16; n++) {
      for (const v of [0n, P - 1n]) {
        const inputs = Array.from({ length: n }, () => v)
        expect(poseidon(inputs)).toBe(liteByArity(n)([...inputs]))
      }
    }
  })

  it('equals circomlibjs (buildPoseidon) on a few inputs', async () => {
    const reference = await buildPoseidon()
    const samples = fc.sample(fc.array(fc.bigInt({ min: 0n, max: P - 1n }), { minLength: 1, maxLength: 16 }), { numRuns: 24, seed: 7 })
    for (const inputs of [...samples, [1n, 2n]]) {
      expect(poseidon(inputs)).toBe(reference.F.toObject(reference(inputs)) as bigint)
    }
  })

  it('matches the published test vector Poseidon([1, 2])', () => {
    expect(poseidon([1n, 2n])).toBe(7853200120776062878684798364095072458815029376092732009249414926327459813530n)
  })

  it('takes every input mod p: p + x hashes as x, -1 as p - 1', () => {
    expect(poseidon([P + 5n, 7n])).toBe(poseidon([5n, 7n]))
    expect(poseidon([-1n])).toBe(poseidon([P - 1n]))
    expect(poseidon([(1n << 300n) + 3n])).toBe(poseidon([((1n << 300n) + 3n) % P]))
  })

  it('refuses 0 or more than 16 inputs, as poseidon-lite does', () => {
    expect(() => poseidon([])).toThrow(RangeError)
    expect(() => poseidon(Array.from({ length: 17 }, () => 1n))).toThrow(/arity 17 is not supported/)
    expect(() => liteByArity(1)([])).toThrow()
  })
})

describe('poseidonConstants', () => {
  it('reads circomlib\'s round numbers from the constants themselves', () => {
    expect(poseidonConstants(3)).toMatchObject({ t: 3, roundsF: 8, roundsP: 57 })
    expect(poseidonConstants(17)).toMatchObject({ t: 17, roundsF: 8, roundsP: 68 })
    expect(poseidonConstants(5).S).toHaveLength(9 * 60)
  })

  it('refuses a width without constants', () => {
    expect(() => poseidonConstants(1)).toThrow(RangeError)
    expect(() => poseidonConstants(18)).toThrow(RangeError)
  })
})
