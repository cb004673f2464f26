/**
 * The Poseidon permutation as one generated wasm function, in the optimized
 * form of circomlib and circomlibjs (`poseidon_opt.js`, after Neptune): half the full rounds
 * with the MDS matrix M, one full round with the pre-sparse matrix P, the partial rounds each
 * with a sparse matrix (2t - 1 products instead of t^2), the other half of the full rounds,
 * and a last round that only needs the first output. Every round constant is added after the
 * S-box, as in that form; the S-box's last product takes it before its reduction (`mulAdd`).
 *
 * `permute(t, k, blocks, singles, halfF, state, C, S, MT, PT, spare, words, r2)` takes the t - 1
 * inputs as integers below 2^256 at `words` (4 little-endian u64 each) and leaves the canonical
 * result there (4 u64). `state` holds t elements of working space with MAX_BLOCK - 1 free
 * elements below it, `spare` t + 2 (with as many free below), `r2` is R^2 mod p in limbs; `MT`
 * and `PT` are the matrices transposed (row i holds the coefficients of output i), `S` is
 * `partialRoundConstants(...)`, all constants in Montgomery form. The partial rounds run as
 * `blocks` blocks of k = `blockSize(t)` rounds, then `singles` single rounds.
 *
 * Partial rounds are most of the work (57 to 68 of them against 8 full ones), and in each the
 * t - 1 updates `y_m += x * S[t + m - 1]` cost a reduction apiece. Blocks of k rounds update
 * y once per block instead, with one reduction per element (a `dotAdd` of k products); the
 * rounds inside the block account for the pending updates through precomputed constants.
 */
import { type FrFunctions } from '../field/frCode.js'
import { ELEMENT_BYTES, LIMBS } from '../field/frLayout.js'
import { I32, type ModuleBuilder } from '../wasm/emitter.js'

/** The most partial rounds whose updates of st[1..t-1] are merged (room kept below the state). */
export const MAX_BLOCK = 4

/**
 * Partial rounds per block for width t: merging k rounds turns k(t - 1) reductions into t - 1
 * and costs k(k - 1)/2 extra products and a `dotAdd` per element instead of a `mulAdd`; round
 * j's dot has t + j terms, at most 17 (`dot`). Below t = 5 single rounds measured faster.
 */
export function blockSize(t: number): number {
  if (t < 5) return 1
  return Math.max(1, Math.min(MAX_BLOCK, 18 - t, Math.round(Math.sqrt(2 * (t - 1)))))
}

/**
 * The partial rounds' constants in the order `permute` reads them, from circomlibjs's S
 * (per round: t entries for the new first element, t - 1 for the others), for blocks of
 * `blockSize(t)` rounds and then single rounds. In a block, x~_j is the S-box output of round j
 * and y the other elements at the start of the block; round j's new first element is
 * S_j[0] x~_j + sum_{i<j} u_ij x~_i + sum_m S_j[m] y_m with u_ij = sum_m S_j[m] S_i[t + m - 1]
 * (y_m having taken x~_i S_i[t + m - 1] in the rounds before), and at the end of the block
 * y_m += sum_j x~_j S_j[t + m - 1]. With single rounds this is S itself.
 */
export function partialRoundConstants(t: number, roundsP: number, S: readonly bigint[], p: bigint): bigint[] {
  const k = blockSize(t)
  const row = (r: number) => S.slice(r * (2 * t - 1), (r + 1) * (2 * t - 1))
  const out: bigint[] = []
  let r = 0
  const block = (size: number) => {
    const rows = Array.from({ length: size }, (_, j) => row(r + j))
    rows.forEach((rj, j) => {
      out.push(rj[0]!)
      for (let i = j - 1; i >= 0; i--) {
        let u = 0n
        for (let m = 1; m < t; m++) u += rj[m]! * rows[i]![t + m - 1]!
        out.push(u % p)
      }
      out.push(...rj.slice(1, t))
    })
    for (let m = 1; m < t; m++) for (let j = size - 1; j >= 0; j--) out.push(rows[j]![t + m - 1]!)
    r += size
  }
  for (let b = 0; b < Math.floor(roundsP / k); b++) block(k)
  while (r < roundsP) block(1)
  return out
}

