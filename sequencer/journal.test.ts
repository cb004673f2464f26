import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'

// Counts the asynchronous fsyncs and lets a test make them fail; everything else is node:fs.
const fsyncs = vi.hoisted(() => ({
  calls: 0,
  fail: undefined as NodeJS.ErrnoException | undefined,
  hold: undefined as Promise<void> | undefined,
  failWrite: undefined as NodeJS.ErrnoException | undefined,
  /** Fails only the writes whose data contains this text. */
  failWriteOf: undefined as string | undefined,
  failUnlink: false,
}))
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  return {
    ...fs,
    fsync: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      fsyncs.calls++
      if (fsyncs.fail) return setImmediate(() => callback(fsyncs.fail!))
      if (fsyncs.hold) return void fsyncs.hold.then(() => fs.fsync(fd, callback))
      fs.fsync(fd, callback)
    },
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (fsyncs.failWrite) throw fsyncs.failWrite
      if (fsyncs.failWriteOf !== undefined && String(args[1]).includes(fsyncs.failWriteOf)) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
      return (fs.writeSync as (...a: unknown[]) => number)(...args)
    },
    unlinkSync: (...args: Parameters<typeof fs.unlinkSync>) => {
      if (fsyncs.failUnlink) throw Object.assign(new Error('EIO: i/o error, unlink'), { code: 'EIO' })
      return fs.unlinkSync(...args)
    },
  }
})

const { Journal, JournalError, journalSegmentPath, journalSegments } = await import('./journal.js')
const { durabilityPlugin } = await import('./api/durability.js')
const { NodeMetrics } = await import('./nodeMetrics.js')
const Fastify = (await import('fastify')).default

const fresh = () => new Journal(join(mkdtempSync(join(tmpdir(), 'journal-')), 'j.jsonl'))
const flush = { t: 'flush' } as const

afterEach(() => {
  fsyncs.calls = 0
  fsyncs.fail = undefined
  fsyncs.hold = undefined
  fsyncs.failWrite = undefined
  fsyncs.failWriteOf = undefined
  fsyncs.failUnlink = false
})

describe('journal group commit', () => {
  it('writes the entries of a turn together, by the end of the turn, and makes them durable on request', async () => {
    const journal = fresh()
    await journal.durable() // nothing written: nothing to sync
    expect(fsyncs.calls).toBe(0)
    journal.append(flush)
    journal.append(flush)
    expect(readFileSync(journal.path, 'utf8')).toBe('')
    await new Promise((resolve) => setImmediate(resolve))
    expect(readFileSync(journal.path, 'utf8')).toBe('{"t":"flush"}\n{"t":"flush"}\n')
    journal.append(flush)
    await journal.durable() // an fsync writes what the turn appended first
    expect(readFileSync(journal.path, 'utf8')).toBe('{"t":"flush"}\n'.repeat(3))
    expect(fsyncs.calls).toBe(1)
    await journal.durable() // nothing new since
    expect(fsyncs.calls).toBe(1)
    journal.close()
  })

  it('shares one fsync among every entry appended while another runs', async () => {
    const journal = fresh()
    journal.append(flush)
    const first = journal.durable()
    // While the first fsync runs, 50 requests append and wait: one more fsync covers them all.
    const waits: Promise<void>[] = []
    for (let i = 0; i < 50; i++) {
      journal.append({ t: 'market', update: { at: String(i) } } as never)
      waits.push(journal.durable())
    }
    let firstDone = false
    void first.then(() => (firstDone = true))
    await waits[0]
    expect(firstDone).toBe(true) // answers keep their order: the later group ends after the earlier
    await Promise.all(waits)
    expect(fsyncs.calls).toBe(2)
    expect(journal.read()).toHaveLength(51)
    journal.close()
  })

  it('refuses every later write once an fsync failed (what reached the disk is unknown)', async () => {
    const journal = fresh()
    journal.append(flush)
    fsyncs.fail = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
    await expect(journal.durable()).rejects.toThrow(JournalError)
    await expect(journal.durable()).rejects.toThrow(/fsync failed \(EIO: i\/o error\)/)
    expect(() => journal.append(flush)).toThrow(/writes are refused until the node restarts/)
    journal.close()
  })

  it('refuses every later write once a write failed, and acknowledges none of the entries it held', async () => {
    const journal = fresh()
    journal.append(flush)
    await journal.durable()
    journal.append(flush)
    fsyncs.failWrite = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
    await expect(journal.durable()).rejects.toThrow(/a write failed \(ENOSPC: no space left on device\)/)
    expect(() => journal.append(flush)).toThrow(/writes are refused until the node restarts/)
    expect(fsyncs.calls).toBe(1)
    fsyncs.failWrite = undefined
    journal.close()
    expect(new Journal(journal.path).read()).toHaveLength(1)
  })

  it('closes durably, after a running fsync', async () => {
    const journal = fresh()
    journal.append(flush)
    const running = journal.durable()
    journal.append(flush)
    journal.close()
    await running
    expect(new Journal(journal.path).read()).toHaveLength(2)
  })
})

