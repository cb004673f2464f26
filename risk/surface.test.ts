import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { valueOption } from './blackScholes.js'
import { RiskInputError } from './errors.js'
import { buildMarketTable, SECONDS_PER_YEAR } from './marketTable.js'
import type { Series } from './series.js'
import {
  arbitrageGrid,
  checkSurface,
  durrlemanG,
  emptySurface,
  findSurfaceArbitrage,
  impliedVolAt,
  pruneExpiredSlices,
  removeSlice,
  setSlice,
  sliceArbitrage,
  SurfaceArbitrageError,
  SurfaceCoverageError,
  surfaceFromJSON,
  surfaceSlices,
  surfaceToJSON,
  surfaceVolBySeries,
  sviDensity,
  sviFromSsvi,
  sviMinLogMoneyness,
  sviMinTotalVariance,
  sviPoint,
  sviTotalVariance,
  totalVarianceAt,
  updateSurface,
  validateSviParams,
  type SviParams,
  type VolSurface,
} from './surface.js'

const NOW = 1_790_000_000n
const DAY = 86_400n
const at = (days: number) => NOW + BigInt(days) * DAY
const years = (expiry: bigint) => Number(expiry - NOW) / SECONDS_PER_YEAR

/** Axel Vogt's slice (Gatheral and Jacquier 2014, example 3.1): butterfly arbitrage near k = 1. */
const VOGT: SviParams = { a: -0.041, b: 0.1331, rho: 0.306, m: 0.3586, sigma: 0.4153 }
/** An ordinary skewed slice, free of arbitrage. */
const SKEW: SviParams = { a: 0.02, b: 0.1, rho: -0.4, m: 0.05, sigma: 0.25 }

function catchError(f: () => unknown): unknown {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected a throw')
}

/** SSVI power-law surface (Gatheral and Jacquier 2014, section 4): free of static arbitrage for γ in (0, 1/2], η(1+|ρ|) <= 2. */
function powerLawSlices(rho: number, eta: number, gamma: number, thetas: readonly number[]): SviParams[] {
  return thetas.map((theta) => sviFromSsvi(theta, eta * theta ** -gamma * (1 + theta) ** (gamma - 1), rho))
}

const arbSurface = fc
  .record({
    rho: fc.double({ min: -0.95, max: 0.95, noNaN: true }),
    etaFraction: fc.double({ min: 0.05, max: 1, noNaN: true }),
    gamma: fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    theta0: fc.double({ min: 1e-3, max: 0.2, noNaN: true }),
    growth: fc.array(fc.double({ min: 0.01, max: 3, noNaN: true }), { minLength: 0, maxLength: 5 }),
    gaps: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 6, maxLength: 6 }),
  })
  .map(({ rho, etaFraction, gamma, theta0, growth, gaps }) => {
    const thetas = [theta0]
    for (const g of growth) thetas.push((thetas[thetas.length - 1] as number) * (1 + g))
    const params = powerLawSlices(rho, (2 * etaFraction) / (1 + Math.abs(rho)), gamma, thetas)
    let day = 0
    const expiries = params.map((_, i) => at((day += gaps[i] as number)))
    return { params, expiries }
  })

function build(params: readonly SviParams[], expiries: readonly bigint[], underlying = 'ETH'): VolSurface {
  return updateSurface(
    emptySurface(),
    params.map((p, i) => ({ underlying, expiry: expiries[i] as bigint, params: p })),
  )
}

