import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildMarketTable, nearestPricePerSizeUnit } from './marketTable.js'
import { pricePerContractToPerSizeUnit } from './fixedPoint.js'
import { scenarioGrid, scenarios } from './scenarios.js'
import { valueOption } from './blackScholes.js'
import type { Series } from './series.js'

const exact = (x: number) => pricePerContractToPerSizeUnit(x, 'nearest')

describe('nearestPricePerSizeUnit', () => {
  it('equals the exact decimal rounding, ties included', () => {
    for (const x of [0, 4.7594, 1.23455, 1.23445, 0.00005, 0.00015, 2.5e-5, 242.35005, 1e7 + 0.00005, 123456.78905, 5e-324, 1e12, 3e15]) expect(nearestPricePerSizeUnit(x)).toBe(exact(x))
    expect(() => nearestPricePerSizeUnit(Number.NaN)).toThrow()
    expect(nearestPricePerSizeUnit(-1.00005)).toBe(exact(-1.00005))
  })

  it('equals the exact decimal rounding on random doubles and near-ties (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2e8, noNaN: true }), (x) => {
        expect(nearestPricePerSizeUnit(x)).toBe(exact(x))
      }),
      { numRuns: 3000 },
    )
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -3, max: 3 }), (k, nudge) => {
        // (k + 0.5) / 10^4 and its neighbouring doubles
        let x = (2 * k + 1) / 20_000
        for (let i = 0; i < Math.abs(nudge); i++) x = nudge > 0 ? x + x * Number.EPSILON : x - x * Number.EPSILON
        expect(nearestPricePerSizeUnit(x)).toBe(exact(x))
      }),
      { numRuns: 3000 },
    )
  })
})

describe('buildMarketTable', () => {
  const NOW = 1_790_000_000n
  const s: Series = { id: 7n, underlying: 'SOL', expiry: NOW + 10n * 86_400n, strike: 150_000_000n, isCall: false }
  const inputs = { spotByUnderlying: { SOL: 140 }, volByUnderlying: { SOL: 0.9 }, ratePerYear: 0, nowUnixSeconds: NOW }

  it('uses the ±20 % grid for an underlying without its own default, and a grid given per underlying', () => {
    const row = buildMarketTable([s], inputs).rows.get(7n)!
    const price = (spot: number, vol: number) => exact(valueOption({ isCall: false, spot, strike: 150, yearsToExpiry: 10 / 365, volPerSqrtYear: vol, ratePerYear: 0 }).price)
    expect(row.scenarioValues[0]).toBe(price(140 * 0.8, 0.9 * 0.7))
    expect(row.scenarioValues[26]).toBe(price(140 * 1.2, 0.9 * 1.45))
    const own = buildMarketTable([s], { ...inputs, gridByUnderlying: { SOL: scenarioGrid(1000) } }).rows.get(7n)!
    expect(own.scenarioValues[0]).toBe(price(140 * 0.9, 0.9 * 0.7))
    expect(scenarios(scenarioGrid(1000)).map((x) => x.spotShock)[0]).toBe(-0.1)
  })
})