/** Adds `permute` to `module` (which already holds the field code `fr`); returns its index. */
export function emitPermutation(module: ModuleBuilder, fr: FrFunctions): number {
  const { index, f } = module.function(Array(13).fill(I32), [], 'permute')
  const [t, k, blocks, singles, halfF, state0, c, s, mt, pt, spare, words, r2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
  const [i, j, r, st, alt, swap, tmp, xn, rowBytes] = Array.from({ length: 9 }, () => f.local(I32)) as [number, number, number, number, number, number, number, number, number]

  const element = (base: number, index: () => void) => (f.get(base), index(), f.i32(ELEMENT_BYTES).i32Mul().i32Add())
  const copy = (to: number, from: number) => {
    for (let l = 0; l < LIMBS; l++) f.get(to).get(from).load64(8 * l).store64(8 * l)
  }
  const mix = (matrix: number) => {
    f.forLoop(i, () => f.get(t), () => {
      element(alt, () => f.get(i))
      f.get(matrix).get(i).get(rowBytes).i32Mul().i32Add()
      f.get(st).get(t).call(fr.dot)
    })
    f.get(st).set(swap).get(alt).set(st).get(swap).set(alt)
  }
  // x := x^5, plus the next round constant when `withConstant`.
  const sbox = (x: () => void, withConstant: boolean) => {
    f.get(tmp), x(), f.call(fr.square)
    f.get(tmp).get(tmp).call(fr.square)
    x(), f.get(tmp), x()
    if (!withConstant) return void f.call(fr.mul)
    f.get(c).call(fr.mulAdd)
    f.bump(c, ELEMENT_BYTES)
  }
  const fullRound = (matrix: number) => {
    f.forLoop(i, () => f.get(t), () => sbox(() => element(st, () => f.get(i)), true))
    mix(matrix)
  }
  // The partial rounds work on st[0] (before its S-box, kept in xn) and st[1..t-1]; the S-box
  // outputs of a block go below st, x~_j at st - j elements, so that round j's dot runs over
  // x~_j, ..., x~_0, st[1], ..., st[t-1]: one contiguous stretch. `size` pushes the block size.
  const slot = (index: () => void) => (f.get(st), index(), f.i32(ELEMENT_BYTES).i32Mul().i32Sub())
  const partialBlock = (size: () => void, single: boolean) => {
    f.forLoop(j, size, () => {
      f.get(tmp).get(xn).call(fr.square)
      f.get(tmp).get(tmp).call(fr.square)
      slot(() => f.get(j)), f.get(tmp).get(xn).get(c).call(fr.mulAdd)
      f.get(xn), slot(() => f.get(j)), f.get(s).get(t).get(j).i32Add().call(fr.dot)
      f.bump(c, ELEMENT_BYTES)
      f.get(s).get(t).get(j).i32Add().i32(ELEMENT_BYTES).i32Mul().i32Add().set(s)
    })
    f.i32(1).set(i)
    f.block().loop()
    f.get(i).get(t).i32GeU().brIf(1)
    if (single) element(st, () => f.get(i)), slot(() => f.i32(0)), f.get(s), element(st, () => f.get(i)), f.call(fr.mulAdd)
    else element(st, () => f.get(i)), slot(() => f.get(k).i32(1).i32Sub()), f.get(s).get(k), element(st, () => f.get(i)), f.call(fr.dotAdd)
    f.get(s), size(), f.i32(ELEMENT_BYTES).i32Mul().i32Add().set(s)
    f.bump(i, 1).br(0).end().end()
  }

  f.get(t).i32(ELEMENT_BYTES).i32Mul().set(rowBytes)
  f.get(state0).set(st)
  f.get(spare).set(alt)
  f.get(spare).get(rowBytes).i32Add().set(tmp)
  f.get(tmp).i32(ELEMENT_BYTES).i32Add().set(xn)
  // circomlib's initial state: 0 then the inputs, converted into Montgomery form here.
  for (let l = 0; l < LIMBS; l++) f.get(st).i64(0n).store64(8 * l)
  f.i32(1).set(i)
  f.block().loop()
  f.get(i).get(t).i32GeU().brIf(1)
  element(st, () => f.get(i)), f.get(words).get(i).i32(32).i32Mul().i32Add().i32(32).i32Sub().call(fr.fromWords)
  element(st, () => f.get(i)), element(st, () => f.get(i)), f.get(r2).call(fr.mul)
  f.bump(i, 1).br(0).end().end()

  f.forLoop(i, () => f.get(t), () => {
    element(st, () => f.get(i)), element(st, () => f.get(i)), f.get(c).call(fr.add)
    f.bump(c, ELEMENT_BYTES)
  })
  f.forLoop(r, () => f.get(halfF).i32(1).i32Sub(), () => fullRound(mt))
  fullRound(pt)

  copy(xn, st)
  f.forLoop(r, () => f.get(blocks), () => partialBlock(() => f.get(k), false))
  f.forLoop(r, () => f.get(singles), () => partialBlock(() => f.i32(1), true))
  copy(st, xn)

  f.forLoop(r, () => f.get(halfF).i32(1).i32Sub(), () => fullRound(mt))
  f.forLoop(i, () => f.get(t), () => sbox(() => element(st, () => f.get(i)), false))
  f.get(state0).get(mt).get(st).get(t).call(fr.dot)
  f.get(tmp).get(state0).call(fr.fromMont)
  f.get(words).get(tmp).call(fr.toWords)
  return index
}
