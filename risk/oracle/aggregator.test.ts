import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { aggregateReports, initialOracleState, median, resolveAggregatorConfig, updateOracleState, type AggregatorConfig, type OracleState } from './aggregator.js'
import type { FeedReport } from './types.js'
import { RiskInputError } from '../errors.js'

const NOW = 1_800_000_000
const config: AggregatorConfig = resolveAggregatorConfig({}, 3)
const r = (feedId: string, price: number, age = 0): FeedReport => ({ feedId, price, updatedAt: NOW - age })

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([7])).toBe(7)
    expect(() => median([])).toThrow(RiskInputError)
  })

  it('matches a sort-based reference and is order-independent (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 1e-6, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 15 }), (xs) => {
        const sorted = [...xs].sort((a, b) => a - b)
        const below = sorted.filter((x) => x < median(xs)).length
        const above = sorted.filter((x) => x > median(xs)).length
        expect(below).toBeLessThanOrEqual(xs.length / 2)
        expect(above).toBeLessThanOrEqual(xs.length / 2)
        expect(median([...xs].reverse())).toBe(median(xs))
      }),
    )
  })
})

describe('resolveAggregatorConfig', () => {
  it('defaults the quorum to a majority of the feeds', () => {
    expect(config).toMatchObject({ maxStalenessSeconds: 120, maxFutureSeconds: 30, maxDeviationBps: 100, quorum: 2, haltAfterDegradedSeconds: Infinity })
    expect(resolveAggregatorConfig({}, 4).quorum).toBe(3)
    expect(resolveAggregatorConfig({}, 5).quorum).toBe(3)
  })

  it('needs 3 feeds and a majority quorum', () => {
    expect(() => resolveAggregatorConfig({}, 2)).toThrow(RiskInputError)
    expect(() => resolveAggregatorConfig({ quorum: 2 }, 4)).toThrow(/quorum/)
    expect(() => resolveAggregatorConfig({ quorum: 4 }, 3)).toThrow(/quorum/)
    expect(() => resolveAggregatorConfig({ maxDeviationBps: 0 }, 3)).toThrow(/maxDeviationBps/)
    expect(() => resolveAggregatorConfig({ maxStalenessSeconds: Number.NaN }, 3)).toThrow(/maxStalenessSeconds/)
  })
})

