/**
 * Tick size and size increment per series: an order's limit price must be a multiple of the
 * series' tick and its size a multiple of the size increment, else it is refused before it
 * touches the book (`BAD_TICK`, `BAD_SIZE_INCREMENT`). The L1 listing carries neither (the
 * contracts fix the series' fields), so they come from the engine's configuration: a default,
 * overridden per underlying, overridden per series.
 *
 * The default is tick 1 and increment 1 (every price and size the protocol can carry): a
 * coarser grid is a market-design choice the operator makes per deployment, and a default
 * that refused valid signed orders would break every client written before it.
 */
import type { Series } from '../risk/index.js'
import type { Order } from '../state/index.js'
import { SequencerError } from './errors.js'

/** The grid of one series (both in protocol units: collateral base units per size unit, size units). */
export type TradingRules = { readonly tickSize: bigint; readonly sizeIncrement: bigint }

/** Tick sizes and size increments: a default, per underlying, per series (the most specific wins). */
export type TradingRulesConfig = {
  readonly default?: Partial<TradingRules>
  readonly byUnderlying?: Readonly<Record<string, Partial<TradingRules>>>
  /** By series id (decimal string keys, JSON-friendly). */
  readonly bySeries?: Readonly<Record<string, Partial<TradingRules>>>
}

/** Every price and size allowed. */
export const DEFAULT_TRADING_RULES: TradingRules = Object.freeze({ tickSize: 1n, sizeIncrement: 1n })

/** The rules of `series` under `config`; throws `RangeError` for a tick or increment below 1 (a configuration bug). */
export function tradingRulesFor(config: TradingRulesConfig | undefined, series: Pick<Series, 'id' | 'underlying'>): TradingRules {
  const rules: TradingRules = {
    ...DEFAULT_TRADING_RULES,
    ...config?.default,
    ...config?.byUnderlying?.[series.underlying],
    ...config?.bySeries?.[series.id.toString()],
  }
  if (rules.tickSize < 1n || rules.sizeIncrement < 1n) throw new RangeError(`series ${series.id}: tick size ${rules.tickSize} and size increment ${rules.sizeIncrement} must be at least 1`)
  return rules
}

/** The refusal when `order` is off the series' grid, else undefined. */
export function tradingRulesRefusal(order: Pick<Order, 'limitPrice' | 'size' | 'seriesId'>, rules: TradingRules): SequencerError | undefined {
  if (order.limitPrice % rules.tickSize !== 0n)
    return new SequencerError(422, 'BAD_TICK', `limit price ${order.limitPrice} is not a multiple of series ${order.seriesId}'s tick size ${rules.tickSize}`, {
      tickSize: rules.tickSize.toString(),
    })
  if (order.size % rules.sizeIncrement !== 0n)
    return new SequencerError(422, 'BAD_SIZE_INCREMENT', `size ${order.size} is not a multiple of series ${order.seriesId}'s size increment ${rules.sizeIncrement}`, {
      sizeIncrement: rules.sizeIncrement.toString(),
    })
  return undefined
}
