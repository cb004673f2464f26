/**
 * How much of an account below maintenance margin to liquidate: the transfer of positions
 * to a liquidator at the mark price, and the penalty, for one account. Pure, integer
 * (bigint) math, deterministic. `liquidation.ts` runs a whole round (liquidators, insurance
 * fund, socialized loss) on top of it.
 *
 * Rules (docs/risk.md, "Liquidation"):
 *
 * - An account is liquidatable when E < MM (margin.ts). A healthy account gets no plan.
 * - Positions move to the liquidator at the mark: the account receives Σ q_i m_i (pays it
 *   for shorts), so its equity is unchanged by the transfer and only its margin falls.
 * - Penalty: raw = ceil(penaltyBps * base / 10000), base being either the mark value of the
 *   transferred positions, Σ |q_i| m_i (`'markValue'`), or the maintenance margin the
 *   transfer releases, max(0, MM_before - MM_after) (`'maintenanceMargin'`); the account pays
 *   min(raw, max(E, 0)), never more than its equity.
 * - The account is *restored* when, after transfer and penalty, its collateral is >= 0 and
 *   E >= IM: exactly what a trade must leave (checkInitialMargin).
 * - Path: positions are taken in greedy order, the one whose transfer lowers IM the most per
 *   size unit first ((IM_now - IM_without) / amount, compared by cross-multiplication; ties
 *   by lower series id), recomputed after each position is taken. At most
 *   cap_i = ceil(|n_i| * maxLiquidationFractionBps / 10000) of each position is taken.
 *   The path is one line of size units, position after position.
 * - Bankrupt (E < 0): every position is closed, no penalty; the deficit -E is the shortfall.
 * - Otherwise the plan is the first restoring point of the path found by bisection between
 *   the end of the last non-restoring position (or the start) and the end of the first
 *   restoring one: after it the account is restored and one size unit less of the last
 *   position taken would leave it unrestored. `'partial'` when positions remain, `'full'`
 *   when the point closes everything. When no point of the capped path restores the
 *   account, the whole capped path is taken (`'capped'`), and the account stays
 *   liquidatable for the next round.
 */
import { RiskInputError } from './errors.js'
import { ceilDiv } from './fixedPoint.js'
import { accountMargin, DEFAULT_MARGIN_PARAMS, netPositions, type AccountMargin, type MarginParams, type PositionSize } from './margin.js'
import type { MarketTable } from './marketTable.js'

/** Parameters of liquidation, in basis points. */
export type LiquidationParams = {
  /** Penalty as bps of `penaltyBase`; >= 0. */
  readonly penaltyBps: bigint
  /** What the penalty is a fraction of: the mark value transferred, or the maintenance margin released. */
  readonly penaltyBase: 'markValue' | 'maintenanceMargin'
  /** Share of the penalty that goes to the insurance fund when another account liquidates, bps in [0, 10000]. */
  readonly insuranceShareBps: bigint
  /** Most of each position one plan may transfer, bps of its size in [1, 10000] (10000: no cap). */
  readonly maxLiquidationFractionBps: bigint
}

/** 10 % of the maintenance margin released, half of it to the insurance fund, no cap. */
export const DEFAULT_LIQUIDATION_PARAMS: LiquidationParams = {
  penaltyBps: 1_000n,
  penaltyBase: 'maintenanceMargin',
  insuranceShareBps: 5_000n,
  maxLiquidationFractionBps: 10_000n,
}

/** Outcome of a plan (see the module header). */
export type LiquidationKind = 'partial' | 'full' | 'capped' | 'bankrupt'

/** What liquidating one account does to it, before a liquidator is chosen. */
export type LiquidationProposal = {
  readonly kind: LiquidationKind
  /** Sizes taken from the account, signed as the account held them, in path order (the last may be partial). */
  readonly transfers: readonly PositionSize[]
  /** Σ size * mark of the transfers: collateral the account receives (negative: pays), base units. */
  readonly markValue: bigint
  /** Penalty the account pays, base units; 0 when bankrupt. */
  readonly penalty: bigint
  /** The account's margin before. */
  readonly before: AccountMargin
  /** Collateral after transfer and penalty (negative only when bankrupt). */
  readonly collateralAfter: bigint
  /** The account's positions after (net, by series id). */
  readonly positionsAfter: readonly PositionSize[]
  /** The account's margin after transfer and penalty. */
  readonly after: AccountMargin
  /** collateralAfter >= 0 and after.equity >= after.initialMargin. */
  readonly restored: boolean
}

/** Throws `RiskInputError` unless the parameters are in range. */
export function validateLiquidationParams(p: LiquidationParams): void {
  if (p.penaltyBps < 0n) throw new RiskInputError('penaltyBps', 'must be >= 0')
  if (p.penaltyBase !== 'markValue' && p.penaltyBase !== 'maintenanceMargin') throw new RiskInputError('penaltyBase', `unknown base ${String(p.penaltyBase)}`)
  if (p.insuranceShareBps < 0n || p.insuranceShareBps > 10_000n) throw new RiskInputError('insuranceShareBps', 'must be in [0, 10000]')
  if (p.maxLiquidationFractionBps < 1n || p.maxLiquidationFractionBps > 10_000n) throw new RiskInputError('maxLiquidationFractionBps', 'must be in [1, 10000]')
}

/** True when an account may be liquidated: equity below maintenance margin. */
export function isLiquidatable(m: AccountMargin): boolean {
  return m.equity < m.maintenanceMargin
}

const abs = (x: bigint) => (x < 0n ? -x : x)

/** One position of the path: the series and how much of it (signed as held) the path takes. */
type Segment = { readonly seriesId: bigint; readonly amount: bigint }

