/**
 * A minimal WebAssembly binary emitter: just what the field and Poseidon code generators need
 * (i32/i64 integer code, one exported memory, exported functions). Generating the bytes at
 * import time keeps the arithmetic's source readable TypeScript, needs no toolchain, and lets
 * the generators unroll limb loops for a modulus and round constants only known at run time.
 *
 * Reference: the WebAssembly core specification, "Binary Format" (sections, LEB128, opcodes).
 */

/** Value types used here. */
export const I32 = 0x7f
export const I64 = 0x7e
export type ValType = typeof I32 | typeof I64

/** Thrown when generated code is malformed (a bug in a generator, never a user error). */
export class WasmEmitError extends Error {
  override readonly name = 'WasmEmitError'
}

function unsignedLeb(value: number): number[] {
  if (!Number.isInteger(value) || value < 0) throw new WasmEmitError(`LEB128 of ${value}`)
  const out: number[] = []
  do {
    let byte = value & 0x7f
    value = Math.floor(value / 128)
    if (value !== 0) byte |= 0x80
    out.push(byte)
  } while (value !== 0)
  return out
}

function signedLeb(value: bigint): number[] {
  const out: number[] = []
  for (;;) {
    const byte = Number(value & 0x7fn)
    value >>= 7n
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0)
    out.push(done ? byte : byte | 0x80)
    if (done) return out
  }
}

function vector(items: readonly number[][]): number[] {
  return [...unsignedLeb(items.length), ...items.flat()]
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsignedLeb(body.length), ...body]
}

const OP = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10,
  drop: 0x1a, select: 0x1b, localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i64Load: 0x29, i64Store: 0x37, i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32LtU: 0x49, i32GeU: 0x4f, i64Eqz: 0x50, i64Ne: 0x52, i64LtU: 0x54, i64LtS: 0x53,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64And: 0x83, i64Or: 0x84, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88,
  i32WrapI64: 0xa7, i64ExtendI32U: 0xad,
} as const

/** The body of one function: a stack-machine instruction stream with named helpers. */
export class FunctionBuilder {
  readonly #code: number[] = []
  readonly #locals: ValType[] = []
  readonly params: readonly ValType[]
  readonly results: readonly ValType[]

  constructor(params: readonly ValType[], results: readonly ValType[]) {
    this.params = params
    this.results = results
  }

  /** Declares a local and returns its index (parameters come first). */
  local(type: ValType): number {
    this.#locals.push(type)
    return this.params.length + this.#locals.length - 1
  }

  /** `count` new locals of `type`. */
  locals(type: ValType, count: number): number[] {
    return Array.from({ length: count }, () => this.local(type))
  }