describe('raw SVI', () => {
  it('reproduces hand-computed total variances', () => {
    const p: SviParams = { a: 0.01, b: 0.2, rho: -0.5, m: 0.1, sigma: 0.3 }
    // x = k - m = ±0.4, sqrt(x² + σ²) = 0.5
    expect(sviTotalVariance(p, 0.5)).toBeCloseTo(0.01 + 0.2 * (-0.2 + 0.5), 15)
    expect(sviTotalVariance(p, -0.3)).toBeCloseTo(0.01 + 0.2 * (0.2 + 0.5), 15)
    expect(sviTotalVariance(p, 0.1)).toBeCloseTo(0.01 + 0.2 * 0.3, 15)
    expect(sviMinTotalVariance(p)).toBeCloseTo(0.01 + 0.2 * 0.3 * Math.sqrt(0.75), 15)
    const kStar = sviMinLogMoneyness(p)
    expect(sviTotalVariance(p, kStar)).toBeCloseTo(sviMinTotalVariance(p), 14)
    expect(sviPoint(p, kStar).dw).toBeCloseTo(0, 14)
  })

  it('has derivatives that match finite differences', () => {
    for (const p of [SKEW, VOGT])
      for (const k of [-2, -0.7, 0, 0.3, 1.1, 2.5]) {
        const h = 1e-4
        const { w, dw, d2w } = sviPoint(p, k)
        expect(w).toBe(sviTotalVariance(p, k))
        expect(dw).toBeCloseTo((sviTotalVariance(p, k + h) - sviTotalVariance(p, k - h)) / (2 * h), 8)
        expect(d2w).toBeCloseTo((sviTotalVariance(p, k + h) - 2 * w + sviTotalVariance(p, k - h)) / (h * h), 5)
      }
  })

  it('converts SSVI slices: w(0) = θ and the SSVI formula', () => {
    const [theta, phi, rho] = [0.09, 1.3, -0.35]
    const p = sviFromSsvi(theta, phi, rho)
    expect(sviTotalVariance(p, 0)).toBeCloseTo(theta, 15)
    for (const k of [-1.5, -0.2, 0.8])
      expect(sviTotalVariance(p, k)).toBeCloseTo((theta / 2) * (1 + rho * phi * k + Math.sqrt((phi * k + rho) ** 2 + 1 - rho * rho)), 14)
    expect(() => sviFromSsvi(0, 1, 0)).toThrow(RiskInputError)
  })

  it('validates parameters, naming the bad one', () => {
    const field = (p: SviParams) => (catchError(() => validateSviParams(p)) as RiskInputError).field
    expect(() => validateSviParams(SKEW)).not.toThrow()
    expect(field({ ...SKEW, b: -0.1 })).toBe('svi.b')
    expect(field({ ...SKEW, rho: 1 })).toBe('svi.rho')
    expect(field({ ...SKEW, rho: -1.2 })).toBe('svi.rho')
    expect(field({ ...SKEW, sigma: 0 })).toBe('svi.sigma')
    expect(field({ ...SKEW, m: Number.NaN })).toBe('svi.m')
    expect(field({ ...SKEW, a: -0.1 })).toBe('svi.a') // a + b σ sqrt(1-ρ²) < 0
  })

  it("g is the density: Durrleman's density equals the butterfly spread of Black-Scholes calls", () => {
    // F = 1, r = 0, T = 1: C(K) = BS(K, sqrt(w(ln K))); density of S_T at K is ∂²C/∂K².
    for (const p of [SKEW, VOGT]) {
      const call = (K: number) =>
        valueOption({ isCall: true, spot: 1, strike: K, yearsToExpiry: 1, volPerSqrtYear: Math.sqrt(sviTotalVariance(p, Math.log(K))), ratePerYear: 0 }).price
      for (const k of [-1, -0.3, 0, 0.5, 0.9, 1.2]) {
        const K = Math.exp(k)
        const h = 1e-3
        const spread = (call(K - h) - 2 * call(K) + call(K + h)) / (h * h)
        expect(spread).toBeCloseTo(sviDensity(p, k) / K, 4)
      }
    }
    // Vogt's slice: a butterfly around K = e^0.9 has negative value, i.e. a riskless profit.
    const K = Math.exp(0.9)
    const call = (x: number) =>
      valueOption({ isCall: true, spot: 1, strike: x, yearsToExpiry: 1, volPerSqrtYear: Math.sqrt(sviTotalVariance(VOGT, Math.log(x))), ratePerYear: 0 }).price
    expect(call(K - 0.05) - 2 * call(K) + call(K + 0.05)).toBeLessThan(0)
  })
})

