/**
 * The order routes (orders, cancels, account orders) over a real engine and recorder, without
 * L1 or a prover: fastify `inject`, the schemas and the central error handler as the node
 * runs them. api.test.ts drives the same routes on a full node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import { depositEntry, RollupState, Side, TEST_PARAMS, type Order } from '../../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../../state/testing.js'
import { signedOrderToJSON } from '../../sdk/orders.js'
import { orderRequestToJSON, orderOptions } from '../../sdk/orderRequest.js'
import { buildCancelAll, signCancelAll, signedCancelAllToJSON } from '../../sdk/cancelAll.js'
import { signedStreamAuthToJSON, signStreamAuth } from '../../sdk/streamAuth.js'
import { DEFAULT_MARKET, defaultSeries } from '../defaults.js'
import { Engine } from '../engine.js'
import { Market } from '../market.js'
import { Recorder } from '../recorder.js'
import { BatchPipeline } from '../pipeline.js'
import { inProcessProver } from '../../prover/queue.js'
import { errorSchema } from './schemas.js'
import { errorsPlugin } from './errors.js'
import { ordersRoutes } from './orders.js'
import { cancelsRoutes } from './cancels.js'
import { accountsRoutes } from './accounts.js'
import type { ApiContext } from './context.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const keys = [testKey(1), testKey(2)]
let app: FastifyInstance
let engine: Engine

const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))

beforeAll(async () => {
  const market = new Market(DEFAULT_MARKET, [SERIES])
  engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => NOW, onBatch: () => {}, tradingRules: { default: { tickSize: 100n } } })
  const recorder = new Recorder(engine, market, undefined, () => NOW)
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  // No batch is ever enqueued here: the pipeline only answers whether writes are allowed.
  const pipeline = new BatchPipeline(inProcessProver(TEST_PARAMS), async () => Promise.reject(new Error('nothing is submitted in this test')), { firstNumber: 0 })
  // The routes under test read only these fields of the context.
  const ctx = { engine, recorder, pipeline, market, now: () => NOW, maxProvingBacklog: false } as unknown as ApiContext
  app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } } })
  app.addSchema(errorSchema)
  await app.register(errorsPlugin)
  await app.register(ordersRoutes, ctx)
  await app.register(cancelsRoutes, ctx)
  await app.register(accountsRoutes, ctx)
})

afterAll(async () => {
  await app?.close()
})

const post = async (url: string, payload: unknown) => {
  const res = await app.inject({ method: 'POST', url, payload: payload as object })
  return { status: res.statusCode, body: res.json() as Record<string, unknown> }
}
/** The read authorization of account `index` (keys[index - 1]) as its header, valid `ahead` seconds. */
const readAuth = (index: bigint, ahead = 300n, key = keys[Number(index) - 1]!) =>
  JSON.stringify(signedStreamAuthToJSON(signStreamAuth({ accountIndex: index, validUntil: NOW + ahead }, key.privateKey)))

/** GET, as the account in the path when there is one (its read authorization attached), unless `headers` are given. */
const get = async (url: string, headers?: Record<string, string>) => {
  const account = /^\/v1\/accounts\/(\d+)/.exec(url)?.[1]
  const own = account && keys[Number(account) - 1] ? { 'x-read-auth': readAuth(BigInt(account)) } : {}
  const res = await app.inject({ method: 'GET', url, headers: headers ?? own })
  return { status: res.statusCode, body: res.json() as Record<string, unknown> }
}

