/** What the API plugins reach: the engine, the batch pipeline, the market and node facts. */
import type { Address } from 'viem'
import type { Engine } from '../engine.js'
import type { Recorder } from '../recorder.js'
import type { MarketFeed } from '../marketFeed.js'
import type { BatchPipeline } from '../pipeline.js'
import type { Market, TradingMode } from '../market.js'

/** A change of an underlying's trading state, for the API's log. */
export type ModeTransition = { readonly underlying: string; readonly from: TradingMode; readonly to: TradingMode; readonly reason: string; readonly at: bigint }

export type ApiContext = {
  /** Reads. */
  readonly engine: Engine
  /** Writes, journaled before they are acknowledged. */
  readonly recorder: Recorder
  readonly pipeline: BatchPipeline
  readonly market: Market
  readonly feed: MarketFeed
  /** Bearer token of the admin routes; undefined turns them off. */
  readonly adminToken: string | undefined
  readonly now: () => bigint
  /** Settlement prices fixed on L1, by series id (protocol price unit). */
  readonly settlementPrices: () => ReadonlyMap<bigint, bigint>
  /** Recent trading-state transitions, oldest first. */
  readonly transitions: () => readonly ModeTransition[]
  readonly info: { readonly rollup: Address; readonly chainId: number; readonly prover: string }
}
