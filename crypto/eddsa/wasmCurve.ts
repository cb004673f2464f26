/**
 * BabyJubJub scalar multiplication in WebAssembly (curveCode.ts on crypto/field's Montgomery
 * Fr code): B8's fixed-base table, per-key tables in numbered slots, the multi-scalar loops
 * (`msm` over table entries, `horner` for a key seen once) and the final comparison, each one
 * call into wasm; the bigint side only recodes scalars into digit lists and converts the few
 * coordinates that cross.
 *
 * One `WasmCurve` is one module instance with its own memory; it is not shared across
 * threads. Tables are built in wasm too: the multiples in extended coordinates, then one
 * batch inversion (Montgomery's trick, with the single inversion done on bigints).
 *
 * Memory, in order: the field's scratch, constants, temps, a few elements and points, two
 * digit lists, the multiples of a cold key, B8's table, the scratch for building a table,
 * then the key slots, grown on demand.
 */
import { emitFr } from '../field/frCode.js'
import { ELEMENT_BYTES, toLimbs } from '../field/frLayout.js'
import { FR_SCRATCH_BYTES, FrMemory, type FrExports } from '../field/frMemory.js'
import { ModuleBuilder } from '../wasm/emitter.js'
import { instantiate } from '../wasm/instantiate.js'
import { emitCurve, ENTRY_BYTES, LIST_ENTRY_BYTES, POINT_BYTES, Z } from './curveCode.js'
import { BASE8, K2D, SQRT_NEG_A } from './curve.js'
import { EddsaError } from './errors.js'
import { invert, P } from './field.js'
import { signedWindows, windowCount } from './windows.js'

type Exports = FrExports & {
  readonly pointDouble: (r: number, p: number) => void
  readonly pointAdd: (r: number, p: number, q: number, neg: number) => void
  readonly msm: (acc: number, table: number, list: number, count: number) => void
  readonly horner: (acc: number, multiples: number, list: number, count: number, w: number) => void
  readonly fromAffine: (r: number, x: number, y: number) => void
  readonly toEntry: (e: number, p: number, zInv: number) => void
  readonly equalsAffine: (p: number, u: number, y: number) => number
  readonly isIdentity: (p: number) => number
}

const PAGE = 65536
const E = ELEMENT_BYTES
/** Scalars below l < 2^251 (signedWindows checks the fit). */
const SCALAR_BITS = 251
const BASE8_W = 8
/** The largest window width for key tables (and the largest table: 32 windows of 128). */
export const MAX_WINDOW_BITS = 8
const MAX_TABLE_POINTS = windowCount(SCALAR_BITS, BASE8_W) << (BASE8_W - 1)
const MAX_LIST = windowCount(SCALAR_BITS, 2)

// The static layout (byte addresses, all multiples of 8).
const CONSTANTS = FR_SCRATCH_BYTES
const TEMPS = CONSTANTS + 3 * E
const [RX, RY, UX, AX, AY, INV, ZINV] = Array.from({ length: 7 }, (_, i) => TEMPS + (12 + i) * E) as [number, number, number, number, number, number, number]
const IDENTITY = TEMPS + 19 * E
const ACC = IDENTITY + POINT_BYTES
const WINDOW_BASE = ACC + POINT_BYTES
const LIST_A = WINDOW_BASE + POINT_BYTES
const LIST_B = LIST_A + MAX_LIST * LIST_ENTRY_BYTES
const MULTIPLES = LIST_B + MAX_LIST * LIST_ENTRY_BYTES
const BASE8_TABLE = MULTIPLES + (1 << (MAX_WINDOW_BITS - 1)) * POINT_BYTES
const BUILD_POINTS = BASE8_TABLE + MAX_TABLE_POINTS * ENTRY_BYTES
const BUILD_PREFIX = BUILD_POINTS + MAX_TABLE_POINTS * POINT_BYTES
const SLOTS = BUILD_PREFIX + (MAX_TABLE_POINTS + 1) * E

let compiled: Uint8Array | undefined

/** The module's bytes, generated once per process. */
function moduleBytes(): Uint8Array {
  if (compiled === undefined) {
    const module = new ModuleBuilder()
    const fr = emitFr(module, '')
    emitCurve(module, fr, { constants: CONSTANTS, temps: TEMPS })
    compiled = module.encode(1)
  }
  return compiled
}

/** Window width, window count and the bytes of one key table. */
function tableShape(w: number): { readonly w: number; readonly windows: number; readonly half: number; readonly bytes: number } {
  const windows = windowCount(SCALAR_BITS, w)
  const half = 1 << (w - 1)
  return { w, windows, half, bytes: windows * half * ENTRY_BYTES }
}

