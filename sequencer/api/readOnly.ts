/**
 * A replica (sequencer/replica.ts) serves the read API only: every request that could change
 * state (any method but GET, HEAD and OPTIONS; the stream is a GET) is refused with
 * `503 READ_ONLY_REPLICA` before its body is read, in one hook rather than in each route, so
 * that a write route added later is covered too. 503 rather than 4xx: the same request is
 * fine at the primary, or here once this replica has taken over.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from './context.js'
import { sendError } from './errors.js'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

export const readOnlyPlugin = fp(async (app: FastifyInstance, ctx: ApiContext) => {
  const replica = ctx.replica
  if (!replica) return
  app.addHook('onRequest', async (request, reply) => {
    if (READS.has(request.method)) return
    return sendError(request, reply, 503, 'READ_ONLY_REPLICA', replica.reason)
  })
})
