/**
 * The operator's side of the API on a real node (anvil, contracts, journal on disk):
 * liveness and readiness, Prometheus metrics that count what really happened, rate limits
 * per IP and per account, and the body size limit at its boundary.
 */
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Worker } from 'bullmq'
import { ANVIL_KEYS } from '../../l1/anvil.js'
import { connectL1 } from '../../l1/clients.js'
import { deposit, mintTestTokens } from '../../l1/rollupCalls.js'
import { terminateCurves } from '../../prover/curves.js'
import { proofQueueName, redisConnection } from '../../prover/queue.js'
import { buildOrder, signOrder, signedOrderToJSON } from '../../sdk/index.js'
import { TEST_PARAMS } from '../../state/index.js'
import { testKey } from '../../state/testing.js'
import { startEmbedded, type EmbeddedNode } from '../embedded.js'
import { proverProbe } from '../proverProbe.js'
import { BODY_LIMIT_BYTES } from './app.js'

let embedded: EmbeddedNode
let url: string
let journalPath: string
const keys = [testKey(1), testKey(2)]
const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)
const startedAt = Date.now() / 1000

beforeAll(async () => {
  journalPath = join(mkdtempSync(join(tmpdir(), 'ops-')), 'node.jsonl')
  embedded = await startEmbedded({
    node: {
      batchTimeoutMs: 3_600_000,
      pollIntervalMs: 3_600_000,
      journalPath,
      maxSyncAgeMs: 2_000,
      // Slow refills: what passes depends on the burst, hardly on how fast this machine is.
      rateLimits: { perIp: { ratePerSecond: 1, burst: 60 }, perAccount: { ratePerSecond: 0.2, burst: 4 } },
      // A proxy on 10.0.0.1 names its clients in X-Forwarded-For; nobody else may.
      trustProxy: ['10.0.0.1'],
    },
  })
  url = embedded.node.url
  const l1 = await connectL1(embedded.anvil.rpcUrl, ANVIL_KEYS[1])
  await mintTestTokens(l1, embedded.deployment.token, l1.account.address, 2_000_000_000n)
  for (const key of keys) await deposit(l1, embedded.deployment.rollup, embedded.deployment.token, 1_000_000_000n, key.pubKey)
  await embedded.node.sync()
})

afterAll(async () => {
  // The deposits' batch may still be proving: its proof is not what this file tests.
  await embedded?.node.stop({ drain: false })
  await terminateCurves()
  await embedded?.anvil.stop()
})

