/**
 * Constraint cost of the batch circuit's components and of design alternatives
 * (docs/cost.md). Each component is compiled alone as the `main` of a small circuit under
 * build/analysis/ (circom --O2, as the project compiles its circuits) and counted with
 * snarkjs (`r1cs info`); nothing under circuits/ is written.
 *
 * `npx tsx bench/circuitCost.ts [ID_PREFIX...]` compiles the components (all, or those whose
 * id starts with a prefix) and prints a markdown table. They are not `npm run bench` figures:
 * the table is an analysis of design options, and its mains follow the templates' signatures.
 * The registered figure here is `prover.prove_s_per_slot.test`.
 *
 * The components are instantiated at the realistic parameters (accounts depth 24, positions
 * depth 3, order slots depth 4); the alternatives (k-ary trees, in-circuit margin, SHA-256
 * binding) live in bench/analysis/alternatives.circom.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { constraintCount } from '../prover/artifacts.js'
import { ROOT } from '../prover/paths.js'
import { terminateCurves } from '../prover/curves.js'
import { proveBatch } from '../prover/prove.js'
import { TEST_PARAMS } from '../state/params.js'
import type { Benchmark, Figure } from './figure.js'
import { BenchError, builtArtifacts, median, progress, round, timed, tradeAndWithdrawBatch } from './support.js'

const run = promisify(execFile)

/** Where the standalone mains and their r1cs go (git-ignored, used by no other build). */
export const ANALYSIS_DIR = join(ROOT, 'build', 'analysis')

/** A component compiled alone: `main` is the template instantiation, `include` its file. */
export type Component = {
  /** Figure suffix: `circuit.component.<id>`. */
  readonly id: string
  /** Include path, relative to `node_modules`, `circuits` or `bench/analysis`. */
  readonly include: string
  /** Template instantiation of the main component (a function: read from circuits/ when compiled). */
  readonly main: string | (() => string)
  /** What it is, for the table. */
  readonly what: string
}

const CL = (file: string) => `circomlib/circuits/${file}.circom`

/**
 * The arguments `circuits/main/batch_<name>.circom` passes to Batch, less the batch size:
 * Slot's arguments (the templates' parameter lists change as rules are added).
 */
function slotArgs(name: 'test' | 'realistic'): string {
  const main = readFileSync(join(ROOT, 'circuits', 'main', `batch_${name}.circom`), 'utf8')
  const args = /component main = Batch\(([^)]*)\)/.exec(main)?.[1]
  if (!args) throw new BenchError(`no Batch instantiation in circuits/main/batch_${name}.circom`)
  return args.split(',').slice(1).map((a) => a.trim()).join(', ')
}

/** How circuits/slot.circom instantiates TxTypeFlags. */
function txTypeFlagsCall(): string {
  const slot = readFileSync(join(ROOT, 'circuits', 'slot.circom'), 'utf8')
  return /TxTypeFlags\([^)]*\)/.exec(slot)?.[0] ?? 'TxTypeFlags()'
}
const ALT = 'alternatives.circom'

// Realistic parameters (state/params.ts REALISTIC_PARAMS), restated here only as the
// arguments of the measured templates.
const D_ACCOUNTS = 24
const D_POSITIONS = 3
const D_SLOTS = 4
const K = 27 // risk scenarios
const P = 8 // positions per account (2^D_POSITIONS)
const W = 96 // bits of a margin range check (see docs/cost.md)

