/**
 * The oracle service against three Chainlink-compatible feeds on anvil
 * (contracts/src/mocks/MockAggregatorV3.sol; `npx forge build` first), on a controllable
 * clock: the feeds' `updatedAt` is written by the test, so the chain's own time is irrelevant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toFunctionSelector, type Abi, type Address } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1, type L1Context } from '../l1/clients.js'
import { deployArtifact, readArtifact } from '../l1/deployArtifact.js'
import type { ModeTransition } from '../risk/oracle/index.js'
import { aggregatorV3Abi, chainlinkFeed } from './chainlinkFeed.js'
import { OracleService } from './oracleService.js'

const T0 = 1_800_000_000
const DECIMALS = 8
const e8 = (price: number) => BigInt(Math.round(price * 1e8))

let anvil: Anvil
let ctx: L1Context
let mockAbi: Abi
let feeds: Address[]
const clock = { now: T0 }
const events: ModeTransition[] = []
let service: OracleService

async function send(address: Address, functionName: 'setAnswer' | 'setRoundData', args: readonly bigint[]): Promise<void> {
  const hash = await ctx.walletClient.writeContract({ address, abi: mockAbi, functionName, args: [...args] })
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
  expect(receipt.status).toBe('success')
}

/** Writes a complete round `price` at `updatedAt` to each feed given (null: leave it). */
async function setAnswers(prices: readonly (number | null)[], updatedAt: number): Promise<void> {
  for (const [i, p] of prices.entries()) if (p !== null) await send(feeds[i]!, 'setAnswer', [e8(p), BigInt(updatedAt)])
}

async function pollAt(now: number) {
  clock.now = now
  return (await service.poll()).underlyings.ETH!
}

beforeAll(async () => {
  anvil = await startAnvil()
  ctx = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  mockAbi = readArtifact('MockAggregatorV3').abi
  feeds = []
  for (const name of ['feed A', 'feed B', 'feed C']) feeds.push(await deployArtifact(ctx, 'MockAggregatorV3', [DECIMALS, `ETH / USD ${name}`]))
  service = new OracleService({
    underlyings: {
      ETH: {
        feeds: feeds.map((address, i) => chainlinkFeed({ id: `cl-${'abc'[i]}`, client: ctx.publicClient, address })),
        settings: { aggregator: { maxStalenessSeconds: 120, maxDeviationBps: 100 }, breaker: { maxMoveBps: 1_000, windowSeconds: 300, cooldownSeconds: 120, action: 'halted' } },
      },
    },
    clock: () => clock.now,
    onTransition: (e) => events.push(e),
  })
}, 120_000)

afterAll(async () => {
  await service?.stop()
  await anvil?.stop()
})

