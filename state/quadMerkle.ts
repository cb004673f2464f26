/**
 * Sparse, fixed-height 4-ary Poseidon Merkle tree: the arity-4 accounts tree of docs/cost.md
 * ("Alternatives measured"), the counterpart of the binary `MerkleTree` of ./merkle.ts.
 *
 * A tree of `levels` levels holds `4^levels = 2^(2 * levels)` leaves; a node is
 * `Poseidon(4)` of its four children in child order. Level 0 holds the leaves. The index
 * digit at level `l` is `(index >> 2l) & 3` (least significant digit at the leaf level): it
 * is the position, 0..3, of the level-`l` node on the path among its parent's children.
 *
 * Proof convention: `proof[l]` is the triple of the three siblings of the level-`l` node on
 * the path, in child order with the node's own position removed. For digit `d` and children
 * `c0..c3` of the level-`(l + 1)` node, `proof[l]` is `[c0, c1, c2, c3]` without `c_d`:
 * d = 0 gives `[c1, c2, c3]`, d = 1 `[c0, c2, c3]`, d = 2 `[c0, c1, c3]`, d = 3
 * `[c0, c1, c2]`. The circuit (circuits/lib/quadMerkle.circom) and the contract library
 * (contracts/src/QuadMerkle.sol) take the same triples.
 */
import { hash } from './poseidon.js'
import type { Journal } from './journal.js'

/** The three siblings of one level of a path, in child order with the node's position removed. */
export type QuadSiblings = readonly [bigint, bigint, bigint]

/** A path from the leaf level upwards: one sibling triple per level. */
export type QuadProof = readonly QuadSiblings[]

/** The largest supported height: 4^16 = 2^32 leaves (node indices stay exact `number`s). */
export const MAX_QUAD_LEVELS = 16

/** Poseidon(4) of the four children of a node with `node` at `digit` and `siblings` around it. */
export function quadParent(node: bigint, digit: number, siblings: QuadSiblings): bigint {
  const children = [...siblings]
  children.splice(digit, 0, node)
  return hash(children)
}

/** Roots of empty subtrees, bottom up: `zeros[0]` is the default leaf, `zeros[levels]` the empty root. */
export function quadZeroHashes(levels: number, defaultLeaf: bigint): bigint[] {
  const zeros = [defaultLeaf]
  for (let level = 0; level < levels; level++) {
    const z = zeros[level]!
    zeros.push(hash([z, z, z, z]))
  }
  return zeros
}

function checkLevels(levels: number): void {
  if (!Number.isInteger(levels) || levels < 1 || levels > MAX_QUAD_LEVELS) {
    throw new RangeError(`quad tree levels ${levels} outside [1, ${MAX_QUAD_LEVELS}]`)
  }
}

function checkIndex(index: bigint, levels: number): number {
  if (index < 0n || index >= 1n << BigInt(2 * levels)) throw new RangeError(`leaf index ${index} outside a ${levels}-level quad tree`)
  return Number(index)
}

/**
 * The root of a path: `leaf` at `index` with `proof` from the leaf level upwards (the tree's
 * height is `proof.length`). Pure; throws a `RangeError` for an index outside the tree or a
 * level without exactly three siblings.
 *
 * @example quadRootFromProof(leaf, 5n, tree.proof(5n)) === tree.root
 */
export function quadRootFromProof(leaf: bigint, index: bigint, proof: QuadProof): bigint {
  checkLevels(proof.length)
  let i = checkIndex(index, proof.length)
  let node = leaf
  for (const siblings of proof) {
    if (siblings.length !== 3) throw new RangeError(`a quad proof level has ${siblings.length} siblings, not 3`)
    node = quadParent(node, i % 4, siblings)
    i = Math.floor(i / 4)
  }
  return node
}

/** True when `proof` places `leaf` at `index` under `root` (false, never a throw, for a malformed proof). */
export function verifyQuadProof(root: bigint, leaf: bigint, index: bigint, proof: QuadProof): boolean {
  try {
    return quadRootFromProof(leaf, index, proof) === root
  } catch (error) {
    if (error instanceof RangeError) return false
    throw error
  }
}

const zeroCache = new Map<string, bigint[]>()

function cachedZeros(levels: number, defaultLeaf: bigint): bigint[] {
  const key = `${levels}:${defaultLeaf}`
  let zeros = zeroCache.get(key)
  if (!zeros) zeroCache.set(key, (zeros = quadZeroHashes(levels, defaultLeaf)))
  return zeros
}

/**
 * A sparse 4-ary Merkle tree of `4^levels` leaves, all `defaultLeaf` at first. Only nodes
 * that differ from the empty tree are stored. Every write is recorded in `journal`, when
 * given, so that `journal.rollback(mark)` restores the tree exactly.
 *
 * Nodes above a written leaf are hashed lazily: `set` only marks its path dirty, and a dirty
 * node is hashed when something reads it (the root, a proof's sibling). A trade writes two
 * accounts whose paths share their upper levels, and a batch writes the same few accounts
 * again and again: hashing each shared node once, when it is read, rather than once per
 * write, saves most of the accounts tree's hashing (docs/hashing.md). The values read are
 * those of eager hashing: a node is dirty exactly when a leaf below it changed since it was
 * last hashed, and every ancestor of a dirty node is dirty.
 */
