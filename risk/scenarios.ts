/**
 * The risk scenarios of portfolio margin: a grid of spot shocks x volatility shocks, like
 * Deribit's portfolio-margin risk matrix (a maximum underlying move, ±15 % to ±16 % for
 * BTC, cut into 9 evenly spaced buckets including zero, each priced with implied vol down,
 * same and up: 27 scenarios).
 *
 * Grid, per underlying (every underlying has the same number of scenarios, so that scenario
 * k of the market table is one joint move of all underlyings, each by its own grid):
 *
 *   spot shocks (relative): 9, evenly spaced over [-R, +R] in steps of R/4, with the
 *     maximum move R by underlying (`DEFAULT_MAX_SPOT_MOVE_BPS`): BTC and ETH 15 %
 *     (-15, -11.25, -7.5, -3.75, 0, +3.75, +7.5, +11.25, +15 %), any other underlying
 *     (less liquid, more volatile) 20 % (`DEFAULT_OTHER_MAX_SPOT_MOVE_BPS`:
 *     -20, -15, -10, -5, 0, +5, +10, +15, +20 %).
 *   vol shocks (relative):  -30 %, 0, +45 %                                       (3)
 *   K = SCENARIO_COUNT = 9 x 3 = 27, ordered spot-major:
 *   k = spotIndex * 3 + volIndex, so k = BASE_SCENARIO_INDEX = 13 is the unshocked scenario.
 *
 * Shocks are built from integer basis points (`spotShocksFromMaxMove`), each one the double
 * nearest its decimal value (`bps / 10000`, one correctly rounded division), so the grid is
 * the same on every engine and equals the decimal literals (-0.05, not -0.05000000000000001).
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

/** Number of spot shocks in a grid (Deribit's 9 buckets). */
export const SPOT_SHOCK_COUNT = 9
/** Number of vol shocks in a grid (down, none, up). */
export const VOL_SHOCK_COUNT = 3
/** K: number of risk scenarios per market table (9 spot x 3 vol = 27). */
export const SCENARIO_COUNT = SPOT_SHOCK_COUNT * VOL_SHOCK_COUNT
/** Index of the zero spot shock in a grid's `spotShocks`. */
export const CENTRE_SPOT_INDEX = (SPOT_SHOCK_COUNT - 1) / 2
/** Index of the zero vol shock in a grid's `volShocks`. */
export const CENTRE_VOL_INDEX = 1
/** Index k of the unshocked scenario (spot +0 %, vol +0 %): 4 * 3 + 1 = 13. */
export const BASE_SCENARIO_INDEX = CENTRE_SPOT_INDEX * VOL_SHOCK_COUNT + CENTRE_VOL_INDEX

/** Lowest vol a scenario prices with (per √year). */
export const MIN_SCENARIO_VOL = 0.01
/** Highest vol a scenario prices with (per √year). */
export const MAX_SCENARIO_VOL = 5

/** Default relative vol shocks: down 30 %, none, up 45 %. */
export const DEFAULT_VOL_SHOCKS: readonly number[] = [-0.3, 0, 0.45]

/** Default maximum spot move per underlying, basis points (a multiple of 4 bps, so the 9 buckets are whole bps). */
export const DEFAULT_MAX_SPOT_MOVE_BPS: Readonly<Record<string, number>> = { BTC: 1500, ETH: 1500 }
/** Default maximum spot move of an underlying not in `DEFAULT_MAX_SPOT_MOVE_BPS`, basis points. */
export const DEFAULT_OTHER_MAX_SPOT_MOVE_BPS = 2000

/** Spot and vol shocks of one underlying, as relative moves (-0.15 = -15 %). */
export type ScenarioGrid = {
  /** SPOT_SHOCK_COUNT relative spot moves, each > -1; index CENTRE_SPOT_INDEX must be 0. */
  readonly spotShocks: readonly number[]
  /** VOL_SHOCK_COUNT relative vol moves, each > -1; index CENTRE_VOL_INDEX must be 0. */
  readonly volShocks: readonly number[]
}

