/**
 * Crash recovery: a node restarted on its journal comes back with everything it acknowledged
 * (accounts, resting orders, slots not yet batched) and does not resubmit what L1 verified.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { deposit, mintTestTokens } from '../l1/rollupCalls.js'
import { readRollupStatus } from '../l1/rollupReaders.js'
import { terminateCurves } from '../prover/curves.js'
import { buildOrder, signCancel, signOrder, signWithdrawal } from '../sdk/orders.js'
import { CANCELLED_FILLED, Side, TEST_PARAMS } from '../state/index.js'
import { testKey } from '../state/testing.js'
import { DEFAULT_MARKET } from './defaults.js'
import { deployWithDefaults } from './embedded.js'
import { Journal, JournalError, journalCheckpointPath, journalSegments } from './journal.js'
import { startNode, type NodeConfig, type RollupNode } from './node.js'

let anvil: Anvil
let config: NodeConfig
const keys = [testKey(1), testKey(2), testKey(3)]
const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)

beforeAll(async () => {
  anvil = await startAnvil()
  const { deployment } = await deployWithDefaults(anvil.rpcUrl, ANVIL_KEYS[0])
  config = {
    params: TEST_PARAMS,
    market: DEFAULT_MARKET,
    rpcUrl: anvil.rpcUrl,
    operatorKey: ANVIL_KEYS[0],
    rollup: deployment.rollup,
    deployBlock: deployment.deployBlock,
    journalPath: join(mkdtempSync(join(tmpdir(), 'journal-')), 'node.jsonl'),
    batchTimeoutMs: 3_600_000,
    pollIntervalMs: 3_600_000,
  }
  for (const [i, key] of keys.entries()) {
    const l1 = await connectL1(anvil.rpcUrl, ANVIL_KEYS[i + 1]!)
    await mintTestTokens(l1, deployment.token, l1.account.address, 1_000_000_000n)
    await deposit(l1, deployment.rollup, deployment.token, 1_000_000_000n, key.pubKey)
  }
})

afterAll(async () => {
  await anvil?.stop()
  await terminateCurves()
})

/** What a restart must restore. Account records without their hashes: those live with the node's state hasher, whose root stands for them. */
async function snapshot(node: RollupNode) {
  const { engine } = node
  return {
    root: await node.stateRoot(),
    pendingSlots: engine.pendingSlots,
    queue: engine.nextQueueIndex,
    accounts: [1n, 2n, 3n].map((i) => {
      const { positionsHash: _p, orderSlotsRoot: _o, ...record } = engine.state.account(i)
      return record
    }),
    asks: engine.book(1n).levels(Side.sell),
    bids: engine.book(1n).levels(Side.buy),
  }
}

