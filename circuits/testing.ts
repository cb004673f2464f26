/**
 * Helpers for the circuit tests: witness calculation in memory, reading and editing a
 * witness, the r1cs and .sym files of a build, and locating a constraint in the circom
 * sources so that a test can assert *which* rule refused a tampered witness.
 *
 * Test-only code; nothing outside `circuits/*.test.ts` imports it.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as snarkjs from 'snarkjs'
import { SNARK_FIELD } from '../state/params.js'
import type { SignalValue, WitnessInput } from '../state/witness.js'
import { ROOT } from '../prover/paths.js'

// ---------------------------------------------------------------------------------------
// Witness calculation
// ---------------------------------------------------------------------------------------

/** One frame of circom's "Assert Failed" message: `Error in template <name>_<id> line: <n>`. */
export type FailureFrame = { readonly template: string; readonly line: number }

/** What the witness calculator made of an input. */
export type WitnessOutcome =
  | { readonly ok: true; readonly wtns: Uint8Array; readonly inputHash: bigint }
  | { readonly ok: false; readonly message: string; readonly frames: readonly FailureFrame[] }

/** Parses circom's failure message into frames, innermost template first. */
export function failureFrames(message: string): FailureFrame[] {
  const frames: FailureFrame[] = []
  for (const m of message.matchAll(/Error in template (\w+?)_\d+ line: (\d+)/g)) frames.push({ template: m[1]!, line: Number(m[2]) })
  return frames
}

/**
 * Runs the circuit's witness calculator (snarkjs `wtns.calculate`, in memory). Never
 * throws for a refused input: circom's compiled asserts mirror every `===`, so a failed
 * constraint comes back as `{ ok: false }` with the template and line that refused it.
 */
export async function witnessOutcome(input: WitnessInput, wasmPath: string): Promise<WitnessOutcome> {
  const file: { type: 'mem'; data?: Uint8Array } = { type: 'mem' }
  // circom_runtime prints every failed assert to console.error before throwing; the
  // message is returned here instead, so keep the test output readable.
  const consoleError = console.error
  console.error = () => {}
  try {
    await snarkjs.wtns.calculate(input, wasmPath, file)
  } catch (error) {
    const message = (error as Error).message
    return { ok: false, message, frames: failureFrames(message) }
  } finally {
    console.error = consoleError
  }
  const wtns = file.data!
  return { ok: true, wtns, inputHash: readWire(wtns, 1) }
}

// ---------------------------------------------------------------------------------------
// .wtns files (iden3 binary format: "wtns", version, sections; section 1 = n8, prime,
// count; section 2 = the values, n8 bytes little-endian each, wire 0 = 1, wire 1 = the
// first public signal)
// ---------------------------------------------------------------------------------------

function sectionOffsets(bytes: Uint8Array, magic: string): Map<number, { offset: number; size: number }> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const found = String.fromCharCode(...bytes.subarray(0, 4))
  if (found !== magic) throw new Error(`not a ${magic} file (magic ${found})`)
  const sections = new Map<number, { offset: number; size: number }>()
  const count = view.getUint32(8, true)
  let p = 12
  for (let i = 0; i < count; i++) {
    const type = view.getUint32(p, true)
    const size = Number(view.getBigUint64(p + 4, true))
    sections.set(type, { offset: p + 12, size })
    p += 12 + size
  }
  return sections
}

function readLE(bytes: Uint8Array, offset: number, n8: number): bigint {
  let v = 0n
  for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[offset + i]!)
  return v
}

function witnessLayout(wtns: Uint8Array): { n8: number; values: number; count: number } {
  const s = sectionOffsets(wtns, 'wtns')
  const header = s.get(1)
  const values = s.get(2)
  if (!header || !values) throw new Error('wtns file without header or values section')
  const n8 = new DataView(wtns.buffer, wtns.byteOffset).getUint32(header.offset, true)
  return { n8, values: values.offset, count: values.size / n8 }
}

