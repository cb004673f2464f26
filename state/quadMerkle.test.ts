import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { QuadMerkleTree, quadParent, quadRootFromProof, quadZeroHashes, verifyQuadProof } from './quadMerkle.js'
import type { QuadSiblings } from './quadMerkle.js'
import { Journal } from './journal.js'
import { hash } from './poseidon.js'

/** Every level of a naive full tree, leaves first, root last: the reference the sparse tree must agree with. */
function naiveLevels(leaves: readonly bigint[]): bigint[][] {
  const levels = [[...leaves]]
  while (levels.at(-1)!.length > 1) {
    const level = levels.at(-1)!
    const next: bigint[] = []
    for (let i = 0; i < level.length; i += 4) next.push(hash(level.slice(i, i + 4)))
    levels.push(next)
  }
  return levels
}

function naiveRoot(leaves: readonly bigint[]): bigint {
  return naiveLevels(leaves).at(-1)![0]!
}

/** Naive proof from the full tree (siblings in child order, own position removed). */
function naiveProof(levels: readonly bigint[][], index: number): QuadSiblings[] {
  const proof: QuadSiblings[] = []
  let i = index
  for (const level of levels.slice(0, -1)) {
    const first = i - (i % 4)
    proof.push(level.slice(first, first + 4).filter((_, j) => first + j !== i) as unknown as QuadSiblings)
    i = Math.floor(i / 4)
  }
  return proof
}

describe('quadParent', () => {
  it('inserts the node at its digit among the siblings', () => {
    const s: QuadSiblings = [10n, 20n, 30n]
    expect(quadParent(1n, 0, s)).toBe(hash([1n, 10n, 20n, 30n]))
    expect(quadParent(1n, 1, s)).toBe(hash([10n, 1n, 20n, 30n]))
    expect(quadParent(1n, 2, s)).toBe(hash([10n, 20n, 1n, 30n]))
    expect(quadParent(1n, 3, s)).toBe(hash([10n, 20n, 30n, 1n]))
  })
})

