/**
 * The Poseidon permutation as one generated wasm function, in the optimized form of circomlib
 * and circomlibjs (`poseidon_opt.js`, after Neptune): half the full rounds with the MDS
 * matrix M, one full round with the pre-sparse matrix P, the partial rounds each with a sparse
 * matrix (2t - 1 products instead of t^2), the other half of the full rounds, and a last round
 * that only needs the first output. Every round constant is added after the S-box, as in
 * that form.
 *
 * `permute(t, roundsP, halfF, state, C, S, MT, PT, spare)` works on Montgomery elements in
 * memory: `state` holds t elements (the first is set to 0 here: circomlib's initial state),
 * `MT` and `PT` are the matrices transposed (row i holds the coefficients of output i), and
 * `spare` is a scratch area of t + 1 elements. The result, the first element of the final
 * state, is written at `state`.
 */
import { type FrFunctions } from '../field/frCode.js'
import { ELEMENT_BYTES, LIMBS } from '../field/frLayout.js'
import { I32, type ModuleBuilder } from '../wasm/emitter.js'

/** Adds `permute` to `module` (which already holds the field code `fr`); returns its index. */
export function emitPermutation(module: ModuleBuilder, fr: FrFunctions): number {
  const { index, f } = module.function(Array(9).fill(I32), [], 'permute')
  const [t, roundsP, halfF, state0, c, s, mt, pt, spare] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
  const [i, r, st, alt, swap, tmp, rowBytes] = [f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32), f.local(I32)]

  const element = (base: number, index: number) => f.get(base).get(index).i32(ELEMENT_BYTES).i32Mul().i32Add()
  const sbox = (at: () => void) => {
    f.get(tmp), at(), f.call(fr.square)
    f.get(tmp).get(tmp).call(fr.square)
    at(), f.get(tmp), at(), f.call(fr.mul)
  }
  const addConstant = (at: () => void) => {
    at(), at(), f.get(c).call(fr.add)
    f.bump(c, ELEMENT_BYTES)
  }
  const mix = (matrix: number) => {
    f.forLoop(i, () => f.get(t), () => {
      element(alt, i)
      f.get(matrix).get(i).get(rowBytes).i32Mul().i32Add()
      f.get(st).get(t).call(fr.dot)
    })
    f.get(st).set(swap).get(alt).set(st).get(swap).set(alt)
  }
  const fullRound = (matrix: number) => {
    f.forLoop(i, () => f.get(t), () => {
      sbox(() => element(st, i))
      addConstant(() => element(st, i))
    })
    mix(matrix)
  }

  f.get(t).i32(ELEMENT_BYTES).i32Mul().set(rowBytes)
  f.get(state0).set(st)
  f.get(spare).set(alt)
  f.get(spare).get(rowBytes).i32Add().set(tmp)
  for (let k = 0; k < LIMBS; k++) f.get(st).i64(0n).store64(8 * k)

  f.forLoop(i, () => f.get(t), () => addConstant(() => element(st, i)))
  f.forLoop(r, () => f.get(halfF).i32(1).i32Sub(), () => fullRound(mt))
  fullRound(pt)

  f.forLoop(r, () => f.get(roundsP), () => {
    sbox(() => f.get(st))
    addConstant(() => f.get(st))
    // The new first element goes to alt[0] while the others take state[0] * S[t + k - 1].
    f.get(alt).get(s).get(st).get(t).call(fr.dot)
    f.i32(1).set(i)
    f.block().loop()
    f.get(i).get(t).i32GeU().brIf(1)
    element(st, i)
    f.get(st)
    f.get(s).get(t).get(i).i32Add().i32(1).i32Sub().i32(ELEMENT_BYTES).i32Mul().i32Add()
    element(st, i)
    f.call(fr.mulAdd)
    f.bump(i, 1).br(0).end().end()
    for (let k = 0; k < LIMBS; k++) f.get(st).get(alt).load64(8 * k).store64(8 * k)
    f.get(s).get(t).i32(2).i32Mul().i32(1).i32Sub().i32(ELEMENT_BYTES).i32Mul().i32Add().set(s)
  })

  f.forLoop(r, () => f.get(halfF).i32(1).i32Sub(), () => fullRound(mt))
  f.forLoop(i, () => f.get(t), () => sbox(() => element(st, i)))
  f.get(state0).get(mt).get(st).get(t).call(fr.dot)
  return index
}
