/**
 * Everything `npm start` runs with no configuration: anvil, the contracts (test collateral
 * token, Groth16 verifier, Rollup), one listed series, and the node.
 */
import type { Address, Hex } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { deployRollup, type Deployment } from '../l1/deploy.js'
import { listSeries, underlyingToBytes32 } from '../l1/rollupCalls.js'
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
  readonly stop: () => Promise<void>
}

/** Deploys the contracts for the default parameters and lists the default series. */
export async function deployWithDefaults(rpcUrl: string, operatorKey: Hex): Promise<{ deployment: Deployment; seriesId: bigint }> {
  const ctx = await connectL1(rpcUrl, operatorKey)
  const deployment = await deployRollup(ctx, DEFAULT_PARAMS)
  const block = await ctx.publicClient.getBlock()
  const s = defaultSeries(block.timestamp)
  const { seriesId } = await listSeries(ctx, deployment.rollup, { underlying: underlyingToBytes32(s.underlying), expiry: s.expiry, strike: s.strike, isCall: s.isCall })
  return { deployment, seriesId }
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
    const { deployment, seriesId } = await deployWithDefaults(anvil.rpcUrl, operatorKey)
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
