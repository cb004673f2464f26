import { describe, expect, it } from 'vitest'
import { PricePath, SimulatedFeed, simulatedFeeds } from './simulatedFeed.js'
import { OracleError } from './errors.js'

const T0 = 1_800_000_000

function setup(seed = 7) {
  const clock = { now: T0 }
  const path = new PricePath({ seed, startPrice: 3000, startTime: T0, clock: () => clock.now })
  return { clock, path, feeds: simulatedFeeds('eth', 3, path) }
}

describe('simulated feeds', () => {
  it('are deterministic: the same seed gives the same path, whatever the order of reads', () => {
    const a = setup()
    const b = setup()
    const forward = [0, 10, 100, 1000].map((dt) => a.path.priceAt(T0 + dt))
    const backward = [1000, 100, 10, 0].map((dt) => b.path.priceAt(T0 + dt)).reverse()
    expect(forward).toEqual(backward)
    expect(forward[0]).toBe(3000)
    expect(setup(8).path.priceAt(T0 + 1000)).not.toBe(forward[3])
  })

  it('publish the path with a small, bounded, per-feed noise at each heartbeat', async () => {
    const { clock, path, feeds } = setup()
    for (const dt of [0, 1, 59, 600]) {
      clock.now = T0 + dt
      const reports = await Promise.all(feeds.map((f) => f.read()))
      for (const r of reports) {
        expect(r).toMatchObject({ updatedAt: T0 + dt })
        if ('price' in r) expect(Math.abs(r.price / path.priceAt(T0 + dt) - 1)).toBeLessThanOrEqual(5e-4 + 1e-12)
      }
      expect(new Set(reports.map((r) => ('price' in r ? r.price : 0))).size).toBe(3)
    }
  })

  it('go stale, freeze, fail, get biased, and recover', async () => {
    const { clock, path, feeds } = setup()
    const [a, b, c] = feeds as [SimulatedFeed, SimulatedFeed, SimulatedFeed]
    clock.now = T0 + 10
    a.makeStale()
    b.freeze()
    c.fail()
    const before = await a.read()
    const frozen = await b.read()
    clock.now = T0 + 100
    expect(await a.read()).toEqual(before)
    const stillFrozen = await b.read()
    expect(stillFrozen).toMatchObject({ updatedAt: T0 + 100 })
    expect('price' in stillFrozen && 'price' in frozen && stillFrozen.price === frozen.price).toBe(true)
    expect(await c.read()).toEqual({ feedId: 'eth-2', failure: 'read-failed', detail: 'simulated outage' })

    c.recover()
    c.bias(0.1)
    const biased = await c.read()
    expect('price' in biased && biased.price / path.priceAt(T0 + 100)).toBeGreaterThan(1.09)
    for (const f of feeds) f.recover()
    for (const f of feeds) expect(await f.read()).toMatchObject({ updatedAt: T0 + 100 })
  })

  it('move together when the market jumps', async () => {
    const { clock, path, feeds } = setup()
    clock.now = T0 + 5
    const before = path.priceAt(T0 + 5)
    const earlier = path.priceAt(T0 + 4)
    path.jump(0.2)
    expect(path.priceAt(T0 + 4)).toBe(earlier)
    expect(path.priceAt(T0 + 5) / before).toBeCloseTo(1.2, 12)
    for (const f of feeds) {
      const r = await f.read()
      expect('price' in r && r.price / before).toBeGreaterThan(1.19)
    }
  })

  it('honour heartbeats and validate their parameters', async () => {
    const { clock, path } = setup()
    const slow = new SimulatedFeed({ id: 'slow', path, heartbeatSeconds: 60, startTime: T0 })
    clock.now = T0 + 119
    expect(await slow.read()).toMatchObject({ updatedAt: T0 + 60 })
    expect(() => new SimulatedFeed({ id: 'x', path, heartbeatSeconds: 0 })).toThrow(OracleError)
    expect(() => new PricePath({ seed: 1, startPrice: -1, startTime: 0, clock: () => 0 })).toThrow(OracleError)
    expect(() => path.jump(-1)).toThrow(OracleError)
  })
})
