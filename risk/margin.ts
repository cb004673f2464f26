/**
 * Scenario portfolio margin over a market table, in integers (collateral base units).
 *
 * For an account with collateral C and net positions n_i (size units, signed; long > 0) in
 * series i with mark m_i, scenario values v_ik and short minimum f_i (market table):
 *
 *   equity            E  = C + Σ_i n_i m_i
 *   scenario P&L      P_k = Σ_i n_i (v_ik - m_i)                       k = 0..K-1
 *   worst loss        W  = max(0, -min_k P_k)
 *   short minimum     F  = Σ_i max(0, -n_i) f_i
 *   margin base       B  = max(W, F)
 *   initial margin    IM = ceil(B * initialFactorBps / 10000)
 *   maintenance       MM = ceil(B * maintenanceFactorBps / 10000)
 *   free collateral   E - IM   (negative when the account is below initial margin)
 *
 * Defaults: initial 1.25 x B, maintenance 1.00 x B. A trade is accepted when the account
 * after it has E >= IM (and non-negative collateral); an account with E < MM may be
 * liquidated. Requirements round up (fixedPoint.ts); everything else is exact integer math.
 *
 * Why margin is sub-additive (margin(A + B) <= margin(A) + margin(B), for portfolios A, B
 * of positions): P_k is linear in the positions, so min_k (P_k(A) + P_k(B)) >=
 * min_k P_k(A) + min_k P_k(B) (each side's worst case can only be better when both must
 * happen in the same scenario), hence W(A+B) <= W(A) + W(B), also after the max(0, .).
 * max(0, -n) is sub-additive, so F(A+B) <= F(A) + F(B); then
 * max(W_AB, F_AB) <= max(W_A + W_B, F_A + F_B) <= max(W_A, F_A) + max(W_B, F_B), and
 * ceil(c (x + y)) <= ceil(c x) + ceil(c y). So holding portfolios together never costs
 * more than holding them apart (offsets are credited), and splitting one across accounts
 * never lowers the total requirement.
 *
 * The unshocked scenario has P_k = 0, so W >= 0 always; a flat account has W = F = 0.
 */
import { RiskInputError } from './errors.js'
import { ceilDiv } from './fixedPoint.js'
import type { MarketRow, MarketTable } from './marketTable.js'

/** Margin factors, in basis points of the margin base B. */
export type MarginParams = {
  /** IM = ceil(B * initialFactorBps / 10000); >= maintenanceFactorBps. */
  readonly initialFactorBps: bigint
  /** MM = ceil(B * maintenanceFactorBps / 10000); >= 0. */
  readonly maintenanceFactorBps: bigint
}

/** Initial margin 125 % of B, maintenance 100 % of B. */
export const DEFAULT_MARGIN_PARAMS: MarginParams = { initialFactorBps: 12_500n, maintenanceFactorBps: 10_000n }

/** A position as margin sees it: series and signed size in size units. */
export type PositionSize = { readonly seriesId: bigint; readonly size: bigint }

/** An account as margin sees it. */
export type MarginAccount = {
  /** Collateral, base units (uint64 in the state). */
  readonly collateral: bigint
  readonly positions: readonly PositionSize[]
}

/** The margin figures of an account; all in collateral base units. */
export type AccountMargin = {
  /** Collateral plus the mark value of the positions (may be negative for a short-heavy account). */
  readonly equity: bigint
  /** ceil(B * initial factor). */
  readonly initialMargin: bigint
  /** ceil(B * maintenance factor). */
  readonly maintenanceMargin: bigint
  /** W: the largest loss over the scenarios, >= 0. */
  readonly worstScenarioLoss: bigint
  /** Index k of a scenario reaching W (the lowest such k). */
  readonly worstScenarioIndex: number
  /** F: the sum of the short minimums. */
  readonly shortMinimum: bigint
  /** equity - initialMargin; negative when below initial margin. Withdrawable: min(collateral, this). */
  readonly freeCollateral: bigint
}

function validateParams(p: MarginParams): void {
  if (p.maintenanceFactorBps < 0n || p.initialFactorBps < p.maintenanceFactorBps)
    throw new RiskInputError('MarginParams', 'need 0 <= maintenanceFactorBps <= initialFactorBps')
}

function rowOf(table: MarketTable, seriesId: bigint): MarketRow {
  const row = table.rows.get(seriesId)
  if (!row) throw new RiskInputError('seriesId', `series ${seriesId} is not in the market table`)
  if (row.scenarioValues.length !== table.scenarioCount) throw new RiskInputError('MarketTable', `row ${seriesId} has ${row.scenarioValues.length} scenarios`)
  return row
}

/** Net size per series (positions in the same series add up; zero sizes drop out). */
export function netPositions(positions: readonly PositionSize[]): Map<bigint, bigint> {
  const net = new Map<bigint, bigint>()
  for (const p of positions) net.set(p.seriesId, (net.get(p.seriesId) ?? 0n) + p.size)
  for (const [id, size] of net) if (size === 0n) net.delete(id)
  return net
}