  #op(...bytes: number[]): this {
    this.#code.push(...bytes)
    return this
  }

  get(index: number): this { return this.#op(OP.localGet, ...unsignedLeb(index)) }
  set(index: number): this { return this.#op(OP.localSet, ...unsignedLeb(index)) }
  tee(index: number): this { return this.#op(OP.localTee, ...unsignedLeb(index)) }
  i32(value: number): this { return this.#op(OP.i32Const, ...signedLeb(BigInt(value))) }
  i64(value: bigint): this { return this.#op(OP.i64Const, ...signedLeb(BigInt.asIntN(64, value))) }
  /** `i64.load` at the i32 address on the stack plus a constant byte offset. */
  load64(offset: number): this { return this.#op(OP.i64Load, 3, ...unsignedLeb(offset)) }
  /** `i64.store` of [address, value] at the address plus a constant byte offset. */
  store64(offset: number): this { return this.#op(OP.i64Store, 3, ...unsignedLeb(offset)) }
  call(index: number): this { return this.#op(OP.call, ...unsignedLeb(index)) }
  block(): this { return this.#op(OP.block, 0x40) }
  loop(): this { return this.#op(OP.loop, 0x40) }
  if(): this { return this.#op(OP.if, 0x40) }
  else(): this { return this.#op(OP.else) }
  end(): this { return this.#op(OP.end) }
  br(depth: number): this { return this.#op(OP.br, ...unsignedLeb(depth)) }
  brIf(depth: number): this { return this.#op(OP.brIf, ...unsignedLeb(depth)) }
  return(): this { return this.#op(OP.return) }
  drop(): this { return this.#op(OP.drop) }
  select(): this { return this.#op(OP.select) }
  i32Eqz(): this { return this.#op(OP.i32Eqz) }
  i32LtU(): this { return this.#op(OP.i32LtU) }
  i32GeU(): this { return this.#op(OP.i32GeU) }
  i32Add(): this { return this.#op(OP.i32Add) }
  i32Sub(): this { return this.#op(OP.i32Sub) }
  i32Mul(): this { return this.#op(OP.i32Mul) }
  i32And(): this { return this.#op(OP.i32And) }
  i64Eqz(): this { return this.#op(OP.i64Eqz) }
  i64Ne(): this { return this.#op(OP.i64Ne) }
  i64LtU(): this { return this.#op(OP.i64LtU) }
  i64LtS(): this { return this.#op(OP.i64LtS) }
  i64Add(): this { return this.#op(OP.i64Add) }
  i64Sub(): this { return this.#op(OP.i64Sub) }
  i64Mul(): this { return this.#op(OP.i64Mul) }
  i64And(): this { return this.#op(OP.i64And) }
  i64Or(): this { return this.#op(OP.i64Or) }
  i64Shl(): this { return this.#op(OP.i64Shl) }
  i64ShrS(): this { return this.#op(OP.i64ShrS) }
  i64ShrU(): this { return this.#op(OP.i64ShrU) }
  i32WrapI64(): this { return this.#op(OP.i32WrapI64) }
  i64ExtendI32U(): this { return this.#op(OP.i64ExtendI32U) }

  /**
   * `for (counter = 0; counter < limit; counter++) body()` over i32 locals; `pushLimit`
   * pushes the i32 bound (re-evaluated each iteration).
   */
  forLoop(counter: number, pushLimit: () => void, body: () => void): this {
    this.i32(0).set(counter)
    this.block().loop()
    this.get(counter)
    pushLimit()
    this.i32GeU().brIf(1)
    body()
    this.get(counter).i32(1).i32Add().set(counter)
    this.br(0).end().end()
    return this
  }

  /** Adds the constant `delta` to the i32 local `index`. */
  bump(index: number, delta: number): this {
    return this.get(index).i32(delta).i32Add().set(index)
  }

  /** The code section entry: local declarations (one run per local) and the body. */
  encode(): number[] {
    const runs = vector(this.#locals.map((type) => [1, type]))
    const body = [...runs, ...this.#code, OP.end]
    return [...unsignedLeb(body.length), ...body]
  }
}

/** A module of functions and one memory of `pages` 64 KiB pages, exported as `memory`. */
export class ModuleBuilder {
  readonly #functions: { name: string | undefined; builder: FunctionBuilder }[] = []

  /**
   * Adds a function and returns its index; it is exported under `exportName` when given.
   * Its body can be filled in later (functions may call each other in any order).
   */
  function(params: readonly ValType[], results: readonly ValType[], exportName?: string): { index: number; f: FunctionBuilder } {
    const builder = new FunctionBuilder(params, results)
    this.#functions.push({ name: exportName, builder })
    return { index: this.#functions.length - 1, f: builder }
  }

  /** The module's binary encoding. */
  encode(pages: number): Uint8Array {
    const types = this.#functions.map(({ builder }) => [0x60, ...vector(builder.params.map((t) => [t])), ...vector(builder.results.map((t) => [t]))])
    const bytes = [
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      ...section(1, vector(types)),
      ...section(3, vector(this.#functions.map((_, i) => unsignedLeb(i)))),
      ...section(5, vector([[0x00, ...unsignedLeb(pages)]])),
      ...section(
        7,
        vector([
          [...nameBytes('memory'), 0x02, 0x00],
          ...this.#functions.flatMap(({ name }, i) => (name === undefined ? [] : [[...nameBytes(name), 0x00, ...unsignedLeb(i)]])),
        ]),
      ),
      ...section(10, vector(this.#functions.map(({ builder }) => builder.encode()))),
    ]
    return Uint8Array.from(bytes)
  }
}

function nameBytes(name: string): number[] {
  const utf8 = [...new TextEncoder().encode(name)]
  return [...unsignedLeb(utf8.length), ...utf8]
}