describe('QuadMerkleTree', () => {
  it('has the empty root of the zero hashes', () => {
    for (const levels of [1, 2, 3]) {
      const tree = new QuadMerkleTree(levels, 7n)
      expect(tree.root).toBe(naiveRoot(Array.from({ length: 4 ** levels }, () => 7n)))
      expect(tree.root).toBe(quadZeroHashes(levels, 7n)[levels])
      expect(tree.defaultLeaf).toBe(7n)
    }
    const z = quadZeroHashes(2, 0n)
    expect(z[1]).toBe(hash([0n, 0n, 0n, 0n]))
    expect(z[2]).toBe(hash([z[1]!, z[1]!, z[1]!, z[1]!]))
    expect(new QuadMerkleTree(12, 0n).root).toBe(quadZeroHashes(12, 0n)[12])
  })

  it('sets and gets leaves and agrees with a naive full tree at 2 levels', () => {
    const tree = new QuadMerkleTree(2, 0n)
    const leaves = Array.from({ length: 16 }, () => 0n)
    for (const [i, v] of [[5, 11n], [0, 5n], [15, 9n], [5, 12n], [6, 3n]] as const) {
      tree.set(BigInt(i), v)
      leaves[i] = v
      expect(tree.root).toBe(naiveRoot(leaves))
    }
    for (let i = 0; i < 16; i++) {
      expect(tree.get(BigInt(i))).toBe(leaves[i])
      expect(tree.proof(BigInt(i))).toEqual(naiveProof(naiveLevels(leaves), i))
      expect(quadRootFromProof(leaves[i]!, BigInt(i), tree.proof(BigInt(i)))).toBe(tree.root)
    }
    expect(tree.nonDefaultIndices()).toEqual([0n, 5n, 6n, 15n])
  })

  it('proves leaves of 12 levels (2^24 accounts) without materialising the tree', () => {
    const tree = new QuadMerkleTree(12, 0n)
    const last = (1n << 24n) - 1n
    tree.set(last, 42n)
    tree.set(5n, 43n)
    tree.set(6n, 44n)
    for (const [index, leaf] of [[last, 42n], [5n, 43n], [6n, 44n], [7n, 0n], [1n << 23n, 0n]] as const) {
      const proof = tree.proof(index)
      expect(proof).toHaveLength(12)
      expect(verifyQuadProof(tree.root, leaf, index, proof)).toBe(true)
    }
    expect(tree.nonDefaultIndices()).toEqual([5n, 6n, last])
  })

  it('refuses a proof for a wrong leaf, index or sibling', () => {
    const tree = new QuadMerkleTree(3, 0n)
    tree.set(9n, 1n)
    tree.set(10n, 2n)
    tree.set(40n, 3n)
    const proof = tree.proof(9n)
    expect(verifyQuadProof(tree.root, 1n, 9n, proof)).toBe(true)
    expect(verifyQuadProof(tree.root, 2n, 9n, proof)).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, 8n, proof)).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, 10n, proof)).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, 9n + 16n, proof)).toBe(false)
    for (let level = 0; level < 3; level++) {
      for (let k = 0; k < 3; k++) {
        const bad = proof.map((s) => [...s] as [bigint, bigint, bigint])
        bad[level]![k]! += 1n
        expect(verifyQuadProof(tree.root, 1n, 9n, bad)).toBe(false)
      }
    }
    // Siblings in another order are another tree.
    const swapped = proof.map((s) => [...s] as [bigint, bigint, bigint])
    swapped[0] = [swapped[0]![1], swapped[0]![0], swapped[0]![2]]
    expect(verifyQuadProof(tree.root, 1n, 9n, swapped)).toBe(false)
    // Malformed proofs and indices are false, not a throw.
    expect(verifyQuadProof(tree.root, 1n, 64n, proof)).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, -1n, proof)).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, 9n, [proof[0]!, proof[1]!, [0n, 0n] as unknown as QuadSiblings])).toBe(false)
    expect(verifyQuadProof(tree.root, 1n, 9n, [])).toBe(false)
  })

  it('treats setting the default leaf as emptying it', () => {
    const tree = new QuadMerkleTree(3, 1n)
    const empty = tree.root
    tree.set(33n, 9n)
    tree.set(33n, 1n)
    expect(tree.root).toBe(empty)
    expect(tree.nonDefaultIndices()).toEqual([])
  })

  it('rolls back through its journal', () => {
    const journal = new Journal()
    const tree = new QuadMerkleTree(3, 0n, journal)
    tree.set(1n, 10n)
    journal.commit()
    const root = tree.root
    const proof = tree.proof(1n)
    const mark = journal.mark()
    tree.set(1n, 11n)
    tree.set(63n, 12n)
    tree.set(2n, 13n)
    expect(tree.root).not.toBe(root)
    journal.rollback(mark)
    expect(tree.root).toBe(root)
    expect(tree.get(1n)).toBe(10n)
    expect(tree.get(63n)).toBe(0n)
    expect(tree.get(2n)).toBe(0n)
    expect(tree.proof(1n)).toEqual(proof)
    expect(tree.nonDefaultIndices()).toEqual([1n])
  })

  it('rejects indices and heights outside the tree', () => {
    const tree = new QuadMerkleTree(2, 0n)
    expect(() => tree.get(16n)).toThrow(RangeError)
    expect(() => tree.set(-1n, 1n)).toThrow(RangeError)
    expect(() => tree.proof(16n)).toThrow(RangeError)
    expect(() => new QuadMerkleTree(0, 0n)).toThrow(RangeError)
    expect(() => new QuadMerkleTree(17, 0n)).toThrow(RangeError)
    expect(() => quadRootFromProof(0n, 16n, tree.proof(0n))).toThrow(RangeError)
  })

  it('agrees with a naive full tree on random writes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((levels) =>
          fc.record({
            levels: fc.constant(levels),
            defaultLeaf: fc.bigInt({ min: 0n, max: 3n }),
            writes: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 ** levels - 1 }), fc.bigInt({ min: 0n, max: 5n })), { maxLength: 12 }),
            rollbackAfter: fc.nat(12),
          }),
        ),
        ({ levels, defaultLeaf, writes, rollbackAfter }) => {
          const journal = new Journal()
          const tree = new QuadMerkleTree(levels, defaultLeaf, journal)
          const leaves = Array.from({ length: 4 ** levels }, () => defaultLeaf)
          let mark = journal.mark()
          let saved = [...leaves]
          writes.forEach(([i, v], n) => {
            if (n === rollbackAfter) {
              mark = journal.mark()
              saved = [...leaves]
            }
            tree.set(BigInt(i), v)
            leaves[i] = v
          })
          const full = naiveLevels(leaves)
          const root = full.at(-1)![0]!
          expect(tree.root).toBe(root)
          for (let i = 0; i < leaves.length; i++) {
            const proof = tree.proof(BigInt(i))
            expect(proof).toEqual(naiveProof(full, i))
            expect(verifyQuadProof(root, leaves[i]!, BigInt(i), proof)).toBe(true)
          }
          journal.rollback(mark)
          expect(tree.root).toBe(naiveRoot(saved))
        },
      ),
      { numRuns: 60 },
    )
  })
  it('agrees with a naive full tree when reads come between writes and rollbacks (property)', () => {
    // Reads hash dirty nodes lazily; a rollback must undo those hashings with the writes.
    fc.assert(
      fc.property(
        fc.record({
          steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.bigInt({ min: 0n, max: 5n }), fc.constantFrom('none', 'root', 'proof')), { maxLength: 16 }),
          markAt: fc.nat(16),
          readAfterRollback: fc.boolean(),
        }),
        ({ steps, markAt, readAfterRollback }) => {
          const journal = new Journal()
          const tree = new QuadMerkleTree(3, 0n, journal)
          const leaves = Array<bigint>(64).fill(0n)
          let mark = journal.mark()
          let saved = [...leaves]
          steps.forEach(([i, v, read], n) => {
            if (n === markAt) [mark, saved] = [journal.mark(), [...leaves]]
            tree.set(BigInt(i), v)
            leaves[i] = v
            const full = naiveLevels(leaves)
            if (read === 'root') expect(tree.root).toBe(full.at(-1)![0])
            if (read === 'proof') expect(tree.proof(BigInt((i * 7) % 64))).toEqual(naiveProof(full, (i * 7) % 64))
          })
          journal.rollback(mark)
          const full = naiveLevels(saved)
          if (readAfterRollback) expect(tree.proof(5n)).toEqual(naiveProof(full, 5))
          expect(tree.root).toBe(full.at(-1)![0])
          tree.set(9n, 4n)
          saved[9] = 4n
          expect(tree.root).toBe(naiveRoot(saved))
        },
      ),
      { numRuns: 80 },
    )
  })
})

