/**
 * The market feed records an update when a spot, a trading state, the live series or a vol
 * (beyond `VOL_TOLERANCE`) changed, and nothing else: an idle node's journal stays still.
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { Market, type MarketUpdate } from './market.js'
import { defaultSurface, MarketFeed, VOL_TOLERANCE } from './marketFeed.js'

const NOW = 1_790_000_000n

function feed() {
  const clock = { now: NOW }
  const market = new Market(DEFAULT_MARKET, [{ id: 1n, ...defaultSeries(NOW) }])
  const recorded: MarketUpdate[] = []
  // The recorder's one method the feed calls: record, then apply (as Recorder.updateMarket does).
  const recorder = { updateMarket: (u: MarketUpdate) => (recorded.push(u), market.update(u)) }
  const f = new MarketFeed(market, recorder, { surface: defaultSurface(DEFAULT_MARKET.volByUnderlying, NOW), ratePerYear: 0, now: () => clock.now })
  return { clock, market, recorded, feed: f }
}

describe('MarketFeed', () => {
  it('records the spots, vols and states once, then nothing while only the clock moves', () => {
    const { clock, recorded, feed: f } = feed()
    f.refresh()
    expect(recorded).toHaveLength(1)
    expect(recorded[0]).toMatchObject({ spotByUnderlying: { ETH: 3000 }, statusByUnderlying: { ETH: { mode: 'normal' } } })
    expect(recorded[0]!.volBySeries!['1']).toBeCloseTo(0.6, 1)
    for (let i = 0; i < 60; i++) {
      clock.now += 1n
      f.refresh()
      f.onOracle({ ETH: 3000 }, { ETH: { mode: 'normal', liquidationsAllowed: true } })
    }
    expect(recorded).toHaveLength(1)
  })

  it('records a new spot, a new trading state, a moved surface and a newly listed series', () => {
    const { clock, market, recorded, feed: f } = feed()
    f.refresh()
    f.onOracle({ ETH: 3001 }, { ETH: { mode: 'normal', liquidationsAllowed: true } })
    expect(recorded.at(-1)!.spotByUnderlying).toEqual({ ETH: 3001 })
    f.onOracle({ ETH: 3001 }, { ETH: { mode: 'reduce-only', reason: 'quorum lost', liquidationsAllowed: false } })
    expect(recorded.at(-1)!.statusByUnderlying).toEqual({ ETH: { mode: 'reduce-only', reason: 'quorum lost', liquidationsAllowed: false } })
    expect(recorded).toHaveLength(3)
    const before = recorded.at(-1)!.volBySeries!['1']!
    f.updateSurface([{ underlying: 'ETH', expiry: NOW + 2n * 365n * 86_400n, params: defaultSurface({ ETH: 0.7 }, NOW).slicesByUnderlying['ETH']![0]!.params }])
    expect(recorded).toHaveLength(4)
    expect(recorded.at(-1)!.volBySeries!['1']! - before).toBeGreaterThan(VOL_TOLERANCE)
    market.addSeries({ id: 2n, ...defaultSeries(NOW), strike: 3200_000000n })
    clock.now += 1n
    f.refresh()
    expect(recorded).toHaveLength(5)
    expect(Object.keys(recorded.at(-1)!.volBySeries!)).toEqual(['1', '2'])
  })
})
