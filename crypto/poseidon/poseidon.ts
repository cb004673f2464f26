/**
 * Poseidon over BN254 with circomlib's constants, computed in generated WebAssembly: equal to
 * circomlib's `Poseidon(n)`, circomlibjs's `buildPoseidon` and poseidon-lite for 1..16 inputs,
 * about ten times faster than poseidon-lite (docs/hashing.md has the numbers).
 *
 * The module is built and instantiated synchronously at first use; each width's constants are
 * converted into wasm memory the first time that width is hashed. Inputs are integers taken
 * mod p, as poseidon-lite does (any bigint, negative or above p, is accepted).
 *
 * @example poseidon([1n, 2n]) // 7853200120776062878684798364095072458815029376092732009249414926327459813530n
 */
import { emitFr } from '../field/frCode.js'
import { ELEMENT_BYTES } from '../field/frLayout.js'
import { FR_SCRATCH_BYTES, FrMemory, type FrExports } from '../field/frMemory.js'
import { ModuleBuilder } from '../wasm/emitter.js'
import { instantiate } from '../wasm/instantiate.js'
import { MAX_T, MIN_T, poseidonConstants } from './constants.js'
import { emitPermutation } from './permutationCode.js'

type Exports = FrExports & {
  readonly permute: (t: number, roundsP: number, halfF: number, state: number, c: number, s: number, mt: number, pt: number, spare: number) => void
}

/** Where one width's constants lie in wasm memory. */
type Table = { readonly t: number; readonly roundsP: number; readonly halfF: number; readonly c: number; readonly s: number; readonly mt: number; readonly pt: number }

const PAGE = 65536
const STATE_AT = FR_SCRATCH_BYTES
const SPARE_AT = STATE_AT + MAX_T * ELEMENT_BYTES
const TABLES_AT = SPARE_AT + (MAX_T + 1) * ELEMENT_BYTES

type Engine = { readonly x: Exports; readonly memory: FrMemory; readonly tables: (Table | undefined)[]; end: number }

let engine: Engine | undefined

function start(): Engine {
  const module = new ModuleBuilder()
  const fr = emitFr(module, '')
  emitPermutation(module, fr)
  const x = instantiate<Exports>(module.encode(Math.ceil(TABLES_AT / PAGE) + 1))
  return (engine = { x, memory: new FrMemory(x, 0), tables: [], end: TABLES_AT })
}

function allocate(e: Engine, elements: number): number {
  const at = e.end
  e.end += elements * ELEMENT_BYTES
  const missing = Math.ceil(e.end / PAGE) - e.x.memory.buffer.byteLength / PAGE
  if (missing > 0) e.x.memory.grow(missing)
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
  const s = allocate(e, k.S.length)
  write(s, k.S)
  const mt = allocate(e, t * t)
  write(mt, transposed(k.M))
  const pt = allocate(e, t * t)
  write(pt, transposed(k.P))
  const made: Table = { t, roundsP: k.roundsP, halfF: k.roundsF / 2, c, s, mt, pt }
  e.tables[t] = made
  return made
}

/**
 * Poseidon hash of 1 to 16 integers (each taken mod p); throws a RangeError for another count.
 *
 * @example poseidon([0n]) === poseidon1([0n]) // poseidon-lite
 */
export function poseidon(inputs: readonly bigint[]): bigint {
  const t = inputs.length + 1
  if (t < MIN_T || t > MAX_T) throw new RangeError(`Poseidon arity ${inputs.length} is not supported (1..16)`)
  const e = engine ?? start()
  const k = table(e, t)
  for (let i = 0; i < inputs.length; i++) e.memory.write(STATE_AT + (i + 1) * ELEMENT_BYTES, inputs[i]!)
  e.x.permute(t, k.roundsP, k.halfF, STATE_AT, k.c, k.s, k.mt, k.pt, SPARE_AT)
  return e.memory.read(STATE_AT)
}
