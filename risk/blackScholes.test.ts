import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { noArbitrageBounds, optionPrice, valueOption, type OptionInputs } from './blackScholes.js'
import { RiskInputError } from './errors.js'

const hull = { spot: 42, strike: 40, yearsToExpiry: 0.5, volPerSqrtYear: 0.2, ratePerYear: 0.1 } as const

/** Golden vectors from mpmath at 40 digits (the closed form evaluated exactly), 17 digits kept. */
const GOLDEN: readonly (readonly [OptionInputs, number])[] = [
  [{ isCall: true, ...hull }, 4.7594223928715334],
  [{ isCall: false, ...hull }, 0.80859937290009365],
  [{ isCall: true, spot: 3000, strike: 3500, yearsToExpiry: 0.25, volPerSqrtYear: 0.8, ratePerYear: 0.05, dividendYieldPerYear: 0.02 }, 308.22291853298489],
  [{ isCall: false, spot: 3000, strike: 3500, yearsToExpiry: 0.25, volPerSqrtYear: 0.8, ratePerYear: 0.05, dividendYieldPerYear: 0.02 }, 779.70778268352294],
  [{ isCall: true, spot: 100, strike: 300, yearsToExpiry: 1, volPerSqrtYear: 0.2, ratePerYear: 0 }, 1.1685827631371398e-7],
  [{ isCall: false, spot: 100, strike: 30, yearsToExpiry: 1, volPerSqrtYear: 0.2, ratePerYear: 0.03 }, 5.6708456562633012e-10],
  [{ isCall: true, spot: 60000, strike: 60000, yearsToExpiry: 1 / 365, volPerSqrtYear: 0.5, ratePerYear: 0 }, 626.42992226711557],
  [{ isCall: false, spot: 1, strike: 1e-3, yearsToExpiry: 2, volPerSqrtYear: 1.5, ratePerYear: 0.01 }, 5.8741902783119611e-6],
]

