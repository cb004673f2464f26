import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as lite from 'poseidon-lite'
import { buildPoseidon } from 'circomlibjs'
import { poseidon, poseidonBackend, poseidonWasm } from './poseidon.js'
import { poseidonConstants } from './constants.js'
import { blockSize, partialRoundConstants } from './permutationCode.js'
import { P } from '../field/frLayout.js'

type Hash = (inputs: bigint[]) => bigint
const liteByArity = (n: number) => (lite as unknown as Record<string, Hash>)[`poseidon${n}`]!

/** Field elements, edge values, and integers of any sign and size (taken mod p by both sides). */
const anyInteger = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: P - 1n }) },
  { weight: 2, arbitrary: fc.constantFrom(0n, 1n, P - 1n, P, P + 1n, (1n << 256n) - 1n, 1n << 256n, -1n, -P, 1n << 300n) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }) },
)

// Every agreement test runs on both permutations: the native addon (what `poseidon` uses where
// it is built, as on CI) and the wasm one (its fallback).
const backends: readonly (readonly [string, Hash])[] = [
  [`poseidon (${poseidonBackend()})`, poseidon],
  ['poseidonWasm', poseidonWasm],
]

describe.each(backends)('%s', (_, poseidon) => {
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

describe('partialRoundConstants', () => {
  const mod = (x: bigint) => ((x % P) + P) % P
  const pow5 = (x: bigint) => mod(x * x % P * x % P * x % P * x)

  /** circomlibjs's partial rounds in BigInt, one sparse matrix per round. */
  function plainRounds(t: number, S: readonly bigint[], roundsP: number, c: readonly bigint[], state: readonly bigint[]): bigint[] {
    let [x, y] = [state[0]!, state.slice(1)]
    for (let r = 0; r < roundsP; r++) {
      const row = S.slice(r * (2 * t - 1), (r + 1) * (2 * t - 1))
      const xs = mod(pow5(x) + c[r]!)
      x = mod(row[0]! * xs + y.reduce((sum, v, m) => sum + row[m + 1]! * v, 0n))
      y = y.map((v, m) => mod(v + xs * row[t + m]!))
    }
    return [x, ...y]
  }

  /** The same rounds as permute<t> runs them: blocks, then single rounds, reading the merged constants. */
  function mergedRounds(t: number, K: readonly bigint[], roundsP: number, c: readonly bigint[], state: readonly bigint[]): bigint[] {
    let [x, y] = [state[0]!, state.slice(1)]
    let [at, r] = [0, 0]
    const take = (n: number) => K.slice(at, (at += n))
    const block = (k: number) => {
      const xs: bigint[] = []
      for (let j = 0; j < k; j++) {
        xs.unshift(mod(pow5(x) + c[r++]!))
        const row = take(t + j)
        x = mod([...xs, ...y].reduce((sum, v, i) => sum + v * row[i]!, 0n))
      }
      y = y.map((v) => mod(take(k).reduce((sum, s, i) => sum + s * xs[i]!, v)))
    }
    for (let b = 0; b < Math.floor(roundsP / blockSize(t)); b++) block(blockSize(t))
    while (r < roundsP) block(1)
    expect(at).toBe(K.length)
    return [x, ...y]
  }

  for (const t of [3, 5, 6, 9, 16, 17]) {
    it(`merged blocks of ${blockSize(t)} give circomlibjs's partial rounds for t = ${t}`, () => {
      const { S, roundsP } = poseidonConstants(t)
      const K = partialRoundConstants(t, roundsP, S, P)
      const [state, c] = fc.sample(fc.array(fc.bigInt({ min: 0n, max: P - 1n }), { minLength: t + roundsP, maxLength: t + roundsP }), { numRuns: 1, seed: t })[0]!.reduce<[bigint[], bigint[]]>(
        ([s, cs], v, i) => (i < t ? [[...s, v], cs] : [s, [...cs, v]]),
        [[], []],
      )
      expect(mergedRounds(t, K, roundsP, c, state)).toEqual(plainRounds(t, S, roundsP, c, state))
      if (blockSize(t) === 1) expect(K).toEqual(S)
    })
  }

  it('keeps every dot of a block within 17 products', () => {
    for (let t = 2; t <= 17; t++) expect(t + blockSize(t) - 1).toBeLessThanOrEqual(17)
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
