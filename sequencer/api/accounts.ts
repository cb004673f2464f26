/**
 * GET /v1/accounts/:index and GET /v1/accounts?l1Address=: balances, positions, open orders, margin.
 * GET /v1/accounts/:index/orders and GET /v1/accounts/:index/orders/:orderId: order status and
 * history (open and recent orders, newest first, paginated), from the engine's order history.
 */
import type { FastifyInstance } from 'fastify'
import { toHex } from 'viem'
import { SequencerError } from '../errors.js'
import { accountGreeks } from '../../risk/greeks.js'
import type { ApiContext } from './context.js'
import { readAuthGate, readAuthHeaders } from './readAuth.js'
import { accountParams, accountQuery, accountResponse, errorResponses, orderParams, orderView, ordersQuery, ordersResponse } from './schemas.js'
import type { OrderFilter } from '../orderHistory.js'
import { orderRecordJSON } from '../streamMessages.js'

function knownAccount(ctx: ApiContext, index: bigint): void {
  if (!ctx.engine.state.inRange(index) || !ctx.engine.state.exists(index)) throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${index} does not exist`)
}

/** The account's public view; its open orders only to its owner (`withOrders`: the request carried its read authorization). */
function view(ctx: ApiContext, index: bigint, withOrders: boolean) {
  const { engine } = ctx
  if (!engine.state.inRange(index) || !engine.state.exists(index)) throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${index} does not exist`)
  const a = engine.state.account(index)
  const m = engine.margin(index)
  const risk = accountGreeks(
    engine.state.positions(index).map((p) => p.position),
    ctx.market.series(),
    ctx.market.inputsAt(ctx.now()),
  )
  return {
    index: index.toString(),
    pubKey: { x: a.pubKey.x.toString(), y: a.pubKey.y.toString() },
    l1Address: toHex(a.l1Address, { size: 20 }),
    nonce: a.nonce.toString(),
    collateral: a.collateral.toString(),
    positions: engine.state.positions(index).map((p) => ({ positionIndex: p.index.toString(), seriesId: p.position.seriesId.toString(), size: p.position.size.toString() })),
    ...(withOrders
      ? {
          openOrders: engine.restingOrders(index).map((o) => ({
            orderId: o.signed.order.orderId.toString(),
            seriesId: o.signed.order.seriesId.toString(),
            side: o.signed.order.side,
            limitPrice: o.signed.order.limitPrice.toString(),
            remaining: o.remaining.toString(),
            ...(o.options ? { options: { ...o.options } } : {}),
          })),
        }
      : {}),
    margin: {
      equity: m.equity.toString(),
      initialMargin: m.initialMargin.toString(),
      maintenanceMargin: m.maintenanceMargin.toString(),
      freeCollateral: m.freeCollateral.toString(),
    },
    greeks: {
      byUnderlying: risk.byUnderlying,
      total: risk.total,
    },
  }
}

export async function accountsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const gate = readAuthGate(ctx)
  app.get<{ Params: { index: string }; Querystring: { status?: OrderFilter; limit?: string; cursor?: string } }>(
    '/v1/accounts/:index/orders',
    {
      schema: {
        tags: ['orders'],
        summary: "An account's orders, newest first: open (resting or partially filled) and recent history, paginated; private: the account's X-Read-Auth",
        params: accountParams,
        headers: readAuthHeaders,
        querystring: ordersQuery,
        response: { 200: ordersResponse, ...errorResponses },
      },
    },
    async (request) => {
      const index = BigInt(request.params.index)
      knownAccount(ctx, index)
      gate.require(request, index)
      const { status, limit, cursor } = request.query
      const page = ctx.engine.orders.list(index, { filter: status ?? 'all', limit: limit ? Number(limit) : 50, ...(cursor !== undefined ? { before: Number(cursor) } : {}) }, ctx.now())
      return { accountIndex: index.toString(), orders: page.orders.map(orderRecordJSON), ...(page.next !== undefined ? { next: page.next.toString() } : {}) }
    },
  )
  app.get<{ Params: { index: string; orderId: string } }>(
    '/v1/accounts/:index/orders/:orderId',
    {
      schema: {
        tags: ['orders'],
        summary: "One order: status, filled size, average price, fills with their batch; private: the account's X-Read-Auth",
        params: orderParams,
        headers: readAuthHeaders,
        response: { 200: orderView, ...errorResponses },
      },
    },
    async (request) => {
      const index = BigInt(request.params.index)
      knownAccount(ctx, index)
      gate.require(request, index)
      const record = ctx.engine.orders.get(index, BigInt(request.params.orderId), ctx.now())
      if (!record) throw new SequencerError(404, 'UNKNOWN_ORDER', `account ${index} has no order ${request.params.orderId} in the sequencer's history (never received, or forgotten after the retention limit)`)
      return orderRecordJSON(record)
    },
  )
  app.get<{ Params: { index: string } }>(
    '/v1/accounts/:index',
    {
      schema: {
        tags: ['accounts'],
        summary: "An account by index: collateral, positions, margin, Greeks; its open orders only with the account's X-Read-Auth",
        params: accountParams,
        headers: readAuthHeaders,
        response: { 200: accountResponse, ...errorResponses },
      },
    },
    async (request) => {
      const index = BigInt(request.params.index)
      knownAccount(ctx, index)
      return view(ctx, index, gate.authorized(request, index))
    },
  )
  app.get<{ Querystring: { l1Address: string } }>(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        summary: "The first account of an L1 address; its open orders only with the account's X-Read-Auth",
        querystring: accountQuery,
        headers: readAuthHeaders,
        response: { 200: accountResponse, ...errorResponses },
      },
    },
    async (request) => {
      const wanted = BigInt(request.query.l1Address)
      const index = ctx.engine.state.accountIndices().find((i) => ctx.engine.state.account(i).l1Address === wanted)
      if (index === undefined) throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `no account belongs to ${request.query.l1Address}`)
      return view(ctx, index, gate.authorized(request, index))
    },
  )
}