/** The value of wire `index` in a .wtns file. */
export function readWire(wtns: Uint8Array, index: number): bigint {
  const { n8, values, count } = witnessLayout(wtns)
  if (index < 0 || index >= count) throw new RangeError(`wire ${index} outside [0, ${count})`)
  return readLE(wtns, values + index * n8, n8)
}

/** Every wire value of a .wtns file. */
export function readWitness(wtns: Uint8Array): bigint[] {
  const { n8, values, count } = witnessLayout(wtns)
  return Array.from({ length: count }, (_, i) => readLE(wtns, values + i * n8, n8))
}

/** A copy of a .wtns file with wire `index` set to `value` (reduced into the field). */
export function withWire(wtns: Uint8Array, index: number, value: bigint): Uint8Array {
  const { n8, values, count } = witnessLayout(wtns)
  if (index < 0 || index >= count) throw new RangeError(`wire ${index} outside [0, ${count})`)
  const copy = wtns.slice()
  let v = ((value % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD
  for (let i = 0; i < n8; i++) {
    copy[values + index * n8 + i] = Number(v & 0xffn)
    v >>= 8n
  }
  return copy
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} }

/**
 * snarkjs `wtns.check`: true when the witness satisfies every r1cs constraint. (snarkjs
 * calls `logger.warn` on failure without checking for a logger, so one is always given.)
 */
export async function checkWitness(r1csPath: string, wtns: Uint8Array): Promise<boolean> {
  return (await snarkjs.wtns.check(r1csPath, { type: 'mem', data: wtns }, silentLogger)) as boolean
}

// ---------------------------------------------------------------------------------------
// r1cs: a small reader, and a scan for wires that no constraint pins
// ---------------------------------------------------------------------------------------

/** A linear combination: pairs of (wire, coefficient). */
export type LinearCombination = readonly (readonly [number, bigint])[]
/** A constraint A * B = C. */
export type Constraint = readonly [LinearCombination, LinearCombination, LinearCombination]
/** The parts of an r1cs file the tests use. */
export type R1cs = { readonly prime: bigint; readonly nWires: number; readonly constraints: readonly Constraint[] }

/** Reads an r1cs file (iden3 binary format, version 1: header section 1, constraints section 2). */
export function readR1cs(path: string): R1cs {
  const bytes = new Uint8Array(readFileSync(path))
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const s = sectionOffsets(bytes, 'r1cs')
  const header = s.get(1)
  const body = s.get(2)
  if (!header || !body) throw new Error(`${path}: no header or constraints section`)
  const n8 = view.getUint32(header.offset, true)
  const prime = readLE(bytes, header.offset + 4, n8)
  let p = header.offset + 4 + n8
  const nWires = view.getUint32(p, true)
  p += 4 * 4 + 8 // nWires, nPubOut, nPubIn, nPrvIn, nLabels (u64)
  const nConstraints = view.getUint32(p, true)
  p = body.offset
  const lc = (): LinearCombination => {
    const n = view.getUint32(p, true)
    p += 4
    const terms: [number, bigint][] = []
    for (let i = 0; i < n; i++) {
      terms.push([view.getUint32(p, true), readLE(bytes, p + 4, n8)])
      p += 4 + n8
    }
    return terms
  }
  const constraints: Constraint[] = []
  for (let i = 0; i < nConstraints; i++) constraints.push([lc(), lc(), lc()])
  return { prime, nWires, constraints }
}

function evaluate(lc: LinearCombination, w: readonly bigint[], prime: bigint): bigint {
  let acc = 0n
  for (const [wire, coeff] of lc) acc += coeff * w[wire]!
  return acc % prime
}

/** True when `w` satisfies constraint `c`. */
export function satisfies(c: Constraint, w: readonly bigint[], prime: bigint): boolean {
  return (evaluate(c[0], w, prime) * evaluate(c[1], w, prime) - evaluate(c[2], w, prime)) % prime === 0n
}

/**
 * Wires that, changed alone, still satisfy every constraint they appear in: the witness
 * does not determine them. Each wire is moved by +1; wire 0 (the constant 1) is skipped.
 */
export function unpinnedWires(r1cs: R1cs, witness: readonly bigint[]): number[] {
  const uses: number[][] = Array.from({ length: r1cs.nWires }, () => [])
  r1cs.constraints.forEach((c, i) => {
    const wires = new Set<number>()
    for (const lc of c) for (const [wire] of lc) wires.add(wire)
    for (const wire of wires) uses[wire]!.push(i)
  })
  const w = [...witness]
  const free: number[] = []
  for (let wire = 1; wire < r1cs.nWires; wire++) {
    const original = w[wire]!
    w[wire] = (original + 1n) % r1cs.prime
    if (uses[wire]!.every((i) => satisfies(r1cs.constraints[i]!, w, r1cs.prime))) free.push(wire)
    w[wire] = original
  }
  return free
}

// ---------------------------------------------------------------------------------------
// .sym files: `labelIndex,wireIndex,componentIndex,name`; wire -1 = optimised away
// ---------------------------------------------------------------------------------------

/** Signal names and their wires. */
export type Symbols = {
  /** The wire of a signal; throws when the name is unknown or the optimiser removed it. */
  wireOf(name: string): number
  /** Every signal name that lives on `wire`. */
  namesOf(wire: number): readonly string[]
}

/** Reads a circom .sym file. */
export function readSymbols(path: string): Symbols {
  const byName = new Map<string, number>()
  const byWire = new Map<number, string[]>()
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue
    const [, wireText, , name] = line.split(',')
    const wire = Number(wireText)
    byName.set(name!, wire)
    if (wire >= 0) byWire.set(wire, [...(byWire.get(wire) ?? []), name!])
  }
  return {
    wireOf(name) {
      const wire = byName.get(name)
      if (wire === undefined) throw new Error(`no signal ${name} in ${path}`)
      if (wire < 0) throw new Error(`signal ${name} was optimised away (no wire of its own)`)
      return wire
    },
    namesOf: (wire) => byWire.get(wire) ?? [],
  }
}