describe('aggregateReports', () => {
  it('is the median of three fresh agreeing feeds', () => {
    const a = aggregateReports([r('a', 3000), r('b', 3010, 30), r('c', 2995, 60)], NOW, config)
    expect(a).toMatchObject({ status: 'ok', price: 3000, usedFeeds: ['a', 'b', 'c'], excluded: [] })
    if (a.status === 'ok') expect(a.spreadBps).toBeCloseTo((15 / 3000) * 10_000, 9)
  })

  it('excludes a stale feed and prices from the two fresh ones', () => {
    const a = aggregateReports([r('a', 3000), r('b', 3010, 121), r('c', 3002)], NOW, config)
    expect(a).toMatchObject({ status: 'ok', price: 3001, usedFeeds: ['a', 'c'], excluded: [{ feedId: 'b', reason: 'stale' }] })
    // Exactly at the limit is still fresh.
    expect(aggregateReports([r('a', 3000), r('b', 3010, 120), r('c', 3002)], NOW, config)).toMatchObject({ usedFeeds: ['a', 'b', 'c'] })
  })

  it('applies per-feed staleness limits', () => {
    const slow = { ...config, maxStalenessByFeed: { b: 3600 } }
    expect(aggregateReports([r('a', 3000), r('b', 3001, 3000), r('c', 3002)], NOW, slow)).toMatchObject({ usedFeeds: ['a', 'b', 'c'] })
  })

  it('excludes a feed deviating from the median', () => {
    const a = aggregateReports([r('a', 3000), r('b', 3600), r('c', 3002)], NOW, config)
    expect(a).toMatchObject({ status: 'ok', price: 3001, usedFeeds: ['a', 'c'], excluded: [{ feedId: 'b', reason: 'deviation' }] })
  })

  it('excludes invalid prices, timestamps in the future, adapter failures and duplicates', () => {
    const a = aggregateReports(
      [
        r('a', 3000),
        r('a', 1),
        r('b', 0),
        r('c', Number.NaN),
        { feedId: 'd', price: 3000, updatedAt: NOW + 31 },
        { feedId: 'e', price: 3000, updatedAt: 0 },
        { feedId: 'f', failure: 'invalid-round', detail: 'answeredInRound 4 < roundId 5' },
        r('g', 3001, -30),
      ],
      NOW,
      resolveAggregatorConfig({}, 8),
    )
    expect(a.status).toBe('degraded')
    expect(a.excluded).toEqual([
      { feedId: 'a', reason: 'duplicate-feed' },
      { feedId: 'b', reason: 'invalid-price', detail: 'price 0' },
      { feedId: 'c', reason: 'invalid-price', detail: 'price NaN' },
      { feedId: 'd', reason: 'future-timestamp', detail: 'updated 31 s in the future' },
      { feedId: 'e', reason: 'no-timestamp', detail: 'updatedAt 0' },
      { feedId: 'f', reason: 'invalid-round', detail: 'answeredInRound 4 < roundId 5' },
    ])
  })

  it('degrades when fewer than the quorum are fresh', () => {
    const a = aggregateReports([r('a', 3000), r('b', 3000, 500), { feedId: 'c', failure: 'read-failed' }], NOW, config)
    expect(a).toMatchObject({ status: 'degraded', reason: 'insufficient-fresh-feeds' })
    expect(a.excluded.map((e) => e.reason)).toEqual(['stale', 'read-failed'])
  })

  it('degrades when the fresh feeds disagree', () => {
    const a = aggregateReports([r('a', 3000), r('b', 3300), r('c', 3600)], NOW, config)
    expect(a).toMatchObject({ status: 'degraded', reason: 'feeds-disagree' })
    expect(a.excluded.map((e) => e.feedId)).toEqual(['a', 'c'])
  })

  it('never lets a minority of bad feeds move the price outside the honest range (property)', () => {
    const arb = fc.record({
      honestCount: fc.integer({ min: 2, max: 5 }),
      base: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      // honest feeds agree within the deviation limit (relative to the lowest)
      offsets: fc.array(fc.double({ min: 0, max: 0.0099, noNaN: true }), { minLength: 5, maxLength: 5 }),
      bad: fc.array(
        fc.oneof(
          fc.double({ min: 1e-9, max: 1e12, noNaN: true }).map((price) => ({ price, age: 0 })),
          fc.double({ min: 1e-9, max: 1e12, noNaN: true }).map((price) => ({ price, age: 10_000 })),
          fc.constant({ price: -1, age: 0 }),
        ),
        { maxLength: 4 },
      ),
      seed: fc.integer(),
    })
    fc.assert(
      fc.property(arb, ({ honestCount, base, offsets, bad, seed }) => {
        const honest = offsets.slice(0, honestCount).map((o) => base * (1 + o))
        const badFresh = bad.filter((b) => b.age === 0 && b.price > 0).length
        fc.pre(badFresh < honestCount) // honest feeds are a strict majority of the fresh ones
        const reports: FeedReport[] = [...honest.map((p, i) => r(`h${i}`, p)), ...bad.map((b, i) => r(`x${i}`, b.price, b.age))]
        // a deterministic shuffle: the order of the reports must not matter
        reports.sort((p, q) => ((p.feedId.charCodeAt(1) * 31 + seed) % 7) - ((q.feedId.charCodeAt(1) * 31 + seed) % 7))
        const total = reports.length
        const quorum = Math.min(honestCount, Math.floor(total / 2) + 1)
        fc.pre(quorum >= 2 && 2 * quorum > total)
        const a = aggregateReports(reports, NOW, { ...config, quorum })
        expect(a.status).toBe('ok')
        if (a.status !== 'ok') return
        expect(a.price).toBeGreaterThanOrEqual(Math.min(...honest))
        expect(a.price).toBeLessThanOrEqual(Math.max(...honest))
        for (let i = 0; i < honestCount; i++) expect(a.usedFeeds).toContain(`h${i}`)
      }),
      { numRuns: 500 },
    )
  })

  it('uses only fresh, valid feeds within the deviation limit of the fresh median (property)', () => {
    const report = fc.record({ price: fc.oneof(fc.double({ min: 90, max: 110, noNaN: true }), fc.double({ min: -10, max: 1e4 })), age: fc.integer({ min: -60, max: 300 }) })
    fc.assert(
      fc.property(fc.array(report, { minLength: 3, maxLength: 7 }), (rs) => {
        const reports = rs.map((x, i) => r(`f${i}`, x.price, x.age))
        const a = aggregateReports(reports, NOW, config)
        const fresh = reports.filter((x) => 'price' in x && x.price > 0 && Number.isFinite(x.price) && NOW - x.updatedAt <= 120 && x.updatedAt - NOW <= 30)
        expect(a.excluded.length + (a.status === 'ok' ? a.usedFeeds.length : 0)).toBeLessThanOrEqual(reports.length)
        if (a.status === 'ok') {
          const m = median(fresh.map((x) => ('price' in x ? x.price : 0)))
          expect(a.usedFeeds.length).toBeGreaterThanOrEqual(config.quorum)
          for (const id of a.usedFeeds) {
            const x = reports.find((y) => y.feedId === id)!
            expect('price' in x && Math.abs(x.price - m) / m <= 0.01 + 1e-12).toBe(true)
          }
          expect(a.usedFeeds.length + a.excluded.length).toBe(reports.length)
        } else if (fresh.length < config.quorum) expect(a.reason).toBe('insufficient-fresh-feeds')
        else expect(a.reason).toBe('feeds-disagree')
      }),
      { numRuns: 500 },
    )
  })
})

