/**
 * The replica's read API over a follower of a journal a real recorder writes (no L1): reads
 * serve the followed state, every write is refused with 503 READ_ONLY_REPLICA before it is
 * applied, and the lag shows in /v1/health/ready and /metrics. The takeover with real
 * processes is sequencer/replicaTakeover.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { depositEntry, RollupState, Side, TEST_PARAMS } from '../state/index.js'
import { order, signedOrder, testKey } from '../state/testing.js'
import { signedOrderToJSON } from '../sdk/orders.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { Engine } from './engine.js'
import { Journal } from './journal.js'
import { JournalFollower } from './journalFollower.js'
import { Market } from './market.js'
import { NodeMetrics } from './nodeMetrics.js'
import { Recorder } from './recorder.js'
import { replicaApi } from './replica.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const keys = [testKey(1), testKey(2)]

let open: { api: FastifyInstance; stop: () => void } | undefined
afterEach(async () => {
  open?.stop()
  await open?.api.close()
  open = undefined
})

async function setup() {
  const path = join(mkdtempSync(join(tmpdir(), 'replica-')), 'j.jsonl')
  const journal = new Journal(path, { writeAtOnce: true })
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => NOW, onBatch: () => {} })
  const recorder = new Recorder(engine, market, journal, () => NOW)
  journal.append({ t: 'start', chainId: 31337, rollup: '0x0000000000000000000000000000000000000001', baseBatches: 0 })
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  recorder.placeOrder(signedOrder(keys[0]!, order({ accountIndex: 1n, orderId: 1n, seriesId: 1n, side: Side.sell, size: 10n, limitPrice: 2_100_000n, validUntil: NOW + 3600n })))

  const clock = { now: 0n, replaying: false }
  const followerMarket = new Market(DEFAULT_MARKET, [SERIES])
  const now = () => (clock.replaying ? clock.now : NOW)
  const followerEngine = new Engine(new RollupState(TEST_PARAMS), { market: followerMarket, now, onBatch: () => {} })
  const follower = new JournalFollower(path, followerEngine, followerMarket, clock)
  follower.catchUp()
  const { api, stream } = await replicaApi({
    engine: followerEngine,
    market: followerMarket,
    follower,
    now,
    info: { rollup: '0x0000000000000000000000000000000000000001', chainId: 31337, prover: 'none (replica)' },
    facts: () => ({ journal: { replayed: true, entries: follower.applied, ms: 1, path }, l1: { lastSyncAt: Date.now(), lastError: undefined }, prover: { attached: false, detail: 'a replica proves nothing' } }),
    primaryPid: () => 4242,
    metrics: new NodeMetrics({ processMetrics: false }),
    config: { params: TEST_PARAMS, market: DEFAULT_MARKET, rateLimits: false },
  })
  open = { api, stop: () => stream.stop() }
  return { api, engine, recorder, follower, followerEngine }
}

describe('replica API', () => {
  it('serves the followed state and refuses every write with 503 READ_ONLY_REPLICA, changing nothing', async () => {
    const { api, engine, followerEngine } = await setup()
    const health = (await api.inject({ method: 'GET', url: '/v1/health' })).json() as { stateRoot: string }
    expect(health.stateRoot).toBe(engine.state.root.toString())
    const book = (await api.inject({ method: 'GET', url: '/v1/book/1' })).json() as { asks: unknown[] }
    expect(book.asks).toHaveLength(1)
    const root = followerEngine.state.root
    const buy = signedOrderToJSON(signedOrder(keys[1]!, order({ accountIndex: 2n, orderId: 1n, seriesId: 1n, side: Side.buy, size: 10n, limitPrice: 2_100_000n, validUntil: NOW + 3600n })))
    const writes = [['POST', '/v1/orders', buy], ['POST', '/v1/cancels', { accountIndex: '1', orderId: '1' }], ['POST', '/v1/cancels/all', {}], ['POST', '/v1/withdrawals', {}], ['PUT', '/v1/admin/surface', {}], ['DELETE', '/v1/orders', {}]] as const
    for (const [method, url, payload] of writes) {
      const res = await api.inject({ method, url, payload })
      expect(res.statusCode, url).toBe(503)
      expect(res.json()).toMatchObject({ code: 'READ_ONLY_REPLICA', reason: expect.stringContaining('read-only replica') })
    }
    expect(followerEngine.state.root).toBe(root)
    expect(followerEngine.book(1n).levels(Side.sell)).toEqual(engine.book(1n).levels(Side.sell))
  })

  it('reports its lag in /v1/health, in /v1/health/ready (never ready: it takes no writes) and in /metrics', async () => {
    const { api, recorder, follower } = await setup()
    recorder.placeOrder(signedOrder(keys[1]!, order({ accountIndex: 2n, orderId: 1n, seriesId: 1n, side: Side.buy, size: 4n, limitPrice: 2_100_000n, validUntil: NOW + 3600n })))
    recorder.flush()
    const lagging = await api.inject({ method: 'GET', url: '/v1/health/ready' })
    expect(lagging.statusCode).toBe(503)
    expect(lagging.json()).toMatchObject({ status: 'not_ready', replica: { behindEntries: 2, appliedEntries: 4, primaryPid: 4242 }, checks: { replica: { ok: false } } })
    expect((await api.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^sequencer_replica_behind_entries 2$/m)
    expect((await api.inject({ method: 'GET', url: '/v1/health' })).json()).toMatchObject({ status: 'ok', replica: { behindEntries: 2, appliedEntries: 4, primaryPid: 4242 } })
    follower.catchUp()
    expect((await api.inject({ method: 'GET', url: '/v1/health/ready' })).json()).toMatchObject({ replica: { behindEntries: 0, appliedEntries: 6 } })
    expect((await api.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/^sequencer_replica_applied_entries 6$/m)
  })
})
