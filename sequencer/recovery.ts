/**
 * Where a starting node's state comes from:
 * - its journal, replayed from the genesis state (or from the L1 batches that preceded the
 *   journal), which restores acknowledged orders, resting orders and unsubmitted batches;
 * - else L1 alone (verified batches and queue events, as the escape tool rebuilds it).
 * Replayed batches that L1 already verified must match it root for root.
 */
import type { Address, PublicClient } from 'viem'
import { readL1History, replayHistory } from '../escape/rebuild.js'
import { readVerifiedBatches } from '../l1/rollupReaders.js'
import { RollupState, type BatchTrace, type ParamSet } from '../state/index.js'
import { marketTableHashOfWords } from '../state/marketTable.js'
import { JournalError, type JournalEntry } from './journal.js'

/** The state after the first `batches` verified batches on L1. */
export async function stateAtBatch(client: PublicClient, rollup: Address, params: ParamSet, batches: number, fromBlock: bigint): Promise<RollupState> {
  if (batches === 0) return new RollupState(params)
  const history = await readL1History(client, rollup, params, { fromBlock })
  const last = history.batches[batches - 1]
  if (!last) throw new JournalError(`the journal starts after batch ${batches - 1}, which L1 does not have`)
  return replayHistory(
    { ...history, batches: history.batches.slice(0, batches), status: { ...history.status, batchCount: BigInt(batches), stateRoot: last.newRoot, queueProcessed: last.queueProcessed } },
    params,
  )
}

/** Checks the journal's first line names this deployment; returns how many L1 batches preceded it. */
export function journalBase(entries: readonly JournalEntry[], chainId: number, rollup: Address): number {
  const start = entries[0]
  if (!start || start.t !== 'start') throw new JournalError('the journal does not begin with its start line')
  if (start.chainId !== chainId || start.rollup.toLowerCase() !== rollup.toLowerCase())
    throw new JournalError(`the journal belongs to Rollup ${start.rollup} on chain ${start.chainId}, not ${rollup} on chain ${chainId}`)
  return start.baseBatches
}

/**
 * Splits replayed batches into those L1 already verified (checked root for root and market
 * table for market table) and those still to prove and submit. `first` is the number of the
 * first replayed batch.
 */
export async function reconcileBatches(
  client: PublicClient,
  rollup: Address,
  params: ParamSet,
  replayed: readonly BatchTrace[],
  first: number,
  verifiedCount: number,
  fromBlock: bigint,
): Promise<BatchTrace[]> {
  if (verifiedCount > first + replayed.length)
    throw new JournalError(`L1 has ${verifiedCount} verified batches but the journal accounts for ${first + replayed.length}: it lost entries, or another sequencer submitted`)
  if (verifiedCount > first) {
    const onL1 = await readVerifiedBatches(client, rollup, params, { fromBlock })
    for (let n = first; n < verifiedCount; n++) {
      const mine = replayed[n - first]!
      const theirs = onL1.find((b) => b.batchNumber === BigInt(n))
      if (!theirs || theirs.newRoot !== mine.newRoot) throw new JournalError(`batch ${n} replays to root ${mine.newRoot}, L1 verified ${theirs?.newRoot}`)
      const theirTable = marketTableHashOfWords(theirs.marketTableWords)
      if (theirTable !== mine.marketTableHash) throw new JournalError(`batch ${n} replays with market table ${mine.marketTableHash}, L1 verified it with ${theirTable}`)
    }
  }
  return replayed.slice(Math.max(0, verifiedCount - first))
}
