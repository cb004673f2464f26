/**
 * Moving field elements between JS bigints and wasm memory, for any module that includes the
 * generated Fr code (./frCode.ts): bigints go through a small scratch area (4 u64 words, one
 * element, R^2) via one BigUint64Array view; splitting into limbs and the Montgomery
 * conversions (`fromWords` then `mul` by R^2; `fromMont` then `toWords`) run in wasm.
 */
import type { WasmMemory } from '../wasm/instantiate.js'
import { ELEMENT_BYTES, P, R2, toLimbs, toMontgomery } from './frLayout.js'

/** The exports of a module built with `emitFr(module, prefix)`, looked up by their names. */
export type FrExports = {
  readonly memory: WasmMemory
  readonly mul: (r: number, a: number, b: number) => void
  readonly fromMont: (r: number, a: number) => void
  readonly fromWords: (r: number, words: number) => void
  readonly toWords: (words: number, a: number) => void
}

/** Bytes of the scratch area an `FrMemory` needs: 4 u64 words, one element, and R^2. */
export const FR_SCRATCH_BYTES = 32 + 2 * ELEMENT_BYTES

/**
 * Reads and writes elements of a module's memory; `scratchAt` is an area of
 * `FR_SCRATCH_BYTES` bytes (8-aligned) that nothing else uses.
 */
export class FrMemory {
  readonly #exports: FrExports
  readonly #words: number
  readonly #tmp: number
  readonly #r2: number
  #u64: BigUint64Array

  constructor(exports: FrExports, scratchAt: number) {
    this.#exports = exports
    this.#words = scratchAt
    this.#tmp = scratchAt + 32
    this.#r2 = scratchAt + 32 + ELEMENT_BYTES
    this.#u64 = new BigUint64Array(exports.memory.buffer)
    this.writeLimbs(this.#r2, toLimbs(R2))
  }

  #view(): BigUint64Array {
    // A memory.grow detaches the old buffer.
    if (this.#u64.buffer !== this.#exports.memory.buffer) this.#u64 = new BigUint64Array(this.#exports.memory.buffer)
    return this.#u64
  }

  /** Writes raw limbs (already in the representation wanted) at `at`. */
  writeLimbs(at: number, limbs: readonly bigint[]): void {
    const u64 = this.#view()
    limbs.forEach((limb, i) => (u64[at / 8 + i] = limb))
  }

  /** Writes the Montgomery form of a constant (slow: BigInt arithmetic; for tables built once). */
  writeConstant(at: number, value: bigint): void {
    this.writeLimbs(at, toLimbs(toMontgomery(value)))
  }

  /**
   * Writes `value mod p`, in Montgomery form, at `at`. Every integer is taken mod p, as
   * poseidon-lite and circomlibjs do: values in [0, 2^256) go in as they are (the Montgomery
   * conversion reduces them), negative or larger ones are reduced in JS first (rare, slow path).
   */
  write(at: number, value: bigint): void {
    if (value < 0n || value >> 256n !== 0n) value = ((value % P) + P) % P
    const u64 = this.#view()
    const w = this.#words / 8
    u64[w] = BigInt.asUintN(64, value)
    u64[w + 1] = BigInt.asUintN(64, value >> 64n)
    u64[w + 2] = BigInt.asUintN(64, value >> 128n)
    u64[w + 3] = value >> 192n
    this.#exports.fromWords(at, this.#words)
    this.#exports.mul(at, at, this.#r2)
  }

  /** The canonical value (below p) of the Montgomery element at `at`. */
  read(at: number): bigint {
    this.#exports.fromMont(this.#tmp, at)
    this.#exports.toWords(this.#words, this.#tmp)
    const u64 = this.#view()
    const w = this.#words / 8
    return (u64[w + 3]! << 192n) | (u64[w + 2]! << 128n) | (u64[w + 1]! << 64n) | u64[w]!
  }
}

/** Byte size of `count` consecutive elements. */
export function elementsBytes(count: number): number {
  return count * ELEMENT_BYTES
}