// ---------------------------------------------------------------------------------------
// Sources and inputs
// ---------------------------------------------------------------------------------------

/**
 * The 1-based line of `circuits/<file>` holding `snippet`; throws unless exactly one line
 * does, so that a test names the constraint it expects to fire rather than a line number.
 */
export function sourceLine(file: string, snippet: string): number {
  const lines = readFileSync(join(ROOT, 'circuits', file), 'utf8').split('\n')
  const hits = lines.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []))
  if (hits.length !== 1) throw new Error(`"${snippet}" is on ${hits.length} lines of circuits/${file}, expected one`)
  return hits[0]!
}

/** A deep copy of a witness input with one signal replaced: `name[slot]` or `name[slot][index]`. */
export function withSignal(input: WitnessInput, name: string, slot: number, value: bigint, index?: number | readonly number[]): WitnessInput {
  const copy = structuredClone(input)
  const signal = copy[name]
  if (!Array.isArray(signal)) throw new Error(`${name} is not a per-slot signal`)
  const path = [slot, ...(index === undefined ? [] : typeof index === 'number' ? [index] : index)]
  let parent: SignalValue[] = signal
  for (const step of path.slice(0, -1)) {
    const next = parent[step]
    if (!Array.isArray(next)) throw new Error(`${name}[${path.join('][')}] does not exist`)
    parent = next
  }
  const last = path[path.length - 1]!
  if (typeof parent[last] !== 'string') throw new Error(`${name}[${path.join('][')}] is not a scalar; give the full index`)
  parent[last] = value.toString()
  return copy
}

/** The value of `name[slot]` or `name[slot][index]` in a witness input. */
export function signalOf(input: WitnessInput, name: string, slot: number, index?: number | readonly number[]): bigint {
  let value: SignalValue | undefined = (input[name] as SignalValue[] | undefined)?.[slot]
  for (const step of index === undefined ? [] : typeof index === 'number' ? [index] : index) value = Array.isArray(value) ? value[step] : undefined
  if (typeof value !== 'string') throw new Error(`no scalar signal ${name}[${slot}]${index === undefined ? '' : `[${index}]`}`)
  return BigInt(value)
}