describe('oracle state', () => {
  const step = (s: OracleState, reports: FeedReport[], now: number, c: AggregatorConfig = config) => updateOracleState(s, aggregateReports(reports, now, c), now, c)

  it('starts halted, goes normal on the first quorum, reduce-only without liquidations when it is lost, and recovers', () => {
    let s = initialOracleState('ETH', NOW - 10)
    expect(s).toMatchObject({ status: 'degraded', reason: 'no-data', tradingMode: 'halted', liquidationsAllowed: false })

    let out = step(s, [r('a', 3000), r('b', 3001), r('c', 3002)], NOW)
    s = out.state
    expect(s).toMatchObject({ status: 'ok', price: 3001, lastGoodPrice: 3001, since: NOW, tradingMode: 'normal', liquidationsAllowed: true })
    expect(out.events).toEqual([{ underlying: 'ETH', source: 'oracle', from: 'halted', to: 'normal', reason: expect.stringContaining('quorum'), at: NOW }])

    out = step(s, [r('a', 3010), r('b', 3011), r('c', 3012)], NOW + 10)
    s = out.state
    expect(out.events).toEqual([])
    expect(s).toMatchObject({ price: 3011, since: NOW })

    out = step(s, [r('a', 3010, 200), { feedId: 'b', failure: 'read-failed' }, r('c', 3012, 0)], NOW + 20)
    s = out.state
    expect(s).toMatchObject({ status: 'degraded', reason: 'insufficient-fresh-feeds', lastGoodPrice: 3011, lastGoodAt: NOW + 10, since: NOW + 20, tradingMode: 'reduce-only', liquidationsAllowed: false })
    expect(s.price).toBeUndefined()
    expect(out.events).toMatchObject([{ source: 'oracle', from: 'normal', to: 'reduce-only', at: NOW + 20 }])

    out = step(s, [r('a', 3010, 200), r('b', 3011, 200), r('c', 3012, 200)], NOW + 30)
    s = out.state
    expect(out.events).toEqual([])
    expect(s.since).toBe(NOW + 20)

    out = step(s, [r('a', 3020, 0), r('b', 3021, 0), r('c', 9999, 0)], NOW + 40)
    s = out.state
    expect(s).toMatchObject({ status: 'ok', price: 3020.5, since: NOW + 40, tradingMode: 'normal', liquidationsAllowed: true })
    expect(out.events).toMatchObject([{ from: 'reduce-only', to: 'normal' }])
  })

  it('halts after haltAfterDegradedSeconds', () => {
    const c = { ...config, haltAfterDegradedSeconds: 60 }
    let s = step(initialOracleState('ETH', NOW), [r('a', 3000), r('b', 3000), r('c', 3000)], NOW, c).state
    s = step(s, [], NOW + 10, c).state
    expect(s.tradingMode).toBe('reduce-only')
    expect(step(s, [], NOW + 69, c).state.tradingMode).toBe('reduce-only')
    const out = step(s, [], NOW + 70, c)
    expect(out.state.tradingMode).toBe('halted')
    expect(out.events).toMatchObject([{ from: 'reduce-only', to: 'halted', reason: expect.stringContaining('degraded for 60 s') }])
  })

  it('refuses time going backwards', () => {
    const s = step(initialOracleState('ETH', NOW), [r('a', 3000), r('b', 3000), r('c', 3000)], NOW).state
    expect(() => step(s, [], NOW - 1)).toThrow(RiskInputError)
  })
})
