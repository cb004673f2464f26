/**
 * A running rollup node: the engine, the batch pipeline (prover + L1 submitter), the L1
 * watcher (queue entries, listed series) and the HTTP API, wired together.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Address, Hex } from 'viem'
import { connectL1, type L1Context } from '../l1/clients.js'
import { submitBatchOnce } from '../l1/rollupCalls.js'
import { readListedSeries, readQueueEntries, readRollupStatus } from '../l1/rollupReaders.js'
import { RollupState, type BatchTrace, type ParamSet } from '../state/index.js'
import type { SolidityProof } from '../prover/prove.js'
import { validateSeries, type VolSurface } from '../risk/index.js'
import { inProcessProver, queueProver, type Prover } from '../prover/queue.js'
import { rebuildStateFromL1 } from '../escape/rebuild.js'
import { Engine } from './engine.js'
import { Market, type MarketInputsConfig } from './market.js'
import { BatchPipeline } from './pipeline.js'
import { StreamHub } from './streamHub.js'
import { buildApi, type TrustProxy } from './api/app.js'
import type { ModeTransition } from './api/context.js'
import type { ApiContext, NodeFacts } from './api/context.js'
import { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './api/limits.js'
import { defaultMaxProvingBacklog } from './api/backlog.js'
import { MeasuredJournal, NodeMetrics } from './nodeMetrics.js'
import { proverProbe } from './proverProbe.js'
import { MarketFeed, defaultSurface } from './marketFeed.js'
import type { UnderlyingStatus } from './market.js'
import type { OracleService } from '../oracle/oracleService.js'
import { Recorder, REPLAY_CHUNK, replayJournalInChunks } from './recorder.js'
import { checkCheckpointRoot, journalBase, reconcileBatches, recoveryPoint, stateAtBatch } from './recovery.js'
import { DEFAULT_CHECKPOINT_ENTRIES, journalPruner } from './journalPruner.js'
import { SettlementKeeper, serialized } from './settlementKeeper.js'
import { acquireDataLock } from './dataLock.js'
import { SignatureGate } from './signatureGate.js'
import { StateHasher } from './stateHasher.js'
import { PollTimer } from './pollTimer.js'
import { ROOT } from '../prover/paths.js'

/**
 * The verifier pool's worker entry, found from the repository root: a bundled node (the crash
 * test's, test/crash/nodeProcess.ts) has no copy beside the bundle.
 */
const VERIFIER_WORKER_URL = pathToFileURL(join(ROOT, 'crypto', 'eddsa', 'poolWorker.mjs'))
const STATE_HASHER_WORKER_URL = pathToFileURL(join(ROOT, 'sequencer', 'stateHasherWorker.mjs'))
/** Proof jobs a node keeps on its BullMQ queue at once by default (`NodeConfig.provingConcurrency`). */
export const DEFAULT_BULLMQ_PROVING_CONCURRENCY = 8

function defaultVerifyWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1))
}