export const COMPONENTS: readonly Component[] = [
  // Hash primitives.
  ...[2, 3, 4, 5, 6, 7, 8, 16].map((n) => ({ id: `poseidon${n}`, include: CL('poseidon'), main: `Poseidon(${n})`, what: `circomlib Poseidon(${n}) (t = ${n + 1})` })),
  // The slot's components (circuits/lib, circomlib).
  { id: 'slot_realistic', include: 'slot.circom', main: () => `Slot(${slotArgs('realistic')})`, what: 'one whole slot, realistic parameters' },
  { id: 'slot_test', include: 'slot.circom', main: () => `Slot(${slotArgs('test')})`, what: 'one whole slot, test parameters' },
  { id: 'merkle_level', include: 'lib/merkle.circom', main: 'MerkleLevel()', what: 'one binary level: swap + Poseidon(2)' },
  { id: 'merkle_update_d24', include: 'lib/merkle.circom', main: `MerkleUpdate(${D_ACCOUNTS})`, what: 'binary update (old + new path), depth 24: the accounts tree before arity 4' },
  { id: 'quad_merkle_update_l12', include: 'lib/quadMerkle.circom', main: `QuadMerkleUpdate(${D_ACCOUNTS / 2})`, what: 'accounts-tree update (old + new path), arity 4, 12 levels' },
  { id: 'merkle_update_d4', include: 'lib/merkle.circom', main: 'MerkleUpdate(4)', what: 'order-slot tree update, depth 4' },
  { id: 'merkle_update_d3', include: 'lib/merkle.circom', main: 'MerkleUpdate(3)', what: 'positions tree update, depth 3' },
  { id: 'account_leaf', include: 'lib/leaves.circom', main: 'AccountLeaf()', what: 'account leaf: Poseidon(5) over Poseidon(3)' },
  { id: 'order_slot_fill_d4', include: 'lib/subtreeUpdates.circom', main: `OrderSlotFill(${D_SLOTS})`, what: 'order-slot rule + its tree update, depth 4' },
  { id: 'position_slot_move8', include: 'lib/positions.circom', main: 'PositionSlotMove(8)', what: 'position rule on 8 flat slots (the hashes are in the slot)' },
  { id: 'tx_type_flags', include: 'lib/txType.circom', main: txTypeFlagsCall, what: 'one-hot type flags' },
  { id: 'eddsa_poseidon', include: CL('eddsaposeidon'), main: 'EdDSAPoseidonVerifier()', what: 'circomlib EdDSAPoseidonVerifier' },
  ...[24, 32, 64, 160].map((n) => ({ id: `num2bits${n}`, include: CL('bitify'), main: `Num2Bits(${n})`, what: `range check to ${n} bits` })),
  { id: 'less_eq_than64', include: CL('comparators'), main: 'LessEqThan(64)', what: 'comparison of two 64-bit values' },
  { id: 'is_equal', include: CL('comparators'), main: 'IsEqual()', what: 'IsEqual' },
  // Alternatives: k-ary accounts tree (same 2^24 leaves).
  { id: 'kary_update_a2_l24', include: ALT, main: 'KaryMerkleUpdate(1, 24)', what: 'generic k-ary update at arity 2 (check against merkle_update_d24)' },
  { id: 'kary_update_a4_l12', include: ALT, main: 'KaryMerkleUpdate(2, 12)', what: 'accounts update, arity 4, 12 levels' },
  { id: 'kary_update_a8_l8', include: ALT, main: 'KaryMerkleUpdate(3, 8)', what: 'accounts update, arity 8, 8 levels' },
  { id: 'kary_update_a16_l6', include: ALT, main: 'KaryMerkleUpdate(4, 6)', what: 'accounts update, arity 16, 6 levels' },
  { id: 'kary_update_a4_l2', include: ALT, main: 'KaryMerkleUpdate(2, 2)', what: 'order-slot update, arity 4, 2 levels (16 slots)' },
  { id: 'flat_position_move8', include: ALT, main: `FlatPositionMove(${D_POSITIONS})`, what: 'position rule on a flat list of 8, old + new Poseidon(16)' },
  { id: 'account_leaf_flat', include: ALT, main: 'AccountLeafFlat()', what: 'account leaf as one Poseidon(7)' },
  // Alternatives: opening every position of an account (needed by margin).
  { id: 'positions_open_tree_d3', include: ALT, main: `PositionsOpenTree(${D_POSITIONS})`, what: '8 positions from the binary subtree (8 leaf + 7 node hashes)' },
  { id: 'positions_open_flat8', include: ALT, main: `PositionsOpenFlat(${P})`, what: '8 positions as one Poseidon(16)' },
  // In-circuit initial margin, one account, K = 27, W = 96.
  ...[16, 32, 64, 256].map((s) => ({ id: `margin_onehot_s${s}`, include: ALT, main: `MarginOneHot(${P}, ${s}, ${K}, ${W}, 0)`, what: `margin, one-hot over S = ${s} rows (row window)` })),
  { id: 'margin_onehot_s64_series', include: ALT, main: `MarginOneHot(${P}, 64, ${K}, ${W}, 1)`, what: 'margin, one-hot over S = 64 rows, series id column' },
  ...[4, 6, 8].map((d) => ({ id: `margin_carried_row_d${d}`, include: ALT, main: `MarginCarriedRow(${P}, ${K}, ${W}, ${d})`, what: `margin, carried rows vs table root, S = ${1 << d}` })),
  { id: 'margin_onehot_taylor_s64', include: ALT, main: `MarginOneHotTaylor(${P}, 64, ${K}, ${W})`, what: 'margin, one-hot over 64 rows of 4 Taylor columns' },
  ...[16, 32, 64].map((s) => ({ id: `margin_risk_matrix_s${s}`, include: ALT, main: `MarginRiskMatrix(${P}, ${s}, ${K}, ${W})`, what: `docs/risk.md initial margin (equity, K scenarios, short minimum), S = ${s}` })),
  { id: 'margin_range_checks', include: ALT, main: `MarginRangeChecks(${K}, ${W})`, what: `the ${K} margin range checks alone` },
  ...[16, 64].map((s) => ({ id: `table_hash_s${s}`, include: ALT, main: `TableHash(${s}, ${K})`, what: `per batch: Poseidon(16) sponge over ${s} x ${K + 1} table values` })),
  // Alternatives: SHA-256 binding of the batch data.
  { id: 'sha256_55_bytes', include: ALT, main: 'Sha256OfBytes(55)', what: 'circomlib Sha256 of 55 bytes (1 block)' },
  { id: 'sha256_119_bytes', include: ALT, main: 'Sha256OfBytes(119)', what: 'circomlib Sha256 of 119 bytes (2 blocks)' },
  { id: 'nonnative_mul_mod', include: ALT, main: 'NonNativeMulMod()', what: 'one BLS12-381 scalar multiplication mod q, 4 x 64-bit limbs' },
  { id: 'blob_element_term', include: ALT, main: 'BlobElementTerm()', what: "one blob element's term of the barycentric evaluation" },
  { id: 'slot_data_bits', include: ALT, main: 'SlotDataBits(228, 80)', what: "a trade slot's (e1, e2) into 308 message bits" },
]

