/**
 * Reads the Rollup's state and history from L1 alone: the queue entries from events, and
 * every verified batch's data from the calldata of its `submitBatch` transaction. The
 * sequencer's watcher and the escape tool both use these.
 */
import { decodeFunctionData, hexToString, type Address, type PublicClient } from 'viem'
import { rollupAbi } from './abi.js'
import { L1Error } from './errors.js'
import { depositEntry, forcedWithdrawalEntry } from '../state/queue.js'
import type { QueueEntry } from '../state/types.js'

/** The Rollup's current counters. */
export type RollupStatus = {
  readonly stateRoot: bigint
  readonly batchCount: bigint
  readonly queueLength: bigint
  readonly queueProcessed: bigint
  readonly frozen: boolean
}

/** Reads the Rollup's counters. */
export async function readRollupStatus(client: PublicClient, rollup: Address): Promise<RollupStatus> {
  const read = <F extends 'stateRoot' | 'batchCount' | 'queueLength' | 'queueProcessed' | 'frozen'>(functionName: F) =>
    client.readContract({ address: rollup, abi: rollupAbi, functionName })
  const [stateRoot, batchCount, queueLength, queueProcessed, frozen] = await Promise.all([
    read('stateRoot'),
    read('batchCount'),
    read('queueLength'),
    read('queueProcessed'),
    read('frozen'),
  ])
  return { stateRoot, batchCount, queueLength, queueProcessed, frozen }
}

/** A queue entry with its position and the L1 block it came in. */
export type IndexedQueueEntry = { readonly queueIndex: bigint; readonly entry: QueueEntry; readonly blockNumber: bigint }

/** Every queue entry with index >= `fromIndex`, in queue order, from the contract's events. */
export async function readQueueEntries(client: PublicClient, rollup: Address, options: { fromBlock?: bigint; fromIndex?: bigint } = {}): Promise<IndexedQueueEntry[]> {
  const fromBlock = options.fromBlock ?? 0n
  const [deposits, forced] = await Promise.all([
    client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'Deposited', fromBlock }),
    client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'ForcedWithdrawalRequested', fromBlock }),
  ])
  const entries: IndexedQueueEntry[] = [
    ...deposits.map((l) => ({
      queueIndex: l.args.queueIndex!,
      entry: depositEntry(BigInt(l.args.from!), { x: l.args.pubKeyX!, y: l.args.pubKeyY! }, l.args.amount!),
      blockNumber: l.blockNumber,
    })),
    ...forced.map((l) => ({
      queueIndex: l.args.queueIndex!,
      entry: forcedWithdrawalEntry(BigInt(l.args.requester!), l.args.accountIndex!),
      blockNumber: l.blockNumber,
    })),
  ]
  entries.sort((a, b) => (a.queueIndex < b.queueIndex ? -1 : 1))
  const from = options.fromIndex ?? 0n
  const wanted = entries.filter((e) => e.queueIndex >= from)
  wanted.forEach((e, i) => {
    if (e.queueIndex !== from + BigInt(i)) throw new L1Error(`queue entry ${from + BigInt(i)} is missing from the logs`)
  })
  return wanted
}

/** A verified batch as published on L1. */
export type PublishedBatch = {
  readonly batchNumber: bigint
  readonly oldRoot: bigint
  readonly newRoot: bigint
  /** Queue entries processed after this batch (cumulative). */
  readonly queueProcessed: bigint
  readonly queueCount: bigint
  readonly data: readonly bigint[]
  readonly txHash: `0x${string}`
}

/** Every verified batch, in order, with its data decoded from the submitting transaction's calldata. */
export async function readVerifiedBatches(client: PublicClient, rollup: Address, options: { fromBlock?: bigint } = {}): Promise<PublishedBatch[]> {
  const logs = await client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'BatchVerified', fromBlock: options.fromBlock ?? 0n })
  const batches: PublishedBatch[] = []
  for (const log of logs) {
    const tx = await client.getTransaction({ hash: log.transactionHash })
    const call = decodeFunctionData({ abi: rollupAbi, data: tx.input })
    if (call.functionName !== 'submitBatch') throw new L1Error(`batch ${log.args.batchNumber} was not submitted by a direct submitBatch call (${log.transactionHash})`)
    const [data, newRoot, queueCount] = call.args
    if (newRoot !== log.args.newRoot) throw new L1Error(`calldata of ${log.transactionHash} does not match its BatchVerified event`)
    batches.push({
      batchNumber: log.args.batchNumber!,
      oldRoot: log.args.oldRoot!,
      newRoot,
      queueProcessed: log.args.queueProcessed!,
      queueCount,
      data,
      txHash: log.transactionHash,
    })
  }
  batches.sort((a, b) => (a.batchNumber < b.batchNumber ? -1 : 1))
  return batches
}

/** A series as the Rollup lists it, with the underlying decoded from its bytes32 symbol. */
export type ListedSeries = { readonly id: bigint; readonly underlying: string; readonly expiry: bigint; readonly strike: bigint; readonly isCall: boolean }

/** Every listed series from the contract's `SeriesListed` events. */
export async function readListedSeries(client: PublicClient, rollup: Address, options: { fromBlock?: bigint } = {}): Promise<ListedSeries[]> {
  const logs = await client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'SeriesListed', fromBlock: options.fromBlock ?? 0n })
  return logs
    .map((l) => ({
      id: l.args.seriesId!,
      underlying: hexToString(l.args.underlying!, { size: 32 }),
      expiry: BigInt(l.args.expiry!),
      strike: l.args.strike!,
      isCall: l.args.isCall!,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
}
