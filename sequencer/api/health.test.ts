import { describe, expect, it } from 'vitest'
import { readiness } from './health.js'
import type { NodeFacts } from './context.js'

const NOW = 1_800_000_000_000
const good: NodeFacts = {
  journal: { replayed: true, entries: 12, ms: 40, path: '/data/j.jsonl' },
  l1: { lastSyncAt: NOW - 1_000, lastError: undefined },
  prover: { attached: true, detail: '1 proof worker(s) on queue q' },
}

describe('readiness', () => {
  it('is ready when the journal is replayed, L1 answered recently, the pipeline runs and a prover is attached', () => {
    const r = readiness(good, undefined, NOW, 15_000)
    expect(r.ready).toBe(true)
    expect(r.checks.journal.detail).toBe('replayed 12 entries in 40 ms')
    expect(r.checks.l1.detail).toBe('last good L1 poll 1000 ms ago')
  })

  it('is not ready while the journal replays', () => {
    const r = readiness({ ...good, journal: { ...good.journal, replayed: false } }, undefined, NOW, 15_000)
    expect(r).toMatchObject({ ready: false, checks: { journal: { ok: false }, l1: { ok: true } } })
  })

  it('is not ready when L1 never answered, or not recently, and says the last error', () => {
    expect(readiness({ ...good, l1: { lastSyncAt: undefined, lastError: 'connection refused' } }, undefined, NOW, 15_000).checks.l1).toEqual({
      ok: false,
      detail: 'L1 never answered a poll: connection refused',
    })
    const stale = readiness({ ...good, l1: { lastSyncAt: NOW - 20_000, lastError: 'HTTP 502' } }, undefined, NOW, 15_000)
    expect(stale.ready).toBe(false)
    expect(stale.checks.l1.detail).toBe('last good L1 poll 20 s ago (limit 15 s); last error: HTTP 502')
    // At the limit exactly it is still fresh.
    expect(readiness({ ...good, l1: { lastSyncAt: NOW - 15_000, lastError: undefined } }, undefined, NOW, 15_000).ready).toBe(true)
  })

  it('is not ready when the pipeline halted, naming why', () => {
    const r = readiness(good, 'batch 3 failed: proof refused', NOW, 15_000)
    expect(r).toMatchObject({ ready: false, checks: { pipeline: { ok: false, detail: 'halted: batch 3 failed: proof refused' } } })
  })

  it('is not ready without a prover, and names every failed check at once', () => {
    const r = readiness({ ...good, prover: { attached: false, detail: 'no proof worker on queue q' } }, 'batch 1 failed: revert', NOW, 15_000)
    expect(Object.entries(r.checks).filter(([, c]) => !c.ok).map(([name]) => name)).toEqual(['pipeline', 'prover'])
  })
})