async function compileOne(c: Component): Promise<number> {
  const dir = join(ANALYSIS_DIR, 'circuits')
  const out = join(ANALYSIS_DIR, 'out')
  mkdirSync(dir, { recursive: true })
  mkdirSync(out, { recursive: true })
  const file = join(dir, `${c.id}.circom`)
  const main = typeof c.main === 'string' ? c.main : c.main()
  writeFileSync(file, `// GENERATED by bench/circuitCost.ts. Measures ${c.what}.\npragma circom 2.1.0;\ninclude "${c.include}";\ncomponent main = ${main};\n`)
  const circom = join(ROOT, 'node_modules', '.bin', 'circom2')
  const libs = ['node_modules', 'circuits', join('bench', 'analysis')].flatMap((l) => ['-l', join(ROOT, l)])
  try {
    await run(circom, [file, '--r1cs', '--O2', ...libs, '-o', out], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new BenchError(`circom failed for ${c.id}: ${e.stderr || e.stdout || e.message}`)
  }
  return constraintCount(join(out, `${c.id}.r1cs`))
}

/** Compiles and counts the components whose id is in `ids` (all when omitted). */
export async function measureComponents(ids?: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const c of COMPONENTS) {
    if (ids && !ids.includes(c.id)) continue
    const started = Date.now()
    counts.set(c.id, await compileOne(c))
    progress(`${c.id}: ${counts.get(c.id)} constraints (${((Date.now() - started) / 1000).toFixed(1)} s)`)
  }
  return counts
}

/**
 * `prover.prove_s_per_slot.test`: wall seconds of `proveBatch` for the full test batch (a
 * trade and a withdrawal; witness, Groth16 proof on every core, local verification), median
 * of three runs of the same batch, divided by the test batch size. As
 * `prover.batch_prove_s.test`, the first run also starts snarkjs's worker pool.
 */
export const proveSlotTest: Benchmark = {
  figures: ['prover.prove_s_per_slot.test'],
  run: async () => {
    builtArtifacts(TEST_PARAMS)
    const { trace } = tradeAndWithdrawBatch(TEST_PARAMS)
    const seconds: number[] = []
    try {
      for (let i = 0; i < 3; i++) {
        const { seconds: s } = await timed(() => proveBatch(trace, TEST_PARAMS))
        progress(`proveBatch run ${i + 1}/3: ${s.toFixed(2)} s for ${TEST_PARAMS.batchSize} slots`)
        seconds.push(s)
      }
    } finally {
      await terminateCurves()
    }
    const figure: Figure = { name: 'prover.prove_s_per_slot.test', value: round(median(seconds) / TEST_PARAMS.batchSize, 3), unit: 's' }
    return [figure]
  },
}

async function main(): Promise<void> {
  const prefixes = process.argv.slice(2)
  const ids = COMPONENTS.filter((c) => prefixes.length === 0 || prefixes.some((p) => c.id.startsWith(p))).map((c) => c.id)
  const counts = await measureComponents(ids)
  console.log('| component | constraints | what |\n|---|---:|---|')
  for (const c of COMPONENTS) if (counts.has(c.id)) console.log(`| \`${c.id}\` | ${counts.get(c.id)} | ${c.what} |`)
  await terminateCurves()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
