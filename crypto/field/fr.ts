/**
 * Fr arithmetic in wasm behind a bigint API: one operation per call, so it is for tests and
 * for code that does a few field operations at a time. Speed comes from generating a module
 * that runs a whole algorithm inside wasm: include the code with `emitFr` (./frCode.ts) in
 * your own `ModuleBuilder`, as crypto/poseidon/poseidon.ts does.
 *
 * @example
 * const fr = createFr()
 * fr.mul(3n, 5n) // 15n
 */
import { ModuleBuilder } from '../wasm/emitter.js'
import { instantiate } from '../wasm/instantiate.js'
import { emitFr } from './frCode.js'
import { ELEMENT_BYTES } from './frLayout.js'
import { FR_SCRATCH_BYTES, FrMemory, type FrExports } from './frMemory.js'

/** Canonical results (below p) of field operations on any integers (taken mod p). */
export type Fr = {
  readonly mul: (a: bigint, b: bigint) => bigint
  readonly square: (a: bigint) => bigint
  readonly add: (a: bigint, b: bigint) => bigint
  readonly sub: (a: bigint, b: bigint) => bigint
  /** a * b + c. */
  readonly mulAdd: (a: bigint, b: bigint, c: bigint) => bigint
  /** sum of a[i] * b[i] (arrays of equal length, at most 17; a RangeError otherwise). */
  readonly dot: (a: readonly bigint[], b: readonly bigint[]) => bigint
  /** c + sum of a[i] * b[i], as `dot`. */
  readonly dotAdd: (a: readonly bigint[], b: readonly bigint[], c: bigint) => bigint
}

type Exports = FrExports & {
  readonly square: (r: number, a: number) => void
  readonly add: (r: number, a: number, b: number) => void
  readonly sub: (r: number, a: number, b: number) => void
  readonly mulAdd: (r: number, a: number, b: number, c: number) => void
  readonly dot: (r: number, a: number, b: number, n: number) => void
  readonly dotAdd: (r: number, a: number, b: number, n: number, c: number) => void
}

/** The largest `dot` length: the bound under which docs/hashing.md shows the sum stays below 2p. */
export const MAX_DOT = 17

/** Builds and instantiates (synchronously) a module of the Fr functions. */
export function createFr(): Fr {
  const module = new ModuleBuilder()
  emitFr(module, '')
  const x = instantiate<Exports>(module.encode(1))
  const memory = new FrMemory(x, 0)
  const slot = (i: number) => FR_SCRATCH_BYTES + i * ELEMENT_BYTES
  const [A, B, C, OUT] = [slot(0), slot(MAX_DOT), slot(2 * MAX_DOT), slot(2 * MAX_DOT + 1)]
  const binary = (op: (r: number, a: number, b: number) => void) => (a: bigint, b: bigint) => {
    memory.write(A, a)
    memory.write(B, b)
    op(OUT, A, B)
    return memory.read(OUT)
  }
  const writePairs = (a: readonly bigint[], b: readonly bigint[]) => {
    if (a.length !== b.length || a.length > MAX_DOT) throw new RangeError(`dot of ${a.length} and ${b.length} elements (equal, at most ${MAX_DOT})`)
    a.forEach((v, i) => memory.write(A + i * ELEMENT_BYTES, v))
    b.forEach((v, i) => memory.write(B + i * ELEMENT_BYTES, v))
  }
  return {
    mul: binary(x.mul),
    add: binary(x.add),
    sub: binary(x.sub),
    square: (a) => {
      memory.write(A, a)
      x.square(OUT, A)
      return memory.read(OUT)
    },
    mulAdd: (a, b, c) => {
      memory.write(A, a)
      memory.write(B, b)
      memory.write(C, c)
      x.mulAdd(OUT, A, B, C)
      return memory.read(OUT)
    },
    dot: (a, b) => {
      writePairs(a, b)
      x.dot(OUT, A, B, a.length)
      return memory.read(OUT)
    },
    dotAdd: (a, b, c) => {
      writePairs(a, b)
      memory.write(C, c)
      x.dotAdd(OUT, A, B, a.length, C)
      return memory.read(OUT)
    },
  }
}
