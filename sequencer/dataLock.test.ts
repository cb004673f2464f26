/** The journal's lock: refused while a live process holds it, taken from a dead one, released by its holder only. */
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireDataLock, DataLockedError, liveHolder, lockHolder, lockPathOf } from './dataLock.js'

const journal = () => join(mkdtempSync(join(tmpdir(), 'lock-')), 'j.jsonl')

describe('acquireDataLock', () => {
  it('takes a free lock, is re-entrant within the process, and releases only its own', () => {
    const path = journal()
    expect(liveHolder(path)).toBeUndefined()
    const release = acquireDataLock(path)
    expect(readFileSync(lockPathOf(path), 'utf8')).toBe(`${process.pid}\n`)
    expect(liveHolder(path)).toBe(process.pid)
    acquireDataLock(path)
    release()
    expect(existsSync(lockPathOf(path))).toBe(false)
    // A release after another process took the lock leaves that process's lock alone.
    const again = acquireDataLock(path)
    writeFileSync(lockPathOf(path), '1\n')
    again()
    expect(lockHolder(path)).toBe(1)
  })

  it('refuses while another live process holds it, and takes it once that process is dead', async () => {
    const path = journal()
    const other = spawn('sleep', ['30'], { stdio: 'ignore' })
    try {
      writeFileSync(lockPathOf(path), `${other.pid}\n`)
      expect(liveHolder(path)).toBe(other.pid)
      expect(() => acquireDataLock(path)).toThrow(DataLockedError)
      expect(() => acquireDataLock(path)).toThrow(new RegExp(`locked by process ${other.pid}`))
    } finally {
      other.kill('SIGKILL')
      await new Promise((r) => other.once('exit', r))
    }
    expect(liveHolder(path)).toBeUndefined()
    acquireDataLock(path)
    expect(lockHolder(path)).toBe(process.pid)
  })

  it('treats an unreadable lock (a holder dying mid-write) as free', () => {
    const path = journal()
    const dead = spawnSync('true').pid!
    writeFileSync(lockPathOf(path), '')
    expect(lockHolder(path)).toBeUndefined()
    acquireDataLock(path)
    writeFileSync(lockPathOf(path), `${dead}\n`)
    expect(liveHolder(path)).toBeUndefined()
  })
})
