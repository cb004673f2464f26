/** What the API plugins reach: the engine, the batch pipeline, the market and node facts. */
import type { Address } from 'viem'
import type { Engine } from '../engine.js'
import type { BatchPipeline } from '../pipeline.js'
import type { Market } from '../market.js'

export type ApiContext = {
  readonly engine: Engine
  readonly pipeline: BatchPipeline
  readonly market: Market
  readonly now: () => bigint
  readonly info: { readonly rollup: Address; readonly chainId: number; readonly prover: string }
}