describe('OracleService on anvil with three MockAggregatorV3 feeds', () => {
  it('reads the standard AggregatorV3Interface that the mock implements', async () => {
    const selectors = (abi: Abi) => new Set(abi.filter((x) => x.type === 'function').map((f) => toFunctionSelector(f)))
    const mock = selectors(mockAbi)
    for (const s of selectors(aggregatorV3Abi)) expect(mock.has(s), s).toBe(true)
    expect(await ctx.publicClient.readContract({ address: feeds[0]!, abi: aggregatorV3Abi, functionName: 'description' })).toBe('ETH / USD feed A')
  })

  it('is halted while the feeds have no round (updatedAt 0)', async () => {
    const s = await pollAt(T0)
    expect(s).toMatchObject({ tradingMode: 'halted', liquidationsAllowed: false, oracle: { status: 'degraded' } })
    expect(s.oracle.excluded.map((e) => e.reason)).toEqual(['no-timestamp', 'no-timestamp', 'no-timestamp'])
  })

  it('prices at the median of the three on-chain feeds', async () => {
    await setAnswers([3000, 3003, 2997.5], T0)
    const s = await pollAt(T0 + 5)
    expect(s).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, price: 3000, oracle: { status: 'ok', usedFeeds: ['cl-a', 'cl-b', 'cl-c'], excluded: [] } })
  })

  it('excludes a stale feed, a deviating feed and malformed rounds, and keeps pricing', async () => {
    await setAnswers([3001, 3002, null], T0 + 200)
    let s = await pollAt(T0 + 200)
    expect(s).toMatchObject({ tradingMode: 'normal', price: 3001.5, oracle: { usedFeeds: ['cl-a', 'cl-b'], excluded: [{ feedId: 'cl-c', reason: 'stale' }] } })

    await setAnswers([null, null, 3300], T0 + 200)
    s = await pollAt(T0 + 201)
    expect(s).toMatchObject({ tradingMode: 'normal', price: 3001.5, oracle: { usedFeeds: ['cl-a', 'cl-b'], excluded: [{ feedId: 'cl-c', reason: 'deviation' }] } })

    // answeredInRound < roundId, then a zero answer
    await send(feeds[2]!, 'setRoundData', [10n, e8(3001), BigInt(T0 + 202), BigInt(T0 + 202), 9n])
    s = await pollAt(T0 + 202)
    expect(s.oracle.excluded).toMatchObject([{ feedId: 'cl-c', reason: 'invalid-round' }])
    await send(feeds[2]!, 'setRoundData', [11n, 0n, BigInt(T0 + 203), BigInt(T0 + 203), 11n])
    s = await pollAt(T0 + 203)
    expect(s).toMatchObject({ tradingMode: 'normal', oracle: { excluded: [{ feedId: 'cl-c', reason: 'invalid-price' }] } })
  })

  it('degrades to reduce-only without liquidations when two feeds fail, and recovers', async () => {
    // cl-b last updated at T0 + 200: stale at T0 + 400; cl-c still answers 0.
    await setAnswers([3004, null, null], T0 + 400)
    let s = await pollAt(T0 + 400)
    expect(s).toMatchObject({ tradingMode: 'reduce-only', liquidationsAllowed: false, lastGoodPrice: 3001.5, oracle: { status: 'degraded', since: T0 + 400 } })
    expect(s.price).toBeUndefined()
    expect(s.oracle.excluded.map((e) => `${e.feedId}:${e.reason}`)).toEqual(['cl-b:stale', 'cl-c:invalid-price'])
    expect(events.at(-1)).toMatchObject({ underlying: 'ETH', source: 'effective', from: 'normal', to: 'reduce-only', at: T0 + 400 })

    await setAnswers([3004, 3005, 3006], T0 + 410)
    s = await pollAt(T0 + 410)
    expect(s).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, price: 3005 })
  })

  it('trips the breaker on a 20 % jump and resumes after the cool-down', async () => {
    await setAnswers([3606, 3605, 3604], T0 + 420)
    let s = await pollAt(T0 + 420)
    expect(s).toMatchObject({ tradingMode: 'halted', liquidationsAllowed: false, price: 3605, oracle: { status: 'ok' }, breaker: { status: 'tripped', resumeAt: T0 + 540 } })
    expect(events.filter((e) => e.at === T0 + 420)).toMatchObject([
      { source: 'breaker', from: 'normal', to: 'halted', reason: expect.stringContaining('+20.11 % (3001.5 -> 3605)') },
      { source: 'effective', from: 'normal', to: 'halted' },
    ])

    await setAnswers([3606, 3605, 3604], T0 + 530)
    expect((await pollAt(T0 + 539)).tradingMode).toBe('halted')
    s = await pollAt(T0 + 540)
    expect(s).toMatchObject({ tradingMode: 'normal', liquidationsAllowed: true, breaker: { status: 'armed' } })
    expect(events.at(-1)).toMatchObject({ source: 'effective', from: 'halted', to: 'normal', at: T0 + 540 })
  })

  it('reports an address without a feed as read-failed', async () => {
    const nothing = chainlinkFeed({ id: 'none', client: ctx.publicClient, address: '0x000000000000000000000000000000000000dEaD' })
    expect(await nothing.read()).toMatchObject({ feedId: 'none', failure: 'read-failed' })
  })
})
