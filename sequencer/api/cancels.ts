/**
 * POST /v1/cancels: a signed cancel. The order leaves the book at once, and the next batch
 * bumps its order slot so that it can never fill (docs/protocol.md, "Cancel").
 */
import type { FastifyInstance } from 'fastify'
import { signedCancelFromJSON } from '../../sdk/orders.js'
import type { ApiContext } from './context.js'
import { cancelResponse, errorResponses, signedCancelBody } from './schemas.js'
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
        stateRoot: ctx.engine.state.root.toString(),
      }
    },
  )
}
