import { afterEach, describe, expect, it } from 'vitest'
import type { FeedReport, ModeTransition } from '../risk/oracle/index.js'
import { RiskInputError } from '../risk/errors.js'
import { OracleService } from './oracleService.js'
import { PricePath, simulatedFeeds, type SimulatedFeed } from './simulatedFeed.js'
import { OracleError } from './errors.js'
import type { PriceFeed } from './feed.js'

const T0 = 1_800_000_000
let service: OracleService | undefined
afterEach(async () => service?.stop())

function setup(options: { pollIntervalMs?: number; readTimeoutMs?: number; extraFeed?: PriceFeed } = {}) {
  const clock = { now: T0 }
  const eth = new PricePath({ seed: 1, startPrice: 3000, startTime: T0, clock: () => clock.now })
  const btc = new PricePath({ seed: 2, startPrice: 60_000, startTime: T0, clock: () => clock.now })
  const ethFeeds = simulatedFeeds('eth', 3, eth) as [SimulatedFeed, SimulatedFeed, SimulatedFeed]
  const btcFeeds = simulatedFeeds('btc', 3, btc)
  const events: ModeTransition[] = []
  service = new OracleService({
    underlyings: {
      ETH: { feeds: options.extraFeed ? [...ethFeeds.slice(0, 2), options.extraFeed] : ethFeeds, settings: { breaker: { cooldownSeconds: 120 } } },
      BTC: { feeds: btcFeeds, settings: { breaker: { action: 'reduce-only' } } },
    },
    clock: () => clock.now,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    readTimeoutMs: options.readTimeoutMs ?? 2_000,
    onTransition: (e) => events.push(e),
  })
  return { clock, eth, btc, ethFeeds, events, service }
}

