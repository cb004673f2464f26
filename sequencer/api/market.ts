/**
 * GET /v1/series, GET /v1/book/:seriesId and GET /v1/market-table: listed series with marks,
 * the order book, and the market table the batch's margin rules run under.
 */
import type { FastifyInstance } from 'fastify'
import { Side } from '../../state/index.js'
import type { ApiContext } from './context.js'
import { marketTableHashOfWords, marketTableWords } from '../../state/marketTable.js'
import { bookParams, bookResponse, errorResponses, marketTableResponse, seriesResponse, underlyingsResponse } from './schemas.js'

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
  app.get('/v1/market-table', { schema: { tags: ['market'], summary: "The open batch's market table and its hash", response: { 200: marketTableResponse } } }, async () => {
    const state = ctx.engine.state
    const words = marketTableWords(state.marketTable, state.params)
    return {
      hash: marketTableHashOfWords(words).toString(),
      words: words.map(String),
      openSlots: state.openSlots,
      rows: state.marketTable.rows.map((r) => ({ seriesId: r.seriesId.toString(), mark: r.mark.toString(), shortMinimum: r.shortMinimum.toString(), scenarioValues: r.scenarioValues.map(String) })),
    }
  })
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
