/**
 * Reads a Chainlink `AggregatorV3Interface` price feed (or any contract with the same ABI,
 * such as contracts/src/mocks/MockAggregatorV3.sol) with viem.
 *
 * A round is turned into a report by `chainlinkRoundToReport`, which rejects, with a reason
 * and in this order: `updatedAt == 0` (`no-timestamp`: round not complete, or no round at
 * all), `answeredInRound < roundId` (`invalid-round`: the answer is carried over from an
 * earlier round), `answer <= 0` (`invalid-price`). The answer is scaled by `10^decimals` exactly (decimal string, then the nearest
 * double). Staleness is not judged here: the aggregator compares `updatedAt` with its clock.
 */
import { formatUnits, parseAbi, type Address, type PublicClient } from 'viem'
import type { FeedReport } from '../risk/oracle/index.js'
import type { PriceFeed } from './feed.js'

/** Chainlink's AggregatorV3Interface (the standard external interface, not generated from our build). */
export const aggregatorV3Abi = parseAbi([
  'function decimals() view returns (uint8)',
  'function description() view returns (string)',
  'function version() view returns (uint256)',
  'function getRoundData(uint80 _roundId) view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)',
  'function latestRoundData() view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)',
])

/** One round as `latestRoundData` returns it. */
export type ChainlinkRound = {
  readonly roundId: bigint
  readonly answer: bigint
  readonly startedAt: bigint
  readonly updatedAt: bigint
  readonly answeredInRound: bigint
}

/**
 * Validates and scales a round: a reading with `price = answer / 10^decimals` and
 * `updatedAt` in unix seconds, or a failure with its reason.
 *
 * @example chainlinkRoundToReport('cl-eth', { roundId: 5n, answer: 300012345678n, startedAt: 1n, updatedAt: 1800000000n, answeredInRound: 5n }, 8)
 * // { feedId: 'cl-eth', price: 3000.12345678, updatedAt: 1800000000 }
 */
export function chainlinkRoundToReport(feedId: string, round: ChainlinkRound, decimals: number): FeedReport {
  const raw = `round ${round.roundId}: answer ${round.answer}, updatedAt ${round.updatedAt}, answeredInRound ${round.answeredInRound}`
  if (round.updatedAt === 0n) return { feedId, failure: 'no-timestamp', detail: raw }
  if (round.answeredInRound < round.roundId) return { feedId, failure: 'invalid-round', detail: raw }
  if (round.answer <= 0n) return { feedId, failure: 'invalid-price', detail: raw }
  const price = Number(formatUnits(round.answer, decimals))
  if (!Number.isFinite(price)) return { feedId, failure: 'invalid-price', detail: raw }
  return { feedId, price, updatedAt: Number(round.updatedAt) }
}

/** Where a Chainlink-style feed lives. */
export type ChainlinkFeedOptions = {
  readonly id: string
  readonly client: PublicClient
  readonly address: Address
  /** The feed's decimals if known; otherwise read once from the contract. */
  readonly decimals?: number
}

/** A `PriceFeed` over an AggregatorV3 contract, with the round it read last. */
export type ChainlinkFeed = PriceFeed & {
  readonly address: Address
  /** The latest round read (for logs and the API); undefined before the first success. */
  lastRound(): ChainlinkRound | undefined
}

/**
 * A feed reading `latestRoundData` (and `decimals`, once) from `address`. Read errors
 * become `read-failed` reports; nothing is cached but the decimals.
 *
 * @example
 * const feed = chainlinkFeed({ id: 'chainlink-eth', client: ctx.publicClient, address: '0x5f4e…8419' })
 * await feed.read() // { feedId: 'chainlink-eth', price: 3012.5, updatedAt: 1800000000 }
 */
export function chainlinkFeed(options: ChainlinkFeedOptions): ChainlinkFeed {
  let decimals = options.decimals
  let last: ChainlinkRound | undefined
  const contract = { address: options.address, abi: aggregatorV3Abi } as const
  return {
    id: options.id,
    address: options.address,
    lastRound: () => last,
    async read(): Promise<FeedReport> {
      try {
        decimals ??= await options.client.readContract({ ...contract, functionName: 'decimals' })
        const [roundId, answer, startedAt, updatedAt, answeredInRound] = await options.client.readContract({ ...contract, functionName: 'latestRoundData' })
        last = { roundId, answer, startedAt, updatedAt, answeredInRound }
        return chainlinkRoundToReport(options.id, last, decimals)
      } catch (error) {
        const message = error instanceof Error ? ((error as { shortMessage?: string }).shortMessage ?? error.message) : String(error)
        return { feedId: options.id, failure: 'read-failed', detail: message.split('\n')[0] ?? message }
      }
    },
  }
}
