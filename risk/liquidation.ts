/**
 * A liquidation round over every account: which accounts are liquidated, by whom, what
 * the insurance fund pays and receives, and the loss socialized when it runs dry. Pure,
 * integer (bigint) math in collateral base units, deterministic; the sequencer turns the
 * result into liquidation slots and state changes.
 *
 * Round (docs/risk.md, "Liquidation"):
 *
 * 1. Accounts are visited by increasing index, each in its state at that moment (earlier
 *    plans of the round may have changed it, when it acted as liquidator). One with
 *    E >= MM is left alone. For one with E < MM, `planLiquidation` (liquidationPlan.ts)
 *    gives the transfers and the penalty.
 * 2. Liquidator: the first of `liquidators` (account indices, in the caller's priority
 *    order; the account itself skipped), then the insurance fund (account
 *    INSURANCE_ACCOUNT_INDEX), whose margin allows the positions: after paying Σ q m for
 *    them and receiving its part of the penalty, its collateral is >= 0 and E >= IM (what
 *    a trade must leave). When no candidate qualifies, the account is skipped with
 *    `NO_LIQUIDATOR` and nothing changes.
 * 3. Penalty: all to the fund when the fund liquidates; otherwise the liquidator gets
 *    floor(penalty * (10000 - insuranceShareBps) / 10000), the fund the rest.
 * 4. Bankrupt accounts (E < 0 at the mark) are closed out entirely without penalty. Their
 *    deficit is covered by the fund up to its free collateral, max(0, min(C, E - IM)) of the
 *    fund at that moment (all of its balance when it holds no positions); the rest is the
 *    socialized loss. A bankrupt account ends flat with zero collateral.
 * 5. After every account is visited, the socialized loss is shared by every account other
 *    than the fund pro rata to its collateral at that point (liquidationSocialize.ts).
 *
 * Conservation: Σ collateralDelta over all accounts (fund included) = uncoveredLoss, which
 * is 0 unless the socialized loss exceeds all collateral; Σ positionDeltas per series = 0.
 */
import { INSURANCE_ACCOUNT_INDEX } from '../state/params.js'
import { RiskInputError } from './errors.js'
import { accountMargin, DEFAULT_MARGIN_PARAMS, netPositions, type AccountMargin, type MarginParams, type PositionSize } from './margin.js'
import type { MarketTable } from './marketTable.js'
import { DEFAULT_LIQUIDATION_PARAMS, planLiquidation, validateLiquidationParams, type LiquidationKind, type LiquidationParams } from './liquidationPlan.js'
import { socializeLoss, type Haircut } from './liquidationSocialize.js'

/** An account as liquidation sees it. */
export type LiquidationAccount = {
  /** Account index; the insurance fund's index (0) is reserved for `insuranceFund`. */
  readonly index: bigint
  /** Collateral, base units. */
  readonly collateral: bigint
  readonly positions: readonly PositionSize[]
}

/** Everything a liquidation round depends on. */
export type LiquidationInput = {
  /** Every user account (index >= 1, unique). */
  readonly accounts: readonly LiquidationAccount[]
  /** The insurance fund (account INSURANCE_ACCOUNT_INDEX): its balance is its collateral. */
  readonly insuranceFund: { readonly collateral: bigint; readonly positions: readonly PositionSize[] }
  readonly table: MarketTable
  readonly margin?: MarginParams
  readonly params?: LiquidationParams
  /** Accounts offering to liquidate, in priority order; the fund comes after them. */
  readonly liquidators?: readonly bigint[]
}