/**
 * Margin of an account under a market table (formulas in the module header). Throws
 * `RiskInputError` when a position's series is not in the table.
 *
 * @example
 * const m = accountMargin(1_000_000_000n, [{ seriesId: 1n, size: -100n }], table)
 * m.freeCollateral >= 0n // may open more risk
 */
export function accountMargin(
  collateral: bigint,
  positions: readonly PositionSize[],
  table: MarketTable,
  params: MarginParams = DEFAULT_MARGIN_PARAMS,
): AccountMargin {
  validateParams(params)
  const pnl: bigint[] = new Array<bigint>(table.scenarioCount).fill(0n)
  let markValue = 0n
  let shortMinimum = 0n
  for (const [seriesId, size] of netPositions(positions)) {
    const row = rowOf(table, seriesId)
    markValue += size * row.mark
    if (size < 0n) shortMinimum += -size * row.shortMinimum
    for (let k = 0; k < table.scenarioCount; k++) pnl[k]! += size * (row.scenarioValues[k]! - row.mark)
  }
  let worstIndex = 0
  for (let k = 1; k < pnl.length; k++) if (pnl[k]! < pnl[worstIndex]!) worstIndex = k
  const worstPnl = pnl[worstIndex] ?? 0n
  const worstScenarioLoss = worstPnl < 0n ? -worstPnl : 0n
  const base = worstScenarioLoss > shortMinimum ? worstScenarioLoss : shortMinimum
  const initialMargin = ceilDiv(base * params.initialFactorBps, 10_000n)
  const maintenanceMargin = ceilDiv(base * params.maintenanceFactorBps, 10_000n)
  const equity = collateral + markValue
  return {
    equity,
    initialMargin,
    maintenanceMargin,
    worstScenarioLoss,
    worstScenarioIndex: worstIndex,
    shortMinimum,
    freeCollateral: equity - initialMargin,
  }
}

/** A fill from one account's side: the size it buys (> 0) or sells (< 0) at a price. */
export type TradeDelta = {
  readonly seriesId: bigint
  /** Signed size units: + bought, - sold. */
  readonly size: bigint
  /** Price in base units per size unit; the account pays size * price (receives when selling). */
  readonly price: bigint
  /**
   * Trading fee the account pays on this fill, base units, >= 0 (default 0): taken from its
   * collateral whatever the side (state/fees.ts `tradeFee`).
   */
  readonly fee?: bigint
}

/** Catalogue of margin rejection codes. */
export type MarginRejectionCode = 'INSUFFICIENT_MARGIN' | 'INSUFFICIENT_COLLATERAL' | 'UNKNOWN_SERIES'

/** The result of an initial-margin check: a value, never thrown (rejections are user errors). */
export type MarginCheck =
  | { readonly ok: true; readonly after: AccountMargin }
  | {
      readonly ok: false
      readonly code: MarginRejectionCode
      readonly reason: string
      /** What the account would need: initial margin (or the premium) after the trade, base units. */
      readonly required: bigint
      /** What it would have: equity (or collateral) after the trade, base units. */
      readonly available: bigint
    }

/**
 * Checks that an account still meets initial margin after a trade: collateral after the
 * premium and the fee >= 0 (the circuit's rule) and equity after >= initial margin after.
 *
 * @example
 * const r = checkInitialMargin({ collateral: 500_000_000n, positions: [] }, { seriesId: 1n, size: -100n, price: 1_200_000n }, table)
 * if (!r.ok) console.log(r.code, r.required, r.available)
 */
export function checkInitialMargin(
  accountBefore: MarginAccount,
  tradeDelta: TradeDelta,
  table: MarketTable,
  params: MarginParams = DEFAULT_MARGIN_PARAMS,
): MarginCheck {
  if (!table.rows.has(tradeDelta.seriesId))
    return { ok: false, code: 'UNKNOWN_SERIES', reason: `series ${tradeDelta.seriesId} is not live`, required: 0n, available: 0n }
  if (tradeDelta.price < 0n) throw new RiskInputError('price', 'must be >= 0')
  const fee = tradeDelta.fee ?? 0n
  if (fee < 0n) throw new RiskInputError('fee', 'must be >= 0')
  const premium = tradeDelta.size * tradeDelta.price
  const collateral = accountBefore.collateral - premium - fee
  if (collateral < 0n)
    return {
      ok: false,
      code: 'INSUFFICIENT_COLLATERAL',
      reason: fee > 0n ? `premium ${premium} plus fee ${fee} exceeds collateral ${accountBefore.collateral}` : `premium ${premium} exceeds collateral ${accountBefore.collateral}`,
      required: premium + fee,
      available: accountBefore.collateral,
    }
  const after = accountMargin(collateral, [...accountBefore.positions, { seriesId: tradeDelta.seriesId, size: tradeDelta.size }], table, params)
  if (after.equity < after.initialMargin)
    return {
      ok: false,
      code: 'INSUFFICIENT_MARGIN',
      reason: `initial margin ${after.initialMargin} exceeds equity ${after.equity} after the trade`,
      required: after.initialMargin,
      available: after.equity,
    }
  return { ok: true, after }
}
