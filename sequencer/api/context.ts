/** What the API plugins reach: the engine, the batch pipeline, the market and node facts. */
import type { Address } from 'viem'
import type { Engine } from '../engine.js'
import type { Recorder } from '../recorder.js'
import type { BatchPipeline } from '../pipeline.js'
import type { Market } from '../market.js'

export type ApiContext = {
  /** Reads. */
  readonly engine: Engine
  /** Writes, journaled before they are acknowledged. */
  readonly recorder: Recorder
  readonly pipeline: BatchPipeline
  readonly market: Market
  readonly now: () => bigint
  readonly info: { readonly rollup: Address; readonly chainId: number; readonly prover: string }
}
