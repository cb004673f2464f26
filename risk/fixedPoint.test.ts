import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ceilDiv,
  collateralToBaseUnits,
  contractsToSizeUnits,
  decimalToScaled,
  floorDiv,
  formatScaled,
  pricePerContractToPerSizeUnit,
  pricePerSizeUnitToPerContract,
  roundDiv,
  baseUnitsToCollateral,
  strikeToBaseUnits,
} from './fixedPoint.js'
import { RiskInputError } from './errors.js'

describe('integer division helpers', () => {
  it('floor, ceil and nearest for both signs', () => {
    expect([floorDiv(7n, 2n), floorDiv(-7n, 2n), floorDiv(-6n, 2n)]).toEqual([3n, -4n, -3n])
    expect([ceilDiv(7n, 2n), ceilDiv(-7n, 2n), ceilDiv(6n, 2n)]).toEqual([4n, -3n, 3n])
    expect([roundDiv(5n, 2n), roundDiv(-5n, 2n), roundDiv(4n, 3n), roundDiv(-5n, 3n)]).toEqual([3n, -3n, 1n, -2n])
    expect(() => floorDiv(1n, 0n)).toThrow(RiskInputError)
  })

  it('floor <= exact <= ceil, ceil - floor <= 1 (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), fc.bigInt({ min: 1n, max: 2n ** 40n }), (n, d) => {
        const f = floorDiv(n, d)
        const c = ceilDiv(n, d)
        expect(f * d <= n && n <= c * d).toBe(true)
        expect(c - f <= 1n).toBe(true)
        const r = roundDiv(n, d)
        expect(r === f || r === c).toBe(true)
      }),
    )
  })
})

describe('decimal conversions', () => {
  it('converts floats from their shortest decimal form, not their binary value', () => {
    expect(collateralToBaseUnits(0.1, 'up')).toBe(100_000n)
    expect(collateralToBaseUnits(0.1, 'down')).toBe(100_000n)
    expect(collateralToBaseUnits(1.1, 'up')).toBe(1_100_000n)
    expect(collateralToBaseUnits('12.3456789', 'up')).toBe(12_345_679n)
    expect(collateralToBaseUnits('12.3456789', 'down')).toBe(12_345_678n)
    expect(collateralToBaseUnits('-12.3456789', 'up')).toBe(-12_345_678n)
    expect(collateralToBaseUnits('-12.3456789', 'down')).toBe(-12_345_679n)
    expect(collateralToBaseUnits('0.0000005', 'nearest')).toBe(1n)
    expect(collateralToBaseUnits('-0.0000005', 'nearest')).toBe(-1n)
    expect(decimalToScaled(1.1685827631371398e-7, 4, 'up')).toBe(1n)
    expect(decimalToScaled(1.1685827631371398e-7, 4, 'down')).toBe(0n)
    expect(decimalToScaled(1e21, 0, 'down')).toBe(10n ** 21n)
    expect(decimalToScaled('.5', 1, 'down')).toBe(5n)
  })

  it('uses the protocol units: 6 collateral decimals, 2 size decimals, price = per size unit', () => {
    expect(contractsToSizeUnits(1.5, 'down')).toBe(150n)
    expect(contractsToSizeUnits(0.005, 'down')).toBe(0n)
    expect(contractsToSizeUnits(0.005, 'up')).toBe(1n)
    expect(pricePerContractToPerSizeUnit(4.7594, 'nearest')).toBe(47_594n)
    expect(pricePerSizeUnitToPerContract(47_594n)).toBe(4.7594)
    expect(strikeToBaseUnits(3000, 'nearest')).toBe(3_000_000_000n)
    // premium of 1.5 options at 4.7594 per option = 7.1391 collateral = 7_139_100 base units
    expect(contractsToSizeUnits(1.5, 'down') * pricePerContractToPerSizeUnit(4.7594, 'nearest')).toBe(7_139_100n)
  })

  it('formats exactly and round-trips (property)', () => {
    expect(formatScaled(-1_234_567n, 6)).toBe('-1.234567')
    expect(formatScaled(5n, 6)).toBe('0.000005')
    expect(formatScaled(3_000_000_000n, 6)).toBe('3000')
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), fc.integer({ min: 0, max: 18 }), (u, d) => {
        expect(decimalToScaled(formatScaled(u, d), d, 'up')).toBe(u)
      }),
    )
    expect(baseUnitsToCollateral(1_500_000n)).toBe(1.5)
  })

  it('rounds up >= exact >= rounds down for any float (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), (x) => {
        const up = collateralToBaseUnits(x, 'up')
        const down = collateralToBaseUnits(x, 'down')
        expect(up - down === 0n || up - down === 1n).toBe(true)
        expect(Number(down) / 1e6).toBeLessThanOrEqual(x + 1e-9 * Math.abs(x) + 1e-12)
      }),
    )
  })

  it('rejects non-numbers', () => {
    for (const bad of [NaN, Infinity, 'abc', '', '1.2.3', '1e99999']) expect(() => decimalToScaled(bad, 6, 'up')).toThrow(RiskInputError)
  })
})
