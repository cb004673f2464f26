/**
 * `state.leaf_updates_per_s`: account-tree leaf updates per second at the realistic accounts
 * depth (24: a 4-ary `QuadMerkleTree` of 12 levels), single-threaded, on whatever the machine
 * has (the development machine: 2 cores, shared).
 *
 * One leaf update, as in issue 5's definition (whose baseline counts 24 Poseidon(2) per
 * update), is: a new leaf value for one account is written and every node above it is
 * recomputed, up to the new root. Hashing the account record into its leaf is not included;
 * `state.account_updates_per_s` includes it (Poseidon(3) + Poseidon(5) per update, as
 * `accountLeaf` does).
 *
 * The way the sequencer would use it: a tree holding ACCOUNTS accounts (indices 0..ACCOUNTS-1,
 * as `nextFreeIndex` allocates them), a batch of BATCH changes to random accounts among them,
 * applied with `setMany` (each dirty upper node hashed once per batch) and the root read.
 * `state.leaf_updates_one_by_one_per_s` applies the same kind of changes with `set` and reads
 * the root after each: one full path each, as `RollupState` paid per account write until its
 * slot traces stopped recording a root per slot (the tree hashes lazily, docs/hashing.md). `crypto.poseidon_per_s` is Poseidon(2) hashes per second on one core, by the
 * permutation `poseidon` uses (the native addon where it is built); `crypto.poseidon_wasm_per_s`
 * the same by the wasm permutation, its fallback.
 *
 * Each figure is the median of RUNS timed runs after a warm-up run (JIT and wasm tier-up).
 */
import { accountLeaf } from '../state/leaves.js'
import { emptyAccountLeaf } from '../state/leaves.js'
import { accountLevels, REALISTIC_PARAMS } from '../state/params.js'
import { poseidonBackend, poseidonWasm } from '../crypto/poseidon/poseidon.js'
import { hash, hash2 as defaultHash2 } from '../state/poseidon.js'
import { QuadMerkleTree } from '../state/quadMerkle.js'
import type { Account } from '../state/types.js'
import type { Benchmark, Figure } from './figure.js'
import { BenchError, median, progress } from './support.js'

const ACCOUNTS = 65_536
const BATCH = 1024
const ONE_BY_ONE = 96
const RUNS = 7
const HASH_SECONDS = 0.3

/** A small deterministic generator, so that every run updates the same kind of accounts. */
function generator(seed: number): { readonly index: (below: number) => number; readonly field: () => bigint } {
  let state = seed >>> 0
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0)
  return {
    index: (below) => Math.floor((next() / 2 ** 32) * below),
    field: () => hash([BigInt(next()), BigInt(next())]),
  }
}

function seconds(f: () => void): number {
  const started = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - started) / 1e9
}

/** A realistic-depth accounts tree with `accounts` non-empty leaves at 0..accounts-1. */
export function populatedTree(accounts: number): QuadMerkleTree {
  const tree = new QuadMerkleTree(accountLevels(REALISTIC_PARAMS), emptyAccountLeaf(REALISTIC_PARAMS))
  const g = generator(1)
  tree.setMany(Array.from({ length: accounts }, (_, i) => [BigInt(i), g.field()] as const))
  return tree
}

/** Leaf updates per second (median of `runs`) of batches of `batch` changes applied with `setMany`. */
export function measureBatched(tree: QuadMerkleTree, accounts: number, batch: number, runs: number): number {
  const g = generator(2)
  const rates: number[] = []
  for (let run = 0; run <= runs; run++) {
    const updates = Array.from({ length: batch }, () => [BigInt(g.index(accounts)), g.field()] as const)
    const s = seconds(() => {
      tree.setMany(updates)
      if (tree.root === 0n) throw new BenchError('the root is 0')
    })
    if (run > 0) rates.push(batch / s)
  }
  return median(rates)
}

/** Leaf updates per second (median of `runs`) of `count` changes applied one by one with `set`. */
export function measureOneByOne(tree: QuadMerkleTree, accounts: number, count: number, runs: number): number {
  const g = generator(3)
  const rates: number[] = []
  for (let run = 0; run <= runs; run++) {
    const updates = Array.from({ length: count }, () => [BigInt(g.index(accounts)), g.field()] as const)
    const s = seconds(() => {
      // The root read after each: the tree hashes lazily, and a root per update is a full path each.
      for (const [i, leaf] of updates) {
        tree.set(i, leaf)
        if (tree.root === 0n) throw new BenchError('the root is 0')
      }
    })
    if (run > 0) rates.push(count / s)
  }
  return median(rates)
}

