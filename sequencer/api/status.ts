/** GET /v1/batches[/:number] and GET /v1/health: the batch pipeline and the node's liveness. */
import type { FastifyInstance } from 'fastify'
import { SequencerError } from '../errors.js'
import type { BatchRecord } from '../pipeline.js'
import type { ApiContext } from './context.js'
import { batchParams, batchResponse, batchesQuery, batchesResponse, errorResponses, healthResponse, timeResponse } from './schemas.js'

function batchView(r: BatchRecord) {
  return {
    number: r.number,
    status: r.status,
    oldRoot: r.oldRoot.toString(),
    newRoot: r.newRoot.toString(),
    txCounts: r.txCounts,
    createdAt: r.createdAt,
    ...(r.provingMs !== undefined ? { provingMs: r.provingMs } : {}),
    ...(r.l1TxHash ? { l1TxHash: r.l1TxHash } : {}),
    ...(r.gasUsed !== undefined ? { gasUsed: r.gasUsed.toString() } : {}),
    ...(r.error ? { error: r.error } : {}),
  }
}

export async function statusRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get<{ Querystring: { limit?: string; cursor?: string } }>(
    '/v1/batches',
    {
      schema: {
        tags: ['status'],
        summary: 'Batches this node cut since it started, newest first, paginated: every one not yet on L1 and the newest verified ones',
        querystring: batchesQuery,
        response: { 200: batchesResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query
      const page = ctx.pipeline.page({ limit: limit ? Number(limit) : 100, ...(cursor !== undefined ? { before: Number(cursor) } : {}) })
      return { batches: page.batches.map(batchView), ...(page.next !== undefined ? { next: page.next.toString() } : {}) }
    },
  )
  app.get<{ Params: { number: string } }>(
    '/v1/batches/:number',
    { schema: { tags: ['status'], summary: 'One batch: status, roots, transactions, proving time, L1 transaction', params: batchParams, response: { 200: batchResponse, ...errorResponses } } },
    async (request) => {
      const record = ctx.pipeline.batch(Number(request.params.number))
      if (!record)
        throw new SequencerError(404, 'UNKNOWN_BATCH', `this node holds no batch ${request.params.number}: not cut yet, cut before this node started, or verified long enough ago to be read from L1 only`)
      return batchView(record)
    },
  )
  app.get('/v1/time', { schema: { tags: ['status'], summary: "The sequencer's clock (unix seconds): validUntil is judged against it, not the client's", response: { 200: timeResponse } } }, async () => ({
    unixSeconds: ctx.now().toString(),
  }))
  app.get('/v1/health', { schema: { tags: ['status'], summary: 'Liveness and progress', response: { 200: healthResponse } } }, async () => {
    const halted = ctx.pipeline.halted
    // The hasher answers once it has applied every change so far; a failed one has no root to give.
    const stateRoot = await ctx.stateRoot().then(String, () => undefined)
    return {
      status: halted ? 'halted' : 'ok',
      ...(halted ? { reason: halted } : {}),
      ...(stateRoot !== undefined ? { stateRoot } : {}),
      queueProcessed: ctx.engine.nextQueueIndex.toString(),
      pendingSlots: ctx.engine.pendingSlots,
      batches: ctx.pipeline.total,
      verifiedBatches: ctx.pipeline.count('verified'),
      rollup: ctx.info.rollup,
      chainId: ctx.info.chainId,
      prover: ctx.info.prover,
      ...(ctx.replica ? { replica: ctx.replica.status() } : {}),
    }
  })
}
