/**
 * Rebuilds the L2 state from L1 data alone, with no sequencer database: the queue entries
 * from the Rollup's events and every verified batch's data and market table from its `submitBatch` calldata,
 * replayed in order through the pure core (`replayBatch`). Every step is checked against
 * what the contract recorded: the queue events must hash to its queue chain, each batch must
 * start from the replayed root and end at the root its `BatchVerified` event names, and the
 * final root must be the contract's `stateRoot`.
 */
import type { Address, PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import { readQueueEntries, readRollupStatus, readVerifiedBatches, type IndexedQueueEntry, type PublishedBatch, type RollupStatus } from '../l1/rollupReaders.js'
import { ReplayError, replayBatch } from '../state/batch.js'
import { MarketTableError, marketTableFromWords } from '../state/marketTable.js'
import { StateError } from '../state/rejections.js'
import { nextQueueHash } from '../state/queue.js'
import { RollupState } from '../state/rollupState.js'
import type { ParamSet } from '../state/params.js'
import { RebuildError } from './errors.js'
import { assertParamsMatch } from './params.js'

/** Everything on L1 that the state is rebuilt from, read at one consistent point. */
export type L1History = {
  /** The contract's counters. */
  readonly status: RollupStatus
  /** The contract's queue chain value after all `status.queueLength` entries. */
  readonly queueHead: bigint
  /** Every queue entry, in order, from the `Deposited` / `ForcedWithdrawalRequested` events. */
  readonly queue: readonly IndexedQueueEntry[]
  /** Every verified batch, in order, with its calldata and the market table in force for it. */
  readonly batches: readonly PublishedBatch[]
}

/** Options of `readL1History` and `rebuildStateFromL1`. */
export type RebuildOptions = {
  /** First block to scan for events: the deployment block or earlier (default 0). */
  readonly fromBlock?: bigint
}

function sameStatus(a: RollupStatus, b: RollupStatus): boolean {
  return a.stateRoot === b.stateRoot && a.batchCount === b.batchCount && a.queueLength === b.queueLength && a.queueProcessed === b.queueProcessed && a.frozen === b.frozen
}

/**
 * Reads the counters, the queue and the batches of the Rollup (each batch with the market
 * table it was proven against, resolved for `params`). The counters are read before and
 * after the logs and must agree (else it retries), so that the three belong together.
 */
export async function readL1History(client: PublicClient, rollup: Address, params: ParamSet, options: RebuildOptions = {}): Promise<L1History> {
  const fromBlock = options.fromBlock ?? 0n
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await readRollupStatus(client, rollup)
    let queue: IndexedQueueEntry[]
    try {
      queue = await readQueueEntries(client, rollup, { fromBlock })
    } catch (cause) {
      throw new RebuildError(`cannot read the priority queue from block ${fromBlock} on: ${(cause as Error).message} (is fromBlock at or before the deployment?)`, { cause })
    }
    const batches = await readVerifiedBatches(client, rollup, params, { fromBlock })
    const queueHead = await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'queueHash', args: [before.queueLength] })
    const after = await readRollupStatus(client, rollup)
    if (sameStatus(before, after)) return { status: after, queueHead, queue, batches }
  }
  throw new RebuildError('the Rollup kept changing while its history was read; try again')
}

/**
 * Replays `history` from the genesis state of `params`. Throws `RebuildError` (with the
 * batch number when one batch is at fault) as soon as the data stops matching the contract.
 */
export function replayHistory(history: L1History, params: ParamSet): RollupState {
  const { status, queue, batches } = history
  const state = new RollupState(params)

  if (BigInt(queue.length) !== status.queueLength)
    throw new RebuildError(`found ${queue.length} queue entries in the events, the contract holds ${status.queueLength} (events missing: scan from an earlier block)`)
  const chain: bigint[] = [0n]
  queue.forEach((e, i) => {
    if (e.queueIndex !== BigInt(i)) throw new RebuildError(`queue event ${i} carries index ${e.queueIndex}`)
    chain.push(nextQueueHash(chain[i]!, e.entry))
  })
  if (chain[queue.length] !== history.queueHead)
    throw new RebuildError(`the queue events hash to ${chain[queue.length]}, the contract's queue chain is ${history.queueHead}: the events were altered or are incomplete`)

  if (BigInt(batches.length) !== status.batchCount)
    throw new RebuildError(`found ${batches.length} BatchVerified events, the contract counts ${status.batchCount} batches (events missing: scan from an earlier block)`)

  let processed = 0
  for (const [i, batch] of batches.entries()) {
    const at = { batchNumber: batch.batchNumber }
    if (batch.batchNumber !== BigInt(i)) throw new RebuildError(`batch ${i} is missing (found batch ${batch.batchNumber} in its place)`, at)
    if (batch.oldRoot !== state.root) {
      const hint = i === 0 ? ` (the genesis root of parameter set "${params.name}" differs: wrong subtree depths?)` : ''
      throw new RebuildError(`batch ${i} starts from root ${batch.oldRoot}, the replayed state is at ${state.root}${hint}`, at)
    }
    const end = processed + Number(batch.queueCount)
    if (BigInt(end) !== batch.queueProcessed || end > queue.length)
      throw new RebuildError(`batch ${i} consumes queue entries [${processed}, ${end}) but the contract says ${batch.queueProcessed} were processed after it`, at)
    const entries = queue.slice(processed, end).map((e) => e.entry)
    try {
      replayBatch(state, batch.data, entries, marketTableFromWords(batch.marketTableWords, params), batch.newRoot)
    } catch (cause) {
      if (!(cause instanceof ReplayError || cause instanceof StateError || cause instanceof MarketTableError)) throw cause
      throw new RebuildError(`batch ${i} (tx ${batch.txHash}) does not replay from L1 data: ${cause.message}`, { ...at, cause })
    }
    if (state.queueHash !== chain[end]) throw new RebuildError(`batch ${i} leaves the queue chain at ${state.queueHash}, the contract's is ${chain[end]}`, at)
    state.commit()
    processed = end
  }

  if (BigInt(processed) !== status.queueProcessed)
    throw new RebuildError(`the batches consume ${processed} queue entries, the contract counts ${status.queueProcessed}`)
  if (state.root !== status.stateRoot)
    throw new RebuildError(`the replayed root ${state.root} is not the contract's stateRoot ${status.stateRoot}`)
  return state
}

/**
 * The state at the last verified root, rebuilt from L1 alone (no sequencer needed). Checks
 * that `params` matches the deployment; throws `RebuildError` when L1 data does not reproduce
 * the contract's root.
 *
 * @example
 * const state = await rebuildStateFromL1(ctx.publicClient, rollup, TEST_PARAMS)
 * state.account(1n).collateral
 */
export async function rebuildStateFromL1(client: PublicClient, rollup: Address, params: ParamSet, options: RebuildOptions = {}): Promise<RollupState> {
  await assertParamsMatch(client, rollup, params)
  return replayHistory(await readL1History(client, rollup, params, options), params)
}