/** Account updates per second: `accountLeaf` of each changed record, then the batch with `setMany`. */
export function measureAccountUpdates(tree: QuadMerkleTree, accounts: number, batch: number, runs: number): number {
  const g = generator(4)
  const rates: number[] = []
  for (let run = 0; run <= runs; run++) {
    const records: [bigint, Account][] = Array.from({ length: batch }, () => [
      BigInt(g.index(accounts)),
      { pubKey: { x: g.field(), y: g.field() }, l1Address: BigInt(g.index(2 ** 31)), nonce: BigInt(run), collateral: BigInt(g.index(2 ** 31)), positionsHash: g.field(), orderSlotsRoot: g.field() },
    ])
    const s = seconds(() => {
      tree.setMany(records.map(([i, a]) => [i, accountLeaf(a)] as const))
      if (tree.root === 0n) throw new BenchError('the root is 0')
    })
    if (run > 0) rates.push(batch / s)
  }
  return median(rates)
}

/** Poseidon(2) hashes per second on one core by `hash2` (median of `runs` runs of about 0.3 s). */
export function measurePoseidon2(runs: number, hash2: (left: bigint, right: bigint) => bigint = defaultHash2): number {
  const rates: number[] = []
  let x = 1n
  for (let run = 0; run <= runs; run++) {
    let count = 0
    const started = process.hrtime.bigint()
    let elapsed = 0
    while (elapsed < HASH_SECONDS) {
      for (let i = 0; i < 100; i++) x = hash2(x, BigInt(i))
      count += 100
      elapsed = Number(process.hrtime.bigint() - started) / 1e9
    }
    if (run > 0) rates.push(count / elapsed)
  }
  if (x === 0n) throw new BenchError('Poseidon chain reached 0')
  return median(rates)
}

export const leafUpdates: Benchmark = {
  figures: ['state.leaf_updates_per_s', 'state.leaf_updates_one_by_one_per_s', 'state.account_updates_per_s', 'crypto.poseidon_per_s', 'crypto.poseidon_wasm_per_s'],
  run: async (wanted) => {
    const figures: Figure[] = []
    const want = (name: string) => wanted.includes(name)
    if (want('state.leaf_updates_per_s') || want('state.leaf_updates_one_by_one_per_s') || want('state.account_updates_per_s')) {
      progress(`leafUpdates: populating a ${accountLevels(REALISTIC_PARAMS)}-level accounts tree with ${ACCOUNTS} accounts`)
      const tree = populatedTree(ACCOUNTS)
      if (want('state.leaf_updates_per_s')) {
        const rate = measureBatched(tree, ACCOUNTS, BATCH, RUNS)
        progress(`leafUpdates: batches of ${BATCH} changes with setMany: ${Math.round(rate)}/s`)
        figures.push({ name: 'state.leaf_updates_per_s', value: Math.round(rate), unit: 'updates/s' })
      }
      if (want('state.leaf_updates_one_by_one_per_s')) {
        const rate = measureOneByOne(tree, ACCOUNTS, ONE_BY_ONE, RUNS)
        progress(`leafUpdates: one by one with set: ${Math.round(rate)}/s`)
        figures.push({ name: 'state.leaf_updates_one_by_one_per_s', value: Math.round(rate), unit: 'updates/s' })
      }
      if (want('state.account_updates_per_s')) {
        const rate = measureAccountUpdates(tree, ACCOUNTS, BATCH, RUNS)
        progress(`leafUpdates: account records hashed and batched: ${Math.round(rate)}/s`)
        figures.push({ name: 'state.account_updates_per_s', value: Math.round(rate), unit: 'updates/s' })
      }
    }
    if (want('crypto.poseidon_per_s')) {
      const rate = measurePoseidon2(RUNS)
      progress(`leafUpdates: Poseidon(2), ${poseidonBackend()}: ${Math.round(rate)}/s`)
      figures.push({ name: 'crypto.poseidon_per_s', value: Math.round(rate), unit: 'hashes/s' })
    }
    if (want('crypto.poseidon_wasm_per_s')) {
      const rate = measurePoseidon2(RUNS, (left, right) => poseidonWasm([left, right]))
      progress(`leafUpdates: Poseidon(2), wasm: ${Math.round(rate)}/s`)
      figures.push({ name: 'crypto.poseidon_wasm_per_s', value: Math.round(rate), unit: 'hashes/s' })
    }
    return figures
  },
}
