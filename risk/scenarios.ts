/**
 * The risk scenarios of portfolio margin: a grid of spot shocks x volatility shocks,
 * Deribit-portfolio-margin-like (its risk matrix moves spot by up to ±15 % for BTC/ETH and
 * implied vol up 45 % / down 30 %, relative).
 *
 * Default grid, per underlying (every underlying has the same number of scenarios, so that
 * scenario k of the market table is one joint move of all underlyings):
 *
 *   spot shocks (relative):  -15 %, -10 %, -5 %, 0, +5 %, +10 %, +15 %      (7)
 *   vol shocks (relative):   -30 %, 0, +45 %                               (3)
 *   K = SCENARIO_COUNT = 7 x 3 = 21, ordered spot-major:
 *   k = spotIndex * 3 + volIndex, so k = 10 is the unshocked scenario (0, 0).
 *
 * A shocked vol is `vol * (1 + volShock)`, clamped to [MIN_SCENARIO_VOL, MAX_SCENARIO_VOL].
 * Scenarios are evaluated at the same instant as the mark (no time decay), so the unshocked
 * scenario values every series at exactly its mark and the worst scenario loss of any
 * portfolio is >= 0.
 *
 * K belongs in state/params.ts (one source of truth, generated into circom and Solidity)
 * once the circuit reads the market table; it is defined here until then.
 */
import { RiskInputError } from './errors.js'

/** Number of spot shocks in a grid. */
export const SPOT_SHOCK_COUNT = 7
/** Number of vol shocks in a grid. */
export const VOL_SHOCK_COUNT = 3
/** K: number of risk scenarios per market table (7 spot x 3 vol). */
export const SCENARIO_COUNT = SPOT_SHOCK_COUNT * VOL_SHOCK_COUNT
/** Index of the unshocked scenario (spot +0 %, vol +0 %) in the default ordering. */
export const BASE_SCENARIO_INDEX = 3 * VOL_SHOCK_COUNT + 1

/** Lowest vol a scenario prices with (per √year). */
export const MIN_SCENARIO_VOL = 0.01
/** Highest vol a scenario prices with (per √year). */
export const MAX_SCENARIO_VOL = 5

/** Spot and vol shocks of one underlying, as relative moves (-0.15 = -15 %). */
export type ScenarioGrid = {
  /** SPOT_SHOCK_COUNT relative spot moves, each > -1; index 3 must be 0. */
  readonly spotShocks: readonly number[]
  /** VOL_SHOCK_COUNT relative vol moves, each > -1; index 1 must be 0. */
  readonly volShocks: readonly number[]
}

/** One scenario: a relative spot move and a relative vol move. */
export type Scenario = { readonly spotShock: number; readonly volShock: number }

/** The default grid (see the module header). */
export const DEFAULT_SCENARIO_GRID: ScenarioGrid = {
  spotShocks: [-0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15],
  volShocks: [-0.3, 0, 0.45],
}

/** Throws `RiskInputError` unless the grid has the fixed shape and a zero centre. */
export function validateScenarioGrid(grid: ScenarioGrid): void {
  if (grid.spotShocks.length !== SPOT_SHOCK_COUNT) throw new RiskInputError('spotShocks', `need ${SPOT_SHOCK_COUNT} shocks`)
  if (grid.volShocks.length !== VOL_SHOCK_COUNT) throw new RiskInputError('volShocks', `need ${VOL_SHOCK_COUNT} shocks`)
  for (const s of [...grid.spotShocks, ...grid.volShocks])
    if (!Number.isFinite(s) || s <= -1) throw new RiskInputError('shock', `each shock must be finite and > -1, got ${s}`)
  if (grid.spotShocks[3] !== 0 || grid.volShocks[1] !== 0)
    throw new RiskInputError('shock', 'the centre scenario (spot index 3, vol index 1) must be unshocked')
}

/**
 * The K scenarios of a grid, spot-major (`k = spotIndex * VOL_SHOCK_COUNT + volIndex`).
 *
 * @example scenarios()[BASE_SCENARIO_INDEX] // { spotShock: 0, volShock: 0 }
 */
export function scenarios(grid: ScenarioGrid = DEFAULT_SCENARIO_GRID): readonly Scenario[] {
  validateScenarioGrid(grid)
  return grid.spotShocks.flatMap((spotShock) => grid.volShocks.map((volShock) => ({ spotShock, volShock })))
}

/** The vol a scenario prices with: `vol * (1 + volShock)` clamped to [MIN_SCENARIO_VOL, MAX_SCENARIO_VOL]. */
export function shockedVol(volPerSqrtYear: number, volShock: number): number {
  return Math.min(Math.max(volPerSqrtYear * (1 + volShock), MIN_SCENARIO_VOL), MAX_SCENARIO_VOL)
}
