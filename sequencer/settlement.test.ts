/**
 * The node's settlement keeper on anvil: the embedded deployment's three mock ETH feeds, a
 * series that expires on L1 (anvil time moved past its expiry), the keeper fixing the median
 * at a poll and publishing it in GET /v1/series, never sending twice, and retrying after a
 * refusal (two stale feeds: QuorumNotReached) until the feeds are fresh again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestClient, http, parseAbi, type Address } from 'viem'
import { listSeries, underlyingToBytes32 } from '../l1/rollupCalls.js'
import { readSettlementPrice } from '../l1/settlement.js'
import { startEmbedded, DEFAULT_SETTLEMENT_FEEDS, type EmbeddedNode } from './embedded.js'

const mockAbi = parseAbi(['function setAnswer(int256 answer, uint256 updatedAt) returns (uint80)'])
const e8 = (units: number) => BigInt(units) * 100_000_000n

let embedded: EmbeddedNode
let feeds: readonly Address[]
const logs: string[] = []

type SeriesJson = { id: string; settlementPrice?: string; live: boolean }

async function latestTimestamp(): Promise<bigint> {
  return (await embedded.node.l1.publicClient.getBlock({ blockTag: 'latest' })).timestamp
}

/** Moves anvil's clock forward and mines a block at the new time. */
async function advance(seconds: number): Promise<void> {
  const chain = createTestClient({ mode: 'anvil', transport: http(embedded.anvil.rpcUrl) })
  await chain.increaseTime({ seconds })
  await chain.mine({ blocks: 1 })
}

/** Writes a fresh round (updatedAt = latest block time) into feed `i`. */
async function refresh(i: number, units: number): Promise<void> {
  const { l1 } = embedded.node
  const hash = await l1.walletClient.writeContract({ address: feeds[i]!, abi: mockAbi, functionName: 'setAnswer', args: [e8(units), await latestTimestamp()] })
  expect((await l1.publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
}

/** Lists an ETH call expiring `inSeconds` after the latest block. */
async function listSoon(inSeconds: number): Promise<bigint> {
  const expiry = (await latestTimestamp()) + BigInt(inSeconds)
  const { seriesId } = await listSeries(embedded.node.l1, embedded.deployment.rollup, { underlying: underlyingToBytes32('ETH'), expiry, strike: 3000_000000n, isCall: true })
  return seriesId
}

async function seriesJson(id: bigint): Promise<SeriesJson | undefined> {
  const res = await fetch(`${embedded.node.url}/v1/series`)
  expect(res.status).toBe(200)
  const body = (await res.json()) as { series: SeriesJson[] }
  return body.series.find((s) => s.id === id.toString())
}

async function nonce(): Promise<number> {
  const { l1 } = embedded.node
  return l1.publicClient.getTransactionCount({ address: l1.account.address, blockTag: 'latest' })
}

beforeAll(async () => {
  embedded = await startEmbedded({ node: { batchTimeoutMs: 3_600_000, pollIntervalMs: 3_600_000, log: (s) => void logs.push(s) } })
  feeds = embedded.settlementFeeds.ETH ?? []
}, 300_000)

afterAll(async () => {
  await embedded?.stop()
})

describe('settlement keeper', () => {
  it('deploys three mock ETH feeds on the settlement oracle', () => {
    expect(feeds).toHaveLength(3)
    expect(embedded.node.keeper).toBeDefined()
  })

  it('fixes an expired series at the median of the feeds, shows it in GET /v1/series, and sends once', async () => {
    const seriesId = await listSoon(600)
    await embedded.node.sync()
    expect((await seriesJson(seriesId))?.settlementPrice).toBeUndefined()
    expect(embedded.node.keeper!.attempts).toBe(0) // not expired on L1 yet

    await advance(601)
    await refresh(0, 3000)
    await refresh(1, 3010)
    await refresh(2, 2990)
    await embedded.node.sync()

    expect(await readSettlementPrice(embedded.node.l1.publicClient, embedded.deployment.rollup, seriesId)).toEqual({ price: 3000_000000n, fixed: true })
    expect(embedded.node.keeper!.prices.get(seriesId)).toBe(3000_000000n)
    expect((await seriesJson(seriesId))?.settlementPrice).toBe('3000000000')
    expect(logs.some((l) => l.includes(`series ${seriesId}: settlement price fixed at 3000000000`))).toBe(true)
    // The default series (a month out) is not touched.
    expect((await seriesJson(embedded.seriesId))?.settlementPrice).toBeUndefined()

    const attempts = embedded.node.keeper!.attempts
    const before = await nonce()
    await embedded.node.sync()
    expect(embedded.node.keeper!.attempts).toBe(attempts)
    expect(await nonce()).toBe(before)
    expect(logs.some((l) => l.includes('AlreadyFixed'))).toBe(false)
  })

  it('logs the refusal while two feeds are stale, and fixes the price once they are refreshed', async () => {
    const seriesId = await listSoon(600)
    await embedded.node.sync()
    // Past the expiry and past the feeds' staleness limit; only one feed answers afresh.
    await advance(DEFAULT_SETTLEMENT_FEEDS.maxStalenessSeconds + 601)
    await refresh(0, 3000)
    const attempts = embedded.node.keeper!.attempts
    await embedded.node.sync()

    expect(embedded.node.keeper!.attempts).toBe(attempts + 1)
    expect(await readSettlementPrice(embedded.node.l1.publicClient, embedded.deployment.rollup, seriesId)).toEqual({ price: 0n, fixed: false })
    expect((await seriesJson(seriesId))?.settlementPrice).toBeUndefined()
    expect(logs.some((l) => l.includes(`series ${seriesId}: settlement price not fixed`) && l.includes('QuorumNotReached'))).toBe(true)

    await refresh(1, 3010)
    await refresh(2, 2990)
    await embedded.node.sync()
    expect(embedded.node.keeper!.attempts).toBe(attempts + 2)
    expect(await readSettlementPrice(embedded.node.l1.publicClient, embedded.deployment.rollup, seriesId)).toEqual({ price: 3000_000000n, fixed: true })
    expect((await seriesJson(seriesId))?.settlementPrice).toBe('3000000000')
  })
})
