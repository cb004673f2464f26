/**
 * Sparse, fixed-depth binary Poseidon Merkle tree (docs/protocol.md, "Trees").
 *
 * Only nodes that differ from the empty tree are stored, so depth 24 or 32 costs memory in
 * proportion to the leaves set. Level 0 holds the leaves; bit `i` of a leaf index is 0 when
 * the node at level `i` on its path is a left child.
 */
import { hash2 } from './poseidon.js'
import type { Journal } from './journal.js'

/** Roots of empty subtrees, bottom up: `zeros[0]` is the default leaf. */
export function zeroHashes(depth: number, defaultLeaf: bigint): bigint[] {
  const zeros = [defaultLeaf]
  for (let level = 0; level < depth; level++) zeros.push(hash2(zeros[level]!, zeros[level]!))
  return zeros
}

/** The root of a path: `leaf` at `index` with `siblings` from the leaf level upwards. */
export function rootFromPath(leaf: bigint, index: bigint, siblings: readonly bigint[]): bigint {
  let node = leaf
  for (let level = 0; level < siblings.length; level++) {
    const sibling = siblings[level]!
    node = (index >> BigInt(level)) & 1n ? hash2(sibling, node) : hash2(node, sibling)
  }
  return node
}

const zeroCache = new Map<string, bigint[]>()

function cachedZeros(depth: number, defaultLeaf: bigint): bigint[] {
  const key = `${depth}:${defaultLeaf}`
  let zeros = zeroCache.get(key)
  if (!zeros) zeroCache.set(key, (zeros = zeroHashes(depth, defaultLeaf)))
  return zeros
}

/** A sparse Merkle tree of `2^depth` leaves, all `defaultLeaf` at first. */
export class MerkleTree {
  readonly depth: number
  readonly #zeros: readonly bigint[]
  /** `#levels[l]` maps a node index at level `l` to its value when it is not the empty value. */
  readonly #levels: Map<number, bigint>[]
  readonly #journal: Journal | undefined

  constructor(depth: number, defaultLeaf: bigint, journal?: Journal) {
    if (!Number.isInteger(depth) || depth < 1 || depth > 32) throw new RangeError(`tree depth ${depth} outside [1, 32]`)
    this.depth = depth
    this.#zeros = cachedZeros(depth, defaultLeaf)
    this.#levels = Array.from({ length: depth + 1 }, () => new Map<number, bigint>())
    this.#journal = journal
  }

  /** The root hash. */
  get root(): bigint {
    return this.#node(this.depth, 0)
  }

  /** The default leaf of this tree. */
  get defaultLeaf(): bigint {
    return this.#zeros[0]!
  }

  /** The leaf at `index`. */
  get(index: bigint): bigint {
    return this.#node(0, this.#checkIndex(index))
  }

  /** Sibling hashes of leaf `index`, from the leaf level upwards. */
  proof(index: bigint): bigint[] {
    let i = this.#checkIndex(index)
    const siblings: bigint[] = []
    for (let level = 0; level < this.depth; level++, i = Math.floor(i / 2)) siblings.push(this.#node(level, i ^ 1))
    return siblings
  }

  /** Replaces leaf `index` and recomputes its path to the root. */
  set(index: bigint, leaf: bigint): void {
    let i = this.#checkIndex(index)
    let node = leaf
    this.#write(0, i, node)
    for (let level = 0; level < this.depth; level++) {
      const sibling = this.#node(level, i ^ 1)
      node = i % 2 === 0 ? hash2(node, sibling) : hash2(sibling, node)
      i = Math.floor(i / 2)
      this.#write(level + 1, i, node)
    }
  }

  /** Indices of the leaves that differ from the default leaf, ascending. */
  nonDefaultIndices(): bigint[] {
    return [...this.#levels[0]!.keys()].sort((a, b) => a - b).map(BigInt)
  }

  #node(level: number, index: number): bigint {
    return this.#levels[level]!.get(index) ?? this.#zeros[level]!
  }

  #write(level: number, index: number, value: bigint): void {
    const map = this.#levels[level]!
    const previous = map.get(index)
    if (value === this.#zeros[level]) map.delete(index)
    else map.set(index, value)
    this.#journal?.record(() => {
      if (previous === undefined) map.delete(index)
      else map.set(index, previous)
    })
  }

  #checkIndex(index: bigint): number {
    if (index < 0n || index >= 1n << BigInt(this.depth)) throw new RangeError(`leaf index ${index} outside a depth-${this.depth} tree`)
    return Number(index)
  }
}
