/** GET /v1/series and GET /v1/book/:seriesId: listed series with marks, and the order book. */
import type { FastifyInstance } from 'fastify'
import { Side } from '../../state/index.js'
import type { ApiContext } from './context.js'
import { bookParams, bookResponse, errorResponses, seriesResponse, underlyingsResponse } from './schemas.js'

export async function marketRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/v1/series', { schema: { tags: ['market'], summary: 'Listed series and marks', response: { 200: seriesResponse } } }, async () => {
    const now = ctx.now()
    const table = ctx.market.table(now)
    const settled = ctx.settlementPrices()
    return {
      series: ctx.market.series().map((s) => {
        const mark = table.rows.get(s.id)?.mark
        const settlementPrice = settled?.get(s.id)
        return {
          id: s.id.toString(),
          name: ctx.market.name(s),
          underlying: s.underlying,
          expiry: s.expiry.toString(),
          strike: s.strike.toString(),
          isCall: s.isCall,
          live: s.expiry > now,
          ...(mark !== undefined ? { mark: mark.toString() } : {}),
          ...(settlementPrice !== undefined ? { settlementPrice: settlementPrice.toString() } : {}),
        }
      }),
    }
  })
  app.get(
    '/v1/underlyings',
    { schema: { tags: ['market'], summary: 'Index prices and trading states (normal, reduce-only, halted) with recent transitions', response: { 200: underlyingsResponse } } },
    async () => ({
      underlyings: ctx.market.underlyings(),
      transitions: ctx.transitions().map((t) => ({ ...t, at: t.at.toString() })),
    }),
  )
  app.get<{ Params: { seriesId: string } }>(
    '/v1/book/:seriesId',
    { schema: { tags: ['market'], summary: 'Aggregated order book of a series', params: bookParams, response: { 200: bookResponse, ...errorResponses } } },
    async (request) => {
      const book = ctx.engine.book(BigInt(request.params.seriesId))
      const level = (l: { price: bigint; size: bigint; orders: number }) => ({ price: l.price.toString(), size: l.size.toString(), orders: l.orders })
      return { seriesId: request.params.seriesId, bids: book.levels(Side.buy).map(level), asks: book.levels(Side.sell).map(level) }
    },
  )
}