/** A journal and an app whose POST /write appends to it, behind the durability plugin. */
async function writeApp() {
  const journal = fresh()
  const app = Fastify()
  await app.register(durabilityPlugin, { recorder: { durable: () => journal.durable() }, metrics: new NodeMetrics({ processMetrics: false }) } as never)
  app.post('/write', async () => {
    journal.append(flush)
    return { ok: true }
  })
  return { journal, app }
}

describe('the API answers a write only once it is on disk', () => {
  it('holds the answer of a POST until the fsync ends, and answers reads at once', async () => {
    const { journal, app } = await writeApp()
    app.get('/read', async () => ({ ok: true }))
    let release!: () => void
    fsyncs.hold = new Promise<void>((r) => (release = r))
    let answered = false
    const write = app.inject({ method: 'POST', url: '/write', payload: {} }).then((r) => {
      answered = true
      return r
    })
    expect((await app.inject({ method: 'GET', url: '/read' })).statusCode).toBe(200) // not held behind the fsync
    await new Promise((r) => setTimeout(r, 50))
    expect(answered).toBe(false)
    release()
    expect((await write).statusCode).toBe(200)
    expect(fsyncs.calls).toBe(1)
    await app.close()
    journal.close()
  })

  it('answers 500 and acknowledges nothing when the fsync fails', async () => {
    const { journal, app } = await writeApp()
    fsyncs.fail = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
    expect((await app.inject({ method: 'POST', url: '/write', payload: {} })).statusCode).toBe(500)
    await app.close()
    journal.close()
  })
})

describe('journal rotation failures', () => {
  const start = { t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 } as const

  it('goes on in its segment when the checkpoint cannot be made, and rotates later', async () => {
    const journal = fresh()
    journal.append(start)
    expect(() => journal.rotate(() => { throw new RangeError('Invalid string length') }, 0)).toThrow(RangeError)
    fsyncs.failWriteOf = '"version"'
    expect(() => journal.rotate(() => '{"version":1}', 0)).toThrow(/no space left/)
    fsyncs.failWriteOf = undefined
    expect(journalSegments(journal.path)).toEqual([0])
    expect(journal.failed).toBe(false)
    journal.append(flush)
    await journal.durable()
    expect(journal.rotate(() => '{"version":1}', 0)).toBe(1)
    journal.close()
    expect(new Journal(journal.path).read().map((e) => e.t)).toEqual(['start', 'flush', 'start'])
  })

  it('removes a new segment it could not write, and goes on in the old one', async () => {
    const journal = fresh()
    journal.append(start)
    await journal.durable()
    fsyncs.failWriteOf = '"t":"start"'
    expect(() => journal.rotate(() => '{}', 0)).toThrow(/could not be created .* writing goes on in the current one/)
    fsyncs.failWriteOf = undefined
    expect(journalSegments(journal.path)).toEqual([0])
    journal.append(flush)
    await journal.durable()
    journal.close()
    expect(new Journal(journal.path).read().map((e) => e.t)).toEqual(['start', 'flush'])
  })

  it('refuses every later write when a half-made segment cannot be removed either', async () => {
    const journal = fresh()
    journal.append(start)
    await journal.durable()
    fsyncs.failWriteOf = '"t":"start"'
    fsyncs.failUnlink = true
    expect(() => journal.rotate(() => '{}', 0)).toThrow(/nor removed .* writes are refused/)
    fsyncs.failWriteOf = undefined
    fsyncs.failUnlink = false
    expect(journal.failed).toBe(true)
    expect(() => journal.append(flush)).toThrow(JournalError)
    // On the next open the empty segment is taken for a rotation cut short and removed.
    expect(journalSegmentPath(journal.path, 1)).toMatch(/j\.1\.jsonl$/)
    const reopened = new Journal(journal.path)
    expect(reopened.segment).toBe(0)
    expect(journalSegments(journal.path)).toEqual([0])
  })
})
