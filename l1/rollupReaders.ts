/**
 * Reads the Rollup's state and history from L1 alone: the queue entries from events, and
 * every verified batch's data and market table from the calldata of its `submitBatch`
 * transaction. The sequencer's watcher and the escape tool both use these.
 */
import { decodeFunctionData, hexToString, type Address, type PublicClient } from 'viem'
import { rollupAbi } from './abi.js'
import { L1Error } from './errors.js'
import { depositEntry, forcedWithdrawalEntry } from '../state/queue.js'
import { EMPTY_MARKET_TABLE, marketTableHashOfWords, marketTableWords } from '../state/marketTable.js'
import { marketTableWordCount, type ParamSet } from '../state/params.js'
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
  /**
   * The packed words of the market table the batch was proven against, resolved: the words
   * the batch posted, else those of the last earlier batch that posted some, else the empty
   * table's. `marketTableFromWords(words, params)` unpacks them.
   */
  readonly marketTableWords: readonly bigint[]
  /** Whether the batch posted its table (else it reused the table in force). */
  readonly postedTable: boolean
  readonly txHash: `0x${string}`
}

/** Options of `readVerifiedBatches`. */
export type ReadVerifiedBatchesOptions = {
  /** First block to scan; the deployment block or earlier, so that no posted table is missed (default 0). */
  readonly fromBlock?: bigint
}

/**
 * Every verified batch, in order, with its data and its market table decoded from the
 * submitting transaction's calldata. A batch that posted no table is given the table in
 * force (see `PublishedBatch.marketTableWords`), so the scan must start at or before the
 * deployment. Each posted table is checked against the contract's `MarketTableUpdated` event.
 *
 * @example
 * for (const b of await readVerifiedBatches(client, rollup, TEST_PARAMS)) marketTableFromWords(b.marketTableWords, TEST_PARAMS)
 */
export async function readVerifiedBatches(client: PublicClient, rollup: Address, params: ParamSet, options: ReadVerifiedBatchesOptions = {}): Promise<PublishedBatch[]> {
  const fromBlock = options.fromBlock ?? 0n
  const [logs, tableLogs] = await Promise.all([
    client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'BatchVerified', fromBlock }),
    client.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'MarketTableUpdated', fromBlock }),
  ])
  const postedHash = new Map(tableLogs.map((l) => [l.args.batchNumber!, l.args.tableHash!]))
  const decoded: Omit<PublishedBatch, 'marketTableWords'>[] = []
  const posted = new Map<bigint, readonly bigint[]>()
  for (const log of logs) {
    const tx = await client.getTransaction({ hash: log.transactionHash })
    const call = decodeFunctionData({ abi: rollupAbi, data: tx.input })
    if (call.functionName !== 'submitBatch') throw new L1Error(`batch ${log.args.batchNumber} was not submitted by a direct submitBatch call (${log.transactionHash})`)
    const [data, table, newRoot, queueCount] = call.args
    if (newRoot !== log.args.newRoot) throw new L1Error(`calldata of ${log.transactionHash} does not match its BatchVerified event`)
    const batchNumber = log.args.batchNumber!
    const eventHash = postedHash.get(batchNumber)
    if (table.length > 0) {
      if (table.length !== marketTableWordCount(params))
        throw new L1Error(`batch ${batchNumber} posted ${table.length} table words, parameter set "${params.name}" has ${marketTableWordCount(params)}`)
      if (eventHash !== marketTableHashOfWords(table)) throw new L1Error(`the table posted by ${log.transactionHash} does not match its MarketTableUpdated event`)
      posted.set(batchNumber, table)
    } else if (eventHash !== undefined) {
      throw new L1Error(`batch ${batchNumber} has a MarketTableUpdated event but its calldata posts no table (${log.transactionHash})`)
    }
    decoded.push({
      batchNumber,
      oldRoot: log.args.oldRoot!,
      newRoot,
      queueProcessed: log.args.queueProcessed!,
      queueCount,
      data,
      postedTable: table.length > 0,
      txHash: log.transactionHash,
    })
  }
  decoded.sort((a, b) => (a.batchNumber < b.batchNumber ? -1 : 1))
  let inForce: readonly bigint[] = marketTableWords(EMPTY_MARKET_TABLE, params)
  return decoded.map((batch) => {
    inForce = posted.get(batch.batchNumber) ?? inForce
    return { ...batch, marketTableWords: inForce }
  })
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
