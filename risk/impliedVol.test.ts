import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { noArbitrageBounds, optionPrice, valueOption } from './blackScholes.js'
import { ImpliedVolError } from './errors.js'
import { impliedVol } from './impliedVol.js'

const hull = { spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1 } as const

describe('impliedVol', () => {
  it('recovers Hull’s 20 % vol from the quoted prices', () => {
    expect(impliedVol({ ...hull, isCall: true, price: 4.7594223928715334 })).toBeCloseTo(0.2, 12)
    expect(impliedVol({ ...hull, isCall: false, price: 0.80859937290009365 })).toBeCloseTo(0.2, 12)
  })

  it('round-trips price -> vol -> price (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 10, max: 1e5, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: 1 / 365, max: 3, noNaN: true }),
        fc.double({ min: 0.05, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 0.1, noNaN: true }),
        (isCall, spot, m, T, vol, r) => {
          const o = { isCall, spot, strike: spot * Math.exp(m), yearsToExpiry: T, ratePerYear: r }
          const price = optionPrice({ ...o, volPerSqrtYear: vol })
          const { lower } = noArbitrageBounds(o)
          // Vol is only identifiable when the time value is visible above rounding.
          fc.pre(price - lower > 1e-9 * spot)
          const iv = impliedVol({ ...o, price })
          expect(Math.abs(optionPrice({ ...o, volPerSqrtYear: iv }) - price)).toBeLessThanOrEqual(1e-10 * spot)
          // The vol error is the price tolerance divided by vega (vol is ill-determined when vega is tiny).
          const vega = valueOption({ ...o, volPerSqrtYear: vol }).vegaPerUnitVol
          expect(Math.abs(iv - vol)).toBeLessThanOrEqual((4 * (1e-12 * price + 1e-15 * spot)) / vega + 1e-12)
        },
      ),
    )
  })

  it('returns 0 at the lower bound', () => {
    const o = { ...hull, isCall: true }
    expect(impliedVol({ ...o, price: noArbitrageBounds(o).lower })).toBe(0)
  })

  it('rejects prices outside the no-arbitrage bounds with the bounds attached', () => {
    const o = { ...hull, isCall: true }
    const { lower, upper } = noArbitrageBounds(o)
    for (const price of [lower - 0.01, upper, upper + 1]) {
      try {
        impliedVol({ ...o, price })
        expect.fail('should throw')
      } catch (e) {
        expect(e).toBeInstanceOf(ImpliedVolError)
        expect((e as ImpliedVolError).lowerBound).toBe(lower)
        expect((e as ImpliedVolError).upperBound).toBe(upper)
      }
    }
    expect(() => impliedVol({ ...o, yearsToExpiry: 0, price: 3 })).toThrow(ImpliedVolError)
  })

  it('rejects a price that needs a vol above the cap', () => {
    const o = { ...hull, isCall: true, yearsToExpiry: 0.01 }
    const price = optionPrice({ ...o, volPerSqrtYear: 30 })
    expect(() => impliedVol({ ...o, price, maxVolPerSqrtYear: 5 })).toThrow(ImpliedVolError)
  })
})
