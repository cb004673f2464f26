/**
 * No write is answered before the journal holds it on disk: every answer to a request that
 * may change state (any method but GET and HEAD) waits for `Recorder.durable()`. The
 * handlers apply a request and journal it synchronously; the fsync happens here, once for
 * all requests answered meanwhile (group commit, sequencer/journal.ts), so a burst of
 * orders shares one fsync instead of paying one each. Refusals wait too: cheap, and it keeps
 * an answer from overtaking the durability of requests that came before it.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from './context.js'

export const durabilityPlugin = fp(async (app: FastifyInstance, ctx: ApiContext) => {
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const waiting = performance.now()
      await ctx.recorder.durable()
      ctx.metrics.durabilityWait.observe((performance.now() - waiting) / 1000)
    }
    return payload
  })
})