describe('OracleService (simulated feeds)', () => {
  it('is halted before the first round and normal after it, per underlying', async () => {
    const { service, events } = setup()
    expect(service.mode('ETH')).toEqual({ tradingMode: 'halted', liquidationsAllowed: false })
    const snap = await service.poll()
    expect(snap.underlyings.ETH).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, oracle: { status: 'ok', usedFeeds: ['eth-0', 'eth-1', 'eth-2'] }, breaker: { status: 'armed' } })
    expect(snap.underlyings.BTC?.price).toBeCloseTo(60_000, -2)
    expect(events.filter((e) => e.source === 'effective').map((e) => `${e.underlying}:${e.from}->${e.to}`)).toEqual(['ETH:halted->normal', 'BTC:halted->normal'])
    expect(snap.events).toEqual(events)
  })

  it('walks through deviation, quorum loss, a jump and the cool-down', async () => {
    const { service, clock, eth, ethFeeds, events } = setup()
    await service.poll()
    clock.now += 10
    ethFeeds[2].bias(0.05)
    let s = (await service.poll()).underlyings.ETH!
    expect(s).toMatchObject({ tradingMode: 'normal', oracle: { usedFeeds: ['eth-0', 'eth-1'], excluded: [{ feedId: 'eth-2', reason: 'deviation' }] } })

    clock.now += 10
    ethFeeds[1].makeStale()
    clock.now += 200
    s = (await service.poll()).underlyings.ETH!
    // Two fresh feeds 5 % apart: neither is within 1 % of their median, so no quorum.
    expect(s).toMatchObject({ tradingMode: 'reduce-only', liquidationsAllowed: false, oracle: { status: 'degraded', reason: expect.stringContaining('feeds-disagree') } })
    expect(s.price).toBeUndefined()
    expect(s.lastGoodPrice).toBeCloseTo(3000, -1)

    for (const f of ethFeeds) f.recover()
    clock.now += 10
    eth.jump(0.2)
    s = (await service.poll()).underlyings.ETH!
    expect(s).toMatchObject({ tradingMode: 'halted', liquidationsAllowed: false, oracle: { status: 'ok' }, breaker: { status: 'tripped', resumeAt: clock.now + 120 } })

    clock.now += 119
    expect(service.tick().underlyings.ETH?.tradingMode).toBe('halted')
    clock.now += 1
    expect(service.tick().underlyings.ETH).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, breaker: { status: 'armed' } })
    expect(events.filter((e) => e.underlying === 'ETH' && e.source === 'effective').map((e) => e.to)).toEqual(['normal', 'reduce-only', 'halted', 'normal'])
  })

  it('applies per-underlying breaker settings', async () => {
    const { service, clock, btc } = setup()
    await service.poll()
    clock.now += 5
    btc.jump(-0.25)
    expect((await service.poll()).underlyings.BTC).toMatchObject({ tradingMode: 'reduce-only', breaker: { status: 'tripped' } })
  })

  it('turns rejections, wrong ids and timeouts into read-failed reports', async () => {
    const hung: PriceFeed = { id: 'eth-hung', read: () => new Promise<FeedReport>(() => {}) }
    const s1 = setup({ extraFeed: hung, readTimeoutMs: 50 })
    const snap = await s1.service.poll()
    expect(snap.underlyings.ETH).toMatchObject({ tradingMode: 'normal', oracle: { excluded: [{ feedId: 'eth-hung', reason: 'read-failed', detail: 'timed out after 50 ms' }] } })
    await s1.service.stop()

    const throwing: PriceFeed = { id: 'eth-x', read: () => Promise.reject(new Error('boom')) }
    const s2 = setup({ extraFeed: throwing })
    expect((await s2.service.poll()).underlyings.ETH?.oracle.excluded).toEqual([{ feedId: 'eth-x', reason: 'read-failed', detail: 'boom' }])
    await s2.service.stop()

    const liar: PriceFeed = { id: 'eth-y', read: async () => ({ feedId: 'eth-0', price: 1, updatedAt: T0 }) }
    const s3 = setup({ extraFeed: liar })
    expect((await s3.service.poll()).underlyings.ETH?.oracle.excluded).toMatchObject([{ feedId: 'eth-y', reason: 'read-failed' }])
  })

  it('joins a round in flight, keeps time monotonic and survives a throwing callback', async () => {
    const clock = { now: T0 }
    const path = new PricePath({ seed: 3, startPrice: 100, startTime: T0, clock: () => clock.now })
    const errors: unknown[] = []
    service = new OracleService({
      underlyings: { X: { feeds: simulatedFeeds('x', 3, path) } },
      clock: () => clock.now,
      onTransition: () => {
        throw new Error('logger down')
      },
      onError: (e) => errors.push(e),
    })
    const [a, b] = await Promise.all([service.poll(), service.poll()])
    expect(a).toBe(b)
    expect(errors).toHaveLength(2) // oracle + effective transitions
    clock.now = T0 - 100 // the clock steps back
    expect((await service.poll()).at).toBe(T0)
  })

  it('polls on its interval once started, and stops', async () => {
    const { service } = setup({ pollIntervalMs: 20 })
    service.start()
    service.start()
    await new Promise((r) => setTimeout(r, 100))
    await service.stop()
    expect(service.mode('ETH').tradingMode).toBe('normal')
  })

  it('validates its configuration', () => {
    const path = new PricePath({ seed: 1, startPrice: 1, startTime: 0, clock: () => 0 })
    expect(() => new OracleService({ underlyings: {} })).toThrow(OracleError)
    expect(() => new OracleService({ underlyings: { X: { feeds: simulatedFeeds('x', 2, path) } } })).toThrow(RiskInputError)
    const [f] = simulatedFeeds('x', 1, path)
    expect(() => new OracleService({ underlyings: { X: { feeds: [f!, f!, f!] } } })).toThrow(/distinct/)
    const ok = new OracleService({ underlyings: { X: { feeds: simulatedFeeds('x', 3, path) } } })
    expect(() => ok.mode('Y')).toThrow(OracleError)
  })
})
