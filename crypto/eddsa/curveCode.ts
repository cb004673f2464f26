/**
 * Generated wasm functions for BabyJubJub group arithmetic, on top of crypto/field's
 * Montgomery Fr code (`emitFr`): the same extended-coordinate formulas as curve.ts (the a = -1
 * model, Hisil-Wong-Carter-Dawson 2008), with every product a call to the field's `mul` or
 * `square`, and every sum or difference done here, inline, without reduction.
 *
 * Lazy sums. The field functions take and return values below 2p; a product of a < alpha*p
 * and b < beta*p comes out below (alpha*beta/169 + 1)p (docs/hashing.md). So sums are left
 * unreduced, made non-negative by adding a multiple of p, and only need to stay below 13p
 * each (13 * 13 < 169): the largest here are 6p and 8p (products up to 48p^2, giving 1.3p).
 * A sum is normalized into 29-bit limbs with signed carries; its top limb stays below 2^29
 * because 8p < 2^257.
 *
 * Layouts (byte addresses, all i32): an element is 9 i64 limbs (72 bytes); an extended point
 * is X, Y, Z, T (4 elements); a table entry ("Niels" form of an affine point) is y+x, y-x,
 * 2*d'*x*y (3 elements), where d' = -d/a is the a = -1 model's coefficient.
 */
import { type FrFunctions } from '../field/frCode.js'
import { ELEMENT_BYTES, LIMB_BITS, LIMBS, MASK, P, toLimbs } from '../field/frLayout.js'
import { type FunctionBuilder, I32, I64, type ModuleBuilder } from '../wasm/emitter.js'

const E = ELEMENT_BYTES
/** Byte offsets of the coordinates inside an extended point. */
export const X = 0, Y = E, Z = 2 * E, T = 3 * E
/** Bytes of an extended point and of a table entry. */
export const POINT_BYTES = 4 * E
export const ENTRY_BYTES = 3 * E
/** Bytes of one entry of a digit list (see `msm`, `horner`). */
export const LIST_ENTRY_BYTES = 24

/** Where the generated code finds its constants and scratch elements. */
export type CurveLayout = {
  /** The Montgomery forms of 1, sqrt(-a) and 2*d' (three consecutive elements). */
  readonly constants: number
  /** 12 scratch elements nobody else uses. */
  readonly temps: number
}

/** Indices of the generated functions (all exported under these names). */
export type CurveFunctions = {
  readonly double: number
  readonly add: number
  readonly addEntry: number
  readonly msm: number
  readonly horner: number
  readonly fromAffine: number
  readonly toEntry: number
  readonly equalsAffine: number
  readonly isIdentity: number
}

/** One term of a lazy sum: an element's address pushed by `at`, times a small integer. */
type Term = { readonly at: () => void; readonly times: 1 | -1 | 2 | -2 }

/**
 * out = sum of the terms + k*p, normalized into limbs (the caller ensures the result is in
 * [0, 13p)). Limb by limb, so `out` may alias a term.
 */
function emitSum(f: FunctionBuilder, out: () => void, terms: readonly Term[], k: number, carry: number, limb: number): void {
  const kp = toLimbs(BigInt(k) * P)
  f.i64(0n).set(carry)
  for (let i = 0; i < LIMBS; i++) {
    f.get(carry).i64(kp[i]!).i64Add()
    for (const { at, times } of terms) {
      at()
      f.load64(8 * i)
      if (Math.abs(times) === 2) f.i64(1n).i64Shl()
      if (times < 0) f.i64Sub()
      else f.i64Add()
    }
    if (i < LIMBS - 1) {
      f.tee(limb).i64(BigInt(LIMB_BITS)).i64ShrS().set(carry)
      out()
      f.get(limb).i64(MASK).i64And().store64(8 * i)
    } else {
      f.set(limb)
      out()
      f.get(limb).store64(8 * i)
    }
  }
}

