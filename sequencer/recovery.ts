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
import { CheckpointFileError, readCheckpoint, type Checkpoint } from './checkpoint.js'
import { firstJournalLine, JournalError, journalCheckpointPath, journalSegmentPath, journalSegments, type JournalEntry } from './journal.js'

/** Where a restart begins: a segment of the journal, with the checkpoint it starts from (none for segment 0). */
export type RecoveryPoint = { readonly segment: number; readonly checkpoint?: Checkpoint; readonly skipped: readonly string[] }

/**
 * The newest checkpoint whose segment exists and whose batches before it L1 all verified
 * (`verified`): the batches before it are on L1, so nothing needs their journal entries any
 * more. Without one, the journal's first segment (segment 0, or the oldest left after
 * pruning, which must then have a usable checkpoint). Unreadable checkpoints are skipped
 * with the reason (`skipped`): an older one, or the whole journal, serves instead.
 */
export function recoveryPoint(journalPath: string, verified: number): RecoveryPoint {
  const segments = journalSegments(journalPath)
  const skipped: string[] = []
  for (const k of [...segments].reverse()) {
    if (k === 0) break
    const start = firstJournalLine(journalSegmentPath(journalPath, k))
    if (start?.t !== 'start') continue // a rotation cut short: the segment is empty
    if (start.baseBatches > verified) continue
    try {
      const checkpoint = readCheckpoint(journalCheckpointPath(journalPath, k))
      if (checkpoint.segment !== k || checkpoint.engine.openBatchNumber !== start.baseBatches) throw new CheckpointFileError(`it is for segment ${checkpoint.segment} at batch ${checkpoint.engine.openBatchNumber}, not segment ${k} at batch ${start.baseBatches}`)
      return { segment: k, checkpoint, skipped }
    } catch (error) {
      if (!(error instanceof CheckpointFileError)) throw error
      skipped.push(`checkpoint of segment ${k}: ${error.message}`)
    }
  }
  const first = segments[0] ?? 0
  if (first > 0)
    throw new JournalError(`the journal's segments before ${first} were pruned, but no checkpoint from ${first} on can be used (L1 verified ${verified} batches${skipped.length > 0 ? `; ${skipped.join('; ')}` : ''})`)
  return { segment: 0, skipped }
}

/** Throws unless `root`, a checkpoint's state root before batch `batches`, is the root L1 verified for batch `batches - 1`. */
export async function checkCheckpointRoot(client: PublicClient, rollup: Address, params: ParamSet, root: bigint, batches: number, fromBlock: bigint): Promise<void> {
  if (batches === 0) return
  const onL1 = await readVerifiedBatches(client, rollup, params, { fromBlock })
  const last = onL1.find((b) => b.batchNumber === BigInt(batches - 1))
  if (!last || last.newRoot !== root) throw new JournalError(`the checkpoint before batch ${batches} has state root ${root}, but L1 verified ${last?.newRoot ?? 'no'} root for batch ${batches - 1}`)
}

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
