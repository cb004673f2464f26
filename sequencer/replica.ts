/**
 * Replica mode: a second sequencer process on the primary's data directory. It follows the
 * primary's journal read-only (sequencer/journalFollower.ts) into an engine of its own, serves
 * the read API (writes are refused with 503 READ_ONLY_REPLICA), reports how far behind it is,
 * and takes over when the primary dies.
 *
 * Takeover is a restart on the same journal: once the journal's lock (sequencer/dataLock.ts)
 * is no longer held by a live process, the replica takes it, closes its read API and starts a
 * full node (`startNode`) on the same journal and the same port. The journal holds every
 * acknowledged input, and the replay drops a torn last line exactly as a restart does, so the
 * new primary serves exactly the acknowledged state. Continuing from the follower's engine
 * instead would save the replay (about a millisecond per entry) but would need a second path
 * to a running node (reconciling replayed batches with L1, the pipeline, the settlement
 * keeper), which a restart already does and the crash tests already check.
 */
import { PollTimer } from './pollTimer.js'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { Gauge } from 'prom-client'
import { connectL1 } from '../l1/clients.js'
import { readRollupStatus } from '../l1/rollupReaders.js'
import { RollupState } from '../state/index.js'
import type { Prover } from '../prover/queue.js'
import { buildApi, type TrustProxy } from './api/app.js'
import type { ApiContext, NodeFacts, ReplicaView } from './api/context.js'
import { DEFAULT_RATE_LIMITS } from './api/limits.js'
import { acquireDataLock, DataLockedError, liveHolder } from './dataLock.js'
import { Engine } from './engine.js'
import { firstJournalLine, JournalError, journalSegmentPath, journalSegments } from './journal.js'
import { JournalFollower } from './journalFollower.js'
import { Market } from './market.js'
import { defaultSurface, MarketFeed } from './marketFeed.js'
import { addListedSeries, startNode, type NodeConfig, type RollupNode } from './node.js'
import { NodeMetrics } from './nodeMetrics.js'
import { BatchPipeline } from './pipeline.js'
import { Recorder } from './recorder.js'
import { checkCheckpointRoot, journalBase, recoveryPoint, stateAtBatch } from './recovery.js'
import { StreamHub } from './streamHub.js'

export type ReplicaConfig = NodeConfig & {
  /** The primary's journal: required, it is what the replica follows. */
  readonly journalPath: string
  /** Take over when the primary dies (default true); false only follows. */
  readonly takeover?: boolean
}

export type Replica = {
  /** The read API's base URL; the node that takes over listens on the same port. */
  readonly url: string
  readonly engine: Engine
  readonly follower: JournalFollower
  readonly api: FastifyInstance
  /** Resolves with the node this replica became once the primary died (never while it only follows). */
  readonly primary: Promise<RollupNode>
  /** Milliseconds from seeing the primary gone to the new primary listening, once taken over. */
  readonly takeoverMs: () => number | undefined
  /** Stops following (and the node it became, if it took over: `drain` as in `RollupNode.stop`). */
  readonly stop: (options?: { readonly drain?: boolean }) => Promise<void>
}

/** The engine a follower replays into and the read-side pieces of an API context around it. */
export type ReplicaParts = {
  readonly engine: Engine
  readonly market: Market
  readonly follower: JournalFollower
  readonly now: () => bigint
  readonly info: ApiContext['info']
  readonly facts: () => NodeFacts
  /** The live primary's pid, if the lock names one. */
  readonly primaryPid: () => number | undefined
  readonly metrics: NodeMetrics
  readonly config: Pick<NodeConfig, 'market' | 'surface' | 'adminToken' | 'rateLimits' | 'maxSyncAgeMs' | 'pollIntervalMs' | 'params'>
  readonly log?: (s: string) => void
}

/** A prover for a process that proves nothing: the replica's pipeline is never handed a batch. */
const noProver: Prover = { kind: 'in-process', prove: () => Promise.reject(new Error('a replica proves nothing')), close: async () => {} }

/**
 * The read API over a follower's engine: the same app as a node's, with `replica` set in its
 * context (writes refused, lag in /v1/health/ready and in `sequencer_replica_behind_entries`).
 */