describe('butterfly and wing checks', () => {
  it('passes arbitrage-free slices', () => {
    for (const p of [SKEW, sviFromSsvi(0.04, 1.5, -0.3), sviFromSsvi(0.5, 0.8, 0.6), { a: 0.09, b: 0, rho: 0, m: 0, sigma: 1 }])
      expect(sliceArbitrage('ETH', { expiry: at(30), params: p })).toEqual([])
  })

  it("fails Axel Vogt's slice on butterfly, at the negative-density region", () => {
    expect(durrlemanG(VOGT, 0.9)).toBeLessThan(0)
    const e = catchError(() => setSlice(emptySurface(), 'ETH', at(30), VOGT))
    expect(e).toBeInstanceOf(SurfaceArbitrageError)
    const err = e as SurfaceArbitrageError
    expect(err.check).toBe('butterfly')
    expect(err.underlying).toBe('ETH')
    expect(err.expiry).toBe(at(30))
    expect(err.earlierExpiry).toBeUndefined()
    expect(err.logMoneyness).toBeGreaterThan(0.64)
    expect(err.logMoneyness).toBeLessThan(1.26)
    expect(err.violations[0]?.value).toBeLessThan(0)
    expect(err.message).toMatch(/^butterfly: ETH expiry \d+ has Durrleman g\(k\)/)
  })

  it("fails Lee's wing bound b(1+|ρ|) <= 2", () => {
    const err = catchError(() => setSlice(emptySurface(), 'BTC', at(30), { a: 0.01, b: 1.6, rho: 0.4, m: 0, sigma: 0.3 })) as SurfaceArbitrageError
    expect(err).toBeInstanceOf(SurfaceArbitrageError)
    expect(err.check).toBe('wing')
    expect(err.logMoneyness).toBe(Infinity)
    expect(err.violations[0]?.value).toBeCloseTo(2.24, 12)
    expect(err.message).toMatch(/^wing: BTC/)
  })

  it('fails a slice whose total variance touches zero', () => {
    const p: SviParams = { a: -0.125, b: 0.5, rho: 0, m: 0.2, sigma: 0.25 } // minimum a + bσ = 0 exactly, at k = 0.2
    expect(sviMinTotalVariance(p)).toBe(0)
    const err = catchError(() => setSlice(emptySurface(), 'ETH', at(30), p)) as SurfaceArbitrageError
    expect(err.check).toBe('butterfly')
    expect(err.message).toMatch(/zero total variance/)
  })

  it('flags a dip between the default grid points when asked for a finer or wider grid', () => {
    expect(arbitrageGrid()).toHaveLength(601)
    expect(arbitrageGrid()[0]).toBe(-3)
    expect(arbitrageGrid().at(-1)).toBe(3)
    expect(arbitrageGrid({ kMin: -1, kMax: 1, gridPoints: 3 })).toEqual([-1, 0, 1])
    // Vogt's negative region is missed by a grid that does not reach it.
    expect(sliceArbitrage('ETH', { expiry: at(30), params: VOGT }, { kMin: -3, kMax: 0.5 })).toEqual([])
  })
})

