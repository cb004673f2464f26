/**
 * Settlement prices on L1: configuring an underlying's feeds in the SettlementOracle,
 * fixing an expired series' price through the Rollup, and reading it back. The rules the
 * contracts apply (median, staleness, deviation, quorum) are in docs/protocol.md,
 * "Settlement prices", and mirror risk/oracle/aggregator.ts.
 */
import { isHex, parseEventLogs, type Address, type Hex, type PublicClient } from 'viem'
import { rollupAbi, settlementOracleAbi } from './abi.js'
import { sending, TransactionError } from './errors.js'
import { mined, underlyingToBytes32, type Mined } from './rollupCalls.js'
import type { L1Context } from './clients.js'

/** The Rollup's ABI with the oracle's errors, which `fixSettlementPrice` passes through. */
const rollupWithOracleErrorsAbi = [...rollupAbi, ...settlementOracleAbi.filter((x) => x.type === 'error')] as const

/** A symbol ('ETH') or its bytes32 encoding. */
export type Underlying = string | Hex

function underlyingBytes(u: Underlying): Hex {
  return isHex(u) && u.length === 66 ? u : underlyingToBytes32(u)
}

/** Feed set and limits of one underlying (`SettlementOracle.setUnderlyingConfig`). */
export type SettlementFeedConfig = {
  /** 3 to 9 distinct AggregatorV3-compatible feeds with at most 18 decimals. */
  readonly feeds: readonly Address[]
  /** A round older than this at the time of the fixing call is stale (> 0). */
  readonly maxStalenessSeconds: number
  /** A feed further than this from the median of the fresh feeds is dropped (1 to 10000). */
  readonly maxDeviationBps: number
  /** Fresh, agreeing feeds needed; default: a majority of `feeds`, at least 2 (as the off-chain aggregator). */
  readonly quorum?: number
}

/** The default quorum for `n` feeds: a strict majority, at least 2 (risk/oracle/aggregator.ts). */
export function majorityQuorum(n: number): number {
  return Math.max(2, Math.floor(n / 2) + 1)
}

/**
 * Sets the feeds and limits of `underlying` (oracle owner only); replaces any earlier set.
 *
 * @example
 * await configureSettlementFeeds(ctx, deployment.settlementOracle, 'ETH', { feeds: [a, b, c], maxStalenessSeconds: 3600, maxDeviationBps: 100 })
 */
export async function configureSettlementFeeds(ctx: L1Context, oracle: Address, underlying: Underlying, config: SettlementFeedConfig): Promise<Mined> {
  const quorum = config.quorum ?? majorityQuorum(config.feeds.length)
  const hash = await sending('setUnderlyingConfig', () =>
    ctx.walletClient.writeContract({
      address: oracle,
      abi: settlementOracleAbi,
      functionName: 'setUnderlyingConfig',
      args: [underlyingBytes(underlying), [...config.feeds], config.maxStalenessSeconds, config.maxDeviationBps, quorum],
    }),
  )
  return mined(ctx, hash, 'setUnderlyingConfig')
}

/**
 * Fixes the settlement price of the expired series `seriesId` (anyone may call it, once).
 * Throws `TransactionError` naming the refusal: `NotExpired`, `AlreadyFixed`,
 * `UnknownSeries`, or the oracle's `QuorumNotReached`, `FeedsDisagree`,
 * `UnderlyingNotConfigured`, `PriceRoundsToZero`.
 *
 * @example
 * const { price, feedsUsed } = await fixSettlementPrice(ctx, deployment.rollup, 1n) // price 3000000000n = 3000 USDC
 */
export async function fixSettlementPrice(ctx: L1Context, rollup: Address, seriesId: bigint): Promise<Mined & { price: bigint; feedsUsed: readonly Address[] }> {
  const hash = await sending('fixSettlementPrice', () =>
    ctx.walletClient.writeContract({ address: rollup, abi: rollupWithOracleErrorsAbi, functionName: 'fixSettlementPrice', args: [seriesId] }),
  )
  const result = await mined(ctx, hash, 'fixSettlementPrice')
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'SettlementPriceFixed', logs: result.receipt.logs })
  if (!log) throw new TransactionError(`fixSettlementPrice ${hash} emitted no SettlementPriceFixed event`)
  return { ...result, price: log.args.price, feedsUsed: log.args.feedsUsed }
}

/** A series' settlement price as the Rollup stores it (collateral base units per unit of underlying). */
export type SettlementPrice = { readonly price: bigint; readonly fixed: boolean }

/** Reads the settlement price of `seriesId`; `{ price: 0n, fixed: false }` until it is fixed. */
export async function readSettlementPrice(client: PublicClient, rollup: Address, seriesId: bigint): Promise<SettlementPrice> {
  const [price, fixed] = await client.readContract({ address: rollup, abi: rollupAbi, functionName: 'settlementPrice', args: [seriesId] })
  return { price, fixed }
}

/** The settlement oracle a Rollup reads. */
export async function readSettlementOracle(client: PublicClient, rollup: Address): Promise<Address> {
  return client.readContract({ address: rollup, abi: rollupAbi, functionName: 'settlementOracle' })
}

/** Why a feed is or is not used, in the vocabulary of risk/oracle/types.ts (`ok`: used). */
export const FEED_STATUSES = ['ok', 'read-failed', 'no-timestamp', 'invalid-round', 'invalid-price', 'future-timestamp', 'stale', 'deviation'] as const
export type FeedStatus = (typeof FEED_STATUSES)[number]

/** Outcomes of an aggregation (`SettlementOracle.Outcome`). */
export const SETTLEMENT_OUTCOMES = ['ok', 'not-configured', 'quorum-not-reached', 'feeds-disagree', 'price-rounds-to-zero'] as const
export type SettlementOutcome = (typeof SETTLEMENT_OUTCOMES)[number]

/** What fixing a price for `underlying` would give at the latest block, feed by feed. */
export type SettlementInspection = {
  readonly outcome: SettlementOutcome
  /** Collateral base units per unit of underlying; 0n unless `outcome` is 'ok'. */
  readonly price: bigint
  readonly fresh: number
  readonly agreeing: number
  readonly quorum: number
  readonly feeds: readonly { readonly address: Address; readonly status: FeedStatus; readonly answerWad: bigint }[]
}

/**
 * Evaluates `underlying`'s feeds as `fixSettlementPrice` would at the latest block, without
 * reverting: for a keeper deciding when to call, and for showing why a price is refused.
 */
export async function inspectSettlementFeeds(client: PublicClient, oracle: Address, underlying: Underlying): Promise<SettlementInspection> {
  const e = await client.readContract({ address: oracle, abi: settlementOracleAbi, functionName: 'inspect', args: [underlyingBytes(underlying)] })
  return {
    outcome: SETTLEMENT_OUTCOMES[e.outcome] ?? 'not-configured',
    price: e.price,
    fresh: Number(e.fresh),
    agreeing: Number(e.agreeing),
    quorum: Number(e.quorum),
    feeds: e.feeds.map((address, i) => ({ address, status: FEED_STATUSES[e.statuses[i] ?? 1] ?? 'read-failed', answerWad: e.answersWad[i] ?? 0n })),
  }
}
