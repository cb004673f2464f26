import { describe, expect, it } from 'vitest'
import { MerkleTree, rootFromPath, zeroHashes } from './merkle.js'
import { Journal } from './journal.js'
import { hash2 } from './poseidon.js'

/** Naive full tree: the reference the sparse tree must agree with. */
function naiveRoot(leaves: bigint[]): bigint {
  let level = leaves
  while (level.length > 1) {
    const next: bigint[] = []
    for (let i = 0; i < level.length; i += 2) next.push(hash2(level[i]!, level[i + 1]!))
    level = next
  }
  return level[0]!
}

describe('MerkleTree', () => {
  it('agrees with a naive full tree at depth 4', () => {
    const tree = new MerkleTree(4, 7n)
    const leaves = Array.from({ length: 16 }, () => 7n)
    expect(tree.root).toBe(naiveRoot(leaves))
    for (const [i, v] of [[3, 11n], [0, 5n], [15, 9n], [3, 12n]] as const) {
      tree.set(BigInt(i), v)
      leaves[i] = v
      expect(tree.root).toBe(naiveRoot(leaves))
    }
    for (let i = 0; i < 16; i++) {
      expect(tree.get(BigInt(i))).toBe(leaves[i])
      expect(rootFromPath(leaves[i]!, BigInt(i), tree.proof(BigInt(i)))).toBe(tree.root)
    }
  })

  it('proves leaves at depth 24 without materialising the tree', () => {
    const tree = new MerkleTree(24, 0n)
    expect(tree.root).toBe(zeroHashes(24, 0n)[24])
    const index = (1n << 24n) - 3n
    tree.set(index, 42n)
    tree.set(5n, 43n)
    expect(rootFromPath(42n, index, tree.proof(index))).toBe(tree.root)
    expect(rootFromPath(43n, 5n, tree.proof(5n))).toBe(tree.root)
    expect(rootFromPath(0n, 6n, tree.proof(6n))).toBe(tree.root)
    expect(tree.nonDefaultIndices()).toEqual([5n, index])
  })

  it('treats setting the default leaf as emptying it', () => {
    const tree = new MerkleTree(3, 1n)
    const empty = tree.root
    tree.set(2n, 9n)
    tree.set(2n, 1n)
    expect(tree.root).toBe(empty)
    expect(tree.nonDefaultIndices()).toEqual([])
  })

  it('rolls back through its journal', () => {
    const journal = new Journal()
    const tree = new MerkleTree(4, 0n, journal)
    tree.set(1n, 10n)
    journal.commit()
    const root = tree.root
    const mark = journal.mark()
    tree.set(1n, 11n)
    tree.set(9n, 12n)
    journal.rollback(mark)
    expect(tree.root).toBe(root)
    expect(tree.get(1n)).toBe(10n)
    expect(tree.get(9n)).toBe(0n)
  })

  it('rejects indices outside the tree', () => {
    const tree = new MerkleTree(2, 0n)
    expect(() => tree.get(4n)).toThrow(RangeError)
    expect(() => tree.set(-1n, 1n)).toThrow(RangeError)
  })
})