describe('calendar check', () => {
  const early = { a: 0.02, b: 0.1, rho: 0, m: 0, sigma: 0.2 }
  const crossing = { a: 0.05, b: 0.05, rho: 0, m: 0, sigma: 0.2 } // above at the money, below for |k| > 0.57

  it('fails a later slice that crosses below an earlier one, whichever is set second', () => {
    const s1 = setSlice(emptySurface(), 'ETH', at(7), early)
    const err = catchError(() => setSlice(s1, 'ETH', at(30), crossing)) as SurfaceArbitrageError
    expect(err).toBeInstanceOf(SurfaceArbitrageError)
    expect(err.check).toBe('calendar')
    expect(err.expiry).toBe(at(30))
    expect(err.earlierExpiry).toBe(at(7))
    expect(Math.abs(err.logMoneyness)).toBe(3)
    expect(err.violations[0]?.value).toBeLessThan(0)
    expect(err.message).toMatch(/^calendar: ETH expiry \d+ vs earlier expiry \d+/)

    const s2 = setSlice(emptySurface(), 'ETH', at(30), crossing)
    const err2 = catchError(() => setSlice(s2, 'ETH', at(7), early)) as SurfaceArbitrageError
    expect([err2.check, err2.expiry, err2.earlierExpiry]).toEqual(['calendar', at(30), at(7)])
  })

  it('checks the new slice against both neighbours', () => {
    const s = build([sviFromSsvi(0.02, 1, -0.3), sviFromSsvi(0.08, 1, -0.3)], [at(7), at(60)])
    expect(() => setSlice(s, 'ETH', at(30), sviFromSsvi(0.05, 1, -0.3))).not.toThrow()
    expect((catchError(() => setSlice(s, 'ETH', at(30), sviFromSsvi(0.015, 1, -0.3))) as SurfaceArbitrageError).earlierExpiry).toBe(at(7))
    expect((catchError(() => setSlice(s, 'ETH', at(30), sviFromSsvi(0.09, 1, -0.3))) as SurfaceArbitrageError).expiry).toBe(at(60))
  })

  it('catches a crossing beyond the grid from the wing slopes', () => {
    const s = setSlice(emptySurface(), 'ETH', at(7), early)
    const flatWings = { a: 0.5, b: 0.09, rho: 0, m: 0, sigma: 0.2 } // 0.48 above on the grid, crosses at |k| ≈ 48
    const err = catchError(() => setSlice(s, 'ETH', at(30), flatWings)) as SurfaceArbitrageError
    expect(err.check).toBe('calendar')
    expect(err.logMoneyness).toBe(Infinity)
  })

  it('updates a batch atomically: a joint move that one-by-one updates could not make', () => {
    const s = build([sviFromSsvi(0.04, 1, -0.3), sviFromSsvi(0.08, 1, -0.3)], [at(7), at(30)])
    expect(() => setSlice(s, 'ETH', at(7), sviFromSsvi(0.1, 1, -0.3))).toThrow(SurfaceArbitrageError)
    const moved = updateSurface(s, [
      { underlying: 'ETH', expiry: at(7), params: sviFromSsvi(0.1, 1, -0.3) },
      { underlying: 'ETH', expiry: at(30), params: sviFromSsvi(0.12, 1, -0.3) },
    ])
    expect(surfaceSlices(moved, 'ETH').map((x) => sviTotalVariance(x.params, 0))).toEqual([expect.closeTo(0.1, 14), expect.closeTo(0.12, 14)])
  })

  it('collects every violation of an update, the first one named on the error', () => {
    const err = catchError(() =>
      updateSurface(emptySurface(), [
        { underlying: 'BTC', expiry: at(7), params: VOGT },
        { underlying: 'ETH', expiry: at(7), params: early },
        { underlying: 'ETH', expiry: at(30), params: crossing },
      ]),
    ) as SurfaceArbitrageError
    expect(err.violations.map((v) => `${v.check}:${v.underlying}`)).toEqual(['butterfly:BTC', 'calendar:ETH'])
    expect(err.check).toBe('butterfly')
    expect(err.message).toMatch(/and 1 more violation\)$/)
  })
})

