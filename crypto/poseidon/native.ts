/**
 * The native Poseidon (native/poseidon.c, a Node-API addon built by `npm install` or
 * `npm run build:native` into build/native/poseidon.node): the same permutation as the wasm
 * one on 64-bit limbs, and what `poseidon` uses wherever the addon loads.
 *
 * The addon keeps no constants: this module hands it the modulus, its Montgomery constants and
 * each width's constants (from circomlibjs, ./constants.ts) in Montgomery form, in
 * ArrayBuffers it owns. Each thread that imports it loads the addon for itself.
 *
 * `POSEIDON_NATIVE=off` keeps the wasm permutation (the agreement tests compare the two).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { P } from '../field/frLayout.js'
import { poseidonConstants } from './constants.js'

/** Where the build puts the addon, from the repository root. */
export const NATIVE_POSEIDON_FILE = join('build', 'native', 'poseidon.node')
/** The portable C build beside it, made where the first one has the assembly products. */
export const PORTABLE_POSEIDON_FILE = join('build', 'native', 'poseidon-portable.node')

type Addon = { readonly permute: (io: ArrayBuffer, table: ArrayBuffer) => void }

const R = 1n << 256n
const MASK64 = (1n << 64n) - 1n
/** Words of the I/O buffer before the inputs: p, 2p, R^2 mod p, -p^-1 mod 2^64, padding. */
const INPUTS_AT = 16
const TABLE_HEADER = 4
const TWO_256 = 1n << 256n

/** The native permutation of one thread: its addon, I/O buffer and tables. */
export type NativePoseidon = {
  /** Poseidon of 1 to 16 integers (the caller checks the count), each taken mod p. */
  readonly hash: (inputs: readonly bigint[]) => bigint
  /** The addon's file. */
  readonly file: string
}

function inverse64(p: bigint): bigint {
  // Newton's iteration for p^-1 mod 2^64 (p odd): each step doubles the correct bits.
  let x = 1n
  for (let i = 0; i < 7; i++) x = (x * (2n - p * x)) & MASK64
  return (-x) & MASK64
}

function writeElement(u64: BigUint64Array, word: number, v: bigint): void {
  u64[word] = v
  u64[word + 1] = v >> 64n
  u64[word + 2] = v >> 128n
  u64[word + 3] = v >> 192n
}

function table(t: number): ArrayBuffer {
  const k = poseidonConstants(t)
  const transposed = (m: readonly (readonly bigint[])[]) => m.map((_, i) => m.map((row) => row[i]!)).flat()
  const elements = [...k.C, ...k.S, ...transposed(k.M), ...transposed(k.P)]
  const buffer = new ArrayBuffer(8 * (TABLE_HEADER + 4 * elements.length))
  const u64 = new BigUint64Array(buffer)
  u64.set([BigInt(t), BigInt(k.roundsF), BigInt(k.roundsP), 0n])
  elements.forEach((v, i) => writeElement(u64, TABLE_HEADER + 4 * i, (v * R) % P))
  return buffer
}

/** The repository's build/native/poseidon.node (or `name`), looked for above this module (source or bundle). */
export function findNativePoseidon(name: string = NATIVE_POSEIDON_FILE): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, name)
    if (existsSync(file)) return file
    if (dirname(dir) === dir) return undefined
  }
}

/** The native permutation of this thread, or why there is none. */
export type NativePoseidonLoad = { readonly native: NativePoseidon } | { readonly unavailable: string }

/** circomlib's published vector: Poseidon([1, 2]). */
const KNOWN_INPUTS = [1n, 2n]
const KNOWN_HASH = 7853200120776062878684798364095072458815029376092732009249414926327459813530n

/**
 * Loads the addon (`file`, by default the build's; null: none was built) for this thread and checks it on a
 * published vector, or says why it is not used: `POSEIDON_NATIVE=off`, not built, not
 * loadable, or a wrong hash (a stale or broken build must not hash the state).
 */
export function tryLoadNativePoseidon(env: NodeJS.ProcessEnv = process.env, file: string | null = findNativePoseidon() ?? null): NativePoseidonLoad {
  if (env.POSEIDON_NATIVE === 'off') return { unavailable: 'POSEIDON_NATIVE=off' }
  if (!file) return { unavailable: `not built (${NATIVE_POSEIDON_FILE}: npm run build:native needs a C compiler and Node's headers)` }
  let addon: Addon
  try {
    addon = createRequire(import.meta.url)(file) as Addon
  } catch (error) {
    return { unavailable: `${file} cannot be loaded: ${(error as Error).message.split('\n')[0]}` }
  }
  const native = { hash: hasher(addon), file }
  let known: bigint | string
  try {
    known = native.hash(KNOWN_INPUTS)
  } catch (error) {
    known = (error as Error).message
  }
  if (known !== KNOWN_HASH) return { unavailable: `${file} gives a wrong hash (Poseidon([1, 2]) = ${known}): rebuild it with npm run build:native` }
  return { native }
}

/** `tryLoadNativePoseidon`'s addon, or undefined when there is none to use. */
export function loadNativePoseidon(env: NodeJS.ProcessEnv = process.env, file: string | null = findNativePoseidon() ?? null): NativePoseidon | undefined {
  const load = tryLoadNativePoseidon(env, file)
  return 'native' in load ? load.native : undefined
}

/** The hash function over one addon, with this thread's I/O buffer and tables. */
function hasher(addon: Addon): NativePoseidon['hash'] {
  const io = new ArrayBuffer(8 * (INPUTS_AT + 4 * 16))
  const u64 = new BigUint64Array(io)
  writeElement(u64, 0, P)
  writeElement(u64, 4, 2n * P)
  writeElement(u64, 8, (R * R) % P)
  u64[12] = inverse64(P)
  const tables: (ArrayBuffer | undefined)[] = []
  return (inputs: readonly bigint[]): bigint => {
    const t = inputs.length + 1
    const widthTable = (tables[t] ??= table(t))
    for (let i = 0, w = INPUTS_AT; i < inputs.length; i++, w += 4) {
      let v = inputs[i]!
      if (v < 0n || v >= TWO_256) v = ((v % P) + P) % P
      writeElement(u64, w, v)
    }
    addon.permute(io, widthTable)
    const w = INPUTS_AT
    return (u64[w + 3]! << 192n) | (u64[w + 2]! << 128n) | (u64[w + 1]! << 64n) | u64[w]!
  }
}