const order = (account: 1 | 2, orderId: bigint, side: 'buy' | 'sell', limitPrice: bigint, key = keys[account - 1]!) =>
  signedOrderToJSON(signOrder(buildOrder({ accountIndex: BigInt(account), orderId, seriesId: embedded.seriesId, side, size: 10n, limitPrice, validUntil }), key.privateKey))

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}
const get = async (path: string) => {
  const res = await fetch(`${url}${path}`)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Parses the Prometheus text format strictly: every sample of a family announced by HELP and TYPE. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  const typed = new Set<string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3])
        typed.add(meta[2]!)
      }
      continue
    }
    // Prometheus parses values with Go's ParseFloat, which takes NaN and Inf in any case;
    // prom-client writes NaN as "Nan" (an event-loop-lag mean before its first sample).
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i.exec(line)
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`)
    const family = sample[1]!.replace(/_(bucket|sum|count)$/, '')
    if (!typed.has(sample[1]!) && !typed.has(family)) throw new Error(`sample before its TYPE line: ${line}`)
    samples.set(`${sample[1]}${sample[2] ?? ''}`, sampleValue(sample[3]!))
  }
  return samples
}

function sampleValue(text: string): number {
  const lower = text.toLowerCase()
  if (lower === 'nan') return Number.NaN
  if (lower === '+inf') return Number.POSITIVE_INFINITY
  if (lower === '-inf') return Number.NEGATIVE_INFINITY
  return Number(text)
}

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  return parseMetrics(await res.text())
}

describe('health: liveness and readiness', () => {
  it('is live, and ready with every check named', async () => {
    expect(await get('/v1/health/live')).toMatchObject({ status: 200, body: { status: 'live' } })
    const ready = await get('/v1/health/ready')
    expect(ready.status).toBe(200)
    expect(ready.body).toMatchObject({
      status: 'ready',
      checks: { journal: { ok: true }, l1: { ok: true }, pipeline: { ok: true }, prover: { ok: true, detail: 'in-process prover, circuit artifacts present' } },
    })
    const openapi = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/health/live', '/v1/health/ready', '/metrics']))
  })

  it('stops being ready when L1 has not answered for too long, and is ready again after a good poll', async () => {
    await new Promise((r) => setTimeout(r, 2_100))
    const stale = await get('/v1/health/ready')
    expect(stale.status).toBe(503)
    expect(stale.body).toMatchObject({ status: 'not_ready', checks: { l1: { ok: false }, journal: { ok: true }, prover: { ok: true } } })
    expect((stale.body.checks as { l1: { detail: string } }).l1.detail).toMatch(/^last good L1 poll \d+ s ago \(limit 2 s\)/)
    expect((await get('/v1/health/live')).status).toBe(200) // still live: a restart would not help
    await embedded.node.sync()
    expect((await get('/v1/health/ready')).status).toBe(200)
  })

  it('sees a BullMQ prover attached only while a worker listens on its queue', async () => {
    const redisUrl = `${process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'}`.replace(/\/\d*$/, '') + '/13'
    const probe = proverProbe(TEST_PARAMS, { kind: 'bullmq', redisUrl })
    try {
      expect(await probe.check()).toEqual({ attached: false, detail: `no proof worker on queue ${proofQueueName(TEST_PARAMS)} (start one: npx tsx prover/worker.ts)` })
      // A worker that would prove; the queue is empty, so it only listens.
      const worker = new Worker(proofQueueName(TEST_PARAMS), async () => undefined, { connection: redisConnection(redisUrl) })
      await worker.waitUntilReady()
      try {
        expect(await probe.check()).toMatchObject({ attached: true })
      } finally {
        await worker.close()
      }
      expect((await probe.check()).attached).toBe(false)
    } finally {
      await probe.close()
    }
  })
})

