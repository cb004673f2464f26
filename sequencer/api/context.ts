/** What the API plugins reach: the engine, the batch pipeline, the market and node facts. */
import type { Address } from 'viem'
import type { Engine } from '../engine.js'
import type { StreamHub } from '../streamHub.js'
import type { Recorder } from '../recorder.js'
import type { MarketFeed } from '../marketFeed.js'
import type { BatchPipeline } from '../pipeline.js'
import type { Market, TradingMode } from '../market.js'
import type { NodeMetrics } from '../nodeMetrics.js'
import type { RateLimitConfig } from './limits.js'
import type { SignatureGate } from '../signatureGate.js'

/** A change of an underlying's trading state, for the API's log. */
export type ModeTransition = { readonly underlying: string; readonly from: TradingMode; readonly to: TradingMode; readonly reason: string; readonly at: bigint }

/**
 * What readiness is judged on, kept current by the node (sequencer/node.ts): each field is a
 * fact the node observed, never a guess made at request time.
 */
export type NodeFacts = {
  /** The journal replay at start: done before the API listens; entries and time for the record. */
  readonly journal: { readonly replayed: boolean; readonly entries: number; readonly ms: number; readonly path?: string; readonly checkpointSegment?: number }
  /** Wall-clock milliseconds of the last L1 poll that succeeded, and the last failure since then. */
  readonly l1: { readonly lastSyncAt: number | undefined; readonly lastError: string | undefined }
  /** Whether a prover can take the next batch (in-process: circuit artifacts present; bullmq: a worker connected). */
  readonly prover: { readonly attached: boolean; readonly detail: string }
}

/** How far a read-only replica is behind its primary (sequencer/replica.ts). */
export type ReplicaStatus = {
  /** Complete journal lines written that the replica has not replayed yet. */
  readonly behindEntries: number
  /** Journal lines replayed so far. */
  readonly appliedEntries: number
  /** The live primary holding the journal's lock; absent once it is gone (the replica takes over). */
  readonly primaryPid?: number
}

/** What the API knows of the replica it serves for. */
export type ReplicaView = {
  /** Why writes are refused: the reason of every 503 READ_ONLY_REPLICA. */
  readonly reason: string
  readonly status: () => ReplicaStatus
}

export type ApiContext = {
  /** Reads. */
  readonly engine: Engine
  /** The state root after every change so far (the state hasher's, sequencer/stateHasher.ts). */
  readonly stateRoot: () => Promise<bigint>
  /** Writes, journaled before they are acknowledged. */
  readonly recorder: Recorder
  /** Order signatures checked on worker threads ahead of the engine; absent: the engine checks alone. */
  readonly signatures?: SignatureGate
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
  /** Readiness facts (GET /v1/health/ready). */
  readonly facts: () => NodeFacts
  /** The node is not ready once its last good L1 poll is older than this (milliseconds). */
  readonly maxSyncAgeMs: number
  /** Prometheus metrics (GET /metrics). */
  readonly metrics: NodeMetrics
  /** Batches cut that the state hasher has not assembled yet (absent: the engine hashes itself). */
  readonly hasherPendingBatches?: () => number
  /** Token buckets per IP and per account; false turns them off. */
  readonly rateLimits: RateLimitConfig | false
  /** Batches not yet on L1 past which new orders are refused (api/backlog.ts); false: no limit. */
  readonly maxProvingBacklog: number | false
  /** The WebSocket stream's subscriptions and fan-out (GET /v1/stream). */
  readonly stream: StreamHub
  /** Set on a read-only replica: writes are refused with 503 READ_ONLY_REPLICA, the lag shows in readiness. */
  readonly replica?: ReplicaView
}
