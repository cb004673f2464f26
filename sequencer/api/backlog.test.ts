/**
 * Cancel-only while proving falls behind (api/backlog.ts): past the node's limit of batches
 * not yet on L1, new orders are refused with 503 PROVING_BACKLOG and Retry-After, before their
 * signature is checked, and change nothing; cancels and withdrawals still pass; orders are
 * accepted again once the provers catch up. Real engine, recorder, pipeline and routes; the
 * prover is one whose proofs the test finishes by hand, since the point is a prover that is
 * behind (real proofs through the pipeline are test/e2e.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Mined } from '../../l1/rollupCalls.js'
import type { BatchProof, SolidityProof } from '../../prover/prove.js'
import type { Prover } from '../../prover/queue.js'
import { buildCancel, buildWithdrawal, signCancel, signedCancelToJSON, signedOrderToJSON, signedWithdrawalToJSON, signWithdrawal } from '../../sdk/orders.js'
import { depositEntry, RollupState, Side, TEST_PARAMS, type Order } from '../../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../../state/testing.js'
import { DEFAULT_MARKET, defaultSeries } from '../defaults.js'
import { Engine } from '../engine.js'
import { Market } from '../market.js'
import { BatchPipeline } from '../pipeline.js'
import { Recorder } from '../recorder.js'
import { assertProvingRoom, defaultMaxProvingBacklog, PROVING_BACKLOG_RETRY_AFTER_S, provingBacklog } from './backlog.js'
import { cancelsRoutes } from './cancels.js'
import type { ApiContext } from './context.js'
import { errorsPlugin } from './errors.js'
import { ordersRoutes } from './orders.js'
import { errorSchema } from './schemas.js'
import { withdrawalsRoutes } from './withdrawals.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const keys = [testKey(1), testKey(2)]
const LIMIT = 2
const PROOF: SolidityProof = { a: [0n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] }

let app: FastifyInstance
let engine: Engine
let pipeline: BatchPipeline
/** Proofs requested and not yet finished, in request order. */
const proofs: ((p: BatchProof) => void)[] = []

const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrderToJSON(signedOrder(key, orderWith({ seriesId: 1n, size: 10n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields })))

const post = async (url: string, payload: unknown) => {
  const res = await app.inject({ method: 'POST', url, payload: payload as object })
  return { status: res.statusCode, headers: res.headers, body: res.json() as Record<string, unknown> }
}

/** Finishes the oldest proof requested, and lets the pipeline submit it. */
async function proveOldest(): Promise<void> {
  proofs.shift()!({ proof: PROOF, inputHash: 0n, provingMs: 1 })
  await new Promise((r) => setTimeout(r, 0))
}

beforeAll(async () => {
  const prover: Prover = { kind: 'bullmq', prove: () => new Promise<BatchProof>((resolve) => proofs.push(resolve)), close: async () => {} }
  const submit = async (_t: unknown, _p: SolidityProof, number: number) => ({ hash: `0x${number.toString(16).padStart(64, '0')}`, gasUsed: 1n }) as unknown as Mined
  pipeline = new BatchPipeline(prover, submit, { firstNumber: 0, provingConcurrency: 8 })
  const market = new Market(DEFAULT_MARKET, [SERIES])
  engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => NOW, onBatch: (trace) => void pipeline.enqueue(trace), tradingRules: { default: { tickSize: 100n } } })
  const recorder = new Recorder(engine, market, undefined, () => NOW)
  // Two deposits fill the first batch (2 slots at the test parameters).
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  const ctx = { engine, recorder, pipeline, market, now: () => NOW, maxProvingBacklog: LIMIT } as unknown as ApiContext
  app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } } })
  app.addSchema(errorSchema)
  await app.register(errorsPlugin)
  await app.register(ordersRoutes, ctx)
  await app.register(cancelsRoutes, ctx)
  await app.register(withdrawalsRoutes, ctx)
})

afterAll(async () => {
  await app?.close()
})