/** Group arithmetic in one wasm instance: B8 multiples, key tables, and the verification equation. */
export class WasmCurve {
  readonly #x: Exports
  readonly #fr: FrMemory
  readonly #key: ReturnType<typeof tableShape>
  readonly #freeSlots: number[] = []
  #slotCount = 0
  #i32: Int32Array
  #u8: Uint8Array

  /** A new instance whose key tables use `keyWindowBits`-bit windows (2..8). */
  constructor(keyWindowBits = 4) {
    if (!Number.isInteger(keyWindowBits) || keyWindowBits < 2 || keyWindowBits > MAX_WINDOW_BITS)
      throw new EddsaError(`keyWindowBits must be an integer in 2..${MAX_WINDOW_BITS}, got ${keyWindowBits}`)
    this.#key = tableShape(keyWindowBits)
    this.#x = instantiate<Exports>(moduleBytes())
    this.#grow(SLOTS)
    this.#fr = new FrMemory(this.#x, 0)
    this.#i32 = new Int32Array(this.#x.memory.buffer)
    this.#u8 = new Uint8Array(this.#x.memory.buffer)
    this.#fr.writeConstant(CONSTANTS, 1n)
    this.#fr.writeConstant(CONSTANTS + E, SQRT_NEG_A)
    this.#fr.writeConstant(CONSTANTS + 2 * E, K2D)
    this.#fr.writeLimbs(IDENTITY, toLimbs(0n))
    this.#fr.writeConstant(IDENTITY + E, 1n)
    this.#fr.writeConstant(IDENTITY + 2 * E, 1n)
    this.#fr.writeLimbs(IDENTITY + 3 * E, toLimbs(0n))
    this.#fr.write(AX, BASE8.x)
    this.#fr.write(AY, BASE8.y)
    this.#x.fromAffine(WINDOW_BASE, AX, AY)
    this.#buildTable(BASE8_TABLE, tableShape(BASE8_W))
  }

