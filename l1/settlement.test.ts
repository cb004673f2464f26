/**
 * Settlement prices on anvil: the deployment wires a SettlementOracle into the Rollup, the
 * owner configures three MockAggregatorV3 feeds, and a series' price is refused before
 * expiry and without a quorum, fixed at the median of the fresh feeds, and then immutable.
 * Needs forge's build output (`npx forge build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestClient, getAddress, http, type Abi, type Address } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from './anvil.js'
import { connectL1, withAccount, type L1Context } from './clients.js'
import { deployRollup, type Deployment } from './deploy.js'
import { deployArtifact, readArtifact } from './deployArtifact.js'
import { listSeries, underlyingToBytes32 } from './rollupCalls.js'
import { configureSettlementFeeds, fixSettlementPrice, inspectSettlementFeeds, majorityQuorum, readSettlementOracle, readSettlementPrice } from './settlement.js'
import { TEST_PARAMS } from '../state/params.js'

const STALENESS = 3600
const e8 = (units: number) => BigInt(units) * 100_000_000n

let anvil: Anvil
let ctx: L1Context
let deployment: Deployment
let mockAbi: Abi
let feeds: Address[]
let seriesId: bigint
let expiry: bigint

async function setAnswer(feed: Address, answer: bigint, updatedAt: bigint): Promise<void> {
  const hash = await ctx.walletClient.writeContract({ address: feed, abi: mockAbi, functionName: 'setAnswer', args: [answer, updatedAt] })
  expect((await ctx.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
}

async function now(): Promise<bigint> {
  return (await ctx.publicClient.getBlock()).timestamp
}

beforeAll(async () => {
  anvil = await startAnvil()
  ctx = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  deployment = await deployRollup(ctx, TEST_PARAMS)
  mockAbi = readArtifact('MockAggregatorV3').abi
  feeds = []
  for (const name of ['A', 'B', 'C']) feeds.push(await deployArtifact(ctx, 'MockAggregatorV3', [8, `ETH / USD ${name}`]))
  await configureSettlementFeeds(ctx, deployment.settlementOracle, 'ETH', { feeds, maxStalenessSeconds: STALENESS, maxDeviationBps: 100 })
  expiry = (await now()) + 1_000n
  ;({ seriesId } = await listSeries(ctx, deployment.rollup, { underlying: underlyingToBytes32('ETH'), expiry, strike: 3_000_000_000n, isCall: true }))
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
})

describe('settlement prices on anvil', () => {
  it('deploys the oracle with the Rollup and the configured feeds', async () => {
    expect(await readSettlementOracle(ctx.publicClient, deployment.rollup)).toBe(getAddress(deployment.settlementOracle))
    expect(majorityQuorum(3)).toBe(2)
    expect(majorityQuorum(4)).toBe(3)
    const inspection = await inspectSettlementFeeds(ctx.publicClient, deployment.settlementOracle, 'ETH')
    expect(inspection).toMatchObject({ outcome: 'quorum-not-reached', fresh: 0, quorum: 2 })
    expect(inspection.feeds.map((f) => f.status)).toEqual(['no-timestamp', 'no-timestamp', 'no-timestamp'])
  })

  it('refuses to fix before expiry', async () => {
    await expect(fixSettlementPrice(ctx, deployment.rollup, seriesId)).rejects.toThrow(/NotExpired/)
  })

  it('refuses without a quorum of fresh feeds, and says which feeds fail', async () => {
    await createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) }).increaseTime({ seconds: 2_000 })
    const t = await now()
    await setAnswer(feeds[0]!, e8(3_000), t)
    await setAnswer(feeds[1]!, e8(3_010), t - BigInt(STALENESS) - 10n)
    const inspection = await inspectSettlementFeeds(ctx.publicClient, deployment.settlementOracle, 'ETH')
    expect(inspection.outcome).toBe('quorum-not-reached')
    expect(inspection.feeds.map((f) => f.status)).toEqual(['ok', 'stale', 'no-timestamp'])
    await expect(fixSettlementPrice(ctx, deployment.rollup, seriesId)).rejects.toThrow(/QuorumNotReached/)
  })

  it('fixes the median of the fresh feeds once; anyone may call it', async () => {
    await setAnswer(feeds[2]!, e8(3_004), await now())
    const keeper = withAccount(ctx, ANVIL_KEYS[3])
    const fixed = await fixSettlementPrice(keeper, deployment.rollup, seriesId)
    expect(fixed.price).toBe(3_002_000_000n) // mean of 3000 and 3004; the stale feed is left out
    expect(fixed.feedsUsed).toEqual([feeds[0]!, feeds[2]!].map((a) => getAddress(a)))
    expect(fixed.gasUsed).toBeLessThan(200_000n)
    expect(await readSettlementPrice(ctx.publicClient, deployment.rollup, seriesId)).toEqual({ price: 3_002_000_000n, fixed: true })

    await setAnswer(feeds[1]!, e8(3_500), await now())
    await expect(fixSettlementPrice(keeper, deployment.rollup, seriesId)).rejects.toThrow(/AlreadyFixed/)
    expect((await readSettlementPrice(ctx.publicClient, deployment.rollup, seriesId)).price).toBe(3_002_000_000n)
  })

  it('lets only the oracle owner configure feeds', async () => {
    const stranger = withAccount(ctx, ANVIL_KEYS[1])
    await expect(configureSettlementFeeds(stranger, deployment.settlementOracle, 'BTC', { feeds, maxStalenessSeconds: 60, maxDeviationBps: 50 })).rejects.toThrow(/NotOwner/)
  })
})