describe('crash recovery from the journal', () => {
  it('restores acknowledged trades, cancels, resting orders and unbatched slots, and resubmits nothing L1 verified', async () => {
    const first = await startNode(config)
    expect(first.engine.nextQueueIndex).toBe(3n) // two deposits cut batch 0; the third is pending
    const order = (account: number, orderId: bigint, side: 'buy' | 'sell', size: bigint) =>
      signOrder(buildOrder({ accountIndex: BigInt(account), orderId, seriesId: 1n, side, size, limitPrice: 2_100_000n, validUntil }), keys[account - 1]!.privateKey)
    first.recorder.placeOrder(order(2, 1n, 'sell', 100n))
    expect(first.recorder.placeOrder(order(1, 1n, 'buy', 40n)).status).toBe('filled') // batch 1: deposit + trade
    first.recorder.placeOrder(order(2, 2n, 'sell', 10n))
    expect(first.recorder.cancelOrder(signCancel({ accountIndex: 2n, orderId: 2n }, keys[1]!.privateKey)).removedFromBook).toBe(10n)
    first.recorder.requestWithdrawal(signWithdrawal({ accountIndex: 3n, nonce: 0n, amount: 5_000_000n }, keys[2]!.privateKey)) // batch 2: cancel + withdrawal
    first.recorder.cancelOrder(signCancel({ accountIndex: 3n, orderId: 5n }, keys[2]!.privateKey)) // an id never sent
    const before = await snapshot(first)
    expect(before.pendingSlots).toBe(1)
    expect(before.asks).toEqual([{ price: 2_100_000n, size: 60n, orders: 1 }])
    await first.stop() // batches 0 to 2 reach L1; the last cancel and the resting order live only in the journal

    const second = await startNode(config)
    try {
      expect(await snapshot(second)).toEqual(before)
      expect(second.pipeline.records).toHaveLength(0)
      expect(second.engine.state.orderSlot(2n, 2n)).toEqual({ orderId: 2n, filled: CANCELLED_FILLED })
      expect(second.engine.state.orderSlot(3n, 1n)).toEqual({ orderId: 5n, filled: CANCELLED_FILLED })
      expect(second.recorder.placeOrder(order(1, 2n, 'buy', 60n)).fills).toMatchObject([{ makerAccount: 2n, size: 60n }])
      await second.settle()
      expect(second.pipeline.records.map((r) => [r.number, r.status])).toEqual([[3, 'verified']])
      const status = await readRollupStatus(second.l1.publicClient, config.rollup)
      expect(status.stateRoot).toBe(await second.stateRoot())
      expect(second.engine.state.account(3n).nonce).toBe(1n)
    } finally {
      await second.stop()
    }
  })

  it('refuses a journal that belongs to another deployment', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'journal-')), 'other.jsonl')
    writeFileSync(path, `${JSON.stringify({ t: 'start', chainId: 1, rollup: config.rollup, baseBatches: 0 })}\n`)
    await expect(startNode({ ...config, journalPath: path })).rejects.toThrow(JournalError)
  })
})

describe('Journal file', () => {
  const fresh = () => new Journal(join(mkdtempSync(join(tmpdir(), 'journal-')), 'j.jsonl'))

  it('reads back what it appended, in order', () => {
    const j = fresh()
    j.append({ t: 'start', chainId: 1, rollup: '0x01', baseBatches: 0 })
    j.append({ t: 'flush' })
    j.close()
    expect(j.read().map((e) => e.t)).toEqual(['start', 'flush'])
  })

  it('drops a torn last line (never acknowledged) and appends after it cleanly', () => {
    const j = fresh()
    j.append({ t: 'start', chainId: 1, rollup: '0x01', baseBatches: 0 })
    j.close()
    appendFileSync(j.path, '{"t":"fl')
    expect(j.read().map((e) => e.t)).toEqual(['start'])
    j.append({ t: 'flush' })
    j.close()
    expect(j.read().map((e) => e.t)).toEqual(['start', 'flush'])
    expect(readFileSync(j.path, 'utf8').split('\n').filter(Boolean)).toHaveLength(2)
  })

  it('refuses a corrupt line in the middle', () => {
    const j = fresh()
    writeFileSync(j.path, '{"t":"start"}\nnot json\n{"t":"flush"}\n')
    expect(() => j.read()).toThrow(/line 2 is not JSON/)
  })
})

/** A Rollup of its own on the shared anvil, each key holding a deposit of 1,000 USDC. */
async function fundedDeployment() {
  const { deployment } = await deployWithDefaults(anvil.rpcUrl, ANVIL_KEYS[0])
  for (const [i, key] of keys.entries()) {
    const l1 = await connectL1(anvil.rpcUrl, ANVIL_KEYS[i + 1]!)
    await mintTestTokens(l1, deployment.token, l1.account.address, 1_000_000_000n)
    await deposit(l1, deployment.rollup, deployment.token, 1_000_000_000n, key.pubKey)
  }
  return deployment
}

