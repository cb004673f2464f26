/**
 * Cancel-only while proving falls behind. Every batch not yet on L1 keeps its trace (its
 * witness) in the node's memory, and every trade adds to them. When the provers fall behind
 * the order flow, that backlog grows with every order. It would exhaust the node's memory,
 * and even before that, the GC of a large heap stalls every answer (docs/benchmarks.md).
 *
 * So past `maxProvingBacklog` batches not yet on L1, new orders are refused with
 * `503 PROVING_BACKLOG` and a `Retry-After`. They are refused before their signature is
 * checked, so a flood of orders costs little while the provers catch up. Cancels and
 * withdrawals are still accepted: traders can always reduce their risk and leave, as on an
 * exchange in cancel-only mode. Deposits, expiries and liquidations come from L1 and the
 * market, not from orders, and keep being processed.
 */
import type { FastifyReply } from 'fastify'
import { SequencerError } from '../errors.js'
import type { ApiContext } from './context.js'

/** Slots of backlog the default limit allows: about 200 MB of traces at the test parameters. */
export const DEFAULT_MAX_PROVING_BACKLOG_SLOTS = 16_384

/** Seconds a refused client is told to wait: a few batches' proving time. */
export const PROVING_BACKLOG_RETRY_AFTER_S = 5

/** The default limit in batches for a batch size: 16,384 slots' worth, at least 64 batches. */
export function defaultMaxProvingBacklog(batchSize: number): number {
  return Math.max(64, Math.ceil(DEFAULT_MAX_PROVING_BACKLOG_SLOTS / batchSize))
}

/** Batches cut but not on L1: hashed ones in the pipeline, and those still on the hasher's thread. */
export function provingBacklog(ctx: Pick<ApiContext, 'pipeline' | 'hasherPendingBatches'>): number {
  return ctx.pipeline.unfinished + (ctx.hasherPendingBatches?.() ?? 0)
}

/** Refuses a new order while the backlog is at the limit (`false`: no limit). */
export function assertProvingRoom(ctx: Pick<ApiContext, 'pipeline' | 'hasherPendingBatches' | 'maxProvingBacklog'>, reply: FastifyReply): void {
  const limit = ctx.maxProvingBacklog
  if (limit === false) return
  const backlog = provingBacklog(ctx)
  if (backlog < limit) return
  void reply.header('retry-after', String(PROVING_BACKLOG_RETRY_AFTER_S))
  throw new SequencerError(
    503,
    'PROVING_BACKLOG',
    `${backlog} batches wait to be proven and posted to L1 (the limit is ${limit}): new orders are refused until the provers catch up; cancels and withdrawals are still accepted`,
    { backlog: String(backlog), limit: String(limit) },
  )
}
