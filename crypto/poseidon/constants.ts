/**
 * circomlib's Poseidon constants in their optimized form (round constants C, sparse matrices S,
 * MDS matrix M, pre-sparse matrix P), as circomlibjs ships them for its `buildPoseidonOpt` and
 * as circomlib's `poseidon.circom` uses them. They are read from the installed circomlibjs at
 * first use, never restated here; the agreement tests (./poseidon.test.ts) check the result
 * against poseidon-lite's plain constants and circomlibjs's own hash.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The constants of one state width t = inputs + 1. */
export type PoseidonConstants = {
  readonly t: number
  /** Full rounds (half before, half after the partial ones). */
  readonly roundsF: number
  readonly roundsP: number
  /** t * roundsF + roundsP round constants, in the order the optimized permutation adds them. */
  readonly C: readonly bigint[]
  /** (2t - 1) * roundsP entries: per partial round, t for the new first element, t - 1 for the others. */
  readonly S: readonly bigint[]
  /** M[j][i]: the MDS matrix as circomlibjs indexes it (output i sums M[j][i] * state[j]). */
  readonly M: readonly (readonly bigint[])[]
  /** P[j][i]: the matrix of the last full round before the partial rounds. */
  readonly P: readonly (readonly bigint[])[]
}

/** Thrown when the installed circomlibjs constants are missing or not shaped as expected. */
export class PoseidonConstantsError extends Error {
  override readonly name = 'PoseidonConstantsError'
}

/** Widths the constants cover: 1 to 16 inputs. */
export const MIN_T = 2
export const MAX_T = 17

type RawConstants = { C: string[][]; S: string[][]; M: string[][][]; P: string[][][] }

let raw: RawConstants | undefined

function rawConstants(): RawConstants {
  if (raw) return raw
  const require = createRequire(import.meta.url)
  // circomlibjs's package exports hide src/; its CommonJS entry sits in build/, beside src/.
  const file = join(dirname(require.resolve('circomlibjs')), '..', 'src', 'poseidon_constants_opt.json')
  try {
    raw = require(file) as RawConstants
  } catch (error) {
    throw new PoseidonConstantsError(`cannot read circomlibjs's optimized Poseidon constants at ${file}`, { cause: error })
  }
  return raw
}

const cache = new Map<number, PoseidonConstants>()

/** The optimized constants for width `t` (2..17), parsed once. */
export function poseidonConstants(t: number): PoseidonConstants {
  const cached = cache.get(t)
  if (cached) return cached
  if (!Number.isInteger(t) || t < MIN_T || t > MAX_T) throw new RangeError(`Poseidon width ${t} outside [${MIN_T}, ${MAX_T}]`)
  const all = rawConstants()
  const [c, s, m, p] = [all.C[t - 2], all.S[t - 2], all.M[t - 2], all.P[t - 2]]
  if (!c || !s || !m || !p) throw new PoseidonConstantsError(`circomlibjs has no Poseidon constants for t = ${t}`)
  const roundsP = s.length / (2 * t - 1)
  const roundsF = (c.length - roundsP) / t
  const square = (x: string[][]) => x.length === t && x.every((row) => row.length === t)
  if (!Number.isInteger(roundsP) || !Number.isInteger(roundsF) || roundsF % 2 !== 0 || roundsF < 2 || !square(m) || !square(p)) {
    throw new PoseidonConstantsError(`circomlibjs's Poseidon constants for t = ${t} are not shaped as expected`)
  }
  const constants: PoseidonConstants = {
    t,
    roundsF,
    roundsP,
    C: c.map((x) => BigInt(x)),
    S: s.map((x) => BigInt(x)),
    M: m.map((row) => row.map((x) => BigInt(x))),
    P: p.map((row) => row.map((x) => BigInt(x))),
  }
  cache.set(t, constants)
  return constants
}