export async function replicaApi(parts: ReplicaParts, options: { logger?: FastifyServerOptions['logger']; trustProxy?: TrustProxy } = {}): Promise<{ api: FastifyInstance; stream: StreamHub }> {
  const { engine, market, follower, now, metrics, config } = parts
  const recorder = new Recorder(engine, market, undefined, now)
  const pipeline = new BatchPipeline(noProver, () => Promise.reject(new Error('a replica submits nothing')), { firstNumber: 0 })
  // The primary's market inputs arrive as journal entries: the replica's feed never refreshes.
  const feed = new MarketFeed(market, recorder, { surface: config.surface ?? defaultSurface(config.market.volByUnderlying, now()), ratePerYear: config.market.ratePerYear, now })
  const stream = new StreamHub({ engine, market, now }, parts.log ? { log: parts.log } : {})
  const replica: ReplicaView = {
    reason: `this node is a read-only replica following ${follower.path}; send writes to the primary (it takes over only when the primary dies)`,
    status: () => {
      const pid = parts.primaryPid()
      return { behindEntries: follower.behind(), appliedEntries: follower.applied, ...(pid !== undefined ? { primaryPid: pid } : {}) }
    },
  }
  new Gauge({
    name: 'sequencer_replica_behind_entries',
    help: 'Complete journal lines the replica has not replayed yet (read at scrape)',
    registers: [metrics.registry],
    collect() {
      this.set(follower.behind())
    },
  })
  new Gauge({
    name: 'sequencer_replica_applied_entries',
    help: 'Journal lines the replica has replayed',
    registers: [metrics.registry],
    collect() {
      this.set(follower.applied)
    },
  })
  const ctx: ApiContext = {
    engine,
    stateRoot: async () => engine.state.root,
    recorder,
    pipeline,
    market,
    feed,
    adminToken: config.adminToken,
    now,
    transitions: () => [],
    info: parts.info,
    settlementPrices: () => new Map(),
    facts: parts.facts,
    maxSyncAgeMs: config.maxSyncAgeMs ?? Math.max(15_000, 3 * (config.pollIntervalMs ?? 1_000)),
    metrics,
    rateLimits: config.rateLimits ?? DEFAULT_RATE_LIMITS,
    // Writes are refused on a replica whatever the backlog; the node it becomes sets its own.
    maxProvingBacklog: false,
    stream,
    replica,
  }
  return { api: await buildApi(ctx, options), stream }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Starts a replica of the node writing `config.journalPath` (same settings as that node's).
 * Waits for the journal's start line, rebuilds the state L1 held before the journal, replays
 * what is written, then listens and keeps following until the primary dies.
 */
export async function startReplica(config: ReplicaConfig): Promise<Replica> {
  const log = config.log ?? (() => {})
  const wall = () => BigInt(Math.floor(Date.now() / 1000))
  const clockNow = config.now ?? wall
  const pollIntervalMs = config.pollIntervalMs ?? 1_000
  const l1 = await connectL1(config.rpcUrl, config.operatorKey)
  const chainId = l1.walletClient.chain.id
  const fromBlock = config.deployBlock ?? 0n
  const path = config.journalPath

  const market = new Market(config.market)
  await addListedSeries(l1.publicClient, config.rollup, fromBlock, market, log)
  const clock = { now: 0n, replaying: false }
  const now = () => (clock.replaying ? clock.now : clockNow())
  // The state before the segment it begins with: the newest checkpoint L1 caught up with, or
  // L1's first `baseBatches` batches (segment 0's start line).
  for (let waited = 0; !journalSegments(path).some((k) => firstJournalLine(journalSegmentPath(path, k))?.t === 'start'); waited++) {
    if (waited % Math.max(1, Math.round(10_000 / pollIntervalMs)) === 0) log(`replica: waiting for the primary's journal ${path}`)
    await sleep(pollIntervalMs)
  }
  const verified = Number((await readRollupStatus(l1.publicClient, config.rollup)).batchCount)
  const point = recoveryPoint(path, verified)
  for (const reason of point.skipped) log(`replica: ${reason}; an older start serves instead`)
  const start = firstJournalLine(journalSegmentPath(path, point.segment))!
  const base = journalBase([start], chainId, config.rollup)
  const checkpoint = point.checkpoint
  let state: RollupState
  if (checkpoint) {
    state = RollupState.fromRecords(config.params, checkpoint.engine.records)
    await checkCheckpointRoot(l1.publicClient, config.rollup, config.params, state.root, base, fromBlock)
    market.update(checkpoint.market)
    log(`replica: starting from the checkpoint of segment ${point.segment} (batch ${base})`)
  } else state = await stateAtBatch(l1.publicClient, config.rollup, config.params, base, fromBlock)
  let batches = 0
  const engineOptions = { market, now, onBatch: () => void batches++ }
  const engine = checkpoint ? Engine.fromCheckpoint(state, checkpoint.engine, engineOptions) : new Engine(state, { ...engineOptions, firstBatchNumber: base })
  const follower = new JournalFollower(path, engine, market, clock, point.segment)
  const metrics = new NodeMetrics()

  // The series were read from L1 just above.
  let lastSyncAt = Date.now()
  let lastError: string | undefined
  const refreshSeries = async () => {
    try {
      await addListedSeries(l1.publicClient, config.rollup, fromBlock, market, log)
      lastSyncAt = Date.now()
      lastError = undefined
    } catch (e) {
      lastError = (e as Error).message
      log(`replica: L1 read failed (will retry): ${lastError}`)
    }
  }
  /** Replays what is written; reads L1's series when an entry needs one the market lacks. */
  const catchUp = async () => {
    for (;;) {
      const { missingSeries } = follower.catchUp()
      if (missingSeries === undefined) return
      await refreshSeries()
      // Not listed on L1 as far as this node sees yet (a lagging RPC node): the next poll retries.
      if (!market.seriesById(missingSeries)) return
    }
  }
  const replayStarted = performance.now()
  await catchUp()
  const replayMs = Math.round(performance.now() - replayStarted)
  log(`replica: followed ${follower.applied} journal entries in ${replayMs} ms (${batches} batches, ${engine.pendingSlots} pending slots)`)

  const facts = (): NodeFacts => ({
    journal: { replayed: true, entries: follower.applied, ms: replayMs, path },
    l1: { lastSyncAt, lastError },
    prover: { attached: false, detail: 'a replica proves nothing (it starts a prover when it takes over)' },
  })
  const { api, stream } = await replicaApi(
    {
      engine,
      market,
      follower,
      now,
      info: { rollup: config.rollup, chainId, prover: 'none (replica)' },
      facts,
      primaryPid: () => liveHolder(path),
      metrics,
      config,
      log,
    },
    { logger: config.logger ?? false, ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}) },
  )
  const url = await api.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 })
  const port = Number(new URL(url).port)

  let running = true
  const timer = new PollTimer(pollIntervalMs)
  let took: number | undefined
  let resolvePrimary!: (node: RollupNode) => void
  let rejectPrimary!: (error: Error) => void
  const primary = new Promise<RollupNode>((resolve, reject) => {
    resolvePrimary = resolve
    rejectPrimary = reject
  })
  primary.catch(() => {})
  let node: RollupNode | undefined
  let polls = 0

  const takeOver = async (): Promise<boolean> => {
    const seen = performance.now()
    try {
      acquireDataLock(path)
    } catch (e) {
      if (e instanceof DataLockedError) return false // another process took it first: keep following
      throw e
    }
    log(`replica: the primary is gone; taking over ${path} (${follower.behind()} entries not followed yet are replayed by the restart)`)
    running = false
    stream.stop()
    await api.close()
    // The lock is this process's now: startNode takes it again as its own.
    node = await startNode({ ...config, port })
    took = Math.round(performance.now() - seen)
    log(`replica: took over in ${took} ms; primary at ${node.url}`)
    resolvePrimary(node)
    return true
  }

  const loop = (async () => {
    while (running) {
      await timer.wait()
      if (!running) break
      try {
        // Series are listed on L1 by the operator: read them now and then, and whenever an entry needs one.
        if (polls++ % 10 === 0) await refreshSeries()
        await catchUp()
        if (config.takeover !== false && liveHolder(path) === undefined && (await takeOver())) return
      } catch (e) {
        if (e instanceof JournalError) {
          // The follower's state no longer matches the journal: stop following, stay up to say why.
          lastError = e.message
          log(`replica: stopped following: ${e.message}`)
          running = false
          rejectPrimary(e)
          return
        }
        if (!running) {
          rejectPrimary(e as Error)
          return
        }
        log(`replica: poll failed (will retry): ${(e as Error).message}`)
      }
    }
  })()

  return {
    url,
    engine,
    follower,
    api,
    primary,
    takeoverMs: () => took,
    stop: async (options = {}) => {
      running = false
      timer.interrupt()
      await loop
      if (node) return node.stop(options)
      stream.stop()
      await api.close()
    },
  }
}
