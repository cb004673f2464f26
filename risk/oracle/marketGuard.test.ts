import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { initialMarketGuard, resolveMarketGuardConfig, stepMarketGuard, tickMarketGuard, type MarketGuardState } from './marketGuard.js'
import { stricterMode, TRADING_MODES, type FeedReport, type ModeTransition } from './types.js'
import { RiskInputError } from '../errors.js'

const T0 = 1_800_000_000
const config = resolveMarketGuardConfig({ breaker: { cooldownSeconds: 600 } }, 3)
const three = (now: number, a: number, b = a, c = a): FeedReport[] => [
  { feedId: 'a', price: a, updatedAt: now },
  { feedId: 'b', price: b, updatedAt: now },
  { feedId: 'c', price: c, updatedAt: now },
]

describe('stricterMode', () => {
  it('orders normal < reduce-only < halted (property: commutative, idempotent, an upper bound)', () => {
    expect(stricterMode('normal', 'reduce-only')).toBe('reduce-only')
    expect(stricterMode('halted', 'reduce-only')).toBe('halted')
    fc.assert(
      fc.property(fc.constantFrom(...TRADING_MODES), fc.constantFrom(...TRADING_MODES), (a, b) => {
        expect(stricterMode(a, b)).toBe(stricterMode(b, a))
        expect(stricterMode(a, a)).toBe(a)
        expect(TRADING_MODES.indexOf(stricterMode(a, b))).toBe(Math.max(TRADING_MODES.indexOf(a), TRADING_MODES.indexOf(b)))
      }),
    )
  })
})

describe('market guard', () => {
  it('resolves settings with defaults and validates them', () => {
    expect(config.aggregator.quorum).toBe(2)
    expect(config.breaker).toMatchObject({ maxMoveBps: 1000, windowSeconds: 300, action: 'halted', cooldownSeconds: 600 })
    expect(() => resolveMarketGuardConfig({ breaker: { maxMoveBps: -1 } }, 3)).toThrow(RiskInputError)
    expect(() => resolveMarketGuardConfig({}, 2)).toThrow(RiskInputError)
  })

  it('combines oracle and breaker, the stricter winning, and logs every transition', () => {
    const log: ModeTransition[] = []
    let g: MarketGuardState = initialMarketGuard('ETH', T0)
    expect(g).toMatchObject({ tradingMode: 'halted', liquidationsAllowed: false, restrictions: [expect.stringContaining('no-data')] })
    const step = (reports: FeedReport[], now: number) => {
      const out = stepMarketGuard(g, reports, now, config)
      g = out.state
      log.push(...out.events)
      return out.events
    }

    expect(step(three(T0, 3000, 3001, 3002), T0)).toMatchObject([
      { source: 'oracle', from: 'halted', to: 'normal' },
      { source: 'effective', from: 'halted', to: 'normal', reason: 'oracle ok and breaker armed' },
    ])
    expect(g).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, price: 3001, restrictions: [] })

    // One feed deviates: excluded, still normal.
    expect(step(three(T0 + 10, 3000, 3001, 2000), T0 + 10)).toEqual([])
    expect(g.lastAggregate).toMatchObject({ status: 'ok', price: 3000.5, excluded: [{ feedId: 'c', reason: 'deviation' }] })

    // Two feeds fail: reduce-only, no liquidations, last good price kept.
    expect(step([...three(T0 + 20, 3000).slice(0, 1), { feedId: 'b', failure: 'read-failed' }, { feedId: 'c', price: 3000, updatedAt: T0 - 500 }], T0 + 20)).toMatchObject([
      { source: 'oracle', from: 'normal', to: 'reduce-only' },
      { source: 'effective', from: 'normal', to: 'reduce-only' },
    ])
    expect(g).toMatchObject({ tradingMode: 'reduce-only', liquidationsAllowed: false, lastGoodPrice: 3000.5 })
    expect(g.price).toBeUndefined()

    // Recovery at a price 20 % higher: the oracle is ok, but the jump across the gap trips the breaker.
    expect(step(three(T0 + 30, 3600), T0 + 30)).toMatchObject([
      { source: 'oracle', from: 'reduce-only', to: 'normal' },
      { source: 'breaker', from: 'normal', to: 'halted', reason: expect.stringContaining('+19.98 %') },
      { source: 'effective', from: 'reduce-only', to: 'halted' },
    ])
    expect(g).toMatchObject({ tradingMode: 'halted', liquidationsAllowed: false, price: 3600, restrictions: [expect.stringContaining('breaker halted until')] })

    // The oracle degrades while the breaker is tripped: halted wins, no effective event.
    expect(step([], T0 + 40)).toMatchObject([{ source: 'oracle', from: 'normal', to: 'reduce-only' }])
    expect(g).toMatchObject({ tradingMode: 'halted' })
    expect(g.restrictions).toHaveLength(2)

    // Cool-down ends by tick: the oracle is still degraded, so reduce-only.
    expect(tickMarketGuard(g, T0 + 629).events).toEqual([])
    const ticked = tickMarketGuard(g, T0 + 630)
    g = ticked.state
    log.push(...ticked.events)
    expect(ticked.events).toMatchObject([
      { source: 'breaker', from: 'halted', to: 'normal' },
      { source: 'effective', from: 'halted', to: 'reduce-only' },
    ])

    // The oracle recovers near the old level: normal again.
    expect(step(three(T0 + 640, 3610), T0 + 640)).toMatchObject([{ source: 'oracle' }, { source: 'effective', from: 'reduce-only', to: 'normal' }])
    expect(g).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, price: 3610 })

    // Every event is a real change, in time order; effective events chain from mode to mode.
    for (const e of log) expect(e.from).not.toBe(e.to)
    const effective = log.filter((e) => e.source === 'effective')
    for (let i = 1; i < effective.length; i++) expect(effective[i]!.from).toBe(effective[i - 1]!.to)
    expect(log.map((e) => e.at)).toEqual([...log.map((e) => e.at)].sort((a, b) => a - b))
  })

  it('the effective mode is always the stricter of oracle and breaker (property)', () => {
    const round = fc.record({ dt: fc.integer({ min: 1, max: 400 }), prices: fc.array(fc.option(fc.double({ min: 2500, max: 3800, noNaN: true }), { nil: undefined }), { minLength: 3, maxLength: 3 }) })
    fc.assert(
      fc.property(fc.array(round, { minLength: 1, maxLength: 30 }), (rounds) => {
        let g = initialMarketGuard('ETH', T0)
        let t = T0
        let effective = g.tradingMode
        for (const { dt, prices } of rounds) {
          t += dt
          const reports: FeedReport[] = prices.map((p, i) => (p === undefined ? { feedId: `f${i}`, failure: 'read-failed' } : { feedId: `f${i}`, price: p, updatedAt: t }))
          const out = stepMarketGuard(g, reports, t, config)
          g = out.state
          expect(g.tradingMode).toBe(stricterMode(g.oracle.tradingMode, g.breaker.tradingMode))
          expect(g.liquidationsAllowed).toBe(g.oracle.liquidationsAllowed && g.breaker.liquidationsAllowed)
          if (g.liquidationsAllowed) expect(g.price).toBeDefined()
          for (const e of out.events.filter((x) => x.source === 'effective')) {
            expect(e.from).toBe(effective)
            effective = e.to
          }
          expect(effective).toBe(g.tradingMode)
        }
      }),
      { numRuns: 300 },
    )
  })
})