describe('surface updates', () => {
  it('leave the old surface unchanged (immutability), also when they throw', () => {
    const s0 = build([SKEW], [at(30)])
    const before = surfaceToJSON(s0)
    const s1 = setSlice(s0, 'ETH', at(60), { ...SKEW, a: SKEW.a + 0.02 })
    const s2 = setSlice(s1, 'BTC', at(30), SKEW)
    const s3 = removeSlice(s2, 'ETH', at(30))
    expect(() => setSlice(s3, 'ETH', at(90), VOGT)).toThrow(SurfaceArbitrageError)
    expect(surfaceToJSON(s0)).toEqual(before)
    expect(surfaceSlices(s1, 'ETH')).toHaveLength(2)
    expect(surfaceSlices(s1, 'BTC')).toHaveLength(0)
    expect(surfaceSlices(s3, 'ETH').map((x) => x.expiry)).toEqual([at(60)])
    expect(s2.slicesByUnderlying.ETH).toBe(s1.slicesByUnderlying.ETH) // untouched underlyings are shared
    for (const s of [s0, s1, s2, s3]) {
      expect(Object.isFrozen(s) && Object.isFrozen(s.slicesByUnderlying)).toBe(true)
      for (const slices of Object.values(s.slicesByUnderlying)) {
        expect(Object.isFrozen(slices)).toBe(true)
        for (const x of slices) expect(Object.isFrozen(x) && Object.isFrozen(x.params)).toBe(true)
      }
    }
    expect(() => {
      ;(s0.slicesByUnderlying.ETH?.[0]?.params as { a: number }).a = 1
    }).toThrow(TypeError)
  })

  it('copies the caller\'s parameters rather than keeping them', () => {
    const mine = { ...SKEW }
    const s = setSlice(emptySurface(), 'ETH', at(30), mine)
    mine.a = 5
    expect(surfaceSlices(s, 'ETH')[0]?.params.a).toBe(SKEW.a)
  })

  it('replaces and removes slices, and rejects bad updates', () => {
    const s = build([SKEW], [at(30)])
    const replaced = setSlice(s, 'ETH', at(30), { ...SKEW, a: 0.03 })
    expect(surfaceSlices(replaced, 'ETH').map((x) => x.params.a)).toEqual([0.03])
    expect(removeSlice(s, 'ETH', at(30)).slicesByUnderlying).toEqual({})
    expect(() => removeSlice(s, 'ETH', at(31))).toThrow(RiskInputError)
    expect(() => setSlice(s, 'eth', at(30), SKEW)).toThrow(RiskInputError)
    expect(() => setSlice(s, 'ETH', 2n ** 32n, SKEW)).toThrow(RiskInputError)
    expect(() => setSlice(s, 'ETH', at(30), { ...SKEW, b: -1 })).toThrow(RiskInputError)
    expect(() =>
      updateSurface(s, [
        { underlying: 'ETH', expiry: at(40), params: SKEW },
        { underlying: 'ETH', expiry: at(40), params: null },
      ]),
    ).toThrow(RiskInputError)
    expect(updateSurface(s, [])).toBe(s)
  })

  it('prunes expired slices and round-trips through JSON', () => {
    const s = build([sviFromSsvi(0.01, 1, -0.2), sviFromSsvi(0.03, 1, -0.2), sviFromSsvi(0.06, 1, -0.2)], [at(7), at(30), at(90)])
    expect(surfaceSlices(pruneExpiredSlices(s, at(30)), 'ETH').map((x) => x.expiry)).toEqual([at(90)])
    const json = JSON.parse(JSON.stringify(surfaceToJSON(s)))
    expect(surfaceFromJSON(json)).toEqual(s)
    expect(() => surfaceFromJSON({ ETH: [{ expiry: '1', ...VOGT }] })).toThrow(SurfaceArbitrageError)
  })

  it('checks a whole surface, under other options too', () => {
    const s = build([SKEW], [at(30)])
    expect(findSurfaceArbitrage(s)).toEqual([])
    expect(() => checkSurface(s)).not.toThrow()
    expect(findSurfaceArbitrage(s, { kMin: -50, kMax: 50, gridPoints: 20001 })).toEqual([])
    expect(() => findSurfaceArbitrage(s, { kMin: 1, kMax: -1 })).toThrow(RiskInputError)
    expect(() => findSurfaceArbitrage(s, { gridPoints: 1 })).toThrow(RiskInputError)
  })
})