export type NodeConfig = {
  readonly params: ParamSet
  readonly rpcUrl: string
  /** Key of the Rollup's operator account (submits batches). */
  readonly operatorKey: Hex
  readonly rollup: Address
  /** Block of the Rollup's deployment: where log scans start. */
  readonly deployBlock?: bigint
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  /** A partly filled batch is cut (padded with no-ops) once its first slot is this old. */
  readonly batchTimeoutMs?: number
  /** How often L1 is polled for queue entries and series. */
  readonly pollIntervalMs?: number
  readonly market: MarketInputsConfig
  readonly prover?: { readonly kind: 'in-process' } | { readonly kind: 'bullmq'; readonly redisUrl: string }
  /**
   * Batches proven at once while earlier ones wait for their turn on L1 (`BatchPipeline`).
   * Default: 1 with the in-process prover (it would only share the same cores), 8 with bullmq
   * (the queue holds that many jobs for its workers; more workers want more).
   */
  readonly provingConcurrency?: number
  /** Unix seconds; defaults to the wall clock. */
  readonly now?: () => bigint
  /** The operator's volatility surface (default: a mild skew around `market.volByUnderlying`). */
  readonly surface?: VolSurface
  /** Bearer token of the operator's admin routes; without one they are off. */
  readonly adminToken?: string
  /** Index prices and trading states; without one, `market`'s static spots stand and trading is always normal. */
  readonly oracle?: OracleService
  /** Write-ahead journal file; without one, a restart recovers only what L1 holds. */
  readonly journalPath?: string
  /**
   * Journal segments: a segment this many entries long ends at the next batch boundary with a
   * checkpoint, from which a restart replays (default `DEFAULT_CHECKPOINT_ENTRIES`; 0: never).
   */
  readonly checkpointEntries?: number
  /** Delete the segments before a checkpoint once L1 verified every batch they cut (default true). */
  readonly pruneJournal?: boolean
  readonly logger?: FastifyServerOptions['logger']
  readonly log?: (s: string) => void
  /** Fix expired series' settlement prices on L1 at each poll (sequencer/settlementKeeper.ts); default true. */
  readonly settlementKeeper?: boolean
  /** Token buckets per IP and per account (`DEFAULT_RATE_LIMITS`); false turns them off. */
  readonly rateLimits?: RateLimitConfig | false
  /**
   * Batches not yet on L1 past which new orders are refused with 503 PROVING_BACKLOG, cancels
   * and withdrawals still accepted (api/backlog.ts); default 16,384 slots' worth
   * (`defaultMaxProvingBacklog`); false: no limit.
   */
  readonly maxProvingBacklog?: number | false
  /** Proxies trusted to name the client in `X-Forwarded-For` (addresses/CIDRs, or a hop count); absent, none. */
  readonly trustProxy?: TrustProxy
  /** Not ready once the last good L1 poll is older than this; default max(15 s, 3 poll intervals). */
  readonly maxSyncAgeMs?: number
  /**
   * Worker threads that check order signatures before the engine does (sequencer/signatureGate.ts);
   * 0 leaves every check to the event loop. Default: one fewer than the cores, at least 1, at most 4.
   */
  readonly verifyWorkers?: number
  /**
   * Keep the state's trees on a worker thread (sequencer/stateHasher.ts) rather than hash them
   * on the event loop that answers requests; default true.
   */
  readonly hashOffThread?: boolean
}

export type RollupNode = {
  readonly url: string
  readonly engine: Engine
  /** The engine's writes, journaled before they are acknowledged. */
  readonly recorder: Recorder
  readonly pipeline: BatchPipeline
  readonly market: Market
  readonly feed: MarketFeed
  readonly api: FastifyInstance
  readonly l1: L1Context
  /** The settlement keeper, unless `settlementKeeper: false`. */
  readonly keeper?: SettlementKeeper
  /** Prometheus metrics, served at GET /metrics. */
  readonly metrics: NodeMetrics
  /** Polls L1 once now (queue entries, series) and cuts an overdue batch. */
  readonly sync: () => Promise<void>
  /** Cuts the pending slots into a batch now and waits until every batch is on L1. */
  readonly settle: () => Promise<void>
  /** The state root after every change so far (`engine.state.root` reads 0 once the trees live on the hasher's thread). */
  readonly stateRoot: () => Promise<bigint>
  /**
   * Stops polling and serving. `drain` (default true) first waits until every batch is on L1;
   * without it, batches not yet proven stay in the journal and a restart proves them.
   */
  readonly stop: (options?: { readonly drain?: boolean }) => Promise<void>
}

const wallClock = () => BigInt(Math.floor(Date.now() / 1000))

/** Adds the series listed on L1 since `fromBlock` to `market` (invalid ones are logged and skipped). */
export async function addListedSeries(client: L1Context['publicClient'], rollup: Address, fromBlock: bigint, market: Market, log: (s: string) => void): Promise<void> {
  for (const s of await readListedSeries(client, rollup, { fromBlock })) {
    try {
      validateSeries(s)
      market.addSeries(s)
    } catch (e) {
      log(`ignoring series ${s.id}: ${(e as Error).message}`)
    }
  }
}