/** One executed liquidation. All amounts in base units. */
export type LiquidationPlan = {
  readonly accountIndex: bigint
  /** The liquidator's account index (INSURANCE_ACCOUNT_INDEX when the fund takes the positions). */
  readonly liquidatorIndex: bigint
  readonly kind: LiquidationKind
  /** Sizes moved from the account to the liquidator, signed as the account held them, in path order. */
  readonly transfers: readonly PositionSize[]
  /** Σ size * mark: what the account receives for them (negative: pays), the liquidator pays. */
  readonly markValue: bigint
  /** Penalty the account paid: penaltyToLiquidator + penaltyToFund. */
  readonly penalty: bigint
  /** The liquidator's part (all of it when the fund is the liquidator). */
  readonly penaltyToLiquidator: bigint
  /** The insurance fund's share when another account liquidates (0 when the fund is the liquidator). */
  readonly penaltyToFund: bigint
  /** The account's margin before and after transfer and penalty (before the fund's cover). */
  readonly before: AccountMargin
  readonly after: AccountMargin
  /** collateral >= 0 and E >= IM after (false for capped and bankrupt plans). */
  readonly restored: boolean
  /** The liquidator's margin after taking the positions and its part of the penalty (the fund's: also after paying its cover). */
  readonly liquidatorAfter: AccountMargin
  /** Deficit of a bankrupt account (-E), 0 otherwise. */
  readonly shortfall: bigint
  /** Part of the shortfall the insurance fund paid. */
  readonly coveredByFund: bigint
  /** Part of the shortfall left to socialize. */
  readonly socialized: bigint
}

/** Rejection catalogue of a round: an account that could not be liquidated. */
export type LiquidationSkip = { readonly accountIndex: bigint; readonly code: 'NO_LIQUIDATOR'; readonly reason: string }

/** Net change of one account over the round. */
export type AccountChange = {
  readonly accountIndex: bigint
  readonly collateralDelta: bigint
  /** Net size change per series, by series id, zeros left out. */
  readonly positionDeltas: readonly PositionSize[]
}

/** Result of a liquidation round. */
export type LiquidationRound = {
  /** In the order executed (increasing account index). */
  readonly plans: readonly LiquidationPlan[]
  readonly skipped: readonly LiquidationSkip[]
  /** Every account whose collateral or positions changed, the fund included, by index. */
  readonly changes: readonly AccountChange[]
  readonly insuranceFund: { readonly before: bigint; readonly after: bigint }
  /** Σ plan.socialized: deficits the fund could not cover. */
  readonly socializedLoss: bigint
  /** Collateral taken from other accounts for it, by index. */
  readonly haircuts: readonly Haircut[]
  /** socializedLoss - Σ haircuts: bad debt no collateral was left to cover (usually 0). */
  readonly uncoveredLoss: bigint
}

type Live = { collateral: bigint; positions: Map<bigint, bigint> }

const toPositions = (m: ReadonlyMap<bigint, bigint>): PositionSize[] =>
  [...m].filter(([, size]) => size !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([seriesId, size]) => ({ seriesId, size }))

/**
 * Runs one liquidation round (rules in the module header). Throws `RiskInputError` for a
 * duplicate or reserved account index, an unknown liquidator, a series missing from the
 * table or invalid parameters.
 *
 * @example
 * const round = liquidate({ accounts, insuranceFund: { collateral: 1_000_000_000n, positions: [] }, table })
 * for (const p of round.plans) console.log(p.accountIndex, p.kind, p.transfers)
 */