describe('metrics', () => {
  it('counts requests by route and status with latencies, orders by outcome, fills, open orders and journal fsyncs', async () => {
    expect((await post('/v1/orders', order(1, 1n, 'sell', 2_100_000n))).body).toMatchObject({ status: 'resting' })
    expect((await post('/v1/orders', order(1, 2n, 'sell', 2_500_000n))).body).toMatchObject({ status: 'resting' })
    expect((await post('/v1/orders', order(2, 1n, 'buy', 2_100_000n))).body).toMatchObject({ status: 'filled', fills: [{ size: '10' }] })
    expect((await post('/v1/orders', order(2, 2n, 'buy', 2_100_000n, keys[0]))).body).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect((await get('/v1/nothing')).status).toBe(404)
    const m = await scrape()
    const orders200 = 'method="POST",route="/v1/orders",status_code="200"'
    expect(m.get(`sequencer_http_requests_total{${orders200}}`)).toBe(3)
    expect(m.get(`sequencer_http_requests_total{method="POST",route="/v1/orders",status_code="401"}`)).toBe(1)
    expect(m.get(`sequencer_http_requests_total{method="GET",route="unmatched",status_code="404"}`)).toBe(1)
    // A histogram: cumulative buckets ending in +Inf = count.
    expect(m.get(`sequencer_http_request_duration_seconds_count{${orders200}}`)).toBe(3)
    expect(m.get(`sequencer_http_request_duration_seconds_bucket{le="+Inf",${orders200}}`)).toBe(3)
    const buckets = [...m.entries()].filter(([k]) => k.startsWith('sequencer_http_request_duration_seconds_bucket{') && k.includes(orders200)).map(([, v]) => v)
    expect(buckets.length).toBeGreaterThan(5)
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b))
    expect(m.get(`sequencer_http_request_duration_seconds_sum{${orders200}}`)).toBeGreaterThan(0)
    expect(m.get('sequencer_writes_total{kind="order",result="accepted",code="resting"}')).toBe(2)
    expect(m.get('sequencer_writes_total{kind="order",result="accepted",code="filled"}')).toBe(1)
    expect(m.get('sequencer_writes_total{kind="order",result="rejected",code="BAD_SIGNATURE"}')).toBe(1)
    expect(m.get('sequencer_fills_total')).toBe(1)
    expect(m.get('sequencer_filled_size_total')).toBe(10)
    expect(m.get('sequencer_open_orders')).toBe(1)
    // Every acknowledged write waited for an fsync; each fsync covers one or more journal lines.
    const lines = readFileSync(journalPath, 'utf8').split('\n').filter(Boolean).length
    expect(m.get('sequencer_journal_fsync_seconds_count')).toBeGreaterThan(0)
    expect(m.get('sequencer_journal_fsync_entries_sum')).toBeLessThanOrEqual(lines)
    expect(m.get('sequencer_journal_replayed_entries')).toBe(0)
    // Each write waited for its fsync; each order with a known account for its signature check ahead.
    expect(m.get('sequencer_durability_wait_seconds_count')).toBe(4)
    expect(m.get('sequencer_durability_wait_seconds_sum')).toBeGreaterThan(0)
    expect(m.get('sequencer_signature_gate_wait_seconds_count')).toBe(4)
    // Once the hasher has caught up (stateRoot waits for it), it owes no batch.
    await embedded.node.stateRoot()
    expect((await scrape()).get('sequencer_state_hasher_pending_batches')).toBe(0)
    const health = await get('/v1/health')
    expect(m.get('sequencer_pending_slots')).toBe(health.body.pendingSlots)
    expect(['proving', 'submitting', 'verified', 'failed'].reduce((n, s) => n + m.get(`sequencer_batches{status="${s}"}`)!, 0)).toBe(health.body.batches)
    expect(m.get('sequencer_halted')).toBe(0)
    const lastSync = m.get('sequencer_l1_last_sync_timestamp_seconds')!
    expect(lastSync).toBeGreaterThan(startedAt)
    expect(lastSync).toBeLessThanOrEqual(Date.now() / 1000)
    expect(m.has('sequencer_batch_proving_seconds_count')).toBe(true)
    expect(m.has('sequencer_process_cpu_user_seconds_total')).toBe(true)
  })
})

