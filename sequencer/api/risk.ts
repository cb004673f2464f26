/**
 * GET /v1/risk/liquidations: the liquidation round the risk engine would run at the current
 * marks (accounts below maintenance margin, the plan for each, deferred accounts whose prices
 * are not trusted). A preview until the circuit's liquidation transaction (issue 4) executes it.
 */
import type { FastifyInstance } from 'fastify'
import type { ApiContext } from './context.js'

const uint = { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } as const
const int = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' } as const

const response = {
  type: 'object',
  properties: {
    plans: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          accountIndex: uint,
          liquidatorIndex: uint,
          kind: { type: 'string', enum: ['partial', 'full', 'capped', 'bankrupt'] },
          transfers: { type: 'array', items: { type: 'object', properties: { seriesId: uint, size: int } } },
          markValue: int,
          penalty: uint,
          shortfall: uint,
          coveredByFund: uint,
          socialized: uint,
          equityBefore: int,
          maintenanceBefore: uint,
          equityAfter: int,
          initialAfter: uint,
        },
      },
    },
    skipped: { type: 'array', items: { type: 'object', properties: { accountIndex: uint, code: { type: 'string' }, reason: { type: 'string' } } } },
    deferred: { type: 'array', items: { type: 'object', properties: { accountIndex: uint, reason: { type: 'string' } } } },
    insuranceFund: { type: 'object', properties: { before: uint, after: uint } },
    socializedLoss: uint,
  },
} as const

export async function riskRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/v1/risk/liquidations', { schema: { tags: ['risk'], summary: 'Accounts below maintenance margin and how they would be liquidated (preview)', response: { 200: response } } }, async () => {
    const { round, deferred } = ctx.engine.liquidationPreview()
    const s = (v: bigint) => v.toString()
    return {
      plans: round.plans.map((p) => ({
        accountIndex: s(p.accountIndex),
        liquidatorIndex: s(p.liquidatorIndex),
        kind: p.kind,
        transfers: p.transfers.map((t) => ({ seriesId: s(t.seriesId), size: s(t.size) })),
        markValue: s(p.markValue),
        penalty: s(p.penalty),
        shortfall: s(p.shortfall),
        coveredByFund: s(p.coveredByFund),
        socialized: s(p.socialized),
        equityBefore: s(p.before.equity),
        maintenanceBefore: s(p.before.maintenanceMargin),
        equityAfter: s(p.after.equity),
        initialAfter: s(p.after.initialMargin),
      })),
      skipped: round.skipped.map((k) => ({ accountIndex: s(k.accountIndex), code: k.code, reason: k.reason })),
      deferred: deferred.map((d) => ({ accountIndex: s(d.accountIndex), reason: d.reason })),
      insuranceFund: { before: s(round.insuranceFund.before), after: s(round.insuranceFund.after) },
      socializedLoss: s(round.socializedLoss),
    }
  })
}
