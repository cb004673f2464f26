/**
 * The sequencer's HTTP API on a real node (anvil, deployed contracts, real proofs): bad
 * input of every kind gets a 4xx with a code and a reason, and leaves the state unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { deposit, mintTestTokens } from '../l1/rollupCalls.js'
import { terminateCurves } from '../prover/curves.js'
import { ApiError, SequencerClient, buildCancelAll, buildOrder, deriveL2Key, orderOptions, signCancel, signCancelAll, signOrder, signWithdrawal, signedCancelToJSON, signedOrderToJSON, type L2Key } from '../sdk/index.js'
import { startEmbedded, type EmbeddedNode } from './embedded.js'
import { BODY_LIMIT_BYTES } from './api/app.js'
import { OracleService } from '../oracle/oracleService.js'
import { PricePath, simulatedFeeds } from '../oracle/simulatedFeed.js'
import { marketTableHash, marketTableHashOfWords } from '../state/marketTable.js'

const ADMIN_TOKEN = 'operator-secret-for-tests'
// Index feeds the tests control: a flat path at 3000, three noiseless feeds, a clock to advance.
let clockOffset = 0
const clock = () => Math.floor(Date.now() / 1000) + clockOffset
const path = new PricePath({ seed: 1, startPrice: 3000, startTime: clock(), clock, volPerStep: 0 })
const feeds = simulatedFeeds('test-ETH', 3, path, { startTime: clock(), noiseBps: 0 })
const oracle = new OracleService({ underlyings: { ETH: { feeds } }, clock })
let embedded: EmbeddedNode
let client: SequencerClient
const keys: L2Key[] = []
const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)

beforeAll(async () => {
  embedded = await startEmbedded({ node: { batchTimeoutMs: 3_600_000, pollIntervalMs: 3_600_000, adminToken: ADMIN_TOKEN, oracle } })
  // The traders' own reads of their orders are signed (account i + 1 holds keys[i]).
  client = new SequencerClient({ baseUrl: embedded.node.url, readAuth: async (index) => keys[Number(index) - 1]?.privateKey })
  for (const key of [ANVIL_KEYS[1], ANVIL_KEYS[2]]) {
    const l1 = await connectL1(embedded.anvil.rpcUrl, key)
    const l2 = await deriveL2Key(privateKeyToAccount(key), embedded.anvil.chainId, embedded.deployment.rollup)
    await mintTestTokens(l1, embedded.deployment.token, l1.account.address, 1_000_000_000n)
    await deposit(l1, embedded.deployment.rollup, embedded.deployment.token, 1_000_000_000n, l2.publicKey)
    keys.push(l2)
  }
  await embedded.node.sync()
})

afterAll(async () => {
  await embedded?.stop()
  await terminateCurves()
})

const order = (fields: Partial<Parameters<typeof buildOrder>[0]> = {}) =>
  buildOrder({ accountIndex: 1n, orderId: 1n, seriesId: embedded.seriesId, side: 'buy', size: 10n, limitPrice: 1_500_000n, validUntil, ...fields })

async function post(path: string, body: string, contentType = 'application/json') {
  const res = await fetch(`${embedded.node.url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body })
  return { status: res.status, body: (await res.json()) as { code: string; reason: string; details?: Record<string, string> } }
}

/** Runs a refused request and checks the status, the code, a reason, and that nothing moved. */
async function expectRefused(status: number, code: string, request: () => Promise<{ status: number; body: { code: string; reason: string } }>) {
  const before = await client.health()
  const book = await client.request('GET', `/v1/book/${embedded.seriesId}`)
  const res = await request()
  expect(res.status).toBe(status)
  expect(res.body.code).toBe(code)
  expect(res.body.reason.length).toBeGreaterThan(5)
  const after = await client.health()
  expect(after.stateRoot).toBe(before.stateRoot)
  expect(after.pendingSlots).toBe(before.pendingSlots)
  expect(await client.request('GET', `/v1/book/${embedded.seriesId}`)).toEqual(book)
  return res.body
}