describe('valueOption: prices', () => {
  it('reproduces Hull (S=42, K=40, r=0.1, σ=0.2, T=0.5): call 4.7594, put 0.8086', () => {
    expect(optionPrice({ isCall: true, ...hull })).toBeCloseTo(4.7594, 4)
    expect(optionPrice({ isCall: false, ...hull })).toBeCloseTo(0.8086, 4)
  })

  it.each(GOLDEN)('matches the exact reference %#', (inputs, want) => {
    // Tolerance: 1e-12 relative for prices well above the cancellation floor; the two deep OTM
    // cases lose digits in the difference of two tail terms, bounded by 1e-15 * spot absolute.
    expect(Math.abs(optionPrice(inputs) - want)).toBeLessThanOrEqual(1e-12 * want + 1e-15 * inputs.spot)
  })

  it('satisfies put-call parity C - P = S e^{-qT} - K e^{-rT} (property)', () => {
    fc.assert(
      fc.property(arbInputs(), (i) => {
        const c = optionPrice({ ...i, isCall: true })
        const p = optionPrice({ ...i, isCall: false })
        const q = i.dividendYieldPerYear ?? 0
        const fwd = i.spot * Math.exp(-q * i.yearsToExpiry) - i.strike * Math.exp(-i.ratePerYear * i.yearsToExpiry)
        expect(Math.abs(c - p - fwd)).toBeLessThanOrEqual(1e-10 * (i.spot + i.strike))
      }),
      { numRuns: 1000 },
    )
  })

  it('stays within the no-arbitrage bounds, with delta, gamma and vega in theirs (property)', () => {
    fc.assert(
      fc.property(arbInputs(), fc.boolean(), (i, isCall) => {
        const { lower, upper } = noArbitrageBounds({ ...i, isCall })
        const v = valueOption({ ...i, isCall })
        expect(v.price).toBeGreaterThanOrEqual(lower)
        expect(v.price).toBeLessThanOrEqual(upper)
        // |delta| <= e^{-qT} (the prepaid forward's delta), with the sign of the payoff's slope.
        const dq = Math.exp(-(i.dividendYieldPerYear ?? 0) * i.yearsToExpiry)
        expect(isCall ? v.delta : -v.delta).toBeGreaterThanOrEqual(0)
        expect(Math.abs(v.delta)).toBeLessThanOrEqual(dq * (1 + 1e-15))
        expect(v.gamma).toBeGreaterThanOrEqual(0)
        expect(v.vegaPerUnitVol).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 1000 },
    )
  })

  it('is non-increasing in strike for calls, non-decreasing for puts, non-decreasing in vol (property)', () => {
    const eps = (x: number) => 1e-12 * x
    fc.assert(
      fc.property(arbInputs(), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (i, dk, dv) => {
        const k2 = i.strike * (1 + dk) + dk
        const v2 = i.volPerSqrtYear + dv
        const scale = i.spot + i.strike
        expect(optionPrice({ ...i, isCall: true, strike: k2 })).toBeLessThanOrEqual(optionPrice({ ...i, isCall: true }) + eps(scale))
        expect(optionPrice({ ...i, isCall: false, strike: k2 })).toBeGreaterThanOrEqual(optionPrice({ ...i, isCall: false }) - eps(scale))
        for (const isCall of [true, false]) {
          expect(optionPrice({ ...i, isCall, volPerSqrtYear: v2 })).toBeGreaterThanOrEqual(optionPrice({ ...i, isCall }) - eps(scale))
        }
      }),
      { numRuns: 1000 },
    )
  })
})

describe('valueOption: Greeks', () => {
  const cases: OptionInputs[] = [
    { isCall: true, ...hull },
    { isCall: false, ...hull },
    { isCall: true, spot: 3000, strike: 3200, yearsToExpiry: 0.1, volPerSqrtYear: 0.7, ratePerYear: 0.04, dividendYieldPerYear: 0.01 },
    { isCall: false, spot: 3000, strike: 2500, yearsToExpiry: 0.6, volPerSqrtYear: 0.9, ratePerYear: -0.01, dividendYieldPerYear: 0.03 },
  ]

  it.each(cases)('match central finite differences %#', (i) => {
    const g = valueOption(i)
    const p = (over: Partial<OptionInputs>) => optionPrice({ ...i, ...over })
    const hS = i.spot * 1e-4
    const hV = 1e-5
    const hT = 1e-6
    const hR = 1e-6
    const close = (got: number, want: number, rel: number) => expect(Math.abs(got - want)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(want)))
    close(g.delta, (p({ spot: i.spot + hS }) - p({ spot: i.spot - hS })) / (2 * hS), 1e-7)
    close(g.gamma, (p({ spot: i.spot + hS }) - 2 * g.price + p({ spot: i.spot - hS })) / (hS * hS), 1e-5)
    close(g.vegaPerUnitVol, (p({ volPerSqrtYear: i.volPerSqrtYear + hV }) - p({ volPerSqrtYear: i.volPerSqrtYear - hV })) / (2 * hV), 1e-6)
    close(g.thetaPerYear, -(p({ yearsToExpiry: i.yearsToExpiry + hT }) - p({ yearsToExpiry: i.yearsToExpiry - hT })) / (2 * hT), 1e-5)
    close(g.rhoPerUnitRate, (p({ ratePerYear: i.ratePerYear + hR }) - p({ ratePerYear: i.ratePerYear - hR })) / (2 * hR), 1e-5)
  })

  it('match central finite differences over a wide domain (property)', () => {
    // Steps scale with each input's natural size (spot by one standard deviation σ√T, vol and
    // time relatively, rate by the d-shift σ√T / T), so that truncation (~step²) and rounding
    // (~1e-16 / step) both stay near 1e-8 of the Greek's scale; measured worst over 2e5
    // cases: 1e-8. gamma is the difference of the analytic delta (a second difference of the
    // price would be rounding-dominated at small σ√T).
    fc.assert(
      fc.property(greekInputs(), (i) => {
        const g = valueOption(i)
        const p = (over: Partial<OptionInputs>) => optionPrice({ ...i, ...over })
        const { spot: S, yearsToExpiry: T, volPerSqrtYear: v, ratePerYear: r } = i
        const sd = v * Math.sqrt(T)
        const hS = 1e-4 * S * sd
        const hV = 1e-4 * v
        const hT = 1e-4 * T
        const hR = (1e-4 * Math.min(sd, 1)) / T
        const checks: [string, number, number, number][] = [
          ['delta', g.delta, (p({ spot: S + hS }) - p({ spot: S - hS })) / (2 * hS), 1],
          ['gamma', g.gamma, (valueOption({ ...i, spot: S + hS }).delta - valueOption({ ...i, spot: S - hS }).delta) / (2 * hS), 1 / (S * sd)],
          ['vega', g.vegaPerUnitVol, (p({ volPerSqrtYear: v + hV }) - p({ volPerSqrtYear: v - hV })) / (2 * hV), S * Math.sqrt(T)],
          ['theta', g.thetaPerYear, -(p({ yearsToExpiry: T + hT }) - p({ yearsToExpiry: T - hT })) / (2 * hT), S * (v / Math.sqrt(T) + 0.2)],
          ['rho', g.rhoPerUnitRate, (p({ ratePerYear: r + hR }) - p({ ratePerYear: r - hR })) / (2 * hR), i.strike * T],
        ]
        for (const [name, analytic, fd, scale] of checks) {
          expect(Math.abs(fd - analytic), name).toBeLessThanOrEqual(1e-6 * (Math.abs(analytic) + scale))
        }
      }),
      { numRuns: 2000 },
    )
  })

  it('Hull delta and gamma', () => {
    expect(valueOption({ isCall: true, ...hull }).delta).toBeCloseTo(0.7791, 4)
    expect(valueOption({ isCall: false, ...hull }).delta).toBeCloseTo(-0.2209, 4)
  })
})

