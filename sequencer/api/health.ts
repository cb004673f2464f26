/**
 * GET /v1/health/live and GET /v1/health/ready: the two probes an orchestrator asks.
 *
 * Live: the process answers HTTP (its event loop turns). A halted pipeline is still live:
 * restarting would not fix what halted it, and the halt reason must stay readable.
 * Ready: the node should receive orders: its journal is replayed, L1 answered recently, the
 * batch pipeline is not halted and a prover can take the next batch. A load balancer sends
 * traffic only to a ready node; 503 otherwise, naming every check that failed. A read-only
 * replica is never ready (it takes no writes); its answer carries how far behind it is.
 */
import type { FastifyInstance } from 'fastify'
import type { ApiContext, NodeFacts, ReplicaStatus } from './context.js'

/** One readiness check's verdict. */
export type Check = { readonly ok: boolean; readonly detail: string }

/** The readiness verdict and each check behind it. */
export type Readiness = {
  readonly ready: boolean
  readonly checks: { readonly journal: Check; readonly l1: Check; readonly pipeline: Check; readonly prover: Check; readonly replica?: Check }
}

/** Judges readiness from the node's facts at wall-clock `nowMs`; `replica` when this node is one (never ready). */
export function readiness(facts: NodeFacts, halted: string | undefined, nowMs: number, maxSyncAgeMs: number, replica?: ReplicaStatus): Readiness {
  const { journal, l1, prover } = facts
  const age = l1.lastSyncAt === undefined ? undefined : nowMs - l1.lastSyncAt
  const checks = {
    journal: journal.replayed
      ? { ok: true, detail: journal.path ? `replayed ${journal.entries} entries in ${journal.ms} ms${journal.checkpointSegment !== undefined ? ` from the checkpoint of segment ${journal.checkpointSegment}` : ''}` : 'no journal (state from L1 only)' }
      : { ok: false, detail: 'the journal replay has not finished' },
    l1:
      age === undefined
        ? { ok: false, detail: `L1 never answered a poll${l1.lastError ? `: ${l1.lastError}` : ''}` }
        : age > maxSyncAgeMs
          ? { ok: false, detail: `last good L1 poll ${Math.round(age / 1000)} s ago (limit ${Math.round(maxSyncAgeMs / 1000)} s)${l1.lastError ? `; last error: ${l1.lastError}` : ''}` }
          : { ok: true, detail: `last good L1 poll ${age} ms ago` },
    pipeline: halted ? { ok: false, detail: `halted: ${halted}` } : { ok: true, detail: 'proving and submitting in order' },
    prover: { ok: prover.attached, detail: prover.detail },
    ...(replica ? { replica: { ok: false, detail: `read-only replica, ${replica.behindEntries} journal entries behind ${replica.primaryPid !== undefined ? `the primary (pid ${replica.primaryPid})` : 'a primary that is gone: taking over'}` } } : {}),
  }
  return { ready: Object.values(checks).every((c) => c.ok), checks }
}

const check = { type: 'object', required: ['ok', 'detail'], properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } as const

const readyResponse = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      required: ['journal', 'l1', 'pipeline', 'prover'],
      properties: { journal: check, l1: check, pipeline: check, prover: check, replica: check },
    },
    replica: {
      type: 'object',
      required: ['behindEntries', 'appliedEntries'],
      properties: { behindEntries: { type: 'integer' }, appliedEntries: { type: 'integer' }, primaryPid: { type: 'integer' } },
    },
  },
} as const

const liveResponse = { type: 'object', required: ['status', 'uptimeSeconds'], properties: { status: { type: 'string', enum: ['live'] }, uptimeSeconds: { type: 'number' } } } as const

export async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/v1/health/live', { schema: { tags: ['status'], summary: 'Liveness: the process answers', response: { 200: liveResponse } } }, async () => ({
    status: 'live',
    uptimeSeconds: Math.round(process.uptime()),
  }))
  app.get(
    '/v1/health/ready',
    {
      schema: {
        tags: ['status'],
        summary: 'Readiness: journal replayed, L1 synced recently, pipeline not halted, prover attached (503 otherwise; always on a replica, with its lag)',
        response: { 200: readyResponse, 503: readyResponse },
      },
    },
    async (_request, reply) => {
      const replica = ctx.replica?.status()
      const r = readiness(ctx.facts(), ctx.pipeline.halted, Date.now(), ctx.maxSyncAgeMs, replica)
      return reply.status(r.ready ? 200 : 503).send({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks, ...(replica ? { replica } : {}) })
    },
  )
}
