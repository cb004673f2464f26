/**
 * POST /v1/orders: a signed order with its execution options, matched at once; the rest
 * rests in the book (limit), is dropped (ioc), or only ever rests (post_only).
 * GET /v1/trading-rules: tick size and size increment of every listed series.
 */
import type { FastifyInstance } from 'fastify'
import { orderRequestFromJSON } from '../../sdk/orderRequest.js'
import type { ApiContext } from './context.js'
import { errorResponses, orderResponse, signedOrderBody, tradingRulesResponse } from './schemas.js'
import { assertProvingRoom } from './backlog.js'
import { assertLive } from './halt.js'

export async function ordersRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post(
    '/v1/orders',
    { schema: { tags: ['orders'], summary: 'Place a signed order (limit, ioc, post_only; reduce-only; self-trade policy)', body: signedOrderBody, response: { 200: orderResponse, ...errorResponses } } },
    async (request, reply) => {
      assertLive(ctx)
      assertProvingRoom(ctx, reply)
      const { signed, options } = orderRequestFromJSON(request.body)
      await ctx.signatures?.order(ctx.engine.state, signed)
      const outcome = ctx.recorder.placeOrder(signed, options)
      return {
        status: outcome.status,
        accountIndex: signed.order.accountIndex.toString(),
        orderId: signed.order.orderId.toString(),
        fills: outcome.fills.map((f) => ({ makerAccount: f.makerAccount.toString(), makerOrderId: f.makerOrderId.toString(), size: f.size.toString(), price: f.price.toString() })),
        resting: outcome.resting.toString(),
        ...(outcome.note ? { note: outcome.note } : {}),
        ...(outcome.selfTradeCancelled ? { selfTradeCancelled: outcome.selfTradeCancelled.map(String) } : {}),
        ...(outcome.cappedSize !== undefined ? { cappedSize: outcome.cappedSize.toString() } : {}),
      }
    },
  )
  app.get('/v1/trading-rules', { schema: { tags: ['orders'], summary: 'Tick size and size increment of every listed series', response: { 200: tradingRulesResponse } } }, async () => ({
    series: ctx.market.series().flatMap((s) => {
      const rules = ctx.engine.tradingRules(s.id)
      return rules ? [{ seriesId: s.id.toString(), tickSize: rules.tickSize.toString(), sizeIncrement: rules.sizeIncrement.toString() }] : []
    }),
  }))
}
