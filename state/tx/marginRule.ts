/**
 * The initial-margin rule of trades and withdrawals (docs/protocol.md, "Margin"), as a check
 * result: the account's collateral and positions after the change must pass every margin
 * check at `initialMarginBps` under the open batch's market table.
 */
import { reject, ACCEPTED, type CheckResult } from '../rejections.js'
import { marginCheckValues, UnpricedPositionError } from '../margin.js'
import type { RollupState } from '../rollupState.js'
import type { Position } from '../types.js'

/** Accepts when `positions` with `collateral` meet initial margin under `state.marketTable`. */
export function checkInitialMarginAfter(state: RollupState, account: bigint, collateral: bigint, positions: readonly Position[]): CheckResult {
  const { initialMarginBps, scenarioCount } = state.params
  try {
    const values = marginCheckValues(collateral, positions, state.marketTable, initialMarginBps, scenarioCount)
    const failing = values.findIndex((v) => v < 0n)
    if (failing < 0) return ACCEPTED
    const which = failing < scenarioCount ? `scenario ${failing}` : 'the short minimum'
    return reject('INSUFFICIENT_MARGIN', `account ${account} fails ${which} (check value ${values[failing]})`)
  } catch (error) {
    if (error instanceof UnpricedPositionError) return reject('UNPRICED_POSITION', `account ${account}: ${error.message}`)
    throw error
  }
}

/** The account's position slots with `delta` added at `index` (emptied at zero). */
export function positionsAfterMove(state: RollupState, account: bigint, index: bigint, seriesId: bigint, delta: bigint): Position[] {
  return state.positionSlots(account).map((p, i) => {
    if (BigInt(i) !== index) return p
    const size = p.size + delta
    return size === 0n ? { seriesId: 0n, size: 0n } : { seriesId, size }
  })
}
