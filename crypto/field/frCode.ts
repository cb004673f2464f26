/**
 * Generated wasm functions for Fr arithmetic on elements in memory (layout in ./frLayout.ts).
 * Every function takes i32 byte addresses; an output may alias an input (inputs are read into
 * locals before anything is stored).
 *
 * Bounds: every function accepts elements below 2p and returns elements below 2p, except
 * `fromMont`, which returns the canonical value (below p), and `fromWords`, which accepts any
 * 256-bit integer (below 2^256 < 6p: a later `mul` by R^2 still lands below 2p).
 *
 * Montgomery reduction is the product-scanning ("FIPS") form with delayed carries: column k
 * of the double-width product plus the `q_i * p_(k-i)` terms is summed in one i64 (at most 18
 * products below 2^58 plus a carry, so below 2^63), the quotient digit of the low columns is
 * taken from its low 29 bits, and only the carry `column >> 29` moves on.
 */
import { type FunctionBuilder, I32, I64, type ModuleBuilder } from '../wasm/emitter.js'
import { ELEMENT_BYTES, LIMB_BITS, LIMBS, MASK, MU, P2_LIMBS, P_LIMBS } from './frLayout.js'

/** Function indices of the generated field code inside one module. */
export type FrFunctions = {
  /** (r, a, b): r = a * b / R. */
  readonly mul: number
  /** (r, a): r = a * a / R. */
  readonly square: number
  /** (r, a, b, c): r = a * b / R + c. */
  readonly mulAdd: number
  /**
   * (r, a, b, n): r = sum over i < n of a[i] * b[i] / R, for n consecutive elements at a and
   * at b; n <= 17 (below 2p: 17 * 4p^2 / R + p < 1.41p).
   */
  readonly dot: number
  /**
   * (r, a, b, n, c): r = c + sum over i < n of a[i] * b[i] / R, as `dot` (n <= 17) with c
   * added before the reduction; one subtraction of 2p keeps it below 2p.
   */
  readonly dotAdd: number
  /** (r, a, b): r = a + b. */
  readonly add: number
  /** (r, a, b): r = a - b (mod p). */
  readonly sub: number
  /** (r, a): r = a / R mod p, canonical: out of Montgomery form (with R^2 in memory, `mul` goes in). */
  readonly fromMont: number
  /** (r, words): r = the 256-bit integer at `words` (4 little-endian u64), as limbs, not reduced. */
  readonly fromWords: number
  /** (words, a): the 4 little-endian u64 of a canonical element a. */
  readonly toWords: number
}

const W = BigInt(LIMB_BITS)

/**
 * BN254's p is 1 + 2^28 mod 2^29 (p - 1 is divisible by 2^28), so -p^-1 mod 2^29 is 2^28 - 1:
 * the quotient digit and its product with p's lowest limb take a shift and an add each.
 */
const FRIENDLY = P_LIMBS[0] === (1n << (W - 1n)) + 1n && MU === (1n << (W - 1n)) - 1n

function loadLimbs(f: FunctionBuilder, ptr: number, limbs: readonly number[]): void {
  limbs.forEach((limb, i) => f.get(ptr).load64(8 * i).set(limb))
}

function storeLimbs(f: FunctionBuilder, ptr: number, limbs: readonly number[]): void {
  limbs.forEach((limb, i) => f.get(ptr).get(limb).store64(8 * i))
}

/**
 * Montgomery reduction of a double-width value whose column k is pushed by `pushColumn(k)`
 * (returning false when the column is zero), into `out` (9 normalized limbs).
 */
function emitRedc(f: FunctionBuilder, pushColumn: (k: number) => boolean, out: readonly number[]): void {
  const q = f.locals(I64, LIMBS)
  const acc = f.local(I64)
  const carry = f.local(I64)
  for (let k = 0; k < 2 * LIMBS; k++) {
    let have = pushColumn(k)
    const added = () => {
      if (have) f.i64Add()
      have = true
    }
    for (let i = Math.max(0, k - (LIMBS - 1)); i <= Math.min(k - 1, LIMBS - 1); i++) {
      f.get(q[i]!).i64(P_LIMBS[k - i]!).i64Mul()
      added()
    }
    if (k > 0) {
      f.get(carry)
      added()
    }
    if (!have) f.i64(0n)
    if (k < LIMBS && FRIENDLY) {
      // q = acc * (2^28 - 1) and acc + q * (2^28 + 1) by shifts: these two products sit on
      // the chain that links one column to the next.
      f.tee(acc).i64(W - 1n).i64Shl().get(acc).i64Sub().i64(MASK).i64And().set(q[k]!)
      f.get(acc).get(q[k]!).i64Add().get(q[k]!).i64(W - 1n).i64Shl().i64Add().i64(W).i64ShrU().set(carry)
    } else if (k < LIMBS) {
      f.tee(acc).i64(MASK).i64And().i64(MU).i64Mul().i64(MASK).i64And().set(q[k]!)
      f.get(acc).get(q[k]!).i64(P_LIMBS[0]!).i64Mul().i64Add().i64(W).i64ShrU().set(carry)
    } else if (k < 2 * LIMBS - 1) {
      f.tee(acc).i64(MASK).i64And().set(out[k - LIMBS]!)
      f.get(acc).i64(W).i64ShrU().set(carry)
    } else {
      f.set(out[LIMBS - 1]!)
    }
  }
}