describe('interpolation', () => {
  const s = build([sviFromSsvi(0.01, 1.2, -0.3), sviFromSsvi(0.04, 1.0, -0.3)], [at(10), at(40)])
  const [p1, p2] = surfaceSlices(s, 'ETH').map((x) => x.params) as [SviParams, SviParams]

  it('is each slice at its expiry, linear in total variance in between', () => {
    for (const k of [-1, 0, 0.4]) {
      expect(totalVarianceAt(s, 'ETH', at(10), k, NOW)).toBe(sviTotalVariance(p1, k))
      expect(totalVarianceAt(s, 'ETH', at(40), k, NOW)).toBe(sviTotalVariance(p2, k))
      expect(totalVarianceAt(s, 'ETH', at(20), k, NOW)).toBeCloseTo((2 / 3) * sviTotalVariance(p1, k) + (1 / 3) * sviTotalVariance(p2, k), 15)
    }
    expect(impliedVolAt(s, 'ETH', at(40), 3000, 3000, NOW)).toBeCloseTo(Math.sqrt(0.04 / years(at(40))), 14)
  })

  it('keeps the first slice\'s vol flat before it', () => {
    for (const k of [-0.5, 0, 0.5]) {
      const K = 2000 * Math.exp(k)
      expect(impliedVolAt(s, 'ETH', at(3), K, 2000, NOW)).toBeCloseTo(impliedVolAt(s, 'ETH', at(10), K, 2000, NOW), 14)
      expect(totalVarianceAt(s, 'ETH', at(5), k, NOW)).toBeCloseTo(sviTotalVariance(p1, k) / 2, 15)
    }
  })

  it('refuses to extrapolate past the last slice, an expired expiry, or an uncovered underlying', () => {
    const past = catchError(() => impliedVolAt(s, 'ETH', at(41), 3000, 3000, NOW)) as SurfaceCoverageError
    expect(past).toBeInstanceOf(SurfaceCoverageError)
    expect([past.underlying, past.expiry]).toEqual(['ETH', at(41)])
    expect(() => impliedVolAt(s, 'BTC', at(10), 3000, 3000, NOW)).toThrow(SurfaceCoverageError)
    expect(() => impliedVolAt(s, 'ETH', NOW, 3000, 3000, NOW)).toThrow(RiskInputError)
    expect(() => impliedVolAt(s, 'ETH', at(10), 0, 3000, NOW)).toThrow(RiskInputError)
    expect(() => impliedVolAt(s, 'ETH', at(10), 3000, -1, NOW)).toThrow(RiskInputError)
    expect(() => impliedVolAt(s, 'ETH', at(50), 3000, 3000, at(45))).toThrow(/no live volatility slice/)
  })

  it('ignores expired slices: the first live slice is scaled before it', () => {
    const now = at(15)
    expect(totalVarianceAt(s, 'ETH', at(25), 0.1, now)).toBeCloseTo(sviTotalVariance(p2, 0.1) * (10 / 25), 15)
  })
})

describe('arbitrage-free constructions (property)', () => {
  it('SSVI power-law surfaces pass every check', () => {
    fc.assert(
      fc.property(arbSurface, ({ params, expiries }) => {
        const s = build(params, expiries)
        expect(findSurfaceArbitrage(s)).toEqual([])
      }),
      { numRuns: 150 },
    )
  })

  it('interpolated total variance is non-decreasing in T at fixed k', () => {
    fc.assert(
      fc.property(arbSurface, fc.double({ min: -3, max: 3, noNaN: true }), fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 30 }), ({ params, expiries }, k, raw) => {
        const s = build(params, expiries)
        const last = expiries[expiries.length - 1] as bigint
        const span = Number(last - NOW)
        const times = [...new Set(raw.map((r) => NOW + BigInt(Math.max(1, Math.round((span * r) / 1000)))))].sort((x, y) => (x < y ? -1 : 1))
        times.push(...expiries)
        times.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
        let prev = 0
        for (const t of times) {
          const w = totalVarianceAt(s, 'ETH', t, k, NOW)
          expect(w).toBeGreaterThanOrEqual(prev)
          prev = w
        }
      }),
      { numRuns: 150 },
    )
  })

  it('scaling a butterfly-free slice down keeps it butterfly-free (the extrapolation before the first slice)', () => {
    fc.assert(
      fc.property(arbSurface, fc.double({ min: 1e-6, max: 1, noNaN: true }), ({ params }, c) => {
        const p = params[params.length - 1] as SviParams
        expect(sliceArbitrage('ETH', { expiry: at(1), params: { ...p, a: p.a * c, b: p.b * c } })).toEqual([])
      }),
      { numRuns: 150 },
    )
  })
})