describe('valueOption: edge cases', () => {
  it('T = 0 is the payoff with the payoff slope as delta', () => {
    const base = { spot: 105, strike: 100, yearsToExpiry: 0, volPerSqrtYear: 0.5, ratePerYear: 0.05 }
    expect(valueOption({ ...base, isCall: true })).toEqual({ price: 5, delta: 1, gamma: 0, vegaPerUnitVol: 0, thetaPerYear: 0, rhoPerUnitRate: 0 })
    expect(valueOption({ ...base, isCall: false })).toEqual({ price: 0, delta: 0, gamma: 0, vegaPerUnitVol: 0, thetaPerYear: 0, rhoPerUnitRate: 0 })
    expect(valueOption({ ...base, spot: 95, isCall: false }).delta).toBe(-1)
    expect(valueOption({ ...base, spot: 100, isCall: true }).delta).toBe(0.5)
    expect(valueOption({ ...base, spot: 100, isCall: false }).delta).toBe(-0.5)
  })

  it('zero vol gives the discounted forward payoff and its derivatives', () => {
    const i = { spot: 100, strike: 90, yearsToExpiry: 1, volPerSqrtYear: 0, ratePerYear: 0.05, dividendYieldPerYear: 0.01 }
    const c = valueOption({ ...i, isCall: true })
    expect(c.price).toBeCloseTo(100 * Math.exp(-0.01) - 90 * Math.exp(-0.05), 12)
    expect(c.delta).toBeCloseTo(Math.exp(-0.01), 14)
    expect(c.rhoPerUnitRate).toBeCloseTo(90 * Math.exp(-0.05), 12)
    expect(c.gamma).toBe(0)
    expect(valueOption({ ...i, isCall: false }).price).toBe(0)
  })

  it('tiny vol converges to the zero-vol limit', () => {
    for (const isCall of [true, false]) {
      const i = { isCall, spot: 100, strike: 95, yearsToExpiry: 0.5, ratePerYear: 0.02 }
      const zero = valueOption({ ...i, volPerSqrtYear: 0 })
      for (const v of [1e-6, 1e-12, 1e-200, 5e-324]) {
        const tiny = valueOption({ ...i, volPerSqrtYear: v })
        expect(tiny.price).toBeCloseTo(zero.price, 10)
        expect(tiny.delta).toBeCloseTo(zero.delta, 10)
        expect(Number.isFinite(tiny.gamma)).toBe(true)
      }
    }
  })

  it('zero strike: call = prepaid forward, put = 0; tiny strike approaches it', () => {
    const i = { spot: 50, strike: 0, yearsToExpiry: 1, volPerSqrtYear: 0.3, ratePerYear: 0.05, dividendYieldPerYear: 0.02 }
    expect(valueOption({ ...i, isCall: true }).price).toBeCloseTo(50 * Math.exp(-0.02), 13)
    expect(valueOption({ ...i, isCall: true }).delta).toBeCloseTo(Math.exp(-0.02), 15)
    expect(valueOption({ ...i, isCall: false }).price).toBe(0)
    expect(optionPrice({ ...i, strike: 1e-300, isCall: true })).toBeCloseTo(50 * Math.exp(-0.02), 12)
    expect(optionPrice({ ...i, strike: 1e-300, isCall: false })).toBe(0)
  })

  it('deep ITM and OTM stay accurate and bounded', () => {
    const deepItm = valueOption({ isCall: true, spot: 1000, strike: 1, yearsToExpiry: 1, volPerSqrtYear: 0.5, ratePerYear: 0 })
    expect(deepItm.price).toBeCloseTo(999, 10)
    expect(deepItm.delta).toBe(1)
    const deepOtm = valueOption({ isCall: true, spot: 1, strike: 1000, yearsToExpiry: 1, volPerSqrtYear: 0.5, ratePerYear: 0 })
    expect(deepOtm.price).toBeGreaterThanOrEqual(0)
    expect(deepOtm.price).toBeLessThan(1e-30)
  })

  it('rejects invalid inputs with RiskInputError naming the field', () => {
    const ok = { isCall: true, ...hull }
    const bad: [Partial<OptionInputs>, string][] = [
      [{ spot: 0 }, 'spot'],
      [{ spot: NaN }, 'spot'],
      [{ strike: -1 }, 'strike'],
      [{ yearsToExpiry: -0.1 }, 'yearsToExpiry'],
      [{ volPerSqrtYear: -0.2 }, 'volPerSqrtYear'],
      [{ volPerSqrtYear: Infinity }, 'volPerSqrtYear'],
      [{ ratePerYear: NaN }, 'ratePerYear'],
      [{ dividendYieldPerYear: Infinity }, 'dividendYieldPerYear'],
    ]
    for (const [over, field] of bad) {
      const run = () => valueOption({ ...ok, ...over })
      expect(run).toThrow(RiskInputError)
      try {
        run()
      } catch (e) {
        expect((e as RiskInputError).field).toBe(field)
      }
    }
  })
})

