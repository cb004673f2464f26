/**
 * The state hasher keeps the trees on a worker thread: an engine that hands them over
 * (`followWith`) must deliver exactly the batches, roots and witnesses an engine that hashes
 * on its own thread delivers, from any point (here: in the middle of a batch), through
 * deposits, trades, rests, cancels, withdrawals and cuts. A slot the worker's state refuses is
 * a divergence: reported once, and nothing more is delivered.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Engine } from './engine.js'
import { Market } from './market.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { depositEntry, RollupState, Side, TEST_PARAMS, TxType, cancelMessage, signField, withdrawMessage, type BatchTrace } from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { StateHasher, StateHasherError } from './stateHasher.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const USDC = 1_000_000n
const keys = [testKey(1), testKey(2), testKey(3)]
const hashers: StateHasher[] = []
afterAll(async () => {
  for (const h of hashers) await h.close()
})

function engineWith(batches: BatchTrace[]): Engine {
  return new Engine(new RollupState(TEST_PARAMS), { market: new Market(DEFAULT_MARKET, [SERIES]), now: () => NOW, onBatch: (b) => batches.push(b) })
}

function order(key: TestKey, fields: Parameters<typeof orderWith>[0]) {
  return signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))
}

/** The same requests, in the same order, to any engine. */
const script: ((e: Engine) => unknown)[] = [
  (e) => e.applyQueueEntry(0n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, 5_000n * USDC)),
  (e) => e.applyQueueEntry(1n, depositEntry(keys[1]!.l1Address, keys[1]!.pubKey, 5_000n * USDC)),
  (e) => e.applyQueueEntry(2n, depositEntry(keys[2]!.l1Address, keys[2]!.pubKey, 5_000n * USDC)),
  (e) => e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 50n })),
  (e) => e.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 80n, limitPrice: 2_200_000n })),
  (e) => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 90n, limitPrice: 2_200_000n })),
  (e) => e.cancelOrder({ accountIndex: 3n, orderId: 1n, signature: signField(keys[2]!.privateKey, cancelMessage(3n, 1n)) }),
  (e) => e.requestWithdrawal({ accountIndex: 2n, nonce: 0n, amount: 1_000n * USDC, signature: signField(keys[1]!.privateKey, withdrawMessage(2n, 0n, 1_000n * USDC)) }),
  (e) => e.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.sell, size: 30n })),
  (e) => e.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.buy, size: 30n })),
  (e) => e.flush(),
]

describe('StateHasher', () => {
  it('delivers the batches, roots and witnesses of an engine that hashes on its own thread, taking over mid-batch', async () => {
    const reference: BatchTrace[] = []
    const direct = engineWith(reference)
    for (const step of script) step(direct)

    const followed: BatchTrace[] = []
    const engine = engineWith(followed)
    // The first deposit opens a batch (test batches hold 2 slots): the hasher starts with it pending.
    script[0]!(engine)
    expect(engine.pendingSlots).toBe(1)
    let hasher: StateHasher | undefined
    const failures: Error[] = []
    engine.followWith((seed) => (hasher = new StateHasher({ params: TEST_PARAMS, ...seed }, { onBatch: (b) => followed.push(b), onFailure: (e) => failures.push(e) })))
    hashers.push(hasher!)
    expect(engine.state.hashing).toBe(false)
    for (const step of script.slice(1)) step(engine)
    // The cuts were sent, none assembled yet: the worker answers in later turns.
    expect(hasher!.pendingBatches).toBe(4)
    const root = await hasher!.root()
    expect(hasher!.pendingBatches).toBe(0)
    expect(failures).toEqual([])
    expect(reference).toHaveLength(4)
    expect(reference.some((b) => b.slots.some((s) => s.tx.type === TxType.trade))).toBe(true)
    expect(followed).toEqual(reference)
    expect(root).toBe(direct.state.root)
    expect(engine.state.root).toBe(0n)
  })

  it('reports a slot its state refuses as a divergence, once, and delivers nothing after it', async () => {
    const state = new RollupState(TEST_PARAMS)
    const batches: BatchTrace[] = []
    const failures: StateHasherError[] = []
    const hasher = new StateHasher({ params: TEST_PARAMS, records: state.records(), pending: [] }, { onBatch: (b) => batches.push(b), onFailure: (e) => failures.push(e) })
    hashers.push(hasher)
    // A withdrawal from an account the hasher's state does not have.
    hasher.apply({ type: TxType.withdraw, accountIndex: 1n, nonce: 0n, amount: 1n, signature: signField(keys[0]!.privateKey, withdrawMessage(1n, 0n, 1n)) })
    hasher.cut()
    await expect(hasher.root()).rejects.toThrow(StateHasherError)
    expect(failures).toHaveLength(1)
    expect(failures[0]!.message).toMatch(/diverged from the engine at apply/)
    expect(batches).toEqual([])
    expect(hasher.failure).toBe(failures[0])
  })

  it('answers root() with the root of the records it was seeded with', async () => {
    const reference: BatchTrace[] = []
    const direct = engineWith(reference)
    for (const step of script) step(direct)
    const hasher = new StateHasher({ params: TEST_PARAMS, records: direct.state.records(), pending: [] }, { onBatch: () => {}, onFailure: () => {} })
    hashers.push(hasher)
    expect(await hasher.root()).toBe(direct.state.root)
  })
})