/** Evaluates the account after taking `transfers` (signed as held). */
function evaluate(
  collateral: bigint,
  net: ReadonlyMap<bigint, bigint>,
  transfers: readonly PositionSize[],
  before: AccountMargin,
  table: MarketTable,
  margin: MarginParams,
  p: LiquidationParams,
): Omit<LiquidationProposal, 'kind' | 'before'> {
  const remaining = new Map(net)
  let markValue = 0n
  let markAbs = 0n
  for (const t of transfers) {
    const mark = table.rows.get(t.seriesId)!.mark
    markValue += t.size * mark
    markAbs += abs(t.size) * mark
    remaining.set(t.seriesId, remaining.get(t.seriesId)! - t.size)
  }
  const positionsAfter: PositionSize[] = []
  for (const [seriesId, size] of remaining) if (size !== 0n) positionsAfter.push({ seriesId, size })
  const unpenalised = accountMargin(collateral + markValue, positionsAfter, table, margin)
  const base = p.penaltyBase === 'markValue' ? markAbs : before.maintenanceMargin > unpenalised.maintenanceMargin ? before.maintenanceMargin - unpenalised.maintenanceMargin : 0n
  const raw = ceilDiv(p.penaltyBps * base, 10_000n)
  const room = before.equity > 0n ? before.equity : 0n
  const penalty = raw < room ? raw : room
  const collateralAfter = collateral + markValue - penalty
  const after = penalty === 0n ? unpenalised : accountMargin(collateralAfter, positionsAfter, table, margin)
  return { transfers, markValue, penalty, collateralAfter, positionsAfter, after, restored: collateralAfter >= 0n && after.equity >= after.initialMargin }
}

/** The greedy path (module header): each position with the amount the path may take of it. */
function greedyPath(net: ReadonlyMap<bigint, bigint>, table: MarketTable, margin: MarginParams, capBps: bigint, capped: boolean): Segment[] {
  const current = new Map(net)
  const todo = [...net.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const path: Segment[] = []
  const imOf = (m: ReadonlyMap<bigint, bigint>) => accountMargin(0n, [...m].map(([seriesId, size]) => ({ seriesId, size })), table, margin).initialMargin
  while (todo.length > 0) {
    const imNow = imOf(current)
    let best: { at: number; amount: bigint; gain: bigint } | undefined
    for (const [at, id] of todo.entries()) {
      const size = current.get(id)!
      const cap = capped ? ceilDiv(abs(size) * capBps, 10_000n) : abs(size)
      const amount = size < 0n ? -(cap < -size ? cap : -size) : cap < size ? cap : size
      const without = new Map(current)
      without.set(id, size - amount)
      const gain = imNow - imOf(without)
      // gain / |amount| > best.gain / |best.amount|, ties to the lower id (todo is sorted).
      if (best === undefined || gain * abs(best.amount) > best.gain * abs(amount)) best = { at, amount, gain }
    }
    const id = todo.splice(best!.at, 1)[0]!
    current.set(id, current.get(id)! - best!.amount)
    path.push({ seriesId: id, amount: best!.amount })
  }
  return path
}

/** The transfers of the path up to position `j` (exclusive) plus `partial` of position j. */
function prefix(path: readonly Segment[], j: number, partial: bigint): PositionSize[] {
  const out: PositionSize[] = path.slice(0, j).map((s) => ({ seriesId: s.seriesId, size: s.amount }))
  if (partial !== 0n) out.push({ seriesId: path[j]!.seriesId, size: path[j]!.amount < 0n ? -partial : partial })
  return out
}

/**
 * The liquidation of one account (rules in the module header), or `undefined` when the
 * account is not liquidatable (E >= MM). Throws `RiskInputError` for a series missing from
 * the table or invalid parameters.
 *
 * @example
 * const p = planLiquidation({ collateral: 50_000_000n, positions: [{ seriesId: 1n, size: -1_000n }] }, table)
 * if (p?.kind === 'partial') p.transfers // what the liquidator takes
 */
export function planLiquidation(
  account: { readonly collateral: bigint; readonly positions: readonly PositionSize[] },
  table: MarketTable,
  margin: MarginParams = DEFAULT_MARGIN_PARAMS,
  params: LiquidationParams = DEFAULT_LIQUIDATION_PARAMS,
): LiquidationProposal | undefined {
  validateLiquidationParams(params)
  const before = accountMargin(account.collateral, account.positions, table, margin)
  if (!isLiquidatable(before)) return undefined
  const net = netPositions(account.positions)
  const bankrupt = before.equity < 0n
  const path = greedyPath(net, table, margin, params.maxLiquidationFractionBps, !bankrupt && params.maxLiquidationFractionBps < 10_000n)
  const at = (transfers: readonly PositionSize[]) => evaluate(account.collateral, net, transfers, before, table, margin, params)
  const kindOf = (e: ReturnType<typeof at>): LiquidationKind => (bankrupt ? 'bankrupt' : !e.restored ? 'capped' : e.positionsAfter.length === 0 ? 'full' : 'partial')

  if (!bankrupt) {
    // The first position whose full amount restores the account; bisect inside it.
    for (let j = 0; j < path.length; j++) {
      const end = at(prefix(path, j + 1, 0n))
      if (!end.restored) continue
      let lo = 0n // not restored (the end of position j - 1, or the start: E < MM <= IM)
      let hi = abs(path[j]!.amount) // restored
      let best = end
      while (hi - lo > 1n) {
        const mid = (lo + hi) / 2n
        const e = at(prefix(path, j, mid))
        if (e.restored) {
          hi = mid
          best = e
        } else lo = mid
      }
      return { kind: kindOf(best), before, ...best }
    }
  }
  const all = at(prefix(path, path.length, 0n))
  return { kind: kindOf(all), before, ...all }
}
