/**
 * Replica mode end to end, with real processes (test/crash/nodeProcess.ts, the compiled
 * `npm start` entry): a primary on a data directory, a replica (`REPLICA=1`) on the same one.
 * A second primary is refused while the first holds the journal's lock; the replica follows
 * the primary's acknowledged orders across journal segments (one every 4 entries) and refuses
 * writes; after kill -9 of
 * the primary (with a torn line left at the journal's end, as a crash mid-write leaves one)
 * it takes over on the same port, serves exactly what the primary acknowledged, drops the
 * torn line and accepts a new order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { deposit, mintTestTokens } from '../l1/rollupCalls.js'
import { proofQueueName, redisConnection } from '../prover/queue.js'
import { buildOrder, signOrder, signedOrderToJSON } from '../sdk/index.js'
import { testKey, type TestKey } from '../state/testing.js'
import { ensureRedis, type RedisHandle } from '../test/redis.js'
import { compileNode, journalPathOf, NodeProcess, type CompiledNode, type NodeProcessConfig } from '../test/crash/nodeProcess.js'
import { readNodeView } from '../test/crash/referenceReplay.js'
import { DEFAULT_PARAMS } from './defaults.js'
import { deployWithDefaults } from './embedded.js'
import { lockHolder } from './dataLock.js'
import { journalSegmentPath, journalSegments } from './journal.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const keys = [testKey(1), testKey(2)]
/** Account i holds keys[i - 1]; account 0 (the insurance fund) has no key. */
const keyOf = (index: bigint) => keys[Number(index) - 1]?.privateKey
const ACCOUNTS = [0n, 1n, 2n]

let anvil: Anvil
let redis: RedisHandle
let compiled: CompiledNode
let config: NodeProcessConfig
let seriesId: bigint
const processes: NodeProcess[] = []

beforeAll(async () => {
  anvil = await startAnvil()
  redis = await ensureRedis()
  const [{ deployment, seriesId: listed }, node] = await Promise.all([deployWithDefaults(anvil.rpcUrl, ANVIL_KEYS[0]), compileNode()])
  compiled = node
  seriesId = listed
  const funder = await connectL1(anvil.rpcUrl, ANVIL_KEYS[1])
  await mintTestTokens(funder, deployment.token, funder.account.address, 10n ** 15n)
  for (const key of keys) await deposit(funder, deployment.rollup, deployment.token, 1_000_000_000n, key.pubKey)
  const { hostname, port } = new URL(redis.url)
  config = {
    rpcUrl: anvil.rpcUrl,
    operatorKey: ANVIL_KEYS[0],
    rollup: deployment.rollup,
    deployBlock: deployment.deployBlock,
    dataDir: mkdtempSync(join(tmpdir(), 'replica-')),
    // A database of its own with no proof worker: batches wait (what is under test is the journal).
    redisUrl: `redis://${hostname}:${port || 6379}/14`,
    pollIntervalMs: 200,
    batchTimeoutMs: 3_600_000,
  }
}, 120_000)

afterAll(async () => {
  for (const p of processes) await p.kill()
  compiled?.remove()
  await anvil?.stop()
  if (config) {
    const queue = new Queue(proofQueueName(DEFAULT_PARAMS), { connection: redisConnection(config.redisUrl) })
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    rmSync(config.dataDir, { recursive: true, force: true })
  }
  await redis?.stop()
})

/** A node on the shared data directory; its journal begins a segment every 4 entries, so the replica follows it across segments. */
function spawnNode(env: Record<string, string> = {}): NodeProcess {
  const p = new NodeProcess({ ...config, env: { JOURNAL_CHECKPOINT_ENTRIES: '4', ...env } }, compiled.entry)
  processes.push(p)
  return p
}

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const signed = (key: TestKey, accountIndex: bigint, orderId: bigint, side: 'buy' | 'sell', size: bigint, limitPrice: bigint) =>
  signedOrderToJSON(signOrder(buildOrder({ accountIndex, orderId, seriesId, side, size, limitPrice, validUntil: BigInt(Math.floor(Date.now() / 1000) + 3600) }), key.privateKey))

/** Retries `read` until `done` holds (or fails after `ms`): connection errors count as not yet. */
async function until<T>(what: string, ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  while (Date.now() < deadline) {
    try {
      last = await read()
      if (done(last as T)) return last as T
    } catch (e) {
      last = e
    }
    await sleep(50)
  }
  throw new Error(`${what}: not reached within ${ms} ms; last ${last instanceof Error ? last.message : JSON.stringify(last)}`)
}

