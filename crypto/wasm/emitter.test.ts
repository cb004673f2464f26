import { describe, expect, it } from 'vitest'
import { I32, I64, ModuleBuilder, WasmEmitError } from './emitter.js'
import { instantiate } from './instantiate.js'

describe('ModuleBuilder', () => {
  it('encodes i64 constants at the edges of signed LEB128 and runs them', () => {
    const module = new ModuleBuilder()
    const constants = [0n, 63n, 64n, -64n, -65n, (1n << 63n) - 1n, -(1n << 63n), 1n << 63n]
    constants.forEach((value, i) => module.function([], [I64], `c${i}`).f.i64(value))
    const x = instantiate<Record<string, () => bigint>>(module.encode(1))
    // 2^63 is emitted as its two's complement, -2^63: i64 constants are 64-bit patterns.
    expect(constants.map((_, i) => x[`c${i}`]!())).toEqual([0n, 63n, 64n, -64n, -65n, (1n << 63n) - 1n, -(1n << 63n), -(1n << 63n)])
  })

  it('runs loops, calls and memory: a sum of i64 words', () => {
    const module = new ModuleBuilder()
    const double = module.function([I64], [I64])
    double.f.get(0).get(0).i64Add()
    const { f } = module.function([I32, I32], [I64], 'sum')
    const [i, acc] = [f.local(I32), f.local(I64)]
    f.forLoop(i, () => f.get(1), () => {
      f.get(acc).get(0).load64(0).call(double.index).i64Add().set(acc)
      f.bump(0, 8)
    })
    f.get(acc)
    const x = instantiate<{ memory: { buffer: ArrayBuffer }; sum: (at: number, n: number) => bigint }>(module.encode(1))
    new BigUint64Array(x.memory.buffer).set([1n, 2n, 3n, 4n], 2)
    expect(x.sum(16, 4)).toBe(20n)
    expect(x.sum(16, 0)).toBe(0n)
  })

  it('refuses a negative index, which LEB128 cannot encode unsigned', () => {
    const { f } = new ModuleBuilder().function([], [])
    expect(() => f.get(-1)).toThrow(WasmEmitError)
  })
})
