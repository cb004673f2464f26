/**
 * Margin as the circuit checks it (docs/protocol.md, "Margin"), in exact integers over a
 * batch's market table. With E = C + sum n_i m_i (equity), P_k = sum n_i (v_ik - m_i)
 * (scenario P&L) and F = sum max(0, -n_i) f_i (short minimum), an account meets a margin
 * factor of c bps when every one of the K + 1 **margin checks**
 *
 *   10000 E + c P_k >= 0   (k = 0..K-1)      and      10000 E - c F >= 0
 *
 * holds. That is docs/risk.md's `E >= ceil(c B / 10000)` with B = max(0, -min_k P_k, F),
 * written without a minimum or a division so that the circuit checks it with range checks
 * alone (risk/margin.ts computes the same verdict the other way; a property test compares them).
 */
import { FEE_BPS_DENOMINATOR } from './params.js'
import { tableRowOf, type BatchMarketTable } from './marketTable.js'
import type { Position } from './types.js'

/** Why margin cannot be computed: a position's series has no row in the table. */
export class UnpricedPositionError extends Error {
  override readonly name = 'UnpricedPositionError'
  constructor(readonly seriesId: bigint) {
    super(`series ${seriesId} has no row in the batch's market table`)
  }
}

const SCALE = BigInt(FEE_BPS_DENOMINATOR)

/**
 * The K + 1 margin check values of an account at factor `factorBps`: the K scenario checks,
 * then the short-minimum check. Throws `UnpricedPositionError` for a position without a row.
 */
export function marginCheckValues(collateral: bigint, positions: readonly Position[], table: BatchMarketTable, factorBps: number, scenarioCount: number): bigint[] {
  const c = BigInt(factorBps)
  let markValue = 0n
  let shortMinimum = 0n
  const pnl = new Array<bigint>(scenarioCount).fill(0n)
  for (const p of positions) {
    if (p.size === 0n) continue
    const row = tableRowOf(table, p.seriesId)
    if (!row) throw new UnpricedPositionError(p.seriesId)
    markValue += p.size * row.mark
    if (p.size < 0n) shortMinimum += -p.size * row.shortMinimum
    for (let k = 0; k < scenarioCount; k++) pnl[k]! += p.size * (row.scenarioValues[k]! - row.mark)
  }
  const equity = SCALE * (collateral + markValue)
  return [...pnl.map((x) => equity + c * x), equity - c * shortMinimum]
}

/** True when every margin check at `factorBps` holds. */
export function meetsMargin(collateral: bigint, positions: readonly Position[], table: BatchMarketTable, factorBps: number, scenarioCount: number): boolean {
  return marginCheckValues(collateral, positions, table, factorBps, scenarioCount).every((v) => v >= 0n)
}

/**
 * The most an account can pay out and still meet `factorBps`: `min(collateral, floor(m / 10000))`
 * with m the smallest check value, 0 when m < 0 (each base unit paid lowers every check by 10000).
 */
export function freeCollateral(collateral: bigint, positions: readonly Position[], table: BatchMarketTable, factorBps: number, scenarioCount: number): bigint {
  const values = marginCheckValues(collateral, positions, table, factorBps, scenarioCount)
  const smallest = values.reduce((a, b) => (b < a ? b : a))
  if (smallest < 0n) return 0n
  const room = smallest / SCALE
  return room < collateral ? room : collateral
}

/** The index of the first check below zero, or -1: which check a proof of a violation selects. */
export function firstFailingCheck(values: readonly bigint[]): number {
  return values.findIndex((v) => v < 0n)
}

/** The index of the smallest check value (the first such), for the payout proof. */
export function smallestCheck(values: readonly bigint[]): number {
  let best = 0
  for (let i = 1; i < values.length; i++) if (values[i]! < values[best]!) best = i
  return best
}
