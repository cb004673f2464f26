/** POST /v1/withdrawals: a signed withdrawal of collateral, paid on L1 once its batch verifies. */
import type { FastifyInstance } from 'fastify'
import { signedWithdrawalFromJSON } from '../../sdk/orders.js'
import type { ApiContext } from './context.js'
import { errorResponses, signedWithdrawalBody, withdrawalResponse } from './schemas.js'
import { assertLive } from './halt.js'

export async function withdrawalsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post(
    '/v1/withdrawals',
    { schema: { tags: ['accounts'], summary: 'Withdraw collateral to L1', body: signedWithdrawalBody, response: { 200: withdrawalResponse, ...errorResponses } } },
    async (request) => {
      assertLive(ctx)
      const w = signedWithdrawalFromJSON(request.body)
      ctx.recorder.requestWithdrawal(w)
      return { status: 'accepted', accountIndex: w.accountIndex.toString(), amount: w.amount.toString(), nonce: w.nonce.toString() }
    },
  )
}