describe('restart from a journal checkpoint', () => {
  it('starts at the newest checkpoint L1 caught up with, after the segments before it were pruned, and serves the same state', { timeout: 240_000 }, async () => {
    const deployment = await fundedDeployment()
    const journalPath = join(mkdtempSync(join(tmpdir(), 'journal-')), 'node.jsonl')
    // A segment ends at the first batch boundary once it holds 4 entries.
    const cfg: NodeConfig = { ...config, rollup: deployment.rollup, deployBlock: deployment.deployBlock, journalPath, checkpointEntries: 4 }
    const order = (account: number, orderId: bigint, side: 'buy' | 'sell', size: bigint) =>
      signOrder(buildOrder({ accountIndex: BigInt(account), orderId, seriesId: 1n, side, size, limitPrice: 2_100_000n, validUntil }), keys[account - 1]!.privateKey)
    const first = await startNode(cfg)
    first.recorder.placeOrder(order(2, 1n, 'sell', 100n))
    first.recorder.placeOrder(order(1, 1n, 'buy', 40n))
    first.recorder.placeOrder(order(2, 2n, 'sell', 10n))
    first.recorder.cancelOrder(signCancel({ accountIndex: 2n, orderId: 2n }, keys[1]!.privateKey))
    first.recorder.requestWithdrawal(signWithdrawal({ accountIndex: 3n, nonce: 0n, amount: 5_000_000n }, keys[2]!.privateKey))
    expect(journalSegments(journalPath).length).toBeGreaterThanOrEqual(3)
    first.recorder.placeOrder(order(3, 1n, 'sell', 7n))
    first.recorder.cancelOrder(signCancel({ accountIndex: 3n, orderId: 6n }, keys[2]!.privateKey)) // a slot left open
    const before = await snapshot(first)
    await first.stop() // every closed batch reaches L1: the segments before the last checkpoint are no longer needed
    const [kept, ...rest] = journalSegments(journalPath)
    expect(kept).toBeGreaterThanOrEqual(2)
    expect(rest.length).toBeLessThanOrEqual(1)
    expect(existsSync(journalCheckpointPath(journalPath, 1))).toBe(false)

    const second = await startNode(cfg)
    try {
      expect(await snapshot(second)).toEqual(before)
      const ready = (await second.api.inject({ method: 'GET', url: '/v1/health/ready' })).json() as { checks: { journal: { detail: string } } }
      expect(ready.checks.journal.detail).toMatch(new RegExp(`from the checkpoint of segment ${kept}`))
      expect(second.pipeline.records).toHaveLength(0) // nothing L1 verified is sent again
      expect(second.engine.orders.get(2n, 2n, 0n)).toMatchObject({ status: 'cancelled' })
      expect(second.recorder.placeOrder(order(1, 2n, 'buy', 60n)).fills).toMatchObject([{ makerAccount: 2n, size: 60n }])
      await second.settle()
      const status = await readRollupStatus(second.l1.publicClient, cfg.rollup)
      expect(status.stateRoot).toBe(await second.stateRoot())
    } finally {
      await second.stop()
    }
  })

  it('refuses a checkpoint whose state root is not the one L1 verified', { timeout: 120_000 }, async () => {
    const deployment = await fundedDeployment()
    const journalPath = join(mkdtempSync(join(tmpdir(), 'journal-')), 'node.jsonl')
    const cfg: NodeConfig = { ...config, rollup: deployment.rollup, deployBlock: deployment.deployBlock, journalPath, checkpointEntries: 3, pruneJournal: false }
    const first = await startNode(cfg) // two deposits close batch 0: segment 1 begins at batch 1
    await first.stop()
    expect(journalSegments(journalPath)).toEqual([0, 1])
    // Collateral forged in the checkpoint: its records no longer hash to L1's root.
    const file = journalCheckpointPath(journalPath, 1)
    writeFileSync(file, readFileSync(file, 'utf8').replace('"collateral":{"$n":"1000000000"}', '"collateral":{"$n":"9000000000"}'))
    await expect(startNode(cfg)).rejects.toThrow(/L1 verified/)
  })
})
