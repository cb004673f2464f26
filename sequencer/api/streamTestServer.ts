/**
 * For tests of the stream over the network (sequencer/api/stream.test.ts, sdk/stream.test.ts):
 * a fastify app with @fastify/websocket, the stream plugin and the order routes, over a real
 * engine with two funded accounts (1: testKey(1), 2: testKey(2)) and one listed series (1),
 * listening on 127.0.0.1, port 0. No L1, no prover.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import websocket from '@fastify/websocket'
import { depositEntry, RollupState, TEST_PARAMS, type Order } from '../../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../../state/testing.js'
import { signedOrderToJSON } from '../../sdk/orders.js'
import { DEFAULT_MARKET, defaultSeries } from '../defaults.js'
import { Engine } from '../engine.js'
import { Market } from '../market.js'
import { Recorder } from '../recorder.js'
import { BatchPipeline } from '../pipeline.js'
import { inProcessProver } from '../../prover/queue.js'
import { StreamHub, type StreamHubOptions } from '../streamHub.js'
import { errorSchema } from './schemas.js'
import { errorsPlugin } from './errors.js'
import { ordersRoutes } from './orders.js'
import { accountsRoutes } from './accounts.js'
import { streamRoutes, streamWebsocketOptions } from './stream.js'
import type { ApiContext } from './context.js'

export const STREAM_TEST_NOW = 1_790_000_000n

export type StreamTestServer = {
  readonly app: FastifyInstance
  readonly engine: Engine
  readonly hub: StreamHub
  /** `ws://127.0.0.1:<port>/v1/stream` */
  readonly url: string
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string
  readonly keys: readonly TestKey[]
  /** POSTs a signed order (series 1, size 100, price 2 100 000 unless given) over HTTP; returns the status code. */
  readonly placeOrder: (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) => Promise<number>
  readonly close: () => Promise<void>
}

export async function startStreamTestServer(options: StreamHubOptions = {}, extra?: (ctx: { engine: Engine; hub: StreamHub; app: FastifyInstance }) => Promise<void>): Promise<StreamTestServer> {
  const now = () => STREAM_TEST_NOW
  const market = new Market(DEFAULT_MARKET, [{ id: 1n, ...defaultSeries(STREAM_TEST_NOW) }])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now, onBatch: () => {} })
  const recorder = new Recorder(engine, market, undefined, now)
  const keys = [testKey(1), testKey(2)]
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  const hub = new StreamHub({ engine, market, now }, options)
  // The order routes only ask the pipeline whether writes are allowed; nothing is submitted here.
  const pipeline = new BatchPipeline(inProcessProver(TEST_PARAMS), () => Promise.reject(new Error('nothing is submitted in this test')), { firstNumber: 0 })
  const ctx = { engine, recorder, pipeline, market, now, stream: hub, maxProvingBacklog: false } as unknown as ApiContext & { stream: StreamHub }
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } } })
  app.addSchema(errorSchema)
  await app.register(errorsPlugin)
  await app.register(websocket, streamWebsocketOptions)
  await app.register(ordersRoutes, ctx)
  await app.register(accountsRoutes, ctx)
  await app.register(streamRoutes, ctx)
  await extra?.({ engine, hub, app })
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app,
    engine,
    hub,
    url: `${baseUrl.replace(/^http/, 'ws')}/v1/stream`,
    baseUrl,
    keys,
    placeOrder: async (key, fields) => {
      const signed = signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: STREAM_TEST_NOW + 3600n, ...fields }))
      const res = await app.inject({ method: 'POST', url: '/v1/orders', payload: signedOrderToJSON(signed) })
      return res.statusCode
    },
    close: async () => {
      hub.stop()
      await app.close()
    },
  }
}