  /**
   * Makes memory at least `bytes` long. It grows by half its size at least: a grow may copy
   * the whole memory, and growing a slot at a time made 1,000 key tables cost minutes.
   */
  #grow(bytes: number): void {
    const pages = this.#x.memory.buffer.byteLength / PAGE
    const missing = Math.ceil(bytes / PAGE) - pages
    if (missing > 0) this.#x.memory.grow(Math.max(missing, Math.ceil(pages / 2)))
  }

  #views(): void {
    if (this.#u8.buffer !== this.#x.memory.buffer) {
      this.#i32 = new Int32Array(this.#x.memory.buffer)
      this.#u8 = new Uint8Array(this.#x.memory.buffer)
    }
  }

  /** The table of the point at WINDOW_BASE (consumed) into `at`. */
  #buildTable(at: number, shape: ReturnType<typeof tableShape>): void {
    const x = this.#x
    const { windows, half } = shape
    const n = windows * half
    const point = (i: number) => BUILD_POINTS + i * POINT_BYTES
    const prefix = (i: number) => BUILD_PREFIX + i * E
    for (let i = 0; i < windows; i++) {
      this.#u8.copyWithin(point(i * half), WINDOW_BASE, WINDOW_BASE + POINT_BYTES)
      for (let j = 1; j < half; j++) x.pointAdd(point(i * half + j), point(i * half + j - 1), WINDOW_BASE, 0)
      // 2^w times this window's base is twice its last multiple, 2^(w-1) times it.
      x.pointDouble(WINDOW_BASE, point(i * half + half - 1))
    }
    this.#u8.copyWithin(prefix(0), CONSTANTS, CONSTANTS + E)
    for (let i = 0; i < n; i++) x.mul(prefix(i + 1), prefix(i), point(i) + Z)
    this.#fr.write(INV, invert(this.#fr.read(prefix(n))))
    for (let i = n - 1; i >= 0; i--) {
      x.mul(ZINV, INV, prefix(i))
      x.mul(INV, INV, point(i) + Z)
      x.toEntry(at + i * ENTRY_BYTES, point(i), ZINV)
    }
  }

  /**
   * Writes `k`'s signed windows as an `msm` list at `list` (non-zero digits only) and returns
   * its length; `negate` subtracts k times the table's point instead of adding it.
   */
  #msmList(list: number, k: bigint, w: number, windows: number, negate: boolean): number {
    const digits = signedWindows(k, w, windows)
    const half = 1 << (w - 1)
    const i32 = this.#i32
    let at = list >> 2
    let count = 0
    for (let i = 0; i < windows; i++) {
      const d = digits[i]!
      if (d === 0) continue
      i32[at + 2] = (i * half + Math.abs(d) - 1) * ENTRY_BYTES
      i32[at + 4] = d < 0 !== negate ? 1 : 0
      at += LIST_ENTRY_BYTES >> 2
      count++
    }
    return count
  }

  /** acc := identity. */
  #clear(): void {
    this.#u8.copyWithin(ACC, IDENTITY, IDENTITY + POINT_BYTES)
  }

  /** [k]B8 in circomlib's coordinates, 0 <= k < 2^254. */
  mulBase8(k: bigint): { x: bigint; y: bigint } {
    this.#views()
    this.#clear()
    const { windows } = tableShape(BASE8_W)
    this.#x.msm(ACC, BASE8_TABLE, LIST_A, this.#msmList(LIST_A, k, BASE8_W, windows, false))
    const zInv = invert(this.#fr.read(ACC + Z))
    const u = (this.#fr.read(ACC) * zInv) % P
    return { x: (u * SQRT_NEG_A_INV) % P, y: (this.#fr.read(ACC + E) * zInv) % P }
  }

  /**
   * Loads the key (ax, ay) (reduced, on the curve): computes [8]A for the next `tableFromKey`
   * or `verifyCold`. Returns false when [8]A is the identity (a small-order key).
   */
  loadKey(ax: bigint, ay: bigint): boolean {
    this.#views()
    this.#fr.write(AX, ax)
    this.#fr.write(AY, ay)
    const x = this.#x
    x.fromAffine(MULTIPLES, AX, AY)
    for (let i = 0; i < 3; i++) x.pointDouble(MULTIPLES, MULTIPLES)
    return x.isIdentity(MULTIPLES) === 0
  }

  /** Builds the loaded key's table in a free slot and returns the slot. */
  tableFromKey(): number {
    this.#views()
    let slot = this.#freeSlots.pop()
    if (slot === undefined) {
      slot = this.#slotCount++
      this.#grow(SLOTS + this.#slotCount * this.#key.bytes)
      this.#views()
    }
    this.#u8.copyWithin(WINDOW_BASE, MULTIPLES, MULTIPLES + POINT_BYTES)
    this.#buildTable(SLOTS + slot * this.#key.bytes, this.#key)
    return slot
  }

  /** Returns a slot to the free list (its key was evicted). */
  freeSlot(slot: number): void {
    this.#freeSlots.push(slot)
  }

  /** [S]B8 - [h]([8]A) == R8 for the key whose table is in `slot` (h, S below 2^251). */
  verifyWithTable(slot: number, h: bigint, S: bigint, rx: bigint, ry: bigint): boolean {
    this.#views()
    this.#clear()
    const x = this.#x
    const { w, windows } = this.#key
    x.msm(ACC, SLOTS + slot * this.#key.bytes, LIST_A, this.#msmList(LIST_A, h, w, windows, true))
    return this.#finish(S, rx, ry)
  }

  /** The same for the key loaded last (`loadKey`), without a table: windowed Horner. */
  verifyCold(h: bigint, S: bigint, rx: bigint, ry: bigint): boolean {
    this.#views()
    this.#clear()
    const x = this.#x
    const { w, windows, half } = this.#key
    const multiple = (j: number) => MULTIPLES + j * POINT_BYTES
    x.pointDouble(multiple(1), multiple(0))
    for (let j = 2; j < half; j++) x.pointAdd(multiple(j), multiple(j - 1), multiple(0), 0)
    const digits = signedWindows(h, w, windows)
    let top = windows - 1
    while (top >= 0 && digits[top] === 0) top--
    const i32 = this.#i32
    let at = LIST_B >> 2
    for (let i = top; i >= 0; i--) {
      const d = digits[i]!
      i32[at] = d === 0 ? 0 : 1
      i32[at + 2] = d === 0 ? 0 : (Math.abs(d) - 1) * POINT_BYTES
      i32[at + 4] = d < 0 ? 0 : 1 // subtracting: the sign flips
      at += LIST_ENTRY_BYTES >> 2
    }
    x.horner(ACC, MULTIPLES, LIST_B, top + 1, w)
    return this.#finish(S, rx, ry)
  }

  /** acc += [S]B8, then acc == R8. */
  #finish(S: bigint, rx: bigint, ry: bigint): boolean {
    const x = this.#x
    x.msm(ACC, BASE8_TABLE, LIST_A, this.#msmList(LIST_A, S, BASE8_W, tableShape(BASE8_W).windows, false))
    this.#fr.write(RX, rx)
    this.#fr.write(RY, ry)
    x.mul(UX, RX, CONSTANTS + E)
    return x.equalsAffine(ACC, UX, RY) === 1
  }

  /** Bytes of wasm memory in use (for the cache-size documentation and tests). */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength
  }
}

const SQRT_NEG_A_INV = invert(SQRT_NEG_A)

let shared: WasmCurve | undefined

/** The process-wide instance for B8 multiples (signing, key derivation); no key tables. */
export function sharedWasmCurve(): WasmCurve {
  shared ??= new WasmCurve()
  return shared
}