/** Adds the curve functions to `module`, which already holds the field code `fr`. */
export function emitCurve(module: ModuleBuilder, fr: FrFunctions, layout: CurveLayout): CurveFunctions {
  const ONE = layout.constants
  const SQRT_NEG_A = layout.constants + E
  const K2D = layout.constants + 2 * E
  const tmp = (i: number) => layout.temps + i * E
  const [TA, TB, TC, TD, TE, TF, TG, TH, TQ1, TQ2] = [tmp(0), tmp(1), tmp(2), tmp(3), tmp(4), tmp(5), tmp(6), tmp(7), tmp(8), tmp(9)]
  const fn = (params: number, name: string, results: readonly (typeof I32)[] = []) => module.function(Array(params).fill(I32), results, name)
  const at = (f: FunctionBuilder, base: number | undefined, offset: number) => () => {
    if (base === undefined) f.i32(offset)
    else f.get(base).i32(offset).i32Add()
  }
  const c = (offset: number) => (f: FunctionBuilder) => () => f.i32(offset)

  /**
   * The end of every addition: from A, B (the y-x and y+x products), C (T1*T2*2d') and D
   * (2*Z1*Z2) in TA..TD, r = the sum; `neg` (a local) swaps the roles of D+C and D-C, which is
   * what adding the negated point (-x, y) amounts to.
   */
  const finishAdd = (f: FunctionBuilder, r: number, neg: number, carry: number, limb: number) => {
    emitSum(f, c(TE)(f), [{ at: c(TB)(f), times: 1 }, { at: c(TA)(f), times: -1 }], 2, carry, limb)
    emitSum(f, c(TH)(f), [{ at: c(TB)(f), times: 1 }, { at: c(TA)(f), times: 1 }], 0, carry, limb)
    emitSum(f, c(TF)(f), [{ at: c(TD)(f), times: 1 }, { at: c(TC)(f), times: -1 }], 2, carry, limb)
    emitSum(f, c(TG)(f), [{ at: c(TD)(f), times: 1 }, { at: c(TC)(f), times: 1 }], 0, carry, limb)
    const fPtr = () => f.i32(TG).i32(TF).get(neg).select()
    const gPtr = () => f.i32(TF).i32(TG).get(neg).select()
    f.get(r).i32(X).i32Add().i32(TE), fPtr(), f.call(fr.mul)
    f.get(r).i32(Y).i32Add(), gPtr(), f.i32(TH).call(fr.mul)
    f.get(r).i32(T).i32Add().i32(TE).i32(TH).call(fr.mul)
    f.get(r).i32(Z).i32Add(), fPtr(), gPtr(), f.call(fr.mul)
  }

  // double(r, p): r = 2p (dbl-2008-hwcd, a = -1); E < 6p, F < 8p, G and H < 4p.
  const double = fn(2, 'pointDouble')
  {
    const f = double.f
    const [r, p] = [0, 1]
    const [carry, limb] = [f.local(I64), f.local(I64)]
    f.i32(TA).get(p).i32(X).i32Add().call(fr.square)
    f.i32(TB).get(p).i32(Y).i32Add().call(fr.square)
    f.i32(TC).get(p).i32(Z).i32Add().call(fr.square)
    emitSum(f, c(TD)(f), [{ at: at(f, p, X), times: 1 }, { at: at(f, p, Y), times: 1 }], 0, carry, limb)
    f.i32(TD).i32(TD).call(fr.square)
    // E = (X+Y)^2 - A - B, G = B - A, F = G - 2Z^2, H = -A - B
    emitSum(f, c(TE)(f), [{ at: c(TD)(f), times: 1 }, { at: c(TA)(f), times: -1 }, { at: c(TB)(f), times: -1 }], 4, carry, limb)
    emitSum(f, c(TG)(f), [{ at: c(TB)(f), times: 1 }, { at: c(TA)(f), times: -1 }], 2, carry, limb)
    emitSum(f, c(TF)(f), [{ at: c(TG)(f), times: 1 }, { at: c(TC)(f), times: -2 }], 4, carry, limb)
    emitSum(f, c(TH)(f), [{ at: c(TA)(f), times: -1 }, { at: c(TB)(f), times: -1 }], 4, carry, limb)
    f.get(r).i32(X).i32Add().i32(TE).i32(TF).call(fr.mul)
    f.get(r).i32(Y).i32Add().i32(TG).i32(TH).call(fr.mul)
    f.get(r).i32(T).i32Add().i32(TE).i32(TH).call(fr.mul)
    f.get(r).i32(Z).i32Add().i32(TF).i32(TG).call(fr.mul)
  }

  // add(r, p, q, neg): r = p + q, or p - q when neg != 0 (add-2008-hwcd-3, a = -1): 9 products.
  const add = fn(4, 'pointAdd')
  {
    const f = add.f
    const [r, p, q, neg] = [0, 1, 2, 3]
    const [carry, limb] = [f.local(I64), f.local(I64)]
    emitSum(f, c(TQ1)(f), [{ at: at(f, q, Y), times: 1 }, { at: at(f, q, X), times: -1 }], 2, carry, limb)
    emitSum(f, c(TQ2)(f), [{ at: at(f, q, Y), times: 1 }, { at: at(f, q, X), times: 1 }], 0, carry, limb)
    emitSum(f, c(TA)(f), [{ at: at(f, p, Y), times: 1 }, { at: at(f, p, X), times: -1 }], 2, carry, limb)
    emitSum(f, c(TB)(f), [{ at: at(f, p, Y), times: 1 }, { at: at(f, p, X), times: 1 }], 0, carry, limb)
    f.i32(TA).i32(TA).i32(TQ2).i32(TQ1).get(neg).select().call(fr.mul)
    f.i32(TB).i32(TB).i32(TQ1).i32(TQ2).get(neg).select().call(fr.mul)
    f.i32(TC).get(p).i32(T).i32Add().get(q).i32(T).i32Add().call(fr.mul)
    f.i32(TC).i32(TC).i32(K2D).call(fr.mul)
    f.i32(TD).get(p).i32(Z).i32Add().get(q).i32(Z).i32Add().call(fr.mul)
    emitSum(f, c(TD)(f), [{ at: c(TD)(f), times: 2 }], 0, carry, limb)
    finishAdd(f, r, neg, carry, limb)
  }

  // addEntry(r, p, e, neg): r = p + e, or p - e, for a table entry e (Z = 1): 7 products.
  const addEntry = fn(4, 'addEntry')
  {
    const f = addEntry.f
    const [r, p, e, neg] = [0, 1, 2, 3]
    const [carry, limb] = [f.local(I64), f.local(I64)]
    emitSum(f, c(TA)(f), [{ at: at(f, p, Y), times: 1 }, { at: at(f, p, X), times: -1 }], 2, carry, limb)
    emitSum(f, c(TB)(f), [{ at: at(f, p, Y), times: 1 }, { at: at(f, p, X), times: 1 }], 0, carry, limb)
    // Entry: y+x at e, y-x at e + E; negating swaps them.
    f.i32(TA).i32(TA).get(e).get(e).i32(E).i32Add().get(neg).select().call(fr.mul)
    f.i32(TB).i32(TB).get(e).i32(E).i32Add().get(e).get(neg).select().call(fr.mul)
    f.i32(TC).get(p).i32(T).i32Add().get(e).i32(2 * E).i32Add().call(fr.mul)
    emitSum(f, c(TD)(f), [{ at: at(f, p, Z), times: 2 }], 0, carry, limb)
    finishAdd(f, r, neg, carry, limb)
  }

  // msm(acc, table, list, count): acc += the list's entries, each (_, entry offset, neg).
  const msm = fn(4, 'msm')
  {
    const f = msm.f
    const [acc, table, list, count] = [0, 1, 2, 3]
    const i = f.local(I32)
    f.forLoop(i, () => f.get(count), () => {
      f.get(acc).get(acc)
      f.get(table).get(list).load64(8).i32WrapI64().i32Add()
      f.get(list).load64(16).i32WrapI64()
      f.call(addEntry.index)
      f.bump(list, LIST_ENTRY_BYTES)
    })
  }

  // horner(acc, multiples, list, count, w): for each entry, most significant window first:
  // acc = 2^w * acc (skipped before the first), then acc += the multiple when present.
  const horner = fn(5, 'horner')
  {
    const f = horner.f
    const [acc, multiples, list, count, w] = [0, 1, 2, 3, 4]
    const [i, j] = [f.local(I32), f.local(I32)]
    f.forLoop(i, () => f.get(count), () => {
      f.get(i).i32Eqz().i32Eqz().if()
      f.forLoop(j, () => f.get(w), () => f.get(acc).get(acc).call(double.index))
      f.end()
      f.get(list).load64(0).i32WrapI64().if()
      f.get(acc).get(acc)
      f.get(multiples).get(list).load64(8).i32WrapI64().i32Add()
      f.get(list).load64(16).i32WrapI64()
      f.call(add.index)
      f.end()
      f.bump(list, LIST_ENTRY_BYTES)
    })
  }

  // fromAffine(r, x, y): the extended point of circomlib's (x, y): (x*sqrt(-a), y, 1, x*sqrt(-a)*y).
  const fromAffine = fn(3, 'fromAffine')
  {
    const f = fromAffine.f
    const [r, x, y] = [0, 1, 2]
    f.get(r).i32(X).i32Add().get(x).i32(SQRT_NEG_A).call(fr.mul)
    f.get(r).i32(T).i32Add().get(r).i32(X).i32Add().get(y).call(fr.mul)
    for (let k = 0; k < LIMBS; k++) {
      f.get(r).get(y).load64(8 * k).store64(Y + 8 * k)
      f.get(r).i32(ONE).load64(8 * k).store64(Z + 8 * k)
    }
  }

  // toEntry(e, p, zInv): the table entry of p given 1/Z: x = X/Z, y = Y/Z, (y+x, y-x, 2d'xy).
  const toEntry = fn(3, 'toEntry')
  {
    const f = toEntry.f
    const [e, p, zInv] = [0, 1, 2]
    const [carry, limb] = [f.local(I64), f.local(I64)]
    f.i32(TA).get(p).i32(X).i32Add().get(zInv).call(fr.mul)
    f.i32(TB).get(p).i32(Y).i32Add().get(zInv).call(fr.mul)
    emitSum(f, at(f, e, 0), [{ at: c(TB)(f), times: 1 }, { at: c(TA)(f), times: 1 }], 0, carry, limb)
    emitSum(f, at(f, e, E), [{ at: c(TB)(f), times: 1 }, { at: c(TA)(f), times: -1 }], 2, carry, limb)
    f.i32(TC).i32(TA).i32(TB).call(fr.mul)
    f.get(e).i32(2 * E).i32Add().i32(TC).i32(K2D).call(fr.mul)
  }

  /** Pushes 1 when the canonical forms of the elements at `a` and `b` (both below 2p) are equal. */
  const equalElements = (f: FunctionBuilder, a: () => void, b: () => void, diff: number) => {
    f.i32(TE), a(), f.call(fr.fromMont)
    f.i32(TF), b(), f.call(fr.fromMont)
    f.i64(0n).set(diff)
    for (let k = 0; k < LIMBS; k++) f.get(diff).i32(TE).load64(8 * k).i32(TF).load64(8 * k).i64Sub().i64Or().set(diff)
    f.get(diff).i64Eqz()
  }

  // equalsAffine(p, u, y) -> 1 when p is the point (u, y) of the a = -1 model: X = u*Z, Y = y*Z.
  const equalsAffine = fn(3, 'equalsAffine', [I32])
  {
    const f = equalsAffine.f
    const [p, u, y] = [0, 1, 2]
    const diff = f.local(I64)
    f.i32(TG).get(u).get(p).i32(Z).i32Add().call(fr.mul)
    f.i32(TH).get(y).get(p).i32(Z).i32Add().call(fr.mul)
    equalElements(f, at(f, p, X), c(TG)(f), diff)
    equalElements(f, at(f, p, Y), c(TH)(f), diff)
    f.i32And()
  }

  // isIdentity(p) -> 1 when p is (0, 1): X = 0 and Y = Z.
  const isIdentity = fn(1, 'isIdentity', [I32])
  {
    const f = isIdentity.f
    const p = 0
    const diff = f.local(I64)
    for (let k = 0; k < LIMBS; k++) f.i32(TG).i64(0n).store64(8 * k)
    equalElements(f, at(f, p, X), c(TG)(f), diff)
    equalElements(f, at(f, p, Y), at(f, p, Z), diff)
    f.i32And()
  }

  return {
    double: double.index,
    add: add.index,
    addEntry: addEntry.index,
    msm: msm.index,
    horner: horner.index,
    fromAffine: fromAffine.index,
    toEntry: toEntry.index,
    equalsAffine: equalsAffine.index,
    isIdentity: isIdentity.index,
  }
}
