/**
 * POST /v1/cancels: a signed cancel. The order leaves the book at once, and the next batch
 * bumps its order slot so that it can never fill (docs/protocol.md, "Cancel").
 * POST /v1/cancels/all: a signed cancel-all (every resting order of the account, or of the
 * account in one series), with the per-order cancels that retire them in the circuit too.
 */
import type { FastifyInstance } from 'fastify'
import { signedCancelFromJSON } from '../../sdk/orders.js'
import { signedCancelAllFromJSON } from '../../sdk/cancelAll.js'
import type { ApiContext } from './context.js'
import { cancelAllBody, cancelAllResponse, cancelResponse, errorResponses, signedCancelBody } from './schemas.js'
import { assertLive } from './halt.js'

export async function cancelsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post(
    '/v1/cancels',
    { schema: { tags: ['orders'], summary: 'Cancel an order (signed)', body: signedCancelBody, response: { 200: cancelResponse, ...errorResponses } } },
    async (request) => {
      assertLive(ctx)
      const c = signedCancelFromJSON(request.body)
      const outcome = ctx.recorder.cancelOrder(c)
      return {
        status: outcome.status,
        accountIndex: c.accountIndex.toString(),
        orderId: c.orderId.toString(),
        removedFromBook: outcome.removedFromBook.toString(),
      }
    },
  )
  app.post(
    '/v1/cancels/all',
    {
      schema: {
        tags: ['orders'],
        summary: "Cancel all of an account's orders, in one series or in all (signed)",
        body: cancelAllBody,
        response: { 200: cancelAllResponse, ...errorResponses },
      },
    },
    async (request) => {
      assertLive(ctx)
      const c = signedCancelAllFromJSON(request.body)
      const outcome = ctx.recorder.cancelAll(c)
      return {
        status: outcome.status,
        accountIndex: c.accountIndex.toString(),
        seriesId: c.seriesId.toString(),
        removed: outcome.removed.map((r) => ({ orderId: r.orderId.toString(), seriesId: r.seriesId.toString(), removedFromBook: r.removedFromBook.toString(), inCircuit: r.inCircuit })),
        cancelTxs: outcome.cancelTxs.map(String),
        skipped: outcome.skipped.map((s) => ({ orderId: s.orderId.toString(), reason: s.reason })),
      }
    },
  )
}
