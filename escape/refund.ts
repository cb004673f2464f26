/**
 * Refunds after the freeze: deposits still waiting in the L1 queue (never credited on L2)
 * are returned to their depositors by `Rollup.refundDeposit`, once each.
 */
import { getAddress, type Address, type Hash, type PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import { refundDeposit } from '../l1/rollupCalls.js'
import { readQueueEntries, readRollupStatus } from '../l1/rollupReaders.js'
import type { L1Context } from '../l1/clients.js'
import { QueueKind } from '../state/params.js'
import type { Point } from '../state/types.js'
import { sending } from './errors.js'
import { assertFrozen } from './exit.js'
import type { ScanOptions } from './freeze.js'

/** A deposit that no verified batch consumed. */
export type UnprocessedDeposit = {
  readonly queueIndex: bigint
  readonly depositor: Address
  readonly amount: bigint
  /** The L2 key the deposit was for (part of the queue entry the contract checks). */
  readonly pubKey: Point
  /** True once it was refunded. */
  readonly refunded: boolean
}

/** Every deposit at or after `queueProcessed`, optionally only those of `depositor`. */
export async function unprocessedDeposits(client: PublicClient, rollup: Address, options: ScanOptions & { readonly depositor?: Address } = {}): Promise<UnprocessedDeposit[]> {
  const { queueProcessed } = await readRollupStatus(client, rollup)
  const entries = await readQueueEntries(client, rollup, { fromIndex: queueProcessed, ...(options.fromBlock === undefined ? {} : { fromBlock: options.fromBlock }) })
  const wanted = options.depositor === undefined ? undefined : BigInt(options.depositor)
  const deposits = entries.filter((e) => e.entry.kind === QueueKind.deposit && (wanted === undefined || e.entry.l1Address === wanted))
  return Promise.all(
    deposits.map(async (e) => ({
      queueIndex: e.queueIndex,
      depositor: getAddress(`0x${e.entry.l1Address.toString(16).padStart(40, '0')}`),
      amount: e.entry.amount,
      pubKey: e.entry.pubKey,
      refunded: await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'refunded', args: [e.queueIndex] }),
    })),
  )
}

/** One refund sent. */
export type Refund = { readonly queueIndex: bigint; readonly amount: bigint; readonly hash: Hash }

/**
 * After the freeze, refunds every unprocessed, not yet refunded deposit made by `depositor`
 * (default: the context's account). Returns what it refunded (empty when nothing was due).
 * Throws `NotFrozenError` before the freeze, l1's `TransactionError` when the contract refuses.
 */
export async function refundMyDeposits(ctx: L1Context, rollup: Address, options: ScanOptions & { readonly depositor?: Address } = {}): Promise<Refund[]> {
  await assertFrozen(ctx.publicClient, rollup, 'a deposit refund')
  const depositor = options.depositor ?? ctx.account.address
  const due = (await unprocessedDeposits(ctx.publicClient, rollup, { ...options, depositor })).filter((d) => !d.refunded)
  const refunds: Refund[] = []
  for (const d of due) {
    const mined = await sending(`refundDeposit #${d.queueIndex}`, () => refundDeposit(ctx, rollup, d.queueIndex, d.depositor, d.pubKey, d.amount))
    refunds.push({ queueIndex: d.queueIndex, amount: d.amount, hash: mined.hash })
  }
  return refunds
}
