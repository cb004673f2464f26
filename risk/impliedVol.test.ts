import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { noArbitrageBounds, optionPrice, valueOption } from './blackScholes.js'
import { ImpliedVolError, RiskInputError } from './errors.js'
import { impliedVol } from './impliedVol.js'

const hull = { spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1 } as const

describe('impliedVol', () => {
  it('recovers Hull’s 20 % vol from the quoted prices', () => {
    expect(impliedVol({ ...hull, isCall: true, price: 4.7594223928715334 })).toBeCloseTo(0.2, 12)
    expect(impliedVol({ ...hull, isCall: false, price: 0.80859937290009365 })).toBeCloseTo(0.2, 12)
  })

  it('round-trips vol -> price -> vol to the accuracy the price allows (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 1 / 525_600, max: 3, noNaN: true }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: -0.05, max: 0.2, noNaN: true }),
        fc.double({ min: -0.1, max: 0.2, noNaN: true }),
        (isCall, spot, m, T, vol, r, q) => {
          const o = { isCall, spot, strike: spot * Math.exp(m), yearsToExpiry: T, ratePerYear: r, dividendYieldPerYear: q }
          const v = valueOption({ ...o, volPerSqrtYear: vol })
          const { lower, upper } = noArbitrageBounds(o)
          fc.pre(v.price > lower && v.price < upper)
          const iv = impliedVol({ ...o, price: v.price })
          // The vol is determined up to the price's uncertainty (the solver's relative tolerance
          // on the time value, and a few ulps of the pricer's terms) divided by vega.
          const priceUncertainty = 1e-13 * (v.price - lower) + 8 * Number.EPSILON * (spot + o.strike + v.price)
          expect(Math.abs(iv - vol)).toBeLessThanOrEqual(4 * (priceUncertainty / v.vegaPerUnitVol + 8 * Number.EPSILON * vol))
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('converges for every price strictly inside the bounds, deep OTM and short expiries included (property)', () => {
    // Price = lower + w (upper - lower), w uniform, or 10^-k (down to 1e-300 of the range:
    // deep out of the money, tiny time value), or 1 - 10^-k (near the upper bound: vols far
    // above 100 %, especially at expiries of minutes).
    const position = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 300 }).map((k) => 10 ** -k),
      fc.integer({ min: 1, max: 16 }).map((k) => 1 - 10 ** -k),
    )
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.oneof(fc.double({ min: 1 / 525_600, max: 3, noNaN: true }), fc.double({ min: 1 / 525_600, max: 1 / 365, noNaN: true })),
        fc.double({ min: -0.05, max: 0.2, noNaN: true }),
        fc.double({ min: -0.1, max: 0.2, noNaN: true }),
        position,
        (isCall, spot, m, T, r, q, w) => {
          const o = { isCall, spot, strike: spot * Math.exp(m), yearsToExpiry: T, ratePerYear: r, dividendYieldPerYear: q }
          const { lower, upper } = noArbitrageBounds(o)
          const price = lower + w * (upper - lower)
          fc.pre(price > lower && price < upper)
          const iv = impliedVol({ ...o, price })
          expect(iv).toBeGreaterThan(0)
          expect(Number.isFinite(iv)).toBe(true)
          // Reprices to 1e-9 relative, or to the pricer's rounding (1e-14 of spot or strike)
          // where the time value is below it (measured worst: 0.03 of this tolerance).
          const repriced = optionPrice({ ...o, volPerSqrtYear: iv })
          expect(Math.abs(repriced - price)).toBeLessThanOrEqual(1e-9 * price + 1e-14 * Math.max(spot, o.strike))
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('solves vols far above 100 % at short expiries (no default cap)', () => {
    const o = { isCall: true, spot: 60_000, strike: 60_000, yearsToExpiry: 1 / 8760, ratePerYear: 0 }
    for (const vol of [5, 50, 500]) {
      const price = optionPrice({ ...o, volPerSqrtYear: vol })
      expect(Math.abs(impliedVol({ ...o, price }) / vol - 1)).toBeLessThan(1e-12)
    }
    // Half the spot, one hour before expiry: about 12,600 % vol.
    const iv = impliedVol({ ...o, price: 30_000 })
    expect(Math.abs(optionPrice({ ...o, volPerSqrtYear: iv }) - 30_000)).toBeLessThan(1e-9 * 30_000)
  })

  it('recovers vols of deep out-of-the-money and deep in-the-money options', () => {
    const o = { spot: 100, yearsToExpiry: 7 / 365, ratePerYear: 0.05, dividendYieldPerYear: 0.01 }
    // Out of the money, prices of 4e-23 and 4e-28: the vol to 12 digits.
    for (const [isCall, strike] of [[true, 300], [false, 30]] as const) {
      const price = optionPrice({ ...o, isCall, strike, volPerSqrtYear: 0.8 })
      expect(Math.abs(impliedVol({ ...o, isCall, strike, price }) - 0.8)).toBeLessThan(1e-12)
    }
    // Deep in the money, time value 1e-9 of the price: the vol to the ~8 digits that the
    // rounding of the price (1e-16 of it) leaves; solving on the out-of-the-money side keeps them.
    for (const [isCall, strike] of [[true, 55], [false, 180]] as const) {
      const price = optionPrice({ ...o, isCall, strike, volPerSqrtYear: 0.8 })
      expect(Math.abs(impliedVol({ ...o, isCall, strike, price }) - 0.8)).toBeLessThan(1e-8)
    }
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
        expect((e as Error).message).toMatch(/no-arbitrage (lower|upper) bound/)
      }
    }
    expect(() => impliedVol({ ...o, yearsToExpiry: 0, price: 3 })).toThrow(ImpliedVolError)
  })

  it('throws ImpliedVolError for every price outside the bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        fc.double({ min: -0.05, max: 0.2, noNaN: true }),
        fc.boolean(),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (isCall, spot, m, T, r, below, excess) => {
          const o = { isCall, spot, strike: spot * Math.exp(m), yearsToExpiry: T, ratePerYear: r }
          const { lower, upper } = noArbitrageBounds(o)
          const price = below ? lower - excess * spot - Number.MIN_VALUE : upper + excess * spot
          fc.pre(below ? price < lower : price >= upper)
          expect(() => impliedVol({ ...o, price })).toThrow(ImpliedVolError)
        },
      ),
      { numRuns: 500 },
    )
  })

  it('rejects a non-finite price with RiskInputError', () => {
    expect(() => impliedVol({ ...hull, isCall: true, price: NaN })).toThrow(RiskInputError)
  })

  it('rejects a price that needs a vol above the cap', () => {
    const o = { ...hull, isCall: true, yearsToExpiry: 0.01 }
    const price = optionPrice({ ...o, volPerSqrtYear: 30 })
    expect(() => impliedVol({ ...o, price, maxVolPerSqrtYear: 5 })).toThrow(ImpliedVolError)
  })
})
