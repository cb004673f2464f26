import { describe, expect, it } from 'vitest'
import {
  BASE_SCENARIO_INDEX,
  CENTRE_SPOT_INDEX,
  DEFAULT_SCENARIO_GRID,
  SCENARIO_COUNT,
  SPOT_SHOCK_COUNT,
  VOL_SHOCK_COUNT,
  defaultScenarioGrid,
  scenarioGrid,
  scenarios,
  shockedVol,
  spotShocksFromMaxMove,
  validateScenarioGrid,
} from './scenarios.js'
import { RiskInputError } from './errors.js'

describe('scenario grid', () => {
  it('is 9 spot shocks x 3 vol shocks = 27, spot-major, unshocked at k = 13', () => {
    expect([SPOT_SHOCK_COUNT, VOL_SHOCK_COUNT, SCENARIO_COUNT, BASE_SCENARIO_INDEX]).toEqual([9, 3, 27, 13])
    const all = scenarios()
    expect(all).toHaveLength(27)
    expect(all[BASE_SCENARIO_INDEX]).toEqual({ spotShock: 0, volShock: 0 })
    expect(all[0]).toEqual({ spotShock: -0.2, volShock: -0.3 })
    expect(all[26]).toEqual({ spotShock: 0.2, volShock: 0.45 })
    for (let k = 0; k < 27; k++) {
      expect(all[k]!.spotShock).toBe(DEFAULT_SCENARIO_GRID.spotShocks[Math.floor(k / 3)])
      expect(all[k]!.volShock).toBe(DEFAULT_SCENARIO_GRID.volShocks[k % 3])
    }
  })

  it('spaces spot shocks evenly and exactly as their decimal values', () => {
    expect(spotShocksFromMaxMove(2000)).toEqual([-0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2])
    expect(spotShocksFromMaxMove(1500)).toEqual([-0.15, -0.1125, -0.075, -0.0375, 0, 0.0375, 0.075, 0.1125, 0.15])
    expect(spotShocksFromMaxMove(1600)).toEqual([-0.16, -0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12, 0.16])
    expect(Object.is(spotShocksFromMaxMove(1500)[CENTRE_SPOT_INDEX], 0)).toBe(true)
    for (const bad of [0, -4, 1601, 10_000, 1.5]) expect(() => spotShocksFromMaxMove(bad)).toThrow(RiskInputError)
  })

  it('defaults by underlying: BTC and ETH ±15 %, others ±20 %', () => {
    expect(defaultScenarioGrid('BTC').spotShocks.at(-1)).toBe(0.15)
    expect(defaultScenarioGrid('ETH').spotShocks[0]).toBe(-0.15)
    expect(defaultScenarioGrid('SOL').spotShocks.at(-1)).toBe(0.2)
    expect(defaultScenarioGrid('SOL')).toBe(DEFAULT_SCENARIO_GRID)
    expect(defaultScenarioGrid('ETH').volShocks).toEqual([-0.3, 0, 0.45])
  })

  it('rejects grids of the wrong shape or with a shocked centre', () => {
    expect(() => validateScenarioGrid({ spotShocks: [-0.1, 0, 0.1], volShocks: [-0.3, 0, 0.45] })).toThrow(RiskInputError)
    const spot = [...DEFAULT_SCENARIO_GRID.spotShocks]
    spot[4] = 0.01
    expect(() => validateScenarioGrid({ spotShocks: spot, volShocks: [-0.3, 0, 0.45] })).toThrow(RiskInputError)
    expect(() => scenarioGrid(2000, [-0.3, 0.1, 0.45])).toThrow(RiskInputError)
    expect(() => scenarioGrid(2000, [-1, 0, 0.45])).toThrow(RiskInputError)
  })

  it('clamps shocked vols', () => {
    expect(shockedVol(0.5, -0.3)).toBeCloseTo(0.35, 15)
    expect(shockedVol(0.001, 0)).toBe(0.01)
    expect(shockedVol(4, 0.45)).toBe(5)
  })
})