/**
 * Starts a node against a deployed Rollup. Its state comes from its journal when it has one
 * (nothing it acknowledged before a crash is lost), else from L1 alone.
 */
export async function startNode(config: NodeConfig): Promise<RollupNode> {
  const log = config.log ?? (() => {})
  const wall = config.now ?? wallClock
  const l1 = await connectL1(config.rpcUrl, config.operatorKey)
  const chainId = l1.walletClient.chain.id
  const fromBlock = config.deployBlock ?? 0n
  const status = await readRollupStatus(l1.publicClient, config.rollup)
  const verified = Number(status.batchCount)

  // One writer per journal: another process (a replica, sequencer/replica.ts) takes over only once this one is dead.
  const releaseLock = config.journalPath ? acquireDataLock(config.journalPath) : undefined
  const metrics = new NodeMetrics()
  const journal = config.journalPath ? new MeasuredJournal(config.journalPath, metrics) : undefined
  // Replay from the newest checkpoint whose batches L1 all verified, else from the journal's start.
  const point = config.journalPath ? recoveryPoint(config.journalPath, verified) : undefined
  for (const reason of point?.skipped ?? []) log(`journal: ${reason}; an older start serves instead`)
  const checkpoint = point?.checkpoint
  const entries = journal?.readFrom(point!.segment) ?? []
  const base = entries.length > 0 ? journalBase(entries, chainId, config.rollup) : verified
  const state = checkpoint
    ? RollupState.fromRecords(config.params, checkpoint.engine.records)
    : entries.length > 0
      ? await stateAtBatch(l1.publicClient, config.rollup, config.params, base, fromBlock)
      : base > 0
        ? await rebuildStateFromL1(l1.publicClient, config.rollup, config.params, { fromBlock })
        : new RollupState(config.params)
  if (checkpoint) {
    await checkCheckpointRoot(l1.publicClient, config.rollup, config.params, state.root, base, fromBlock)
    log(`journal: starting from the checkpoint of segment ${point!.segment} (batch ${base}, root checked against L1)`)
  }
  if (entries.length === 0 && base > 0) log(`state rebuilt from ${base} verified batches on L1`)
  if (entries.length === 0) journal?.append({ t: 'start', chainId, rollup: config.rollup, baseBatches: base })

  const market = new Market(config.market)
  if (checkpoint) market.update(checkpoint.market)
  await addListedSeries(l1.publicClient, config.rollup, fromBlock, market, log)
  // While the journal replays, the engine sees each entry's recorded time.
  const replayClock = { now: 0n, replaying: entries.length > 0 }
  const now = () => (replayClock.replaying ? replayClock.now : wall())
  const replayed: BatchTrace[] = []
  let onBatch = (batch: BatchTrace) => void replayed.push(batch)
  const engineOptions = {
    market,
    now,
    onBatch: (batch: BatchTrace) => onBatch(batch),
    onCancel: (c: { readonly accountIndex: bigint; readonly orderId: bigint; readonly reason: string }) => log(`cancelled order ${c.orderId} of account ${c.accountIndex}: ${c.reason}`),
  }
  // Fills name the batch that carries them: batches already on L1 before this journal count.
  const engine = checkpoint ? Engine.fromCheckpoint(state, checkpoint.engine, engineOptions) : new Engine(state, { ...engineOptions, firstBatchNumber: base })
  // The state's trees go to their own thread before the replay, as in live operation: the
  // worker hashes each chunk of the journal while the engine replays the next, and hands
  // back the replayed batches.
  let hasher: StateHasher | undefined
  // Until the pipeline exists a failure shows in `hasher.failure` (and rejects `root()`).
  let onHasherFailure = (_error: Error) => {}
  if (config.hashOffThread !== false) {
    engine.followWith((seed) => {
      hasher = new StateHasher(
        { params: config.params, ...seed },
        {
          onBatch: (batch) => onBatch(batch),
          onFailure: (error) => onHasherFailure(error),
          workerUrl: STATE_HASHER_WORKER_URL,
        },
      )
      return hasher
    })
  }
  let replayMs = 0
  let toSubmit: BatchTrace[]
  let prune: ((verified: number) => void) | undefined
  try {
    const replayStarted = performance.now()
    if (entries.length > 0) {
      const n = replayJournalInChunks(engine, market, entries, replayClock, REPLAY_CHUNK, () => hasher?.flush())
      replayClock.replaying = false
      // Every replayed batch is handed back before the root is (the worker answers in order).
      await hasher?.root()
      log(`journal replayed: ${n} entries, ${replayed.length} batches, ${engine.pendingSlots} pending slots`)
    }
    replayMs = Math.round(performance.now() - replayStarted)
    metrics.journalReplay.set(replayMs / 1000)
    metrics.journalReplayed.set(entries.length)
    if (journal) metrics.journalSegment.set(journal.segment)
    prune = journal && config.pruneJournal !== false ? journalPruner(journal, log) : undefined
    prune?.(verified)
    toSubmit = await reconcileBatches(l1.publicClient, config.rollup, config.params, replayed, base, verified, fromBlock)
  } catch (error) {
    // A journal that does not replay, or batches that do not match L1: nothing may keep running.
    await hasher?.close()
    throw error
  }

  // Created after the replay, so that the replay publishes nothing.
  const stream = new StreamHub({ engine, market, now, durable: () => recorder.durable() }, { log })
  const prover: Prover = config.prover?.kind === 'bullmq' ? await queueProver(config.params, config.prover.redisUrl) : inProcessProver(config.params)
  // Batch submissions and keeper transactions share the operator's nonce: one at a time.
  const send = serialized()
  // A batch goes to L1 only once the journal entries that made it are on disk (a restart must find them).
  // Once: a batch a killed predecessor already got verified is taken as verified, not sent again.
  const submit = async (trace: BatchTrace, proof: SolidityProof, number: number) => {
    await recorder.durable()
    const mined = await send(() => submitBatchOnce(l1, config.rollup, number, trace, proof, { fromBlock: config.deployBlock ?? 0n }))
    if (mined.alreadyVerified) log(`batch ${number} was already verified on L1 (${mined.hash}): not sent again`)
    return mined
  }
  const pipeline = new BatchPipeline(prover, submit, {
    firstNumber: verified,
    provingConcurrency: config.provingConcurrency ?? (prover.kind === 'bullmq' ? DEFAULT_BULLMQ_PROVING_CONCURRENCY : 1),
    log,
    onChange: (record) => {
      metrics.observeBatch(record)
      stream.batchChanged(record)
      if (record.status === 'verified') prune?.(record.number + 1)
    },
  })
  const keeper = config.settlementKeeper === false ? undefined : new SettlementKeeper({ l1, rollup: config.rollup, series: () => market.series(), log, send })
  for (const batch of toSubmit) pipeline.enqueue(batch)
  onBatch = (batch) => void pipeline.enqueue(batch)
  onHasherFailure = (error) => pipeline.halt(error.message)
  if (hasher?.failure) pipeline.halt(hasher.failure.message) // failed while the node was starting
  /** The state root after every change so far: the hasher's, once it keeps the trees. */
  const stateRoot = async (): Promise<bigint> => (hasher ? hasher.root() : engine.state.root)
  const recorder = new Recorder(engine, market, journal, now, {
    everyEntries: config.checkpointEntries ?? DEFAULT_CHECKPOINT_ENTRIES,
    onCheckpoint: (c) => {
      metrics.journalCheckpoints.inc()
      metrics.journalCheckpointSeconds.set(c.ms / 1000)
      metrics.journalSegment.set(c.segment)
      log(`journal: segment ${c.segment} begins at batch ${c.baseBatches}, checkpoint of ${c.bytes} bytes in ${Math.round(c.ms)} ms`)
    },
    onCheckpointError: (error) => {
      metrics.journalCheckpointFailures.inc()
      log(`journal: checkpoint failed, writing goes on in the current segment and it is tried again later: ${error.message}`)
    },
  })
  const transitions: ModeTransition[] = []
  const oracle = config.oracle
  const pollOracle = async () => {
    if (!oracle) return
    const snapshot = await oracle.poll()
    const spots: Record<string, number> = {}
    const statuses: Record<string, UnderlyingStatus> = {}
    for (const [underlying, u] of Object.entries(snapshot.underlyings)) {
      const price = u.price ?? u.lastGoodPrice
      if (price !== undefined) spots[underlying] = price
      statuses[underlying] = { mode: u.tradingMode, liquidationsAllowed: u.liquidationsAllowed, ...(u.restrictions.length > 0 ? { reason: u.restrictions.join('; ') } : {}) }
    }
    feed.onOracle(spots, statuses)
    const effective = snapshot.events.filter((e) => e.source === 'effective').map((e) => ({ underlying: e.underlying, from: e.from, to: e.to, reason: e.reason, at: BigInt(e.at) }))
    const seen = new Set(transitions.map((t) => `${t.underlying}/${t.at}/${t.to}`))
    for (const t of effective) if (!seen.has(`${t.underlying}/${t.at}/${t.to}`)) log(`${t.underlying}: trading ${t.from} -> ${t.to} (${t.reason})`)
    transitions.splice(0, transitions.length, ...effective)
  }
  const feed = new MarketFeed(market, recorder, { surface: config.surface ?? defaultSurface(config.market.volByUnderlying, wall()), ratePerYear: config.market.ratePerYear, now })
  feed.refresh()

  const batchTimeoutMs = config.batchTimeoutMs ?? 5_000
  let pendingSince: number | undefined
  let liveWarned = 0
  const sync = async () => {
    await addListedSeries(l1.publicClient, config.rollup, fromBlock, market, log)
    // Each batch's market table has marketRows rows (held series first): more live series than
    // that leaves those with the highest ids without a row, and no order on them is accepted.
    const live = market.liveSeries(now()).length
    if (live > config.params.marketRows && live !== liveWarned)
      log(`warning: ${live} live series, but a batch's market table has ${config.params.marketRows} rows: the series with the highest ids cannot trade`)
    liveWarned = live > config.params.marketRows ? live : 0
    feed.refresh()
    await pollOracle()
    await keeper?.poll()
    for (const { queueIndex, entry } of await readQueueEntries(l1.publicClient, config.rollup, { fromBlock, fromIndex: engine.nextQueueIndex })) {
      const { accountIndex } = recorder.applyQueueEntry(queueIndex, entry)
      log(`L1 queue entry ${queueIndex} applied to account ${accountIndex}`)
    }
    // Expired series whose price L1 fixed are settled (positions closed at their payoff).
    // A refusal here is logged and retried at the next sync: it must not stop the rest of the
    // sync (the batch timeout below above all).
    for (const [seriesId, price] of keeper?.prices ?? new Map<bigint, bigint>()) {
      try {
        const executed = recorder.settleSeries(seriesId, price)
        if (executed.length > 0) log(`settled ${executed.length} position(s) of series ${seriesId} at ${price}`)
      } catch (e) {
        log(`settling series ${seriesId} at ${price} failed (will retry): ${(e as Error).message}`)
      }
    }
    // Expired orders leave the books (else they would show there until an order reached them).
    try {
      const expired = recorder.expireOrders()
      if (expired.length > 0) log(`${expired.length} resting order(s) expired and left the books`)
    } catch (e) {
      log(`expiring orders failed (will retry): ${(e as Error).message}`)
    }
    // Accounts below maintenance under the batch's table are handed to the insurance fund.
    try {
      const { executed } = recorder.liquidate()
      for (const e of executed)
        log(`liquidated ${e.size} of series ${e.seriesId} of account ${e.accountIndex} into the insurance fund: it paid ${e.paid}${e.bankrupt ? ' (bankrupt: the fund takes the rest)' : ''}`)
    } catch (e) {
      log(`liquidations failed (will retry): ${(e as Error).message}`)
    }
    if (engine.pendingSlots === 0) pendingSince = undefined
    else if (pendingSince === undefined) pendingSince = Date.now()
    else if (Date.now() - pendingSince >= batchTimeoutMs) {
      recorder.flush()
      pendingSince = undefined
    }
  }
  // Readiness facts: what the node last observed of L1 and of its prover.
  const probe = proverProbe(config.params, config.prover ?? { kind: 'in-process' })
  let facts: NodeFacts = {
    journal: { replayed: true, entries: entries.length, ms: replayMs, ...(config.journalPath ? { path: config.journalPath } : {}), ...(checkpoint ? { checkpointSegment: point!.segment } : {}) },
    l1: { lastSyncAt: undefined, lastError: undefined },
    prover: { attached: false, detail: 'not checked yet' },
  }
  // One sync at a time: the poll loop and a caller of `RollupNode.sync` would otherwise read
  // the same L1 queue entries and apply them twice (the second refused as out of order).
  let syncing: Promise<void> = Promise.resolve()
  const trackedSync = async () => {
    const mine = syncing.catch(() => {}).then(sync)
    syncing = mine
    try {
      await mine
    } catch (e) {
      metrics.l1SyncFailures.inc()
      facts = { ...facts, l1: { ...facts.l1, lastError: (e as Error).message } }
      throw e
    }
    const at = Date.now()
    metrics.l1LastSync.set(at / 1000)
    facts = { ...facts, l1: { lastSyncAt: at, lastError: undefined } }
    const prover = await probe.check().catch((e: Error) => ({ attached: false, detail: `prover check failed: ${e.message}` }))
    facts = { ...facts, prover }
  }
  await trackedSync().catch(async (e: Error) => {
    await probe.close()
    throw e
  })

  const signatures = new SignatureGate({ workers: config.verifyWorkers ?? defaultVerifyWorkers(), workerUrl: VERIFIER_WORKER_URL, onWait: (seconds) => metrics.signatureGateWait.observe(seconds) })
  const apiContext: ApiContext = {
    engine,
    stateRoot,
    hasherPendingBatches: () => hasher?.pendingBatches ?? 0,
    signatures,
    recorder,
    pipeline,
    market,
    feed,
    adminToken: config.adminToken,
    now,
    transitions: () => transitions,
    info: { rollup: config.rollup, chainId, prover: prover.kind },
    settlementPrices: () => keeper?.prices ?? new Map(),
    facts: () => facts,
    maxSyncAgeMs: config.maxSyncAgeMs ?? Math.max(15_000, 3 * (config.pollIntervalMs ?? 1_000)),
    metrics,
    rateLimits: config.rateLimits ?? DEFAULT_RATE_LIMITS,
    maxProvingBacklog: config.maxProvingBacklog ?? defaultMaxProvingBacklog(config.params.batchSize),
    stream,
  }
  const api = await buildApi(apiContext, { logger: config.logger ?? false, ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}) })
  const url = await api.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 })

  let running = true
  const timer = new PollTimer(config.pollIntervalMs ?? 1_000)
  const loop = (async () => {
    while (running) {
      await timer.wait()
      if (!running) break
      await trackedSync().catch((e: Error) => log(`L1 sync failed (will retry): ${e.message}`))
    }
  })()

  return {
    url,
    engine,
    recorder,
    pipeline,
    market,
    feed,
    api,
    l1,
    ...(keeper ? { keeper } : {}),
    metrics,
    sync: trackedSync,
    stateRoot,
    settle: async () => {
      recorder.flush()
      pendingSince = undefined
      await hasher?.idle()
      await pipeline.idle()
    },
    stop: async (options = {}) => {
      running = false
      timer.interrupt()
      await loop
      stream.stop()
      await api.close()
      await signatures.close()
      if (options.drain !== false) await hasher?.idle().catch(() => {})
      await hasher?.close()
      if (options.drain !== false) await pipeline.idle()
      await prover.close()
      await probe.close()
      journal?.close()
      releaseLock?.()
    },
  }
}
