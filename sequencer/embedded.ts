/**
 * Everything `npm start` runs with no configuration: anvil, the contracts (test collateral
 * token, Groth16 verifier, settlement oracle with three mock ETH feeds, Rollup), one listed
 * series, and the node.
 */
import { parseAbi, type Address, type Hex } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1, type L1Context } from '../l1/clients.js'
import { deployRollup, type Deployment } from '../l1/deploy.js'
import { listSeries, mined, underlyingToBytes32 } from '../l1/rollupCalls.js'
import { deployArtifact } from '../l1/deployArtifact.js'
import { configureSettlementFeeds, majorityQuorum } from '../l1/settlement.js'
import { DEFAULT_MARKET, DEFAULT_PARAMS, defaultSeries } from './defaults.js'
import { startNode, type NodeConfig, type RollupNode } from './node.js'
import { OracleService } from '../oracle/oracleService.js'
import { PricePath, simulatedFeeds } from '../oracle/simulatedFeed.js'

export type EmbeddedNode = {
  readonly node: RollupNode
  readonly anvil: Anvil
  readonly deployment: Deployment
  readonly operatorKey: Hex
  readonly seriesId: bigint
  /** The mock settlement feeds of each underlying (MockAggregatorV3, owned by the operator). */
  readonly settlementFeeds: DefaultSettlementFeeds
  readonly stop: () => Promise<void>
}

const mockAggregatorAbi = parseAbi(['function setAnswer(int256 answer, uint256 updatedAt) returns (uint80)'])

/** Mock settlement feeds per underlying symbol (`{ ETH: [a, b, c] }`). */
export type DefaultSettlementFeeds = Readonly<Record<string, readonly Address[]>>

/** Limits of the embedded settlement feeds (SettlementOracle.setUnderlyingConfig). */
export const DEFAULT_SETTLEMENT_FEEDS = {
  /** Feeds per underlying. */
  count: 3,
  /** Decimals of the feeds' answers (Chainlink's USD feeds). */
  decimals: 8,
  maxStalenessSeconds: 3600,
  maxDeviationBps: 100,
} as const

/**
 * Deploys three MockAggregatorV3 feeds for each underlying of `spotByUnderlying`, each
 * answering the spot (8 decimals) as of the latest block, and configures them on the
 * settlement oracle with a majority quorum. The feeds' owner (the operator) moves them
 * with `setAnswer(answer, updatedAt)`.
 */
async function deploySettlementFeeds(ctx: L1Context, oracle: Address, spotByUnderlying: Readonly<Record<string, number>>): Promise<DefaultSettlementFeeds> {
  const { count, decimals, maxStalenessSeconds, maxDeviationBps } = DEFAULT_SETTLEMENT_FEEDS
  const updatedAt = (await ctx.publicClient.getBlock({ blockTag: 'latest' })).timestamp
  const result: Record<string, Address[]> = {}
  for (const [underlying, spot] of Object.entries(spotByUnderlying)) {
    const answer = BigInt(Math.round(spot * 10 ** decimals))
    const feeds: Address[] = []
    for (let i = 0; i < count; i++) {
      const feed = await deployArtifact(ctx, 'MockAggregatorV3', [decimals, `${underlying} / USD mock ${i + 1}`])
      const hash = await ctx.walletClient.writeContract({ address: feed, abi: mockAggregatorAbi, functionName: 'setAnswer', args: [answer, updatedAt] })
      await mined(ctx, hash, 'setAnswer')
      feeds.push(feed)
    }
    await configureSettlementFeeds(ctx, oracle, underlying, { feeds, maxStalenessSeconds, maxDeviationBps, quorum: majorityQuorum(count) })
    result[underlying] = feeds
  }
  return result
}

/**
 * Deploys the contracts for the default parameters, the mock settlement feeds
 * (`DEFAULT_SETTLEMENT_FEEDS`, answering the default spots) and lists the default series.
 */
export async function deployWithDefaults(
  rpcUrl: string,
  operatorKey: Hex,
  options: {
    /** Real Chainlink-style feeds per underlying to settle on; mock feeds owned by the operator when absent (local chains only). */
    readonly settlementFeeds?: DefaultSettlementFeeds
  } = {},
): Promise<{ deployment: Deployment; seriesId: bigint; settlementFeeds: DefaultSettlementFeeds }> {
  const ctx = await connectL1(rpcUrl, operatorKey)
  const deployment = await deployRollup(ctx, DEFAULT_PARAMS)
  const settlementFeeds = options.settlementFeeds ?? (await deploySettlementFeeds(ctx, deployment.settlementOracle, DEFAULT_MARKET.spotByUnderlying))
  if (options.settlementFeeds) {
    const { maxStalenessSeconds, maxDeviationBps } = DEFAULT_SETTLEMENT_FEEDS
    for (const [underlying, feeds] of Object.entries(options.settlementFeeds))
      await configureSettlementFeeds(ctx, deployment.settlementOracle, underlying, { feeds: [...feeds], maxStalenessSeconds, maxDeviationBps, quorum: majorityQuorum(feeds.length) })
  }
  const block = await ctx.publicClient.getBlock()
  const s = defaultSeries(block.timestamp)
  const { seriesId } = await listSeries(ctx, deployment.rollup, { underlying: underlyingToBytes32(s.underlying), expiry: s.expiry, strike: s.strike, isCall: s.isCall })
  return { deployment, seriesId, settlementFeeds }
}

/**
 * Three independent simulated index feeds per underlying around the default spots (a seeded
 * random walk with per-feed noise): the local stand-in for Chainlink-style feeds, which
 * `RPC_URL` deployments read with `oracle/chainlinkFeed.ts`.
 */
export function simulatedOracle(spotByUnderlying: Readonly<Record<string, number>>): OracleService {
  const clock = () => Math.floor(Date.now() / 1000)
  const underlyings = Object.fromEntries(
    Object.entries(spotByUnderlying).map(([underlying, spot], i) => {
      const path = new PricePath({ seed: 7 + i, startPrice: spot, startTime: clock(), clock, volPerStep: 0.0002 })
      return [underlying, { feeds: simulatedFeeds(`sim-${underlying}`, 3, path, { startTime: clock() }) }]
    }),
  )
  return new OracleService({ underlyings, clock })
}

/** Starts anvil, deploys, and starts a node on it. */
export async function startEmbedded(
  options: { anvilPort?: number; node?: Partial<Omit<NodeConfig, 'rpcUrl' | 'operatorKey' | 'rollup' | 'deployBlock' | 'params'>> } = {},
): Promise<EmbeddedNode> {
  const anvil = await startAnvil(options.anvilPort !== undefined ? { port: options.anvilPort } : {})
  try {
    const operatorKey = ANVIL_KEYS[0]
    const { deployment, seriesId, settlementFeeds } = await deployWithDefaults(anvil.rpcUrl, operatorKey)
    const node = await startNode({
      params: DEFAULT_PARAMS,
      market: DEFAULT_MARKET,
      oracle: simulatedOracle(DEFAULT_MARKET.spotByUnderlying),
      ...options.node,
      rpcUrl: anvil.rpcUrl,
      operatorKey,
      rollup: deployment.rollup as Address,
      deployBlock: deployment.deployBlock,
    })
    return {
      node,
      anvil,
      deployment,
      operatorKey,
      seriesId,
      settlementFeeds,
      stop: async () => {
        await node.stop()
        await anvil.stop()
      },
    }
  } catch (error) {
    await anvil.stop()
    throw error
  }
}
