import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { accountGreeks, seriesGreeks, type GreeksInputs } from './greeks.js'
import { valueOption } from './blackScholes.js'
import { RiskInputError } from './errors.js'
import type { Series } from './series.js'

const NOW = 1_790_000_000n
const DAY = 86_400n
const series: Series[] = [
  { id: 1n, underlying: 'ETH', expiry: NOW + 30n * DAY, strike: 3000_000000n, isCall: true },
  { id: 2n, underlying: 'ETH', expiry: NOW + 30n * DAY, strike: 3000_000000n, isCall: false },
  { id: 3n, underlying: 'BTC', expiry: NOW + 60n * DAY, strike: 100000_000000n, isCall: true },
  { id: 4n, underlying: 'BTC', expiry: NOW - DAY, strike: 90000_000000n, isCall: true },
]
const inputs: GreeksInputs = { spotByUnderlying: { ETH: 3000, BTC: 95000 }, volByUnderlying: { ETH: 0.7, BTC: 0.5 }, volBySeries: new Map([[3n, 0.55]]), ratePerYear: 0.03, nowUnixSeconds: NOW }
const T30 = 30 / 365

describe('seriesGreeks', () => {
  it('gives one contract in display units: vega per vol point, theta per day, rho per rate point', () => {
    const bs = valueOption({ isCall: true, spot: 3000, strike: 3000, yearsToExpiry: T30, volPerSqrtYear: 0.7, ratePerYear: 0.03 })
    expect(seriesGreeks(series[0]!, inputs)).toEqual({
      delta: bs.delta,
      gamma: bs.gamma,
      vegaPerVolPoint: bs.vegaPerUnitVol / 100,
      thetaPerDay: bs.thetaPerYear / 365,
      rhoPerRatePoint: bs.rhoPerUnitRate / 100,
      value: bs.price,
    })
    // ATM 30-day ETH call at 70 %: delta ≈ 0.55, vega ≈ 3.4 USDC per vol point, theta ≈ -4 USDC a day
    const g = seriesGreeks(series[0]!, inputs)
    expect(g.delta).toBeGreaterThan(0.5)
    expect(g.delta).toBeLessThan(0.6)
    expect(g.vegaPerVolPoint).toBeCloseTo(3.4, 1)
    expect(g.thetaPerDay).toBeLessThan(-3)
  })

  it('uses the per-series vol first, and values an expired series at intrinsic', () => {
    expect(seriesGreeks(series[2]!, inputs).vegaPerVolPoint).toBe(valueOption({ isCall: true, spot: 95000, strike: 100000, yearsToExpiry: 60 / 365, volPerSqrtYear: 0.55, ratePerYear: 0.03 }).vegaPerUnitVol / 100)
    expect(seriesGreeks(series[3]!, inputs)).toEqual({ delta: 1, gamma: 0, vegaPerVolPoint: 0, thetaPerDay: 0, rhoPerRatePoint: 0, value: 5000 })
  })
})

describe('accountGreeks', () => {
  it('scales by the size in contracts (size units / 100) and signs shorts', () => {
    const one = seriesGreeks(series[0]!, inputs)
    const view = accountGreeks([{ seriesId: 1n, size: -250n }], series, inputs)
    expect(view.positions).toHaveLength(1)
    const p = view.positions[0]!
    expect(p.contracts).toBe(-2.5)
    expect(p.delta).toBeCloseTo(-2.5 * one.delta, 14)
    expect(p.gamma).toBeCloseTo(-2.5 * one.gamma, 14)
    expect(p.vegaPerVolPoint).toBeCloseTo(-2.5 * one.vegaPerVolPoint, 12)
    expect(p.thetaPerDay).toBeCloseTo(-2.5 * one.thetaPerDay, 12)
    expect(p.value).toBeCloseTo(-2.5 * one.value, 10)
  })

  it('nets a synthetic forward: long call + short put has delta ≈ 1 per contract and no gamma or vega', () => {
    const view = accountGreeks([{ seriesId: 1n, size: 100n }, { seriesId: 2n, size: -100n }], new Map(series.map((s) => [s.id, s])), inputs)
    const eth = view.byUnderlying[0]!
    expect(eth.underlying).toBe('ETH')
    expect(eth.delta).toBeCloseTo(1, 12) // no dividend yield: e^{-qT} = 1
    expect(eth.gamma).toBeCloseTo(0, 15)
    expect(eth.vegaPerVolPoint).toBeCloseTo(0, 12)
    expect(eth.deltaValue).toBeCloseTo(3000, 8)
    // rho of a forward: K T e^{-rT} per unit rate
    expect(eth.rhoPerRatePoint).toBeCloseTo((3000 * T30 * Math.exp(-0.03 * T30)) / 100, 8)
  })

  it('groups by underlying in name order and totals what shares a unit', () => {
    const view = accountGreeks([{ seriesId: 3n, size: 50n }, { seriesId: 1n, size: 100n }, { seriesId: 4n, size: 10n }], series, inputs)
    expect(view.positions.map((p) => p.seriesId)).toEqual([1n, 3n, 4n])
    expect(view.byUnderlying.map((u) => u.underlying)).toEqual(['BTC', 'ETH'])
    const [btc, eth] = view.byUnderlying
    expect(btc!.delta).toBeCloseTo(0.5 * seriesGreeks(series[2]!, inputs).delta + 0.1, 14)
    expect(view.total.deltaValue).toBeCloseTo(btc!.delta * 95000 + eth!.delta * 3000, 6)
    expect(view.total.vegaPerVolPoint).toBeCloseTo(btc!.vegaPerVolPoint + eth!.vegaPerVolPoint, 10)
    expect(view.total.thetaPerDay).toBeCloseTo(btc!.thetaPerDay + eth!.thetaPerDay, 10)
  })

  it('is empty for a flat account and deterministic in the order of positions (property)', () => {
    expect(accountGreeks([{ seriesId: 1n, size: 5n }, { seriesId: 1n, size: -5n }], series, inputs)).toEqual({
      positions: [],
      byUnderlying: [],
      total: { deltaValue: 0, vegaPerVolPoint: 0, thetaPerDay: 0, rhoPerRatePoint: 0, value: 0 },
    })
    const position = fc.record({ seriesId: fc.constantFrom(1n, 2n, 3n, 4n), size: fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }) })
    fc.assert(
      fc.property(fc.array(position, { maxLength: 8 }), (p) => {
        expect(accountGreeks([...p].reverse(), series, inputs)).toEqual(accountGreeks(p, series, inputs))
      }),
    )
  })

  it('rejects an unknown series and missing market data', () => {
    expect(() => accountGreeks([{ seriesId: 9n, size: 1n }], series, inputs)).toThrow(RiskInputError)
    expect(() => accountGreeks([{ seriesId: 3n, size: 1n }], series, { ...inputs, spotByUnderlying: { ETH: 3000 } })).toThrow(RiskInputError)
    expect(() => seriesGreeks(series[0]!, { ...inputs, volByUnderlying: { BTC: 0.5 } })).toThrow(RiskInputError)
  })
})
