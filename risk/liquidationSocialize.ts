/**
 * Socialized loss: what is left of bankrupt accounts' deficits once the insurance fund is
 * exhausted, shared by the other accounts pro rata to their collateral. Pure integer math.
 *
 * Rule: with loss L and weights w_i = max(0, collateral_i) (the insurance fund excluded by
 * the caller), W = Σ w_i and T = min(L, W):
 *
 *   haircut_i = floor(T * w_i / W), plus 1 base unit for the T - Σ floor(...) accounts with
 *   the largest remainders (T * w_i mod W), ties to the lower account index
 *   (largest-remainder apportionment).
 *
 * So Σ haircut_i = T exactly, each haircut is within one base unit of its exact pro-rata
 * share and never above the account's collateral (no collateral goes negative), and the
 * result does not depend on the order of the input. `uncovered = L - T` (> 0 only when the
 * loss exceeds every account's collateral together) is bad debt the round reports.
 *
 * Collateral rather than equity is the base because it is what a haircut debits: a
 * haircut on equity could exceed the collateral of an account whose equity sits in long
 * options. Haircuts lower equity, so an account may fall below maintenance margin by one;
 * it is liquidated in the next round.
 */
import { RiskInputError } from './errors.js'

/** The amount taken from one account's collateral, base units (> 0). */
export type Haircut = { readonly accountIndex: bigint; readonly amount: bigint }

/** Result of `socializeLoss`. */
export type Socialization = {
  /** Haircuts by increasing account index; accounts with no haircut are left out. */
  readonly haircuts: readonly Haircut[]
  /** Σ haircuts = min(loss, Σ max(0, collateral)). */
  readonly total: bigint
  /** loss - total: loss no collateral was left to cover. */
  readonly uncovered: bigint
}

/**
 * Shares `loss` over the accounts pro rata to their collateral (rule in the module header).
 * Throws `RiskInputError` for a negative loss or a repeated account index.
 *
 * @example
 * socializeLoss(10n, [[1n, 30n], [2n, 70n]]) // haircuts 3 and 7, uncovered 0
 */
export function socializeLoss(loss: bigint, collateralByAccount: Iterable<readonly [bigint, bigint]>): Socialization {
  if (loss < 0n) throw new RiskInputError('loss', 'must be >= 0')
  const weights: { accountIndex: bigint; weight: bigint }[] = []
  const seen = new Set<bigint>()
  let totalWeight = 0n
  for (const [accountIndex, collateral] of collateralByAccount) {
    if (seen.has(accountIndex)) throw new RiskInputError('accountIndex', `account ${accountIndex} appears twice`)
    seen.add(accountIndex)
    if (collateral > 0n) {
      weights.push({ accountIndex, weight: collateral })
      totalWeight += collateral
    }
  }
  const total = loss < totalWeight ? loss : totalWeight
  if (total === 0n) return { haircuts: [], total: 0n, uncovered: loss }
  const shares = weights.map(({ accountIndex, weight }) => ({ accountIndex, amount: (total * weight) / totalWeight, rest: (total * weight) % totalWeight }))
  let left = total - shares.reduce((s, x) => s + x.amount, 0n)
  const byRemainder = [...shares].sort((a, b) => (a.rest !== b.rest ? (a.rest > b.rest ? -1 : 1) : a.accountIndex < b.accountIndex ? -1 : 1))
  for (const s of byRemainder) {
    if (left === 0n) break
    s.amount += 1n
    left -= 1n
  }
  const haircuts = shares
    .filter((s) => s.amount > 0n)
    .sort((a, b) => (a.accountIndex < b.accountIndex ? -1 : 1))
    .map(({ accountIndex, amount }) => ({ accountIndex, amount }))
  return { haircuts, total, uncovered: loss - total }
}