export class QuadMerkleTree {
  readonly levels: number
  readonly #zeros: readonly bigint[]
  /** `#nodes[l]` maps a node index at level `l` to its value when it is not the empty value (and not dirty). */
  readonly #nodes: Map<number, bigint>[]
  /** `#dirty[l]`: indices of the level-`l` nodes (l >= 1) whose stored value is stale. */
  readonly #dirty: Set<number>[]
  readonly #journal: Journal | undefined

  constructor(levels: number, defaultLeaf: bigint, journal?: Journal) {
    checkLevels(levels)
    this.levels = levels
    this.#zeros = cachedZeros(levels, defaultLeaf)
    this.#nodes = Array.from({ length: levels + 1 }, () => new Map<number, bigint>())
    this.#dirty = Array.from({ length: levels + 1 }, () => new Set<number>())
    this.#journal = journal
  }

  /** The root hash. */
  get root(): bigint {
    return this.#node(this.levels, 0)
  }

  /** The default leaf of this tree. */
  get defaultLeaf(): bigint {
    return this.#zeros[0]!
  }

  /** The leaf at `index`. */
  get(index: bigint): bigint {
    return this.#node(0, checkIndex(index, this.levels))
  }

  /** Sibling triples of leaf `index`, from the leaf level upwards (convention in the module header). */
  proof(index: bigint): [bigint, bigint, bigint][] {
    let i = checkIndex(index, this.levels)
    const proof: [bigint, bigint, bigint][] = []
    for (let level = 0; level < this.levels; level++, i = Math.floor(i / 4)) proof.push(this.#siblings(level, i))
    return proof
  }

  /** Replaces leaf `index`; the nodes above it are hashed when next read. */
  set(index: bigint, leaf: bigint): void {
    let i = checkIndex(index, this.levels)
    this.#write(0, i, leaf)
    for (let level = 1; level <= this.levels; level++) {
      i = Math.floor(i / 4)
      // Every ancestor of a dirty node is dirty already.
      if (this.#dirty[level]!.has(i)) return
      this.#setDirty(level, i, true)
    }
  }

  /**
   * Replaces many leaves: the same tree (root, proofs, stored nodes) as calling `set` for
   * each update in order, where a later update of the same index wins. Every index is
   * checked before anything is written: a RangeError leaves the tree unchanged. (Since `set`
   * hashes lazily, the nodes the updates share are hashed once either way.)
   *
   * @example tree.setMany([[5n, leafA], [6n, leafB]]) // 5 and 6 share every node above level 0
   */
  setMany(updates: Iterable<readonly [index: bigint, leaf: bigint]>): void {
    const checked = [...updates]
    for (const [index] of checked) checkIndex(index, this.levels)
    for (const [index, leaf] of checked) this.set(index, leaf)
  }

  /** Indices of the leaves that differ from the default leaf, ascending. */
  nonDefaultIndices(): bigint[] {
    return [...this.#nodes[0]!.keys()].sort((a, b) => a - b).map(BigInt)
  }

  #siblings(level: number, i: number): [bigint, bigint, bigint] {
    const first = i - (i % 4)
    const siblings: bigint[] = []
    for (let j = first; j < first + 4; j++) if (j !== i) siblings.push(this.#node(level, j))
    return siblings as [bigint, bigint, bigint]
  }

  #node(level: number, index: number): bigint {
    if (level > 0 && this.#dirty[level]!.has(index)) return this.#rehash(level, index)
    return this.#nodes[level]!.get(index) ?? this.#zeros[level]!
  }

  /** Hashes a dirty node from its children (hashing those first where they are dirty). */
  #rehash(level: number, index: number): bigint {
    const first = index * 4
    const value = hash([this.#node(level - 1, first), this.#node(level - 1, first + 1), this.#node(level - 1, first + 2), this.#node(level - 1, first + 3)])
    this.#write(level, index, value)
    this.#setDirty(level, index, false)
    return value
  }

  #setDirty(level: number, index: number, dirty: boolean): void {
    const set = this.#dirty[level]!
    if (dirty) set.add(index)
    else set.delete(index)
    this.#journal?.record(() => {
      if (dirty) set.delete(index)
      else set.add(index)
    })
  }

  #write(level: number, index: number, value: bigint): void {
    const map = this.#nodes[level]!
    const previous = map.get(index)
    if (value === this.#zeros[level]) map.delete(index)
    else map.set(index, value)
    this.#journal?.record(() => {
      if (previous === undefined) map.delete(index)
      else map.set(index, previous)
    })
  }
}
