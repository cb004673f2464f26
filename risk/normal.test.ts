import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { expHalfSquare, normCdf, normCdfFromGaussian, normPdf, normSf } from './normal.js'

/**
 * [x, N(x), φ(x)] at the exact double x, from mpmath with 50 digits
 * (`mp.dps = 50; ncdf(mpf(x)), npdf(mpf(x))`), rounded to 17 significant digits.
 */
const REFERENCE: readonly (readonly [number, number, number])[] = [
  [-37.5, 4.6053530095819548e-308, 1.7282337322841052e-306],
  [-37, 5.7255712225245768e-300, 2.1200065515246056e-298],
  [-30, 4.9067139271481871e-198, 1.4736461348785475e-196],
  [-20, 2.7536241186062337e-89, 5.5209483621597632e-88],
  [-12.3, 4.5287069561587847e-35, 5.6066569263038405e-34],
  [-10, 7.6198530241605261e-24, 7.6945986267064193e-23],
  [-8, 6.2209605742717841e-16, 5.0522710835368923e-15],
  [-6.0000001, 9.8658703744959373e-10, 6.0758792042946286e-9],
  [-5.656854249492381, 7.7086289501399921e-9, 4.4895039227874789e-8],
  [-5, 2.8665157187919391e-7, 1.4867195147342977e-6],
  [-4, 3.1671241833119921e-5, 0.00013383022576488535],
  [-3, 0.0013498980316300945, 0.0044318484119380072],
  [-2.5, 0.0062096653257761352, 0.017528300493568537],
  [-2, 0.022750131948179207, 0.053990966513188052],
  [-1.5, 0.066807201268858066, 0.12951759566589173],
  [-1, 0.15865525393145705, 0.24197072451914335],
  [-0.6629, 0.25369730086823677, 0.32024891115204981],
  [-0.6, 0.27425311775007359, 0.33322460289179964],
  [-0.5, 0.3085375387259869, 0.35206532676429948],
  [-0.3, 0.38208857781104737, 0.38138781546052409],
  [-0.1, 0.46017216272297102, 0.39695254747701177],
  [-1e-5, 0.49999601057719605, 0.39894228038148556],
  [0, 0.5, 0.39894228040143268],
  [1e-5, 0.50000398942280395, 0.39894228038148556],
  [0.1, 0.53982783727702898, 0.39695254747701177],
  [0.3, 0.61791142218895263, 0.38138781546052409],
  [0.5, 0.6914624612740131, 0.35206532676429948],
  [0.6, 0.72574688224992641, 0.33322460289179964],
  [0.6629, 0.74630269913176323, 0.32024891115204981],
  [0.9, 0.81593987465324052, 0.26608524989875482],
  [1, 0.84134474606854295, 0.24197072451914335],
  [1.5, 0.93319279873114193, 0.12951759566589173],
  [2, 0.97724986805182079, 0.053990966513188052],
  [2.5, 0.99379033467422386, 0.017528300493568537],
  [3, 0.99865010196836991, 0.0044318484119380072],
  [4, 0.99996832875816688, 0.00013383022576488535],
  [5, 0.99999971334842812, 1.4867195147342977e-6],
  [8, 0.99999999999999938, 5.0522710835368923e-15],
]

const relErr = (got: number, want: number) => Math.abs(got - want) / Math.abs(want)

describe('normCdf', () => {
  it.each(REFERENCE)('N(%s) matches the 50-digit reference to 1e-15 relative', (x, cdf) => {
    expect(relErr(normCdf(x), cdf)).toBeLessThan(1e-15)
  })

  it('matches the values quoted in the brief', () => {
    expect(relErr(normCdf(-1), 0.15865525393145705)).toBeLessThan(1e-15)
    expect(relErr(normCdf(-10), 7.619853024160527e-24)).toBeLessThan(1e-15)
  })

  it('upper tail normSf is accurate where 1 - N(x) cancels', () => {
    expect(relErr(normSf(10), 7.6198530241605261e-24)).toBeLessThan(1e-15)
    expect(relErr(normSf(5), 2.8665157187919391e-7)).toBeLessThan(1e-15)
  })

  it('handles the extremes and NaN', () => {
    expect(normCdf(-40)).toBe(0)
    expect(normCdf(40)).toBe(1)
    expect(normCdf(-Infinity)).toBe(0)
    expect(normCdf(Infinity)).toBe(1)
    expect(normCdf(NaN)).toBeNaN()
  })

  it('is monotone and symmetric (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -37, max: 37, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (x, h) => {
        expect(normCdf(x + h)).toBeGreaterThanOrEqual(normCdf(x))
        const sum = normCdf(x) + normCdf(-x)
        expect(Math.abs(sum - 1)).toBeLessThan(4e-16)
      }),
    )
  })
})

describe('normPdf', () => {
  it.each(REFERENCE)('φ(%s) matches the reference to 1e-15 relative', (x, _cdf, pdf) => {
    expect(relErr(normPdf(x), pdf)).toBeLessThan(1e-15)
  })

  it('is 0 at ±∞ and NaN for NaN', () => {
    expect(normPdf(Infinity)).toBe(0)
    expect(normPdf(-Infinity)).toBe(0)
    expect(normPdf(NaN)).toBeNaN()
  })
})

describe('expHalfSquare and normCdfFromGaussian', () => {
  it('normCdfFromGaussian(x, expHalfSquare(x)) is exactly normCdf(x), for x and -x (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -45, max: 45, noNaN: true }), (x) => {
        const g = expHalfSquare(x)
        expect(normCdfFromGaussian(x, g)).toBe(normCdf(x))
        expect(normCdfFromGaussian(-x, g)).toBe(normCdf(-x))
      }),
      { numRuns: 1000 },
    )
  })

  it('expHalfSquare is exp(-x²/2) to a few ulps, without the exponent rounding error growing with x', () => {
    // 50-digit values: exp(-x^2/2) at the exact doubles.
    const ref: [number, number][] = [
      [1, 0.60653065971263342360379953499118045344191813548719],
      [-6.0000001, 1.5229970606727421228747072757554393264862505685395e-8],
      [37.5, 4.332039538514401100488092432400437359309943871037e-306],
    ]
    for (const [x, want] of ref) expect(Math.abs(expHalfSquare(x) - want) / want).toBeLessThan(5e-16)
    expect(expHalfSquare(38.6)).toBe(0)
    expect(expHalfSquare(-Infinity)).toBe(0)
    expect(expHalfSquare(NaN)).toBeNaN()
  })
})