describe('the proving backlog', () => {
  it('turns the API cancel-only at the limit, and back once the provers catch up', async () => {
    expect(pipeline.unfinished).toBe(1)
    // Two trades fill the second batch: the backlog reaches the limit.
    expect(await post('/v1/orders', order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 30n }))).toMatchObject({ status: 200, body: { status: 'resting' } })
    expect(await post('/v1/orders', order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell }))).toMatchObject({ status: 200, body: { status: 'filled' } })
    expect(await post('/v1/orders', order(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.sell }))).toMatchObject({ status: 200, body: { status: 'filled' } })
    expect(provingBacklog({ pipeline })).toBe(LIMIT)

    const resting = engine.restingOrders(1n)
    const refused = await post('/v1/orders', order(keys[1]!, { accountIndex: 2n, orderId: 3n, side: Side.sell }))
    expect(refused).toMatchObject({ status: 503, body: { code: 'PROVING_BACKLOG', details: { backlog: '2', limit: '2' } } })
    expect(refused.body.reason).toMatch(/2 batches wait to be proven.*cancels and withdrawals are still accepted/)
    expect(refused.headers['retry-after']).toBe(String(PROVING_BACKLOG_RETRY_AFTER_S))
    // Refused before its signature is checked: a forged order costs no verification either.
    const forged = order(keys[0]!, { accountIndex: 2n, orderId: 4n, side: Side.sell })
    expect(await post('/v1/orders', forged)).toMatchObject({ status: 503, body: { code: 'PROVING_BACKLOG' } })
    // Nothing moved: the book, and no order of the refused ids was taken in.
    expect(engine.restingOrders(1n)).toEqual(resting)
    expect(engine.restingOrders(2n)).toEqual([])

    // Traders can still cut their risk and leave, even though that adds to the backlog.
    expect(await post('/v1/cancels', signedCancelToJSON(signCancel(buildCancel({ accountIndex: 1n, orderId: 1n }), keys[0]!.privateKey)))).toMatchObject({ status: 200 })
    expect(await post('/v1/withdrawals', signedWithdrawalToJSON(signWithdrawal(buildWithdrawal({ accountIndex: 2n, nonce: 0n, amount: 1_000n }), keys[1]!.privateKey)))).toMatchObject({ status: 200 })
    expect(engine.restingOrders(1n)).toEqual([])
    expect(pipeline.unfinished).toBe(3)

    await proveOldest()
    expect(pipeline.unfinished).toBe(2)
    expect(await post('/v1/orders', order(keys[1]!, { accountIndex: 2n, orderId: 3n, side: Side.sell }))).toMatchObject({ status: 503, body: { code: 'PROVING_BACKLOG' } })
    await proveOldest()
    expect(pipeline.count('verified')).toBe(2)
    expect(await post('/v1/orders', order(keys[1]!, { accountIndex: 2n, orderId: 3n, side: Side.sell }))).toMatchObject({ status: 200, body: { status: 'resting' } })
  })

  it('counts batches still on the hasher thread, and has no limit when it is off', () => {
    const ctx = { pipeline, hasherPendingBatches: () => 5 }
    expect(provingBacklog(ctx)).toBe(pipeline.unfinished + 5)
    const reply = { header: () => reply } as unknown as Parameters<typeof assertProvingRoom>[1]
    expect(() => assertProvingRoom({ ...ctx, maxProvingBacklog: false }, reply)).not.toThrow()
    expect(() => assertProvingRoom({ ...ctx, maxProvingBacklog: pipeline.unfinished + 5 }, reply)).toThrow(/PROVING_BACKLOG/)
    expect(() => assertProvingRoom({ ...ctx, maxProvingBacklog: pipeline.unfinished + 6 }, reply)).not.toThrow()
  })

  it('defaults to 16,384 slots of backlog, at least 64 batches', () => {
    expect(defaultMaxProvingBacklog(TEST_PARAMS.batchSize)).toBe(8_192)
    expect(defaultMaxProvingBacklog(16)).toBe(1_024)
    expect(defaultMaxProvingBacklog(1024)).toBe(64)
  })
})