type Ready = { status: string; replica?: { behindEntries: number; appliedEntries: number; primaryPid?: number } }
const ready = async (url: string): Promise<Ready> => (await fetch(`${url}/v1/health/ready`)).json() as Promise<Ready>

it('follows the primary read-only, then takes over after kill -9 with exactly the acknowledged state', { timeout: 120_000 }, async () => {
  const primary = spawnNode()
  const primaryUrl = await primary.ready
  await until('deposits applied', 20_000, () => readNodeView(primaryUrl, seriesId, ACCOUNTS, keyOf), (v) => v.queueProcessed === '2')

  // A second primary on the same data directory is refused while the first lives.
  await expect(spawnNode().ready).rejects.toThrow(/locked by process \d+/)

  // The replica follows the primary's segments whatever its own setting. Once it is the
  // primary, it begins a segment only after 1,000 entries. With 4, the market entries of its
  // first polls would reach twice a segment and force-cut the open batch (fee credit, new root)
  // before the view below is read: a legitimate change, but not the one under test.
  const replica = spawnNode({ REPLICA: '1', JOURNAL_CHECKPOINT_ENTRIES: '1000' })
  const replicaUrl = await replica.ready
  expect((await ready(replicaUrl)).replica?.primaryPid).toBe(primary.child.pid)

  // Acknowledged at the primary: a resting sell, a buy that fills part of it, a resting bid.
  const acks = [
    await post(primaryUrl, '/v1/orders', signed(keys[0]!, 1n, 1n, 'sell', 20n, 2_100_000n)),
    await post(primaryUrl, '/v1/orders', signed(keys[1]!, 2n, 1n, 'buy', 5n, 2_100_000n)),
    await post(primaryUrl, '/v1/orders', signed(keys[1]!, 2n, 2n, 'buy', 3n, 2_000_000n)),
  ]
  expect(acks.map((a) => a.status)).toEqual([200, 200, 200])
  const acknowledged = await readNodeView(primaryUrl, seriesId, ACCOUNTS, keyOf)
  expect(acknowledged.book.asks.length + acknowledged.book.bids.length).toBe(2)

  // The replica serves the same state once it caught up, and refuses writes.
  await until('replica caught up', 10_000, () => readNodeView(replicaUrl, seriesId, ACCOUNTS, keyOf), (v) => JSON.stringify(v) === JSON.stringify(acknowledged))
  const r = await ready(replicaUrl)
  expect(r.status).toBe('not_ready')
  expect(r.replica!.appliedEntries).toBeGreaterThanOrEqual(6)
  const refused = await post(replicaUrl, '/v1/orders', signed(keys[0]!, 1n, 2n, 'sell', 1n, 2_200_000n))
  expect(refused.status).toBe(503)
  expect(refused.body.code).toBe('READ_ONLY_REPLICA')
  const metrics = await (await fetch(`${replicaUrl}/metrics`)).text()
  expect(metrics).toMatch(/^sequencer_replica_behind_entries \d+$/m)

  // kill -9 the primary; a crash mid-write leaves a torn last line (never acknowledged).
  const journalPath = journalPathOf(config)
  await primary.kill()
  const killedAt = performance.now()
  expect(journalSegments(journalPath).length).toBeGreaterThan(1)
  appendFileSync(journalSegmentPath(journalPath, journalSegments(journalPath).at(-1)!), '{"t":"order","now":"17')

  const after = await until('replica took over', 30_000, () => ready(replicaUrl), (v) => v.replica === undefined)
  const takeoverMs = Math.round(performance.now() - killedAt)
  expect(after.status).toBeDefined()
  expect(await readNodeView(replicaUrl, seriesId, ACCOUNTS, keyOf)).toEqual(acknowledged)

  // The new primary accepts writes; the torn line is gone and every line is whole.
  const accepted = await post(replicaUrl, '/v1/orders', signed(keys[0]!, 1n, 3n, 'sell', 1n, 2_300_000n))
  expect(accepted.status).toBe(200)
  const lines = journalSegments(journalPath).flatMap((k) => readFileSync(journalSegmentPath(journalPath, k), 'utf8').split('\n').filter(Boolean))
  expect(() => lines.forEach((l) => JSON.parse(l))).not.toThrow()
  expect(lines.filter((l) => l.includes('"t":"order"'))).toHaveLength(4)
  expect(lockHolder(journalPath)).toBe(replica.child.pid)
  expect(replica.output()).toMatch(/took over in \d+ ms/)
  console.log(`replica takeover: kill -9 to serving as primary ${takeoverMs} ms (${/took over in (\d+) ms/.exec(replica.output())![1]} ms of it the restart on the journal)`)
})