async function viaClient(call: () => Promise<unknown>): Promise<{ status: number; body: { code: string; reason: string; details?: Record<string, string> } }> {
  try {
    await call()
  } catch (e) {
    if (e instanceof ApiError) return { status: e.status, body: { code: e.code, reason: e.reason } }
    throw e
  }
  throw new Error('the request was accepted')
}

describe('sequencer API: reads', () => {
  it('reports health, series with marks, accounts and an OpenAPI document', async () => {
    expect(await client.health()).toMatchObject({ status: 'ok', queueProcessed: '2', prover: 'in-process' })
    const { series } = await client.getSeries()
    expect(series[0]).toMatchObject({ id: '1', underlying: 'ETH', isCall: true })
    expect(Number((series[0] as { mark?: string }).mark)).toBeGreaterThan(0)
    expect(await client.getAccount(1n)).toMatchObject({ index: '1', collateral: '1000000000', nonce: '0', positions: [] })
    const openapi = (await (await fetch(`${embedded.node.url}/docs/json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/orders', '/v1/cancels', '/v1/withdrawals', '/v1/accounts/{index}', '/v1/batches', '/v1/health']))
  })

  it("shows the open batch's market table, whose hash is the core's (what the proof binds)", async () => {
    const table = (await client.request('GET', '/v1/market-table')) as { hash: string; words: string[]; rows: { seriesId: string; mark: string; scenarioValues: string[] }[] }
    expect(table.rows.map((r) => r.seriesId)).toContain(embedded.seriesId.toString())
    expect(table.rows[0]!.scenarioValues).toHaveLength(27)
    expect(BigInt(table.hash)).toBe(marketTableHashOfWords(table.words.map(BigInt)))
    expect(BigInt(table.hash)).toBe(marketTableHash(embedded.node.engine.state.marketTable, embedded.node.engine.state.params))
  })

  it('previews liquidations: none while every account is above maintenance margin', async () => {
    expect(await client.request('GET', '/v1/risk/liquidations')).toMatchObject({ plans: [], skipped: [], deferred: [], socializedLoss: '0' })
  })

  it('answers 404 with a code for an unknown account and an unknown route', async () => {
    await expectRefused(404, 'UNKNOWN_ACCOUNT', () => viaClient(() => client.getAccount(9n)))
    await expectRefused(404, 'NOT_FOUND', () => viaClient(() => client.request('GET', '/v1/nothing')))
  })
})

describe('sequencer API: bad input changes nothing', () => {
  it('refuses malformed orders: bad JSON, missing, extra and non-canonical fields, off-curve points', async () => {
    const good = signedOrderToJSON(signOrder(order(), keys[0]!.privateKey))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', '{"order": '))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ order: good.order })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, extra: 1 })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, order: { ...good.order, size: '010' } })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, order: { ...good.order, size: 10 } })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, order: { ...good.order, side: 2 } })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, order: { ...good.order, size: (1n << 64n).toString() } })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/orders', JSON.stringify({ ...good, signature: { ...good.signature, R8: { x: '1', y: '2' } } })))
    await expectRefused(415, 'UNSUPPORTED_MEDIA_TYPE', () => post('/v1/orders', 'order=1', 'application/x-www-form-urlencoded'))
  })

  it('refuses an oversized body with 413', async () => {
    const body = JSON.stringify({ order: { pad: 'x'.repeat(BODY_LIMIT_BYTES) } })
    await expectRefused(413, 'PAYLOAD_TOO_LARGE', () => post('/v1/orders', body))
  })

  it('refuses a forged signature, a tampered order and an unknown account', async () => {
    await expectRefused(401, 'BAD_SIGNATURE', () => viaClient(() => client.placeOrder(signOrder(order(), keys[1]!.privateKey))))
    const signed = signOrder(order(), keys[0]!.privateKey)
    await expectRefused(401, 'BAD_SIGNATURE', () => viaClient(() => client.placeOrder({ ...signed, order: { ...signed.order, limitPrice: 1_600_000n } })))
    await expectRefused(404, 'UNKNOWN_ACCOUNT', () => viaClient(() => client.placeOrder(signOrder(order({ accountIndex: 7n }), keys[0]!.privateKey))))
  })

  it('refuses a replayed order', async () => {
    const signed = signOrder(order({ orderId: 3n }), keys[0]!.privateKey)
    expect((await client.placeOrder(signed)).status).toBe('resting')
    await expectRefused(409, 'ORDER_REPLAYED', () => viaClient(() => client.placeOrder(signed)))
  })

  it('cancels a resting order; refuses malformed, forged and repeated cancels', async () => {
    // Order 6 of account 1 lives in order slot 2, which no other resting order of it uses.
    expect((await client.placeOrder(signOrder(order({ orderId: 6n }), keys[0]!.privateKey))).status).toBe('resting')
    const good = signedCancelToJSON(signCancel({ accountIndex: 1n, orderId: 6n }, keys[0]!.privateKey))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/cancels', JSON.stringify({ accountIndex: '1', orderId: '6' })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/cancels', JSON.stringify({ ...good, extra: 1 })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/cancels', JSON.stringify({ ...good, orderId: '0' })))
    await expectRefused(400, 'MALFORMED_REQUEST', () => post('/v1/cancels', JSON.stringify({ ...good, orderId: 6 })))
    await expectRefused(401, 'BAD_SIGNATURE', () => post('/v1/cancels', JSON.stringify({ ...good, orderId: '10' })))
    await expectRefused(401, 'BAD_SIGNATURE', () => viaClient(() => client.cancelOrder(signCancel({ accountIndex: 1n, orderId: 6n }, keys[1]!.privateKey))))
    await expectRefused(404, 'UNKNOWN_ACCOUNT', () => viaClient(() => client.cancelOrder(signCancel({ accountIndex: 7n, orderId: 6n }, keys[0]!.privateKey))))
    const pending = (await client.health()).pendingSlots as number
    expect(await client.cancelOrder(signCancel({ accountIndex: 1n, orderId: 6n }, keys[0]!.privateKey))).toMatchObject({ status: 'cancelled', accountIndex: '1', orderId: '6', removedFromBook: '10' })
    expect((await client.health()).pendingSlots).toBe(pending + 1)
    expect(((await client.getAccount(1n)).openOrders as { orderId: string }[]).map((o) => o.orderId)).not.toContain('6')
    await expectRefused(409, 'ALREADY_CANCELLED', () => post('/v1/cancels', JSON.stringify(good)))
    await expectRefused(409, 'ORDER_REPLAYED', () => viaClient(() => client.placeOrder(signOrder(order({ orderId: 6n }), keys[0]!.privateKey))))
  })

  it('refuses an order beyond initial margin, saying what is required and available', async () => {
    const body = await expectRefused(422, 'INSUFFICIENT_MARGIN', () => post('/v1/orders', JSON.stringify(signedOrderToJSON(signOrder(order({ accountIndex: 2n, side: 'sell', size: 100_000n }), keys[1]!.privateKey)))))
    const details = (body as { details?: Record<string, string> }).details!
    expect(BigInt(details.required!)).toBeGreaterThan(BigInt(details.available!))
  })

  it('refuses an expired order and an unlisted series', async () => {
    await expectRefused(422, 'ORDER_EXPIRED', () => viaClient(() => client.placeOrder(signOrder(order({ orderId: 5n, validUntil: 1n }), keys[0]!.privateKey))))
    // Expiry is judged on the sequencer's clock, which GET /v1/time reads out; the refusal says both sides.
    const serverNow = await client.serverTime()
    expect(Number(serverNow)).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) - 5)
    const expired = await expectRefused(422, 'ORDER_EXPIRED', () => post('/v1/orders', JSON.stringify(signedOrderToJSON(signOrder(order({ orderId: 5n, validUntil: serverNow - 1n }), keys[0]!.privateKey)))))
    const details = (expired as { details?: Record<string, string> }).details!
    expect(details.validUntil).toBe((serverNow - 1n).toString())
    expect(BigInt(details.now!)).toBeGreaterThanOrEqual(serverNow)
    await expectRefused(422, 'UNKNOWN_SERIES', () => viaClient(() => client.placeOrder(signOrder(order({ orderId: 5n, seriesId: 9n }), keys[0]!.privateKey))))
  })

  it('takes a resting order out of the book once its validUntil passes (at the next poll), and reports it expired', async () => {
    const expiresAt = (await client.serverTime()) + 2n
    const resting = signOrder(order({ accountIndex: 1n, orderId: 90n, side: 'buy', size: 1n, limitPrice: 100_000n, validUntil: expiresAt }), keys[0]!.privateKey)
    expect((await client.placeOrder(resting)).status).toBe('resting')
    const bidPrices = async () => ((await client.request('GET', `/v1/book/${embedded.seriesId}`)) as { bids: { price: string }[] }).bids.map((l) => l.price)
    expect(await bidPrices()).toContain('100000')
    while ((await client.serverTime()) <= expiresAt) await new Promise((r) => setTimeout(r, 250))
    await embedded.node.sync()
    expect(await bidPrices()).not.toContain('100000')
    expect(await client.getOrder(1n, 90n)).toMatchObject({ status: 'expired', remaining: '0' })
  })

  it('refuses forged, replayed and excessive withdrawals', async () => {
    await expectRefused(401, 'BAD_SIGNATURE', () => viaClient(() => client.requestWithdrawal(signWithdrawal({ accountIndex: 2n, nonce: 0n, amount: 1n }, keys[0]!.privateKey))))
    await expectRefused(422, 'INSUFFICIENT_COLLATERAL', () => viaClient(() => client.requestWithdrawal(signWithdrawal({ accountIndex: 2n, nonce: 0n, amount: 2_000_000_000n }, keys[1]!.privateKey))))
    const w = signWithdrawal({ accountIndex: 2n, nonce: 0n, amount: 1_000_000n }, keys[1]!.privateKey)
    expect((await client.requestWithdrawal(w)).status).toBe('accepted')
    await expectRefused(409, 'NONCE_MISMATCH', () => viaClient(() => client.requestWithdrawal(w)))
  })
})

describe('sequencer API: the operator sets the volatility surface', () => {
  const put = (body: unknown, token?: string) =>
    fetch(`${embedded.node.url}/v1/admin/surface`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: string; reason: string; details?: Record<string, string> } }))
  const expiry = () => embedded.node.feed.slices('ETH')[0]!.expiry.toString()
  const mark = async () => Number(((await client.getSeries()).series[0] as { mark?: string }).mark)

  const surface = () => fetch(`${embedded.node.url}/v1/admin/surface`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json())

  it('refuses without the token, and refuses an arbitrageable slice leaving the surface and marks as they were', async () => {
    const before = await surface()
    const markBefore = await mark()
    expect((await put({ slices: [{ underlying: 'ETH', expiry: expiry(), params: { a: 0.04, b: 0.1, rho: -0.3, m: 0, sigma: 0.2 } }] })).status).toBe(401)
    expect((await put({ slices: [] }, 'wrong-token-of-same-size!')).status).toBe(401)
    // Axel Vogt's slice: a textbook butterfly arbitrage.
    const vogt = { a: -0.0410, b: 0.1331, rho: 0.3060, m: 0.3586, sigma: 0.4153 }
    const refused = await put({ slices: [{ underlying: 'ETH', expiry: expiry(), params: vogt }] }, ADMIN_TOKEN)
    expect(refused.status).toBe(422)
    expect(refused.body).toMatchObject({ code: 'SURFACE_ARBITRAGE', details: { check: 'butterfly', underlying: 'ETH' } })
    expect(await surface()).toEqual(before)
    // The mark still moves with the clock (time decay between the two reads), never by the refused slice.
    expect(Math.abs((await mark()) - markBefore)).toBeLessThanOrEqual(2)
  })

  it('moves the marks when a valid slice raises the vol', async () => {
    const before = await mark()
    const res = await put({ slices: [{ underlying: 'ETH', expiry: expiry(), params: { a: 0.9, b: 0.1, rho: -0.2, m: 0, sigma: 0.3 } }] }, ADMIN_TOKEN)
    expect(res.status).toBe(200)
    expect(await mark()).toBeGreaterThan(before)
  })
})

describe('sequencer API: oracle and circuit-breaker states', () => {
  type Underlyings = { underlyings: { underlying: string; spot: number; status: { mode: string; reason?: string } }[]; transitions: { from: string; to: string; reason: string }[] }
  const underlyings = () => client.request<Underlyings>('GET', '/v1/underlyings')
  const open = (orderId: bigint) => signOrder(order({ orderId, accountIndex: 2n, side: 'sell', size: 10n, limitPrice: 9_000_000n }), keys[1]!.privateKey)

  it('shows the index price from the median of three feeds, trading normally', async () => {
    expect((await underlyings()).underlyings).toMatchObject([{ underlying: 'ETH', spot: 3000, status: { mode: 'normal' } }])
  })

  it('halts matching on a 20% jump, visibly, and resumes after the cool-down', async () => {
    path.jump(0.2)
    await embedded.node.sync()
    const halted = await underlyings()
    expect(halted.underlyings[0]!.status.mode).toBe('halted')
    expect(halted.transitions.at(-1)).toMatchObject({ from: 'normal', to: 'halted' })
    await expectRefused(503, 'MARKET_HALTED', () => viaClient(() => client.placeOrder(open(20n))))
    clockOffset += 301
    await embedded.node.sync()
    expect((await underlyings()).underlyings[0]!.status.mode).toBe('normal')
  })

  it('goes reduce-only when two of three feeds fail: no new exposure', async () => {
    feeds[0]!.fail()
    feeds[1]!.fail()
    await embedded.node.sync()
    expect((await underlyings()).underlyings[0]!.status).toMatchObject({ mode: 'reduce-only' })
    await expectRefused(422, 'REDUCE_ONLY', () => viaClient(() => client.placeOrder(open(21n))))
    feeds[0]!.recover()
    feeds[1]!.recover()
    await embedded.node.sync()
    expect((await underlyings()).underlyings[0]!.status.mode).toBe('normal')
  })
})

describe('sequencer API: order types, order status and cancel-all on a full node', () => {
  it('publishes the routes, answers an IOC without resting it, shows its status, and cancels all with one signature', async () => {
    const openapi = (await (await fetch(`${embedded.node.url}/docs/json`)).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/cancels/all', '/v1/accounts/{index}/orders', '/v1/accounts/{index}/orders/{orderId}', '/v1/trading-rules']))
    const ioc = await client.placeOrder(signOrder(order({ orderId: 40n }), keys[0]!.privateKey), orderOptions({ type: 'ioc' }))
    expect(ioc).toMatchObject({ status: 'cancelled_remainder', resting: '0', orderId: '40' })
    expect(await client.getOrder(1n, 40n)).toMatchObject({ status: 'cancelled', filledSize: '0', options: { type: 'ioc' } })
    const open = await client.getOrders(1n, { status: 'open' })
    expect(open.orders.length).toBeGreaterThan(0)
    const ids = open.orders.map((o) => BigInt(o.orderId))
    const done = await client.cancelAll(signCancelAll(buildCancelAll({ accountIndex: 1n }), keys[0]!.privateKey, ids))
    const byId = (a: string, b: string) => Number(BigInt(a) - BigInt(b))
    expect(done.removed.filter((r) => r.inCircuit).map((r) => r.orderId).sort(byId)).toEqual(ids.map(String).sort(byId))
    expect((await client.getOrders(1n, { status: 'open' })).orders).toEqual([])
  })
})