describe('QuadMerkleTree.setMany', () => {
  /** Every stored node, as proofs and leaves show it: the whole observable state of a small tree. */
  function snapshot(tree: QuadMerkleTree): unknown {
    const size = 4n ** BigInt(tree.levels)
    const all = Array.from({ length: Number(size) }, (_, i) => BigInt(i))
    return { root: tree.root, leaves: all.map((i) => tree.get(i)), proofs: all.map((i) => tree.proof(i)), nonDefault: tree.nonDefaultIndices() }
  }

  it('gives the same root, leaves and proofs as one-by-one updates, duplicates included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }).chain((levels) =>
          fc.record({
            levels: fc.constant(levels),
            defaultLeaf: fc.bigInt({ min: 0n, max: 3n }),
            before: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 ** levels - 1 }), fc.bigInt({ min: 0n, max: 5n })), { maxLength: 8 }),
            batch: fc.array(fc.tuple(fc.integer({ min: 0, max: 4 ** levels - 1 }), fc.bigInt({ min: 0n, max: 5n })), { maxLength: 16 }),
          }),
        ),
        ({ levels, defaultLeaf, before, batch }) => {
          const [one, many] = [new QuadMerkleTree(levels, defaultLeaf), new QuadMerkleTree(levels, defaultLeaf)]
          for (const [i, v] of before) {
            one.set(BigInt(i), v)
            many.set(BigInt(i), v)
          }
          for (const [i, v] of batch) one.set(BigInt(i), v)
          many.setMany(batch.map(([i, v]) => [BigInt(i), v] as const))
          expect(snapshot(many)).toEqual(snapshot(one))
        },
      ),
      { numRuns: 80 },
    )
  })

  it('agrees with one-by-one updates on a 12-level tree (2^24 accounts), proofs verifying', () => {
    const [one, many] = [new QuadMerkleTree(12, 9n), new QuadMerkleTree(12, 9n)]
    const updates = [0n, 1n, 5n, 4n ** 6n + 3n, 4n ** 11n * 3n + 17n, 4n ** 12n - 1n, 1n].map((i, n) => [i, BigInt(n + 100)] as const)
    for (const [i, v] of updates) one.set(i, v)
    many.setMany(updates)
    expect(many.root).toBe(one.root)
    for (const [i] of updates) {
      expect(many.proof(i)).toEqual(one.proof(i))
      expect(verifyQuadProof(many.root, many.get(i), i, many.proof(i))).toBe(true)
    }
    expect(many.get(1n)).toBe(106n)
  })

  it('rolls back through its journal to the tree before the batch', () => {
    const journal = new Journal()
    const tree = new QuadMerkleTree(2, 0n, journal)
    tree.set(3n, 8n)
    const [mark, root] = [journal.mark(), tree.root]
    tree.setMany([[3n, 0n], [7n, 1n], [15n, 2n]])
    expect(tree.root).not.toBe(root)
    journal.rollback(mark)
    expect(tree.root).toBe(root)
    expect(tree.nonDefaultIndices()).toEqual([3n])
  })

  it('refuses an index outside the tree before writing anything', () => {
    const tree = new QuadMerkleTree(2, 0n)
    tree.set(1n, 4n)
    const root = tree.root
    expect(() => tree.setMany([[2n, 5n], [16n, 1n]])).toThrow(RangeError)
    expect(() => tree.setMany([[-1n, 5n]])).toThrow(RangeError)
    expect(tree.root).toBe(root)
    expect(tree.get(2n)).toBe(0n)
  })

  it('does nothing for no updates', () => {
    const tree = new QuadMerkleTree(3, 2n)
    const root = tree.root
    tree.setMany([])
    expect(tree.root).toBe(root)
  })
})
