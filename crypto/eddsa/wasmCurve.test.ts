/**
 * The wasm group arithmetic against the bigint reference (curve.ts and its tables, themselves
 * checked against @zk-kit/baby-jubjub in curve.test.ts) and @zk-kit: B8 multiples, small-order
 * detection, the verification equation with tables of every window width and with the Horner
 * loop, and the reuse of key slots. The full accept-set agreement with @zk-kit is in
 * verifier.test.ts, which runs on this code.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { hash } from '../../state/poseidon.js'
import { SUBGROUP_ORDER } from './curve.js'
import { EddsaError } from './errors.js'
import { addPoints, mulBase8, mulPoint, signAs, torsionPoints, zkBabyJub } from './testing.js'
import { WasmCurve } from './wasmCurve.js'

const scalarArb = fc.bigInt({ min: 0n, max: SUBGROUP_ORDER - 1n })
const torsion = torsionPoints()

/** A valid signature under the key [secret]B8 (+ `torsionPart`), with its reduced challenge. */
function signed(secret: bigint, nonce: bigint, message: bigint, torsionPart = torsion.identity) {
  const publicKey = addPoints(mulBase8(secret), torsionPart)
  const signature = signAs(secret, publicKey, nonce, message)
  const h = hash([signature.R8.x, signature.R8.y, publicKey.x, publicKey.y, message]) % SUBGROUP_ORDER
  return { publicKey, signature, h }
}

describe('WasmCurve', () => {
  const curve = new WasmCurve()

  it('mulBase8 agrees with the bigint table and with @zk-kit mulPointEscalar', () => {
    fc.assert(
      fc.property(scalarArb, (k) => {
        expect(curve.mulBase8(k)).toEqual(mulBase8(k))
      }),
      { numRuns: 50 },
    )
    for (const k of [0n, 1n, 2n, SUBGROUP_ORDER - 1n, SUBGROUP_ORDER, 2n ** 254n - 1n]) expect(curve.mulBase8(k), String(k)).toEqual(mulBase8(k))
    const [x, y] = zkBabyJub.mulPointEscalar(zkBabyJub.Base8, 123456789n)
    expect(curve.mulBase8(123456789n)).toEqual({ x, y })
    expect(() => curve.mulBase8(2n ** 254n)).toThrow(EddsaError)
  })

  it('loadKey tells small-order keys (orders 1, 2, 4, 8) from the others', () => {
    for (const [name, p] of Object.entries(torsion)) expect(curve.loadKey(p.x, p.y), name).toBe(false)
    expect(curve.loadKey(mulBase8(5n).x, mulBase8(5n).y)).toBe(true)
    const mixed = addPoints(mulBase8(5n), torsion.order8)
    expect(curve.loadKey(mixed.x, mixed.y)).toBe(true)
  })

  for (const w of [2, 3, 4, 5, 8]) {
    it(`verification equation with ${w}-bit key tables and the Horner loop (property)`, () => {
      const c = new WasmCurve(w)
      fc.assert(
        fc.property(fc.bigInt({ min: 1n, max: SUBGROUP_ORDER - 1n }), scalarArb, fc.bigInt({ min: 0n, max: 2n ** 253n }), fc.boolean(), (secret, nonce, message, withTorsion) => {
          const { publicKey, signature, h } = signed(secret, nonce, message, withTorsion ? torsion.order4 : torsion.identity)
          const { R8, S } = signature
          expect(c.loadKey(publicKey.x, publicKey.y)).toBe(true)
          expect(c.verifyCold(h, S, R8.x, R8.y)).toBe(true)
          expect(c.verifyCold(h, (S + 1n) % SUBGROUP_ORDER, R8.x, R8.y)).toBe(false)
          const slot = c.tableFromKey()
          expect(c.verifyWithTable(slot, h, S, R8.x, R8.y)).toBe(true)
          expect(c.verifyWithTable(slot, (h + 1n) % SUBGROUP_ORDER, S, R8.x, R8.y)).toBe(false)
          const shifted = addPoints(R8, torsion.order2)
          expect(c.verifyWithTable(slot, h, S, shifted.x, shifted.y)).toBe(false)
          c.freeSlot(slot)
        }),
        { numRuns: w === 8 ? 2 : 4 },
      )
    })
  }

  it('h = 0: only [S]B8 is compared with R8', () => {
    const c = new WasmCurve()
    const R8 = mulBase8(77n)
    expect(c.verifyCold(0n, 77n, R8.x, R8.y)).toBe(true)
    expect(c.verifyCold(0n, 78n, R8.x, R8.y)).toBe(false)
  })

  it('reuses freed key slots without growing memory, and a reused slot holds the new key', () => {
    const c = new WasmCurve()
    const first = signed(11n, 12n, 13n)
    c.loadKey(first.publicKey.x, first.publicKey.y)
    const slot = c.tableFromKey()
    const bytes = c.memoryBytes
    c.freeSlot(slot)
    const second = signed(21n, 22n, 23n)
    c.loadKey(second.publicKey.x, second.publicKey.y)
    expect(c.tableFromKey()).toBe(slot)
    expect(c.memoryBytes).toBe(bytes)
    expect(c.verifyWithTable(slot, second.h, second.signature.S, second.signature.R8.x, second.signature.R8.y)).toBe(true)
    expect(c.verifyWithTable(slot, first.h, first.signature.S, first.signature.R8.x, first.signature.R8.y)).toBe(false)
  })

  it('agrees with the bigint variable-base multiplication on [8]A (through the equation)', () => {
    // [S]B8 - [h]([8]A) == R8 exactly when R8 is computed that way by the reference code.
    const c = new WasmCurve()
    const A = mulBase8(987654321n)
    const a8 = mulPoint(A, 8n)
    const h = 31337n
    const S = 4242n
    const expected = addPoints(mulBase8(S), mulPoint(a8, SUBGROUP_ORDER - h))
    c.loadKey(A.x, A.y)
    expect(c.verifyCold(h, S, expected.x, expected.y)).toBe(true)
  })

  it('refuses impossible window widths', () => {
    expect(() => new WasmCurve(1)).toThrow(/keyWindowBits/)
    expect(() => new WasmCurve(9)).toThrow(/keyWindowBits/)
    expect(() => new WasmCurve(4.5)).toThrow(EddsaError)
  })
})
