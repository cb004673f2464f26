import { describe, expect, it } from 'vitest'
import type { PublicClient } from 'viem'
import { chainlinkFeed, chainlinkRoundToReport, type ChainlinkRound } from './chainlinkFeed.js'

const round: ChainlinkRound = { roundId: 5n, answer: 300012345678n, startedAt: 1_799_999_990n, updatedAt: 1_800_000_000n, answeredInRound: 5n }

describe('chainlinkRoundToReport', () => {
  it('scales the answer by its decimals', () => {
    expect(chainlinkRoundToReport('cl', round, 8)).toEqual({ feedId: 'cl', price: 3000.12345678, updatedAt: 1_800_000_000 })
    expect(chainlinkRoundToReport('cl', { ...round, answer: 3000n * 10n ** 18n + 1n }, 18)).toMatchObject({ price: 3000.000000000000000001 })
    expect(chainlinkRoundToReport('cl', { ...round, answer: 1n }, 0)).toMatchObject({ price: 1 })
  })

  it('rejects answer <= 0, updatedAt 0 and answers carried over from an earlier round', () => {
    expect(chainlinkRoundToReport('cl', { ...round, answer: 0n }, 8)).toMatchObject({ feedId: 'cl', failure: 'invalid-price' })
    expect(chainlinkRoundToReport('cl', { ...round, answer: -5n }, 8)).toMatchObject({ failure: 'invalid-price' })
    expect(chainlinkRoundToReport('cl', { ...round, updatedAt: 0n }, 8)).toMatchObject({ failure: 'no-timestamp' })
    expect(chainlinkRoundToReport('cl', { ...round, answeredInRound: 4n }, 8)).toMatchObject({ failure: 'invalid-round', detail: expect.stringContaining('answeredInRound 4') })
  })
})

describe('chainlinkFeed', () => {
  it('reads decimals once and the latest round, and reports read errors as read-failed', async () => {
    const calls: string[] = []
    let fail = false
    const client = {
      readContract: async ({ functionName }: { functionName: string }) => {
        calls.push(functionName)
        if (fail) throw Object.assign(new Error('long message\nwith details'), { shortMessage: 'HTTP request failed' })
        return functionName === 'decimals' ? 8 : [round.roundId, round.answer, round.startedAt, round.updatedAt, round.answeredInRound]
      },
    } as unknown as PublicClient
    const feed = chainlinkFeed({ id: 'cl', client, address: '0x0000000000000000000000000000000000000001' })
    expect(feed.lastRound()).toBeUndefined()
    expect(await feed.read()).toEqual({ feedId: 'cl', price: 3000.12345678, updatedAt: 1_800_000_000 })
    expect(await feed.read()).toMatchObject({ price: 3000.12345678 })
    expect(calls).toEqual(['decimals', 'latestRoundData', 'latestRoundData'])
    expect(feed.lastRound()).toEqual(round)
    fail = true
    expect(await feed.read()).toEqual({ feedId: 'cl', failure: 'read-failed', detail: 'HTTP request failed' })
  })
})