/** One scenario: a relative spot move and a relative vol move. */
export type Scenario = { readonly spotShock: number; readonly volShock: number }

/**
 * The SPOT_SHOCK_COUNT evenly spaced spot shocks over [-maxMove, +maxMove], from an
 * integer number of basis points divisible by CENTRE_SPOT_INDEX (4).
 *
 * @example spotShocksFromMaxMove(1500) // [-0.15, -0.1125, -0.075, -0.0375, 0, 0.0375, 0.075, 0.1125, 0.15]
 */
export function spotShocksFromMaxMove(maxMoveBps: number): readonly number[] {
  if (!Number.isSafeInteger(maxMoveBps) || maxMoveBps <= 0 || maxMoveBps >= 10_000 || maxMoveBps % CENTRE_SPOT_INDEX !== 0)
    throw new RiskInputError('maxMoveBps', `must be an integer in (0, 10000) divisible by ${CENTRE_SPOT_INDEX}, got ${maxMoveBps}`)
  const stepBps = maxMoveBps / CENTRE_SPOT_INDEX
  return Array.from({ length: SPOT_SHOCK_COUNT }, (_, i) => ((i - CENTRE_SPOT_INDEX) * stepBps) / 10_000 + 0)
}

/**
 * A grid with 9 evenly spaced spot shocks up to ±maxMoveBps and the given vol shocks.
 *
 * @example scenarioGrid(2000).spotShocks[0] // -0.2
 */
export function scenarioGrid(maxMoveBps: number, volShocks: readonly number[] = DEFAULT_VOL_SHOCKS): ScenarioGrid {
  const grid = { spotShocks: spotShocksFromMaxMove(maxMoveBps), volShocks: [...volShocks] }
  validateScenarioGrid(grid)
  return grid
}

/** The default grid of an underlying not in `DEFAULT_MAX_SPOT_MOVE_BPS`: ±20 % in 5 % steps, vol -30 % / 0 / +45 %. */
export const DEFAULT_SCENARIO_GRID: ScenarioGrid = scenarioGrid(DEFAULT_OTHER_MAX_SPOT_MOVE_BPS)

/**
 * The default grid of an underlying: its `DEFAULT_MAX_SPOT_MOVE_BPS` entry (BTC and ETH
 * ±15 %), else `DEFAULT_SCENARIO_GRID` (±20 %).
 *
 * @example defaultScenarioGrid('BTC').spotShocks[8] // 0.15
 */
export function defaultScenarioGrid(underlying: string): ScenarioGrid {
  const bps = Object.hasOwn(DEFAULT_MAX_SPOT_MOVE_BPS, underlying) ? DEFAULT_MAX_SPOT_MOVE_BPS[underlying] : undefined
  return bps === undefined ? DEFAULT_SCENARIO_GRID : scenarioGrid(bps)
}

/** Throws `RiskInputError` unless the grid has the fixed shape and a zero centre. */
export function validateScenarioGrid(grid: ScenarioGrid): void {
  if (grid.spotShocks.length !== SPOT_SHOCK_COUNT) throw new RiskInputError('spotShocks', `need ${SPOT_SHOCK_COUNT} shocks`)
  if (grid.volShocks.length !== VOL_SHOCK_COUNT) throw new RiskInputError('volShocks', `need ${VOL_SHOCK_COUNT} shocks`)
  for (const s of [...grid.spotShocks, ...grid.volShocks])
    if (!Number.isFinite(s) || s <= -1) throw new RiskInputError('shock', `each shock must be finite and > -1, got ${s}`)
  if (grid.spotShocks[CENTRE_SPOT_INDEX] !== 0 || grid.volShocks[CENTRE_VOL_INDEX] !== 0)
    throw new RiskInputError('shock', `the centre scenario (spot index ${CENTRE_SPOT_INDEX}, vol index ${CENTRE_VOL_INDEX}) must be unshocked`)
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
