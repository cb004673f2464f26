/**
 * The node's Prometheus metrics (prom-client, one registry per node so that several nodes in
 * one process, as in the tests, never mix their counts). Events are counted where they
 * happen (HTTP hooks, the journal, the batch pipeline, the L1 sync); levels that are cheap to
 * read (open orders, batches by status, pending slots) are read from the node at scrape time
 * (`refresh`), so they can never drift from the truth.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { Side } from '../state/index.js'
import type { Engine } from './engine.js'
import { Journal } from './journal.js'
import type { Market } from './market.js'
import type { BatchRecord, BatchStatus } from './pipeline.js'

/** Writes the API counts by outcome: an accepted order's status, or a refusal's error code. */
export type WriteKind = 'order' | 'cancel' | 'withdrawal'

const BATCH_STATUSES: readonly BatchStatus[] = ['proving', 'submitting', 'verified', 'failed']

export class NodeMetrics {
  readonly registry = new Registry()
  readonly httpRequests = new Counter({
    name: 'sequencer_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [this.registry],
  })
  readonly httpDuration = new Histogram({
    name: 'sequencer_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by route template, method and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  })
  readonly writes = new Counter({
    name: 'sequencer_writes_total',
    help: 'Orders, cancels and withdrawals by result: accepted (code = the order status, or "accepted"), or rejected (code = the error code)',
    labelNames: ['kind', 'result', 'code'] as const,
    registers: [this.registry],
  })
  readonly fills = new Counter({ name: 'sequencer_fills_total', help: 'Fills (trades) of accepted orders', registers: [this.registry] })
  readonly filledSize = new Counter({ name: 'sequencer_filled_size_total', help: 'Size traded by accepted orders, in size units', registers: [this.registry] })
  readonly rateLimited = new Counter({
    name: 'sequencer_rate_limited_total',
    help: 'Requests refused with 429, by bucket scope (ip or account)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  })
  readonly journalFsync = new Histogram({
    name: 'sequencer_journal_fsync_seconds',
    help: 'Duration of one journal fsync; every write waits for the one that covers it before it is acknowledged (group commit)',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  })
  readonly journalGroup = new Histogram({
    name: 'sequencer_journal_fsync_entries',
    help: 'Journal entries made durable by one fsync (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  })
  readonly journalReplay = new Gauge({
    name: 'sequencer_journal_replay_seconds',
    help: 'How long the journal replay at start took',
    registers: [this.registry],
  })
  readonly journalSegment = new Gauge({
    name: 'sequencer_journal_segment',
    help: 'The journal segment being written (a new one begins at each checkpoint)',
    registers: [this.registry],
  })

  readonly journalCheckpoints = new Counter({
    name: 'sequencer_journal_checkpoints_total',
    help: 'Journal checkpoints taken (each begins a segment)',
    registers: [this.registry],
  })

  readonly journalCheckpointFailures = new Counter({
    name: 'sequencer_journal_checkpoint_failures_total',
    help: 'Journal checkpoints that failed (the journal went on in its segment; tried again later)',
    registers: [this.registry],
  })

  readonly journalCheckpointSeconds = new Gauge({
    name: 'sequencer_journal_checkpoint_seconds',
    help: 'How long the last journal checkpoint took (the event loop waits for it)',
    registers: [this.registry],
  })

  readonly journalReplayed = new Gauge({
    name: 'sequencer_journal_replayed_entries',
    help: 'Journal entries replayed at start',
    registers: [this.registry],
  })
  readonly proving = new Histogram({
    name: 'sequencer_batch_proving_seconds',
    help: 'Prover time per batch',
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  })
  readonly batchesDone = new Counter({
    name: 'sequencer_batches_finished_total',
    help: 'Batches that reached a final status since start (verified or failed)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  })
  readonly batches = new Gauge({
    name: 'sequencer_batches',
    help: 'Batches cut since this node started, by their status now',
    labelNames: ['status'] as const,
    registers: [this.registry],
  })
  readonly openOrders = new Gauge({ name: 'sequencer_open_orders', help: 'Orders resting in the books', registers: [this.registry] })
  readonly pendingSlots = new Gauge({ name: 'sequencer_pending_slots', help: 'Applied slots not yet cut into a batch', registers: [this.registry] })
  readonly halted = new Gauge({ name: 'sequencer_halted', help: '1 while the batch pipeline is halted (writes refused), else 0', registers: [this.registry] })
  readonly l1LastSync = new Gauge({
    name: 'sequencer_l1_last_sync_timestamp_seconds',
    help: 'Unix time of the last successful L1 poll (queue entries, series, oracle)',
    registers: [this.registry],
  })
  readonly l1SyncFailures = new Counter({ name: 'sequencer_l1_sync_failures_total', help: 'L1 polls that failed', registers: [this.registry] })

  readonly signatureGateWait = new Histogram({
    name: 'sequencer_signature_gate_wait_seconds',
    help: 'Time an order waits for its signature check on the verifier threads before the engine takes it (queueing included)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  })
  readonly durabilityWait = new Histogram({
    name: 'sequencer_durability_wait_seconds',
    help: 'Time a write\'s answer waits for the journal fsync that covers it',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  })
  readonly hasherPendingBatches = new Gauge({
    name: 'sequencer_state_hasher_pending_batches',
    help: 'Batches cut by the engine that the state hasher has not assembled yet (how far hashing lags acceptance)',
    registers: [this.registry],
  })

  constructor(options: { processMetrics?: boolean } = {}) {
    // Process metrics (CPU, memory, event-loop lag) register sampling hooks: one set per registry.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'sequencer_' })
  }

  /** Counts a batch's move to `record.status` (the pipeline calls this on every change). */
  observeBatch(record: BatchRecord): void {
    if (record.status === 'submitting' && record.provingMs !== undefined) this.proving.observe(record.provingMs / 1000)
    if (record.status === 'verified' || record.status === 'failed') this.batchesDone.inc({ status: record.status })
  }

  /** Levels read from the node at scrape time. */
  refresh(node: { readonly engine: Engine; readonly market: Market; readonly batches: (status: BatchStatus) => number; readonly halted: string | undefined; readonly hasherPendingBatches?: number }): void {
    this.hasherPendingBatches.set(node.hasherPendingBatches ?? 0)
    let open = 0
    for (const s of node.market.series()) {
      const book = node.engine.book(s.id)
      open += book.orders(Side.buy).length + book.orders(Side.sell).length
    }
    this.openOrders.set(open)
    this.pendingSlots.set(node.engine.pendingSlots)
    this.halted.set(node.halted ? 1 : 0)
    for (const status of BATCH_STATUSES) this.batches.set({ status }, node.batches(status))
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() }
  }
}

/** A journal that reports each fsync (its duration and the entries it made durable) to `metrics`. */
export class MeasuredJournal extends Journal {
  readonly #metrics: NodeMetrics

  constructor(path: string, metrics: NodeMetrics) {
    super(path)
    this.#metrics = metrics
  }

  protected override synced(seconds: number, entries: number): void {
    this.#metrics.journalFsync.observe(seconds)
    this.#metrics.journalGroup.observe(entries)
  }
}