describe('order routes', () => {
  it('places orders with options, and reports them with their status and fills', async () => {
    expect(await post('/v1/orders', signedOrderToJSON(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })))).toMatchObject({ status: 200, body: { status: 'resting', orderId: '1', accountIndex: '2' } })
    const ioc = await post('/v1/orders', orderRequestToJSON(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy }), orderOptions({ type: 'ioc' })))
    expect(ioc).toMatchObject({ status: 200, body: { status: 'cancelled_remainder', resting: '0', fills: [{ makerAccount: '2', size: '40', price: '2100000' }], note: 'immediate-or-cancel: 60 not filled, not rested' } })
    const view = await get('/v1/accounts/1/orders/1')
    expect(view).toMatchObject({ status: 200, body: { status: 'cancelled', filledSize: '40', averagePrice: '2100000', options: { type: 'ioc', reduceOnly: false }, fills: [{ role: 'taker', batch: 1, counterpartyOrderId: '1' }] } })
    expect(await post('/v1/orders', orderRequestToJSON(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, limitPrice: 2_000_000n }), orderOptions({ type: 'post_only' })))).toMatchObject({ body: { status: 'resting' } })
    const page = await get('/v1/accounts/1/orders?status=all&limit=1')
    expect(page).toMatchObject({ status: 200, body: { orders: [{ orderId: '2', status: 'resting', remaining: '100' }], next: expect.any(String) } })
    expect(await get(`/v1/accounts/1/orders?cursor=${(page.body as { next: string }).next}`)).toMatchObject({ body: { orders: [{ orderId: '1' }] } })
    expect(await get('/v1/accounts/1/orders?status=open')).toMatchObject({ body: { orders: [{ orderId: '2' }] } })
    expect(await get('/v1/trading-rules')).toEqual({ status: 200, body: { series: [{ seriesId: '1', tickSize: '100', sizeIncrement: '1' }] } })
  })

  it('refuses with codes: crossing post-only, off-tick price, unknown order or account, bad options and queries', async () => {
    const cross = orderRequestToJSON(order(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.sell, limitPrice: 2_000_000n }), orderOptions({ type: 'post_only' }))
    expect(await post('/v1/orders', cross)).toMatchObject({ status: 422, body: { code: 'POST_ONLY_WOULD_CROSS' } })
    expect(await post('/v1/orders', signedOrderToJSON(order(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.sell, limitPrice: 2_000_050n })))).toMatchObject({ status: 422, body: { code: 'BAD_TICK', details: { tickSize: '100' } } })
    expect(await get('/v1/accounts/1/orders/3')).toMatchObject({ status: 200, body: { status: 'rejected', code: 'BAD_TICK' } })
    expect(await get('/v1/accounts/1/orders/99')).toMatchObject({ status: 404, body: { code: 'UNKNOWN_ORDER' } })
    expect(await get('/v1/accounts/9/orders')).toMatchObject({ status: 404, body: { code: 'UNKNOWN_ACCOUNT' } })
    const json = signedOrderToJSON(order(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.sell }))
    expect(await post('/v1/orders', { ...json, options: { type: 'fok' } })).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(await post('/v1/orders', { ...json, options: { postOnly: true } })).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(await get('/v1/accounts/1/orders?limit=0')).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(await get('/v1/accounts/1/orders?status=pending')).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
  })

  it('cancels all of an account\'s orders with one signature, retiring those it carries cancels for; refuses a replay', async () => {
    const k = keys[0]!
    const body = signedCancelAllToJSON(signCancelAll(buildCancelAll({ accountIndex: 1n, seriesId: 0n, nonce: 10n, validUntil: NOW + 60n }), k.privateKey, [2n]))
    const res = await post('/v1/cancels/all', body)
    expect(res).toMatchObject({ status: 200, body: { status: 'cancelled', accountIndex: '1', seriesId: '0', removed: [{ orderId: '2', seriesId: '1', removedFromBook: '100', inCircuit: true }], cancelTxs: ['2'], skipped: [] } })
    expect(await get('/v1/accounts/1/orders/2')).toMatchObject({ body: { status: 'cancelled', reason: 'cancelled by its owner (cancel-all)' } })
    expect(await post('/v1/cancels/all', body)).toMatchObject({ status: 409, body: { code: 'CANCEL_ALL_REPLAYED', details: { lastNonce: '10' } } })
    expect(await post('/v1/cancels/all', { ...body, nonce: '11' })).toMatchObject({ status: 401, body: { code: 'BAD_SIGNATURE' } })
    expect(await post('/v1/cancels/all', { ...body, cancels: undefined })).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(await post('/v1/cancels/all', { ...body, cancels: [...body.cancels, ...body.cancels] })).toMatchObject({ status: 400, body: { code: 'MALFORMED_REQUEST' } })
    expect(engine.restingOrders(1n)).toEqual([])
  })

  it("serves an account's orders only against its read authorization, refusing every bad one with a reason", async () => {
    expect(await post('/v1/orders', signedOrderToJSON(order(keys[1]!, { accountIndex: 2n, orderId: 50n, side: Side.sell, limitPrice: 3_000_000n })))).toMatchObject({ body: { status: 'resting' } })
    const refused = async (headers: Record<string, string>, status: number, code: string, url = '/v1/accounts/2/orders') => {
      const res = await get(url, headers)
      expect([res.status, res.body.code]).toEqual([status, code])
      expect(String(res.body.reason).length).toBeGreaterThan(10)
    }
    await refused({}, 401, 'AUTH_REQUIRED')
    await refused({}, 401, 'AUTH_REQUIRED', '/v1/accounts/2/orders/50')
    await refused({ 'x-read-auth': readAuth(1n) }, 403, 'WRONG_ACCOUNT')
    await refused({ 'x-read-auth': readAuth(2n, 300n, keys[0]) }, 401, 'BAD_SIGNATURE')
    await refused({ 'x-read-auth': readAuth(2n, 0n) }, 401, 'REQUEST_EXPIRED')
    await refused({ 'x-read-auth': readAuth(2n, 661n) }, 401, 'VALID_UNTIL_TOO_FAR')
    await refused({ 'x-read-auth': '{"accountIndex":"2"' }, 400, 'MALFORMED_REQUEST')
    await refused({ 'x-read-auth': JSON.stringify({ accountIndex: '2', validUntil: (NOW + 60n).toString() }) }, 400, 'MALFORMED_REQUEST')
    await refused({ 'x-read-auth': 'x'.repeat(2000) }, 400, 'MALFORMED_REQUEST')
    const tampered = JSON.parse(readAuth(2n)) as { validUntil: string }
    await refused({ 'x-read-auth': JSON.stringify({ ...tampered, validUntil: (NOW + 200n).toString() }) }, 401, 'BAD_SIGNATURE')
    // The owner reads them, at the limit of the window too; the account view lists open orders only to the owner.
    expect(await get('/v1/accounts/2/orders/50', { 'x-read-auth': readAuth(2n, 660n) })).toMatchObject({ status: 200, body: { orderId: '50', status: 'resting' } })
    expect(await get('/v1/accounts/2/orders?status=open')).toMatchObject({ status: 200, body: { orders: [{ orderId: '50' }] } })
    expect(await get('/v1/accounts/2')).toMatchObject({ status: 200, body: { openOrders: [{ orderId: '50', limitPrice: '3000000' }] } })
    const anonymous = await get('/v1/accounts/2', {})
    expect(anonymous.status).toBe(200)
    expect(anonymous.body).toMatchObject({ index: '2', collateral: expect.any(String) })
    expect(anonymous.body).not.toHaveProperty('openOrders')
    await refused({ 'x-read-auth': readAuth(1n) }, 403, 'WRONG_ACCOUNT', '/v1/accounts/2')
    await refused({ 'x-read-auth': readAuth(2n, 0n) }, 401, 'REQUEST_EXPIRED', '/v1/accounts/2')
  })
})