describe('rate limits', () => {
  const inject = (remoteAddress: string, path: string) => embedded.node.api.inject({ method: 'GET', url: path, remoteAddress })

  it('refuses an IP past its burst with 429, Retry-After and a stable code; probes, metrics and other IPs pass', async () => {
    const started = performance.now()
    let passed = 0
    while ((await inject('10.9.8.7', '/v1/series')).statusCode === 200 && passed < 200) passed++
    // The burst, plus what refilled meanwhile at 1/s.
    expect(passed).toBeGreaterThanOrEqual(60)
    expect(passed).toBeLessThanOrEqual(60 + Math.ceil((performance.now() - started) / 1000))
    const refused = await inject('10.9.8.7', '/v1/series')
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'ip', ratePerSecond: '1', burst: '60' } })
    expect(refused.json().reason).toMatch(/too many requests from address 10\.9\.8\.7: at most 1\/s/)
    // Exempt (its answer depends on the last L1 poll, 2 s at most here: it is not the limit's).
    expect((await inject('10.9.8.7', '/v1/health/ready')).json()).toHaveProperty('checks')
    expect((await inject('10.9.8.7', '/v1/health/live')).statusCode).toBe(200)
    expect((await inject('10.9.8.7', '/metrics')).statusCode).toBe(200)
    expect((await inject('10.9.8.8', '/v1/series')).statusCode).toBe(200)
  })

  it('charges a trusted proxy\'s clients to their own addresses, and ignores X-Forwarded-For from anyone else', async () => {
    const via = (remoteAddress: string, client: string) => embedded.node.api.inject({ method: 'GET', url: '/v1/series', remoteAddress, headers: { 'x-forwarded-for': client } })
    let passed = 0
    while ((await via('10.0.0.1', '192.0.2.7')).statusCode === 200 && passed < 200) passed++
    expect(passed).toBeGreaterThanOrEqual(60)
    const refused = await via('10.0.0.1', '192.0.2.7')
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'ip' } })
    expect(refused.json().reason).toMatch(/from address 192\.0\.2\.7/)
    // Another client behind the same proxy has its own bucket.
    expect((await via('10.0.0.1', '192.0.2.8')).statusCode).toBe(200)
    // The limited address of the last test cannot escape its bucket by claiming another client.
    const spoofed = await via('10.9.8.7', '192.0.2.9')
    expect(spoofed.statusCode).toBe(429)
    expect(spoofed.json().reason).toMatch(/from address 10\.9\.8\.7/)
  })

  it("limits an account's own requests, whatever they are answered, before verifying any signature; forgeries in its name cost it nothing", async () => {
    // More forgeries naming account 2 (signed by account 1) than its burst: refused for their signature, never charged to it.
    for (let i = 0; i < 6; i++) expect((await post('/v1/orders', order(2, 10n + BigInt(i), 'sell', 3_000_000n, keys[0]))).status).toBe(401)
    const mine = order(2, 20n, 'sell', 3_000_000n)
    const started = performance.now()
    expect((await post('/v1/orders', mine)).status).toBe(200)
    // Its own resends are refused as replays, and charged, until the bucket (burst 4, one earlier order) runs dry.
    let replays = 0
    let limited = await post('/v1/orders', mine)
    while (limited.status === 409 && replays < 10) {
      replays++
      limited = await post('/v1/orders', mine)
    }
    expect(replays).toBeGreaterThanOrEqual(2)
    expect(replays).toBeLessThanOrEqual(2 + Math.ceil(((performance.now() - started) / 1000) * 0.2))
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(5)
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'account', ratePerSecond: '0.2', burst: '4' } })
    expect(limited.body.reason).toMatch(/^too many requests from account 2: at most 0\.2\/s \(bursts of 4\); retry in \d+ ms$/)
    // Once limited, even a forged body naming the account is refused before its signature is checked.
    expect((await post('/v1/orders', order(2, 30n, 'sell', 3_000_000n, keys[0]))).status).toBe(429)
    // Account 1 has its own bucket.
    expect((await post('/v1/orders', order(1, 3n, 'sell', 3_000_000n))).status).toBe(200)
    const m = await scrape()
    expect(m.get('sequencer_rate_limited_total{scope="account"}')).toBe(2)
    expect(m.get('sequencer_rate_limited_total{scope="ip"}')).toBe(5) // per burst test: the one that ended it and the one read; and the spoof
    expect(m.get('sequencer_writes_total{kind="order",result="rejected",code="RATE_LIMITED"}')).toBe(2)
  })
})

describe('body size limit', () => {
  it(`reads a body of exactly ${BODY_LIMIT_BYTES} bytes and refuses one byte more with 413`, async () => {
    const padded = (bytes: number) => {
      const text = `{"pad":"${'x'.repeat(bytes - 10)}"}`
      expect(Buffer.byteLength(text)).toBe(bytes)
      return text
    }
    const send = async (text: string) => {
      const res = await fetch(`${url}/v1/withdrawals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text })
      return { status: res.status, body: (await res.json()) as { code: string } }
    }
    expect(await send(padded(BODY_LIMIT_BYTES))).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(await send(padded(BODY_LIMIT_BYTES + 1))).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } })
  })
})
