/**
 * The sequencer's HTTP API (fastify): one plugin per concern, JSON schemas on every route,
 * OpenAPI at /docs. Handlers only translate between JSON and the engine.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { errorSchema } from './schemas.js'
import { errorsPlugin } from './errors.js'
import { ordersRoutes } from './orders.js'
import { cancelsRoutes } from './cancels.js'
import { withdrawalsRoutes } from './withdrawals.js'
import { accountsRoutes } from './accounts.js'
import { marketRoutes } from './market.js'
import { statusRoutes } from './status.js'
import { adminRoutes } from './admin.js'
import { riskRoutes } from './risk.js'
import { healthRoutes } from './health.js'
import { limitsPlugin } from './limits.js'
import { metricsPlugin, metricsRoute } from './metrics.js'
import { durabilityPlugin } from './durability.js'
import { readOnlyPlugin } from './readOnly.js'
import websocket from '@fastify/websocket'
import { streamRoutes, streamWebsocketOptions } from './stream.js'
import type { ApiContext } from './context.js'

/** Largest request body accepted: a signed order is about 600 bytes. */
export const BODY_LIMIT_BYTES = 16 * 1024

/**
 * The proxies whose `X-Forwarded-For` names the client (fastify's `trustProxy`): their
 * addresses or CIDRs, or how many proxy hops stand before the node. Without it the socket's
 * address is the client, so behind a proxy every client would share the proxy's rate limit.
 */
export type TrustProxy = readonly string[] | number

/** Builds the API over `ctx` (not listening yet). */
export async function buildApi(ctx: ApiContext, options: { logger?: FastifyServerOptions['logger']; trustProxy?: TrustProxy } = {}): Promise<FastifyInstance> {
  const { trustProxy } = options
  const app = Fastify({
    logger: options.logger ?? false,
    ...(trustProxy !== undefined ? { trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : [...trustProxy] } : {}),
    bodyLimit: BODY_LIMIT_BYTES,
    // Strict validation: an unknown field or a number where a decimal string belongs is an
    // error, never silently dropped or coerced (fastify's defaults do both).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  })
  app.addSchema(errorSchema)
  await app.register(errorsPlugin)
  // Global hooks (fastify-plugin): metrics count every answer, 429s included; limits run first.
  await app.register(metricsPlugin, ctx)
  await app.register(limitsPlugin, ctx)
  // A replica refuses every write before its body is read (does nothing on a primary).
  await app.register(readOnlyPlugin, ctx)
  // Writes are answered only once journaled on disk (group commit).
  await app.register(durabilityPlugin, ctx)
  // After the limits: a WebSocket upgrade counts against its IP's bucket.
  await app.register(websocket, streamWebsocketOptions)
  await app.register(swagger, {
    openapi: { info: { title: 'options-rollup sequencer', version: '0.1.0', description: 'Signed orders, cancels and withdrawals in, proven batches out.' } },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  await app.register(ordersRoutes, ctx)
  await app.register(cancelsRoutes, ctx)
  await app.register(withdrawalsRoutes, ctx)
  await app.register(accountsRoutes, ctx)
  await app.register(marketRoutes, ctx)
  await app.register(statusRoutes, ctx)
  await app.register(healthRoutes, ctx)
  await app.register(metricsRoute, ctx)
  await app.register(riskRoutes, ctx)
  await app.register(adminRoutes, ctx)
  await app.register(streamRoutes, ctx)
  return app
}
