/** POST /v1/orders: a signed order, matched at once; the rest rests in the book. */
import type { FastifyInstance } from 'fastify'
import { signedOrderFromJSON } from '../../sdk/orders.js'
import type { ApiContext } from './context.js'
import { errorResponses, orderResponse, signedOrderBody } from './schemas.js'
import { assertLive } from './halt.js'

export async function ordersRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post(
    '/v1/orders',
    { schema: { tags: ['orders'], summary: 'Place a signed order', body: signedOrderBody, response: { 200: orderResponse, ...errorResponses } } },
    async (request) => {
      assertLive(ctx)
      const outcome = ctx.recorder.placeOrder(signedOrderFromJSON(request.body))
      return {
        status: outcome.status,
        fills: outcome.fills.map((f) => ({ makerAccount: f.makerAccount.toString(), makerOrderId: f.makerOrderId.toString(), size: f.size.toString(), price: f.price.toString() })),
        resting: outcome.resting.toString(),
        ...(outcome.note ? { note: outcome.note } : {}),
        stateRoot: ctx.engine.state.root.toString(),
      }
    },
  )
}
