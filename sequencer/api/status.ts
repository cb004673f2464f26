/** GET /v1/batches and GET /v1/health: the batch pipeline and the node's liveness. */
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from './context.js'
import { batchesResponse, healthResponse, timeResponse } from './schemas.js'

export async function statusRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/v1/batches', { schema: { tags: ['status'], summary: 'Batches, newest first', response: { 200: batchesResponse } } }, async () => ({
    batches: [...ctx.pipeline.records].reverse().map((r) => ({
      number: r.number,
      status: r.status,
      oldRoot: r.trace.oldRoot.toString(),
      newRoot: r.trace.newRoot.toString(),
      txCounts: r.txCounts,
      createdAt: r.createdAt,
      ...(r.provingMs !== undefined ? { provingMs: r.provingMs } : {}),
      ...(r.l1TxHash ? { l1TxHash: r.l1TxHash } : {}),
      ...(r.gasUsed !== undefined ? { gasUsed: r.gasUsed.toString() } : {}),
      ...(r.error ? { error: r.error } : {}),
    })),
  }))
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
      batches: ctx.pipeline.records.length,
      verifiedBatches: ctx.pipeline.records.filter((r) => r.status === 'verified').length,
      rollup: ctx.info.rollup,
      chainId: ctx.info.chainId,
      prover: ctx.info.prover,
      ...(ctx.replica ? { replica: ctx.replica.status() } : {}),
    }
  })
}