/** Pushes column k of a * b (false when empty). */
function pushProductColumn(f: FunctionBuilder, a: readonly number[], b: readonly number[], k: number): boolean {
  let have = false
  for (let i = Math.max(0, k - (LIMBS - 1)); i <= Math.min(k, LIMBS - 1); i++) {
    f.get(a[i]!).get(b[k - i]!).i64Mul()
    if (have) f.i64Add()
    have = true
  }
  return have
}

/** Pushes column k of a * a, each cross product computed once and doubled. */
function pushSquareColumn(f: FunctionBuilder, a: readonly number[], k: number): boolean {
  let have = false
  for (let i = Math.max(0, k - (LIMBS - 1)); 2 * i < k; i++) {
    f.get(a[i]!).get(a[k - i]!).i64Mul()
    if (have) f.i64Add()
    have = true
  }
  if (have) f.i64(1n).i64Shl()
  if (k % 2 === 0 && k / 2 < LIMBS) {
    f.get(a[k / 2]!).get(a[k / 2]!).i64Mul()
    if (have) f.i64Add()
    have = true
  }
  return have
}

/** Propagates carries through `limbs` (non-negative), leaving each below 2^29 except the last. */
function emitNormalize(f: FunctionBuilder, limbs: readonly number[]): void {
  for (let k = 0; k + 1 < limbs.length; k++) {
    f.get(limbs[k + 1]!).get(limbs[k]!).i64(W).i64ShrU().i64Add().set(limbs[k + 1]!)
    f.get(limbs[k]!).i64(MASK).i64And().set(limbs[k]!)
  }
}

/** x := x - m when x >= m (x normalized limbs, m a constant's limbs). */
function emitCondSub(f: FunctionBuilder, x: readonly number[], m: readonly bigint[]): void {
  const d = f.locals(I64, LIMBS)
  const borrow = f.local(I64)
  for (let k = 0; k < LIMBS; k++) {
    f.get(x[k]!).i64(m[k]!).i64Sub()
    if (k > 0) f.get(borrow).i64Add()
    f.tee(d[k]!).i64(W).i64ShrS().set(borrow)
    f.get(d[k]!).i64(MASK).i64And().set(d[k]!)
  }
  // borrow is -1 when x < m: keep x, else take the difference.
  for (let k = 0; k < LIMBS; k++) {
    f.get(x[k]!).get(d[k]!).get(borrow).i64(0n).i64Ne().select().set(x[k]!)
  }
}

/**
 * The body of `dot` (r, a, b, n) or, with `addend`, `dotAdd` (r, a, b, n, c). Columns of the
 * sum of products are accumulated first (normalized every 6 products, so that a column stays
 * below 2^29 + 6 * 9 * 2^58 < 2^64), then reduced once; c enters the upper half, as in `mulAdd`.
 */
function emitDot(f: FunctionBuilder, addend: boolean): void {
  const [ptrA, ptrB, count, ptrC] = [1, 2, 3, 4]
  const [a, b, out] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
  const cols = f.locals(I64, 2 * LIMBS)
  const i = f.local(I32)
  const pending = f.local(I32)
  f.i32(0).set(pending)
  f.forLoop(i, () => f.get(count), () => {
    loadLimbs(f, ptrA, a)
    loadLimbs(f, ptrB, b)
    for (let k = 0; k < 2 * LIMBS - 1; k++) {
      f.get(cols[k]!)
      pushProductColumn(f, a, b, k)
      f.i64Add().set(cols[k]!)
    }
    f.bump(ptrA, ELEMENT_BYTES).bump(ptrB, ELEMENT_BYTES).bump(pending, 1)
    f.get(pending).i32(6).i32GeU().if()
    emitNormalize(f, cols)
    f.i32(0).set(pending)
    f.end()
  })
  emitNormalize(f, cols)
  if (addend) {
    for (let k = 0; k < LIMBS; k++) f.get(cols[LIMBS + k]!).get(ptrC).load64(8 * k).i64Add().set(cols[LIMBS + k]!)
  }
  emitRedc(f, (k) => (f.get(cols[k]!), true), out)
  // Below 1.41p + 2p: one subtraction of 2p.
  if (addend) emitCondSub(f, out, P2_LIMBS)
  storeLimbs(f, 0, out)
}

/**
 * Adds the Fr functions to `module`, exported as `${exportPrefix}mul` and so on when a prefix
 * is given (`''` exports the bare names), and returns their indices for `call`.
 */