describe('marks from the surface', () => {
  const series = (id: bigint, days: number, strike: bigint, isCall = true, underlying = 'ETH'): Series => ({ id, underlying, expiry: at(days), strike, isCall })
  const book = [series(1n, 10, 3000_000000n), series(2n, 25, 3300_000000n, false), series(3n, 40, 2500_000000n), series(4n, -1, 3000_000000n)]
  const inputs = { spotByUnderlying: { ETH: 3000 }, ratePerYear: 0.03, nowUnixSeconds: NOW }

  it('a flat surface gives every live series its vol, and the same table as a flat vol', () => {
    const vol = 0.65
    const flat = (e: bigint): SviParams => ({ a: vol * vol * years(e), b: 0, rho: 0, m: 0, sigma: 1 })
    const s = build([flat(at(7)), flat(at(40))], [at(7), at(40)])
    const volBySeries = surfaceVolBySeries(s, book, inputs)
    expect(volBySeries.get(4n)).toBe(0) // expired: valued at payoff
    for (const id of [1n, 2n, 3n]) expect(volBySeries.get(id)).toBeCloseTo(vol, 12)
    const fromSurface = buildMarketTable(book, { ...inputs, volBySeries })
    const fromFlat = buildMarketTable(book, { ...inputs, volByUnderlying: { ETH: vol } })
    expect(fromSurface).toEqual(fromFlat)
  })

  it('reads the skew at each series\' forward log-moneyness', () => {
    const s = build([sviFromSsvi(0.01, 1.5, -0.4), sviFromSsvi(0.04, 1.2, -0.4)], [at(10), at(40)])
    const v = surfaceVolBySeries(s, book.slice(0, 3), inputs)
    const fwd = (days: number) => 3000 * Math.exp(0.03 * years(at(days)))
    expect(v.get(2n)).toBe(impliedVolAt(s, 'ETH', at(25), 3300, fwd(25), NOW))
    expect(v.get(3n)).toBe(impliedVolAt(s, 'ETH', at(40), 2500, fwd(40), NOW))
    // A lower strike has the higher vol under negative skew; a put and a call share the vol.
    expect(v.get(3n)).toBeGreaterThan(impliedVolAt(s, 'ETH', at(40), 3000, fwd(40), NOW))
    const pc = surfaceVolBySeries(s, [series(5n, 25, 3300_000000n, true)], inputs)
    expect(pc.get(5n)).toBe(v.get(2n))
    const given = surfaceVolBySeries(s, [series(5n, 25, 3300_000000n)], { ...inputs, forwardByUnderlying: { ETH: 3300 } })
    expect(given.get(5n)).toBe(impliedVolAt(s, 'ETH', at(25), 3300, 3300, NOW))
  })

  it('throws for, or skips, a series the surface does not cover', () => {
    const s = build([SKEW], [at(20)])
    const uncovered = [series(1n, 10, 3000_000000n), series(2n, 30, 3000_000000n), series(3n, 10, 60000_000000n, true, 'BTC')]
    expect(() => surfaceVolBySeries(s, uncovered, { ...inputs, spotByUnderlying: { ETH: 3000, BTC: 60000 } })).toThrow(SurfaceCoverageError)
    const skipped = surfaceVolBySeries(s, uncovered, { ...inputs, spotByUnderlying: { ETH: 3000, BTC: 60000 }, onUncovered: 'skip' })
    expect([...skipped.keys()]).toEqual([1n])
    expect(() => surfaceVolBySeries(s, uncovered, { ...inputs, onUncovered: 'skip' })).toThrow(RiskInputError) // no BTC spot
  })
})
