/**
 * Trading fees (docs/protocol.md, "Trade"): each side of a trade pays
 * `ceil(price * fill * feeBps / FEE_BPS_DENOMINATOR)` from its collateral, and the fee account
 * (`FEE_ACCOUNT_INDEX`) is credited the sum over a batch once, after the batch's last slot.
 */
import { FEE_BPS_DENOMINATOR, type ParamSet } from './params.js'

/**
 * The fee one side of a trade pays: `ceil(price * fill * feeBps / 10000)`, rounded up so
 * that splitting a fill never pays less in total. At most the premium, since `feeBps <= 10000`.
 *
 * @example tradeFee(TEST_PARAMS, 110n, 4n) // ceil(440 * 30 / 10000) = 2n
 */
export function tradeFee(params: Pick<ParamSet, 'feeBps'>, price: bigint, fill: bigint): bigint {
  if (price < 0n || fill < 0n) throw new RangeError('price and fill are unsigned')
  const scaled = price * fill * BigInt(params.feeBps)
  const denominator = BigInt(FEE_BPS_DENOMINATOR)
  return (scaled + denominator - 1n) / denominator
}