export function emitFr(module: ModuleBuilder, exportPrefix?: string): FrFunctions {
  const name = (n: string) => (exportPrefix === undefined ? undefined : `${exportPrefix}${n}`)
  const fn = (params: number, n: string) => module.function(Array(params).fill(I32), [], name(n))

  const mul = fn(3, 'mul')
  {
    const f = mul.f
    const [a, b, out] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    loadLimbs(f, 2, b)
    emitRedc(f, (k) => pushProductColumn(f, a, b, k), out)
    storeLimbs(f, 0, out)
  }

  const square = fn(2, 'square')
  {
    const f = square.f
    const [a, out] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    emitRedc(f, (k) => pushSquareColumn(f, a, k), out)
    storeLimbs(f, 0, out)
  }

  const mulAdd = fn(4, 'mulAdd')
  {
    const f = mulAdd.f
    const [a, b, c, out] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS), f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    loadLimbs(f, 2, b)
    loadLimbs(f, 3, c)
    // a*b + c*R: c enters the upper half, so the reduction returns a*b/R + c (below 2p + 1.03p).
    emitRedc(
      f,
      (k) => {
        const have = pushProductColumn(f, a, b, k)
        if (k < LIMBS) return have
        f.get(c[k - LIMBS]!)
        if (have) f.i64Add()
        return true
      },
      out,
    )
    emitCondSub(f, out, P2_LIMBS)
    storeLimbs(f, 0, out)
  }

  const dot = fn(4, 'dot')
  emitDot(dot.f, false)
  const dotAdd = fn(5, 'dotAdd')
  emitDot(dotAdd.f, true)

  const add = fn(3, 'add')
  {
    const f = add.f
    const [a, b] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    loadLimbs(f, 2, b)
    for (let k = 0; k < LIMBS; k++) f.get(a[k]!).get(b[k]!).i64Add().set(a[k]!)
    emitNormalize(f, a)
    emitCondSub(f, a, P2_LIMBS)
    storeLimbs(f, 0, a)
  }

  const sub = fn(3, 'sub')
  {
    // a + 2p - b is in (0, 4p); limbs may go negative on the way, so carries are signed.
    const f = sub.f
    const [a, b] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    loadLimbs(f, 2, b)
    for (let k = 0; k < LIMBS; k++) f.get(a[k]!).i64(P2_LIMBS[k]!).i64Add().get(b[k]!).i64Sub().set(a[k]!)
    for (let k = 0; k + 1 < LIMBS; k++) {
      f.get(a[k + 1]!).get(a[k]!).i64(W).i64ShrS().i64Add().set(a[k + 1]!)
      f.get(a[k]!).i64(MASK).i64And().set(a[k]!)
    }
    emitCondSub(f, a, P2_LIMBS)
    storeLimbs(f, 0, a)
  }

  const fromMont = fn(2, 'fromMont')
  {
    const f = fromMont.f
    const [a, out] = [f.locals(I64, LIMBS), f.locals(I64, LIMBS)]
    loadLimbs(f, 1, a)
    // a / R with a < 2p is at most p (p only when a = p): one subtraction makes it canonical.
    emitRedc(f, (k) => (k < LIMBS ? (f.get(a[k]!), true) : false), out)
    emitCondSub(f, out, P_LIMBS)
    storeLimbs(f, 0, out)
  }

  const fromWords = fn(2, 'fromWords')
  {
    const f = fromWords.f
    for (let k = 0; k < LIMBS; k++) {
      const bit = k * LIMB_BITS
      const [word, offset] = [Math.floor(bit / 64), bit % 64]
      f.get(0)
      if (word >= 4) {
        f.i64(0n)
      } else {
        f.get(1).load64(8 * word).i64(BigInt(offset)).i64ShrU()
        if (offset + LIMB_BITS > 64 && word + 1 < 4) f.get(1).load64(8 * (word + 1)).i64(BigInt(64 - offset)).i64Shl().i64Or()
        f.i64(MASK).i64And()
      }
      f.store64(8 * k)
    }
  }

  const toWords = fn(2, 'toWords')
  {
    const f = toWords.f
    for (let w = 0; w < 4; w++) {
      f.get(0)
      let have = false
      for (let k = 0; k < LIMBS; k++) {
        const bit = k * LIMB_BITS
        if (bit + LIMB_BITS <= 64 * w || bit >= 64 * (w + 1)) continue
        f.get(1).load64(8 * k)
        if (bit >= 64 * w) f.i64(BigInt(bit - 64 * w)).i64Shl()
        else f.i64(BigInt(64 * w - bit)).i64ShrU()
        if (have) f.i64Or()
        have = true
      }
      f.store64(8 * w)
    }
  }

  return {
    mul: mul.index,
    square: square.index,
    mulAdd: mulAdd.index,
    dot: dot.index,
    dotAdd: dotAdd.index,
    add: add.index,
    sub: sub.index,
    fromMont: fromMont.index,
    fromWords: fromWords.index,
    toWords: toWords.index,
  }
}
