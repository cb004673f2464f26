/**
 * Who may write a journal: the process that holds its lock file (`<journal>.lock`, holding the
 * holder's pid). A primary takes it before it reads the journal and keeps it while alive; a
 * replica (sequencer/replica.ts) watches it and takes over once its holder is gone.
 *
 * Node offers no OS-level file lock without native modules, so the lock is a pid file created
 * atomically (`link`, which fails if the name exists) and judged by `process.kill(pid, 0)`.
 * Limits, all stated in docs/operations.md ("Replica mode"):
 * - one machine only: a pid means nothing on another host (or in another pid namespace), so a
 *   primary and a replica on different machines cannot share a data directory this way;
 * - a dead holder's pid reused by an unrelated process keeps the lock "held" until that process
 *   ends (the replica then waits, it never steals from a live process);
 * - two processes taking over the same stale lock at once can both succeed (the check of the
 *   dead pid and the removal are two steps): run one replica per data directory;
 * - the lock is per process: a second node in the same process is not refused (tests restart
 *   nodes in-process, and a replica hands its lock to the node it starts).
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** Another live process holds the journal's lock. */
export class DataLockedError extends Error {
  override readonly name = 'DataLockedError'
}

/** The lock file of `journalPath`. */
export function lockPathOf(journalPath: string): string {
  return `${journalPath}.lock`
}

/** The pid in the lock file, or undefined when there is none (or it is unreadable: a holder dying mid-write). */
export function lockHolder(journalPath: string): number | undefined {
  let text: string
  try {
    text = readFileSync(lockPathOf(journalPath), 'utf8')
  } catch {
    return undefined
  }
  const pid = Number(text.trim())
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The live process holding the lock, if any (a stale lock of a dead process counts as free). */
export function liveHolder(journalPath: string): number | undefined {
  const pid = lockHolder(journalPath)
  return pid !== undefined && processAlive(pid) ? pid : undefined
}

/**
 * Takes the journal's lock for this process, replacing a stale one (its holder is dead).
 * Throws `DataLockedError` while another live process holds it. Returns a release function
 * (removes the file if it is still ours).
 */
export function acquireDataLock(journalPath: string): () => void {
  const path = lockPathOf(journalPath)
  mkdirSync(dirname(path), { recursive: true })
  const mine = `${path}.${process.pid}`
  writeFileSync(mine, `${process.pid}\n`)
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // link() creates the name atomically or fails: no window where a half-written lock shows.
        linkSync(mine, path)
        return release(journalPath)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const holder = lockHolder(journalPath)
      if (holder === process.pid) return release(journalPath)
      if (holder !== undefined && processAlive(holder))
        throw new DataLockedError(`${journalPath} is locked by process ${holder} (${path}); stop it first, or start this one as a replica (REPLICA=1)`)
      rmSync(path, { force: true })
    }
    throw new DataLockedError(`${path}: could not take the lock (another process keeps taking it)`)
  } finally {
    rmSync(mine, { force: true })
  }
}

function release(journalPath: string): () => void {
  return () => {
    if (lockHolder(journalPath) === process.pid) rmSync(lockPathOf(journalPath), { force: true })
  }
}
