/**
 * Poseidon over BN254 with circomlib's constants: equal to circomlib's `Poseidon(n)`,
 * circomlibjs's `buildPoseidon` and poseidon-lite for 1..16 inputs. Computed by the native
 * addon (./native.ts, 2 to 2.6 times the wasm's speed) where it is built, else in generated
 * WebAssembly, itself about ten times faster than poseidon-lite (docs/hashing.md has the
 * numbers). `poseidonBackend()` says which one this thread uses.
 *
 * The module is built and instantiated synchronously at first use; each width's constants are
 * converted into wasm memory the first time that width is hashed. Inputs are integers taken
 * mod p, as poseidon-lite does (any bigint, negative or above p, is accepted).
 *
 * @example poseidon([1n, 2n]) // 7853200120776062878684798364095072458815029376092732009249414926327459813530n
 */
import { emitFr } from '../field/frCode.js'
import { ELEMENT_BYTES, P, R2, toLimbs } from '../field/frLayout.js'
import { FR_SCRATCH_BYTES, FrMemory, type FrExports } from '../field/frMemory.js'
import { ModuleBuilder } from '../wasm/emitter.js'
import { instantiate } from '../wasm/instantiate.js'
import { MAX_T, MIN_T, poseidonConstants } from './constants.js'
import { tryLoadNativePoseidon } from './native.js'
import { blockSize, emitPermutation, MAX_BLOCK, partialRoundConstants } from './permutationCode.js'

type Permute = (t: number, k: number, blocks: number, singles: number, halfF: number, state: number, c: number, s: number, mt: number, pt: number, spare: number, words: number, r2: number) => void
type Exports = FrExports & { readonly permute: Permute }

/** Where one width's constants lie in wasm memory, and how its partial rounds are grouped. */
type Table = {
  readonly t: number
  /** Partial rounds per block (`blockSize(t)`), `blocks` blocks of them, then `singles` rounds. */
  readonly size: number
  readonly blocks: number
  readonly singles: number
  readonly halfF: number
  readonly c: number
  readonly s: number
  readonly mt: number
  readonly pt: number
}

const PAGE = 65536
const R2_AT = FR_SCRATCH_BYTES
const WORDS_AT = R2_AT + ELEMENT_BYTES
// The partial rounds keep up to MAX_BLOCK - 1 elements below the state, which is in one of
// the two areas by turns; the spare area also holds two elements of scratch after its t.
const STATE_AT = WORDS_AT + (MAX_T - 1) * 32 + (MAX_BLOCK - 1) * ELEMENT_BYTES
const SPARE_AT = STATE_AT + (MAX_T + MAX_BLOCK - 1) * ELEMENT_BYTES
const TABLES_AT = SPARE_AT + (MAX_T + 2) * ELEMENT_BYTES
const TWO_256 = 1n << 256n

type Engine = { readonly x: Exports; readonly memory: FrMemory; readonly tables: (Table | undefined)[]; end: number; u64: BigUint64Array }

let engine: Engine | undefined

function start(): Engine {
  const module = new ModuleBuilder()
  const fr = emitFr(module, '')
  emitPermutation(module, fr)
  const x = instantiate<Exports>(module.encode(Math.ceil(TABLES_AT / PAGE) + 1))
  const memory = new FrMemory(x, 0)
  memory.writeLimbs(R2_AT, toLimbs(R2))
  return (engine = { x, memory, tables: [], end: TABLES_AT, u64: new BigUint64Array(x.memory.buffer) })
}

function allocate(e: Engine, elements: number): number {
  const at = e.end
  e.end += elements * ELEMENT_BYTES
  const missing = Math.ceil(e.end / PAGE) - e.x.memory.buffer.byteLength / PAGE
  if (missing > 0) {
    e.x.memory.grow(missing)
    // Growing detaches the old buffer and every view of it.
    e.u64 = new BigUint64Array(e.x.memory.buffer)
  }
  return at
}

function table(e: Engine, t: number): Table {
  const known = e.tables[t]
  if (known) return known
  const k = poseidonConstants(t)
  const write = (at: number, values: readonly bigint[]) => values.forEach((v, i) => e.memory.write(at + i * ELEMENT_BYTES, v))
  const transposed = (m: readonly (readonly bigint[])[]) => m.map((_, i) => m.map((row) => row[i]!)).flat()
  const c = allocate(e, k.C.length)
  write(c, k.C)
  const partial = partialRoundConstants(t, k.roundsP, k.S, P)
  const s = allocate(e, partial.length)
  write(s, partial)
  const mt = allocate(e, t * t)
  write(mt, transposed(k.M))
  const pt = allocate(e, t * t)
  write(pt, transposed(k.P))
  const size = blockSize(t)
  const blocks = size > 1 ? Math.floor(k.roundsP / size) : 0
  const made: Table = { t, size, blocks, singles: k.roundsP - blocks * size, halfF: k.roundsF / 2, c, s, mt, pt }
  e.tables[t] = made
  return made
}

const load = tryLoadNativePoseidon()
const native = 'native' in load ? load.native : undefined

/** Which permutation `poseidon` runs in this thread: the native addon or the wasm one. */
export function poseidonBackend(): 'native' | 'wasm' {
  return native ? 'native' : 'wasm'
}

/** Why this thread hashes in wasm (undefined when it runs the native addon). */
export function nativePoseidonUnavailable(): string | undefined {
  return 'unavailable' in load ? load.unavailable : undefined
}

/**
 * Poseidon hash of 1 to 16 integers (each taken mod p); throws a RangeError for another count.
 *
 * @example poseidon([0n]) === poseidon1([0n]) // poseidon-lite
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  const t = inputs.length + 1
  if (t < MIN_T || t > MAX_T) throw new RangeError(`Poseidon arity ${inputs.length} is not supported (1..16)`)
  return native ? native.hash(inputs) : poseidonWasm(inputs)
}

/** `poseidon` in the generated wasm, whatever the backend (the agreement tests compare the two). */
export function poseidonWasm(inputs: readonly bigint[]): bigint {
  const t = inputs.length + 1
  if (t < MIN_T || t > MAX_T) throw new RangeError(`Poseidon arity ${inputs.length} is not supported (1..16)`)
  const e = engine ?? start()
  const k = table(e, t)
  const u64 = e.u64
  // Storing into a BigUint64Array keeps a bigint's low 64 bits: no masking needed. Values in
  // [0, 2^256) go in as they are (the Montgomery conversion in wasm reduces them).
  for (let i = 0, w = WORDS_AT / 8; i < inputs.length; i++, w += 4) {
    let v = inputs[i]!
    if (v < 0n || v >= TWO_256) v = ((v % P) + P) % P
    u64[w] = v
    u64[w + 1] = v >> 64n
    u64[w + 2] = v >> 128n
    u64[w + 3] = v >> 192n
  }
  e.x.permute(k.t, k.size, k.blocks, k.singles, k.halfF, STATE_AT, k.c, k.s, k.mt, k.pt, SPARE_AT, WORDS_AT, R2_AT)
  const w = WORDS_AT / 8
  return (u64[w + 3]! << 192n) | (u64[w + 2]! << 128n) | (u64[w + 1]! << 64n) | u64[w]!
}
