/**
 * GET /metrics (Prometheus text exposition format) and the hooks that count every answer:
 * requests by route template and status code with their latency, and writes (orders, cancels,
 * withdrawals) by outcome: an accepted order's status or a refusal's error code.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ApiContext } from './context.js'
import { errorCodeOf } from './errors.js'
import type { WriteKind } from '../nodeMetrics.js'

const WRITES: Readonly<Record<string, WriteKind>> = { '/v1/orders': 'order', '/v1/cancels': 'cancel', '/v1/cancels/all': 'cancel', '/v1/withdrawals': 'withdrawal' }

/** The accepted status of each answered write (preSerialization sees the body, onResponse the status). */
const accepted = new WeakMap<FastifyRequest, string>()

type OrderBody = { readonly status?: unknown; readonly fills?: readonly { readonly size?: unknown }[] }

export const metricsPlugin = fp(async (app: FastifyInstance, ctx: ApiContext) => {
  const { metrics } = ctx
  app.addHook('preSerialization', async (request, reply, payload) => {
    const kind = WRITES[request.routeOptions.url ?? '']
    if (!kind || reply.statusCode >= 400) return payload
    const body = payload as OrderBody
    accepted.set(request, typeof body.status === 'string' ? body.status : 'accepted')
    if (kind === 'order' && Array.isArray(body.fills)) {
      metrics.fills.inc(body.fills.length)
      for (const f of body.fills) if (typeof f.size === 'string') metrics.filledSize.inc(Number(f.size))
    }
    return payload
  })
  app.addHook('onResponse', async (request, reply) => {
    // Route templates keep the label set small; anything that matched no route is one label.
    const route = request.routeOptions.url ?? 'unmatched'
    const labels = { method: request.method, route, status_code: String(reply.statusCode) }
    metrics.httpRequests.inc(labels)
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000)
    const kind = WRITES[route]
    if (kind && request.method === 'POST') {
      const code = reply.statusCode < 400 ? accepted.get(request) : errorCodeOf(request)
      metrics.writes.inc({ kind, result: reply.statusCode < 400 ? 'accepted' : 'rejected', code: code ?? String(reply.statusCode) })
    }
  })
})

/** GET /metrics: levels are read from the node, then the registry is rendered. */
export async function metricsRoute(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { metrics } = ctx
  app.get('/metrics', { schema: { tags: ['status'], summary: 'Prometheus metrics (text exposition format)' } }, async (_request, reply) => {
    metrics.refresh({ engine: ctx.engine, market: ctx.market, batches: (status) => ctx.pipeline.count(status), halted: ctx.pipeline.halted, hasherPendingBatches: ctx.hasherPendingBatches?.() ?? 0 })
    const { contentType, text } = await metrics.scrape()
    return reply.type(contentType).send(text)
  })
}
