/**
 * RollupState's records and records-only mode, which the sequencer uses to keep its trees on
 * another thread (sequencer/stateHasher.ts): `fromRecords` rebuilds exactly the state the
 * records came from (trees recomputed, stored hashes not trusted), and a state that dropped
 * its trees still checks and writes every record the same way while reporting no hash.
 */
import { describe, expect, it } from 'vitest'
import { Side, TEST_PARAMS, TxType } from './params.js'
import { RollupState } from './rollupState.js'
import { applyTx, assembleBatch, checkTx } from './batch.js'
import { cancelTx, fundedState, order, signedOrder, withdrawTx } from './testing.js'
import type { SlotTrace, Tx } from './types.js'

function trade(keys: ReturnType<typeof fundedState>['keys'], orderId: bigint, fill: bigint): Tx {
  const buy = signedOrder(keys[0]!, order({ accountIndex: 1n, orderId, side: Side.buy, size: 20n, limitPrice: 100n }))
  const sell = signedOrder(keys[1]!, order({ accountIndex: 2n, orderId, side: Side.sell, size: 20n, limitPrice: 100n }))
  return { type: TxType.trade, buy, sell, fill, price: 100n }
}

describe('RollupState records', () => {
  it('fromRecords rebuilds the same root, accounts, positions, order slots, queue and fees, even from records whose hashes are zeroed', () => {
    const { state, keys } = fundedState(TEST_PARAMS, 3, 1_000_000n)
    applyTx(state, trade(keys, 1n, 5n))
    applyTx(state, cancelTx(keys[2]!, 3n, 2n))
    const rebuilt = RollupState.fromRecords(TEST_PARAMS, state.records())
    expect(rebuilt.root).toBe(state.root)
    expect(rebuilt.queueHash).toBe(state.queueHash)
    expect(rebuilt.pendingFees).toBe(state.pendingFees)
    expect(rebuilt.openSlots).toBe(state.openSlots)
    // Mid-batch: the batch these slots open started from the root before them.
    expect(rebuilt.openBatchRoot).toBe(state.openBatchRoot)
    expect(rebuilt.openBatchRoot).not.toBe(rebuilt.root)
    expect(rebuilt.marketTable).toEqual(state.marketTable)
    for (const i of [1n, 2n, 3n]) {
      expect(rebuilt.account(i)).toEqual(state.account(i))
      expect(rebuilt.positions(i)).toEqual(state.positions(i))
      expect(rebuilt.accountProof(i)).toEqual(state.accountProof(i))
    }
    const records = state.records()
    const zeroed = { ...records, accounts: new Map([...records.accounts].map(([i, a]) => [i, { ...a, positionsHash: 0n, orderSlotsRoot: 0n }])) }
    expect(RollupState.fromRecords(TEST_PARAMS, zeroed).root).toBe(state.root)
  })

  it('after dropTrees, checks and records move exactly as with trees, and every root, proof and hash reads 0', () => {
    const hashed = fundedState(TEST_PARAMS, 2, 1_000_000n)
    const plain = fundedState(TEST_PARAMS, 2, 1_000_000n)
    plain.state.dropTrees()
    expect(plain.state.hashing).toBe(false)
    const txs = [trade(hashed.keys, 1n, 5n), withdrawTx(hashed.keys[1]!, 2n, 0n, 10n), trade(hashed.keys, 1n, 20n)]
    const hashedSlots: SlotTrace[] = []
    const plainSlots: SlotTrace[] = []
    for (const tx of txs) {
      expect(checkTx(plain.state, tx)).toEqual(checkTx(hashed.state, tx))
      if (checkTx(hashed.state, tx)) continue
      const a = applyTx(hashed.state, tx)
      const b = applyTx(plain.state, tx)
      hashedSlots.push(a)
      plainSlots.push(b)
      expect(b.data).toEqual(a.data)
      expect(b.accountA?.siblings.flat().every((x) => x === 0n)).toBe(true)
    }
    for (const i of [1n, 2n]) {
      const { positionsHash, orderSlotsRoot, ...record } = plain.state.account(i)
      expect({ positionsHash, orderSlotsRoot }).toEqual({ positionsHash: 0n, orderSlotsRoot: 0n })
      const { positionsHash: _p, orderSlotsRoot: _o, ...expected } = hashed.state.account(i)
      expect(record).toEqual(expected)
      expect(plain.state.positions(i)).toEqual(hashed.state.positions(i))
      expect(plain.state.orderSlot(i, 1n)).toEqual(hashed.state.orderSlot(i, 1n))
    }
    expect(plain.state.positions(1n)).toEqual([{ index: 0n, position: { seriesId: 1n, size: 5n } }]) // the second trade overfills its orders: refused on both
    expect(plain.state.root).toBe(0n)
    expect(plain.state.openBatchRoot).toBe(0n)
    expect(plain.state.accountProof(1n).flat().every((x) => x === 0n)).toBe(true)
    expect(plain.state.orderSlotProof(1n, 1n).every((x) => x === 0n)).toBe(true)
    // Mid-batch, its records cannot tell the root the open batch started from: refused.
    expect(plain.state.records().openBatchRoot).toBeUndefined()
    expect(() => RollupState.fromRecords(TEST_PARAMS, plain.state.records())).toThrow(/not the root it started from/)
    // Between batches, rebuilt from the records-only state's records, the trees come back as the hashed state's.
    assembleBatch(hashed.state, hashedSlots)
    assembleBatch(plain.state, plainSlots)
    const rebuilt = RollupState.fromRecords(TEST_PARAMS, plain.state.records())
    expect(rebuilt.root).toBe(hashed.state.root)
    expect(rebuilt.openBatchRoot).toBe(hashed.state.openBatchRoot)
  })
})
