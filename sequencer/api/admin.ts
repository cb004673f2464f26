/**
 * Operator routes, behind a bearer token (ADMIN_TOKEN; without one they answer 404):
 * PUT /v1/admin/surface changes volatility-surface slices, atomically and arbitrage-checked.
 */
import { timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SurfaceArbitrageError, RiskInputError, surfaceToJSON, type SliceUpdate } from '../../risk/index.js'
import { SequencerError } from '../errors.js'
import type { ApiContext } from './context.js'
import { errorResponses } from './schemas.js'

const svi = {
  type: 'object',
  additionalProperties: false,
  required: ['a', 'b', 'rho', 'm', 'sigma'],
  properties: { a: { type: 'number' }, b: { type: 'number' }, rho: { type: 'number' }, m: { type: 'number' }, sigma: { type: 'number' } },
} as const

const surfaceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['slices'],
  properties: {
    slices: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['underlying', 'expiry', 'params'],
        properties: {
          underlying: { type: 'string', pattern: '^[A-Z0-9_]{1,16}$' },
          expiry: { type: 'string', pattern: '^[1-9][0-9]{0,11}$', description: 'unix seconds' },
          params: { anyOf: [svi, { type: 'null' }], description: 'raw SVI parameters; null removes the slice' },
        },
      },
    },
  },
} as const

type SurfaceBody = { slices: { underlying: string; expiry: string; params: SliceUpdate['params'] }[] }

function authorize(ctx: ApiContext, request: FastifyRequest): void {
  if (!ctx.adminToken) throw new SequencerError(404, 'NOT_FOUND', 'admin routes are off (no ADMIN_TOKEN configured)')
  const given = Buffer.from(request.headers.authorization ?? '')
  const wanted = Buffer.from(`Bearer ${ctx.adminToken}`)
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw new SequencerError(401, 'UNAUTHORIZED', 'admin routes need the operator bearer token')
}

export async function adminRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // Before body parsing and validation: an unauthenticated caller learns nothing about the routes.
  app.addHook('onRequest', async (request) => authorize(ctx, request))
  app.get('/v1/admin/surface', { schema: { tags: ['admin'], summary: 'The volatility surface', response: errorResponses } }, async () => {
    return { surface: surfaceToJSON(ctx.feed.surface) }
  })
  app.put<{ Body: SurfaceBody }>(
    '/v1/admin/surface',
    { schema: { tags: ['admin'], summary: 'Set or remove volatility-surface slices (atomic, arbitrage-checked)', body: surfaceBody, response: errorResponses } },
    async (request) => {
      try {
        const surface = ctx.feed.updateSurface(request.body.slices.map((s) => ({ underlying: s.underlying, expiry: BigInt(s.expiry), params: s.params })))
        return { surface: surfaceToJSON(surface) }
      } catch (e) {
        if (e instanceof SurfaceArbitrageError) throw new SequencerError(422, 'SURFACE_ARBITRAGE', e.message, { check: e.check, underlying: e.underlying })
        if (e instanceof RiskInputError) throw new SequencerError(422, 'BAD_SURFACE', e.message)
        throw e
      }
    },
  )
}
