/**
 * Journal retention: the segments before a checkpoint are needed only until L1 verified every
 * batch they cut (a restart then starts at that checkpoint, `recoveryPoint`); after that they
 * are deleted, so the journal's disk use and a restart's replay stay bounded under any load.
 * A replica reading a deleted segment stops with a `JournalError` and is restarted from the
 * checkpoint, as a new one would start.
 */
import { existsSync } from 'node:fs'
import { firstJournalLine, journalCheckpointPath, journalSegmentPath, journalSegments, type Journal } from './journal.js'

/** Entries per journal segment by default: while proving keeps up, a restart replays at most about this many (about 0.16 ms each here, `sequencer.journal_replay_us_per_entry_hasher_thread`). */
export const DEFAULT_CHECKPOINT_ENTRIES = 100_000

/** The newest segment from 1 on that begins with a checkpoint at or before batch `verified` (undefined if none). */
export function prunableUpTo(journalPath: string, verified: number, bases: Map<number, number> = new Map()): number | undefined {
  let keep: number | undefined
  for (const k of journalSegments(journalPath)) {
    if (k === 0) continue
    let base = bases.get(k)
    if (base === undefined) {
      const start = firstJournalLine(journalSegmentPath(journalPath, k))
      if (start?.t !== 'start') continue
      bases.set(k, (base = start.baseBatches))
    }
    if (base <= verified && existsSync(journalCheckpointPath(journalPath, k))) keep = k
  }
  return keep
}

/**
 * A function to call with the number of batches L1 verified: deletes the segments before the
 * newest checkpoint at or before it, and logs what it deleted.
 */
export function journalPruner(journal: Journal, log: (s: string) => void): (verified: number) => void {
  const bases = new Map<number, number>()
  return (verified) => {
    const keep = prunableUpTo(journal.path, verified, bases)
    if (keep === undefined) return
    const removed = journal.prune(keep)
    for (const k of removed) bases.delete(k)
    if (removed.length > 0) log(`journal: deleted segment(s) ${removed.join(', ')}: L1 verified every batch they cut (${verified} batches); restarts begin at segment ${keep}'s checkpoint`)
  }
}
