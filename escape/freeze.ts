/**
 * Forced withdrawals and freezing: a user asks L1 to force the withdrawal of an account
 * (`requestForced`); when the sequencer does not serve it in time, anyone finds the oldest
 * unserved request and, once its deadline has passed, calls `Rollup.freeze` with it
 * (`freezeIfOverdue`). After that no batch is accepted and accounts exit from L1.
 */
import type { Address, Hash, PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import { freeze, requestForcedWithdrawal } from '../l1/rollupCalls.js'
import { readQueueEntries, readRollupStatus } from '../l1/rollupReaders.js'
import type { L1Context } from '../l1/clients.js'
import { QueueKind } from '../state/params.js'
import { AlreadyFrozenError, NotOverdueError, sending } from './errors.js'

/** A forced withdrawal still waiting in the L1 queue. */
export type ForcedRequest = {
  readonly queueIndex: bigint
  readonly accountIndex: bigint
  readonly requester: bigint
  /** Unix seconds after which (strictly) anyone may freeze the rollup over it. */
  readonly deadline: bigint
}

/** Options shared by the escape calls that scan events. */
export type ScanOptions = {
  /** First block to scan for events: the deployment block or earlier (default 0). */
  readonly fromBlock?: bigint
}

/** Every forced withdrawal not yet consumed by a verified batch (queue index >= queueProcessed), oldest first. */
export async function unservedForcedRequests(client: PublicClient, rollup: Address, options: ScanOptions = {}): Promise<ForcedRequest[]> {
  const { queueProcessed } = await readRollupStatus(client, rollup)
  const entries = await readQueueEntries(client, rollup, { fromIndex: queueProcessed, ...(options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock }) })
  const forced = entries.filter((e) => e.entry.kind === QueueKind.forcedWithdrawal)
  return Promise.all(
    forced.map(async (e) => ({
      queueIndex: e.queueIndex,
      accountIndex: e.entry.accountIndex,
      requester: e.entry.l1Address,
      deadline: await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'forcedDeadline', args: [e.queueIndex] }),
    })),
  )
}

/** The timestamp of the latest block: "now" as the chain sees it. */
export async function chainTime(client: PublicClient): Promise<bigint> {
  return (await client.getBlock({ blockTag: 'latest' })).timestamp
}

/** Seconds as a short human duration ("2d 3h 4m 5s"). */
export function formatDuration(seconds: bigint): string {
  let s = seconds < 0n ? -seconds : seconds
  const parts: string[] = []
  for (const [unit, size] of [['d', 86400n], ['h', 3600n], ['m', 60n]] as const) {
    if (s >= size) parts.push(`${s / size}${unit}`)
    s %= size
  }
  if (s > 0n || parts.length === 0) parts.push(`${s}s`)
  return parts.join(' ')
}

/** Unix seconds as an ISO date. */
export function formatTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString()
}

/** What `freezeIfOverdue` did. */
export type FreezeResult = { readonly request: ForcedRequest; readonly hash: Hash }

/**
 * Freezes the rollup over the oldest unserved forced withdrawal when its deadline has passed
 * (by the latest block's timestamp). Throws `AlreadyFrozenError`, or `NotOverdueError` when no
 * request waits or the oldest one is not overdue yet (the message says when it will be).
 */
export async function freezeIfOverdue(ctx: L1Context, rollup: Address, options: ScanOptions = {}): Promise<FreezeResult> {
  const status = await readRollupStatus(ctx.publicClient, rollup)
  if (status.frozen) throw new AlreadyFrozenError(`the Rollup at ${rollup} is already frozen: exit with "exit <accountIndex>"`)
  const [oldest] = await unservedForcedRequests(ctx.publicClient, rollup, options)
  if (!oldest) throw new NotOverdueError('no forced withdrawal is waiting in the queue, so the rollup cannot be frozen: request one first ("request <accountIndex>")')
  const now = await chainTime(ctx.publicClient)
  // The contract needs block.timestamp > deadline; the next block is at least now + 1.
  if (now < oldest.deadline)
    throw new NotOverdueError(
      `forced withdrawal #${oldest.queueIndex} (account ${oldest.accountIndex}) is not overdue: freezing is possible after ${formatTime(oldest.deadline)}, in ${formatDuration(oldest.deadline - now)}`,
      { deadline: oldest.deadline },
    )
  const mined = await sending('freeze', () => freeze(ctx, rollup, oldest.queueIndex))
  return { request: oldest, hash: mined.hash }
}

/** What `requestForced` did. */
export type RequestResult = { readonly queueIndex: bigint; readonly deadline: bigint; readonly hash: Hash }

/**
 * Asks for the forced withdrawal of all the collateral of `accountIndex` to the caller (who
 * must be the account's L1 address for it to pay anything). Returns its queue index and the
 * deadline after which the rollup can be frozen if it is not served.
 */
export async function requestForced(ctx: L1Context, rollup: Address, accountIndex: bigint): Promise<RequestResult> {
  const { frozen } = await readRollupStatus(ctx.publicClient, rollup)
  if (frozen) throw new AlreadyFrozenError(`the Rollup at ${rollup} is frozen: no more requests, exit with "exit ${accountIndex}" instead`)
  const mined = await sending('requestForcedWithdrawal', () => requestForcedWithdrawal(ctx, rollup, accountIndex))
  const deadline = await ctx.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'forcedDeadline', args: [mined.queueIndex] })
  return { queueIndex: mined.queueIndex, deadline, hash: mined.hash }
}