export function liquidate(input: LiquidationInput): LiquidationRound {
  const margin = input.margin ?? DEFAULT_MARGIN_PARAMS
  const params = input.params ?? DEFAULT_LIQUIDATION_PARAMS
  validateLiquidationParams(params)
  const FUND = BigInt(INSURANCE_ACCOUNT_INDEX)
  const live = new Map<bigint, Live>()
  const start = new Map<bigint, Live>()
  const add = (index: bigint, a: { collateral: bigint; positions: readonly PositionSize[] }) => {
    if (live.has(index)) throw new RiskInputError('index', `account ${index} appears twice (the insurance fund is account ${FUND})`)
    live.set(index, { collateral: a.collateral, positions: netPositions(a.positions) })
    start.set(index, { collateral: a.collateral, positions: netPositions(a.positions) })
  }
  add(FUND, input.insuranceFund)
  for (const a of input.accounts) add(a.index, a)
  const candidates = [...new Set([...(input.liquidators ?? []), FUND])]
  for (const c of candidates) if (!live.has(c)) throw new RiskInputError('liquidators', `account ${c} is not in the round`)

  const marginOf = (a: Live) => accountMargin(a.collateral, toPositions(a.positions), input.table, margin)
  const plans: LiquidationPlan[] = []
  const skipped: LiquidationSkip[] = []
  const order = input.accounts.map((a) => a.index).sort((a, b) => (a < b ? -1 : 1))

  for (const index of order) {
    const account = live.get(index)!
    const proposal = planLiquidation({ collateral: account.collateral, positions: toPositions(account.positions) }, input.table, margin, params)
    if (proposal === undefined) continue

    let chosen: { index: bigint; toLiquidator: bigint; after: Live; margin: AccountMargin } | undefined
    for (const c of candidates) {
      if (c === index) continue
      const l = live.get(c)!
      const toLiquidator = c === FUND ? proposal.penalty : (proposal.penalty * (10_000n - params.insuranceShareBps)) / 10_000n
      const positions = new Map(l.positions)
      for (const t of proposal.transfers) positions.set(t.seriesId, (positions.get(t.seriesId) ?? 0n) + t.size)
      const after: Live = { collateral: l.collateral - proposal.markValue + toLiquidator, positions }
      const m = marginOf(after)
      if (after.collateral >= 0n && m.equity >= m.initialMargin) {
        chosen = { index: c, toLiquidator, after, margin: m }
        break
      }
    }
    if (chosen === undefined) {
      skipped.push({ accountIndex: index, code: 'NO_LIQUIDATOR', reason: `no liquidator's margin allows taking ${proposal.transfers.length} position(s) of account ${index}` })
      continue
    }

    // Apply: the account, the liquidator, the fund's share of the penalty.
    account.collateral = proposal.collateralAfter
    account.positions = new Map(proposal.positionsAfter.map((p) => [p.seriesId, p.size]))
    live.set(chosen.index, chosen.after)
    const fund = live.get(FUND)!
    const toFund = proposal.penalty - chosen.toLiquidator
    fund.collateral += toFund

    // Bankrupt: the fund covers what its free collateral allows; the rest is socialized.
    let coveredByFund = 0n
    let socialized = 0n
    const shortfall = proposal.collateralAfter < 0n ? -proposal.collateralAfter : 0n
    if (shortfall > 0n) {
      const fm = marginOf(fund)
      const free = fm.freeCollateral < fund.collateral ? fm.freeCollateral : fund.collateral
      coveredByFund = free <= 0n ? 0n : free < shortfall ? free : shortfall
      socialized = shortfall - coveredByFund
      fund.collateral -= coveredByFund
      account.collateral = 0n // covered by the fund and, after the round, by the haircuts
    }
    plans.push({
      accountIndex: index,
      liquidatorIndex: chosen.index,
      kind: proposal.kind,
      transfers: proposal.transfers,
      markValue: proposal.markValue,
      penalty: proposal.penalty,
      penaltyToLiquidator: chosen.toLiquidator,
      penaltyToFund: toFund,
      before: proposal.before,
      after: proposal.after,
      restored: proposal.restored,
      liquidatorAfter: chosen.index === FUND ? marginOf(live.get(FUND)!) : chosen.margin,
      shortfall,
      coveredByFund,
      socialized,
    })
  }

  const socializedLoss = plans.reduce((s, p) => s + p.socialized, 0n)
  const { haircuts, uncovered } = socializeLoss(
    socializedLoss,
    order.map((i) => [i, live.get(i)!.collateral] as const),
  )
  for (const h of haircuts) live.get(h.accountIndex)!.collateral -= h.amount

  const changes: AccountChange[] = []
  for (const index of [FUND, ...order]) {
    const a = start.get(index)!
    const b = live.get(index)!
    const deltas = new Map<bigint, bigint>()
    for (const [id, size] of b.positions) deltas.set(id, size)
    for (const [id, size] of a.positions) deltas.set(id, (deltas.get(id) ?? 0n) - size)
    const positionDeltas = toPositions(deltas)
    const collateralDelta = b.collateral - a.collateral
    if (collateralDelta !== 0n || positionDeltas.length > 0) changes.push({ accountIndex: index, collateralDelta, positionDeltas })
  }
  return {
    plans,
    skipped,
    changes,
    insuranceFund: { before: input.insuranceFund.collateral, after: live.get(FUND)!.collateral },
    socializedLoss,
    haircuts,
    uncoveredLoss: uncovered,
  }
}