/** Realistic option inputs: spot and strike within a factor ~20, vol up to 300 %, T up to 3 years. */
function arbInputs() {
  return fc.record({
    spot: fc.double({ min: 1, max: 1e5, noNaN: true }),
    moneyness: fc.double({ min: -3, max: 3, noNaN: true }),
    yearsToExpiry: fc.double({ min: 0, max: 3, noNaN: true }),
    volPerSqrtYear: fc.double({ min: 0, max: 3, noNaN: true }),
    ratePerYear: fc.double({ min: -0.02, max: 0.2, noNaN: true }),
    dividendYieldPerYear: fc.double({ min: -0.05, max: 0.1, noNaN: true }),
  }).map(({ moneyness, ...r }) => ({ ...r, strike: r.spot * Math.exp(moneyness) }))
}

/**
 * Inputs for the finite-difference checks: 1 hour to 3 years, vol 5 %..300 %, strike 0.3x..3.3x
 * spot, spot 0.01..1e6, r -2 %..20 %, q -5 %..10 % (T and σ > 0: the Greeks are smooth there).
 */
function greekInputs() {
  return fc
    .record({
      isCall: fc.boolean(),
      spot: fc.double({ min: 1e-2, max: 1e6, noNaN: true }),
      moneyness: fc.double({ min: -1.2, max: 1.2, noNaN: true }),
      yearsToExpiry: fc.double({ min: 1 / 8760, max: 3, noNaN: true }),
      volPerSqrtYear: fc.double({ min: 0.05, max: 3, noNaN: true }),
      ratePerYear: fc.double({ min: -0.02, max: 0.2, noNaN: true }),
      dividendYieldPerYear: fc.double({ min: -0.05, max: 0.1, noNaN: true }),
    })
    .map(({ moneyness, ...r }): OptionInputs => ({ ...r, strike: r.spot * Math.exp(moneyness) }))
}
