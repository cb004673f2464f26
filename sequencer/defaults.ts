/**
 * The embedded defaults of `npm start` and `npm run demo`: a local anvil chain, the test
 * parameter set, one listed ETH call and flat market inputs (issue 3 brings the oracles).
 */
import { TEST_PARAMS, type ParamSet } from '../state/params.js'
import { EXPIRY_HOUR_UTC } from '../risk/index.js'
import type { MarketInputsConfig } from './market.js'

export const DEFAULT_PARAMS: ParamSet = TEST_PARAMS

export const DEFAULT_MARKET: MarketInputsConfig = {
  spotByUnderlying: { ETH: 3000 },
  volByUnderlying: { ETH: 0.6 },
  ratePerYear: 0,
}

/** 08:00 UTC on the first day at least `days` after `nowSeconds`: Deribit's expiry hour. */
export function expiryAfter(nowSeconds: bigint, days: number): bigint {
  const day = 86_400n
  const target = nowSeconds + BigInt(days) * day
  return (target / day) * day + BigInt(EXPIRY_HOUR_UTC) * 3600n + day
}

/** The series the embedded node lists: an ETH 3000 call about a month out. */
export function defaultSeries(nowSeconds: bigint) {
  return { underlying: 'ETH', expiry: expiryAfter(nowSeconds, 28), strike: 3000_000000n, isCall: true } as const
}
