/**
 * What a restart and an acknowledgement cost the journal:
 *
 * - `sequencer.journal_replay_us_per_entry`: replaying a journal through a fresh engine
 *   (`replayJournal`, what every restart does before it listens), per entry;
 * - `sequencer.journal_replay_us_per_entry_hasher_thread`: the same as a node replays at
 *   start, with the state's trees on the state hasher's thread (sequencer/stateHasher.ts),
 *   fed in parts while the engine goes on, until the hasher has handed back every batch (the
 *   worker's start-up left out: a node starts it either way). `BENCH_JOURNAL_ENTRIES` sets the
 *   journal's length (default 1,000);
 *
 *   Every replay starts with no signature remembered as verified (`forgetVerifiedSignatures`),
 *   as a restarted process does: this process signed and verified the journal's orders when
 *   it wrote them, and would otherwise find them all in its memo. (Until 2026-11-27 it did:
 *   the replay figures up to then left the signature checks out.)
 * - `sequencer.journal_fsync_p99_us`: one durable append (write + fsync), p99: what a lone
 *   request waits for before its acknowledgement (under load, requests answered together
 *   share one fsync: group commit, sequencer/journal.ts);
 * - `sequencer.checkpoint_ms`: a journal checkpoint of the engine after that journal
 *   (`Recorder.checkpoint`: records, books, order history to JSON, written and fsynced, the
 *   next segment begun), which the event loop waits for once per segment;
 *   `sequencer.checkpoint_bytes`, its size; `sequencer.checkpoint_restore_ms`: reading it back
 *   into an engine (the state's trees rebuilt), what a restart does instead of replaying the
 *   segments before it;
 * - `sequencer.checkpoint_first_ms_100k_orders`, `sequencer.checkpoint_ms_100k_orders` and
 *   `sequencer.checkpoint_restore_ms_100k_orders`: the same with an order history of 100,000
 *   filled orders (100 accounts at the history's retention limit of 1,000 closed orders each),
 *   which is most of a large checkpoint: taking and encoding it the first time, taking it again
 *   with 1,000 more orders (a final order's text is reused: the usual case once a node has
 *   checkpointed), and decoding it.
 *
 * The journal is a real one: 8 accounts deposit, then ENTRIES signed orders (half crossing,
 * so that they fill and cut batches) and cancels go through an engine and its recorder into
 * a file in the temp directory. The replay figure is the median of RUNS replays. The
 * end-to-end restart of a node process (loading, L1 reads, replay, API) is measured by the
 * crash test instead (docs/operations.md).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_MARKET, defaultSeries } from '../sequencer/defaults.js'
import { Engine } from '../sequencer/engine.js'
import { Journal } from '../sequencer/journal.js'
import { Market } from '../sequencer/market.js'
import { Recorder, REPLAY_CHUNK, replayJournal, replayJournalInChunks } from '../sequencer/recorder.js'
import { StateHasher } from '../sequencer/stateHasher.js'
import { forgetVerifiedSignatures } from '../state/eddsa.js'
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, readCheckpoint } from '../sequencer/checkpoint.js'
import { OrderHistory } from '../sequencer/orderHistory.js'
import { DEFAULT_ORDER_OPTIONS } from '../sdk/orderRequest.js'
import { journalCheckpointPath } from '../sequencer/journal.js'
import { SequencerError } from '../sequencer/errors.js'
import { cancelMessage, depositEntry, RollupState, signField, TEST_PARAMS } from '../state/index.js'
import { order, signedOrder, testKey } from '../state/testing.js'
import type { Benchmark } from './figure.js'
import { median, progress, round } from './support.js'

const ENTRIES = Number(process.env.BENCH_JOURNAL_ENTRIES ?? 1_000)
const ACCOUNTS = 8
const RUNS = 5
const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }

function engineAt(clock: { now: bigint }) {
  const market = new Market(DEFAULT_MARKET, [SERIES])
  return { market, engine: new Engine(new RollupState(TEST_PARAMS), { market, now: () => clock.now, onBatch: () => {} }) }
}

/** Writes the journal; returns its path and every append's duration in microseconds. */
function writeJournal(dir: string): { path: string; appendUs: number[] } {
  const path = join(dir, 'bench.jsonl')
  const appendUs: number[] = []
  // An append is written at once and fsynced by `durable()`, shared by every request of a
  // group (group commit); the figure times one append with an fsync of its own, what a lone
  // request waits for. Any descriptor of the file flushes its data.
  let syncFd: number | undefined
  const journal = new (class extends Journal {
    override append(entry: Parameters<Journal['append']>[0]): void {
      const t = process.hrtime.bigint()
      super.append(entry)
      syncFd ??= openSync(path, 'r')
      fsyncSync(syncFd)
      appendUs.push(Number(process.hrtime.bigint() - t) / 1000)
    }
  })(path)
  const clock = { now: NOW }
  const { engine, market } = engineAt(clock)
  const recorder = new Recorder(engine, market, journal, () => clock.now)
  journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
  const keys = Array.from({ length: ACCOUNTS }, (_, i) => testKey(i + 1))
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 1_000_000_000_000n)))
  const nextId = keys.map(() => 1n)
  let written = ACCOUNTS + 1
  for (let i = 0; written < ENTRIES; i++) {
    const a = i % ACCOUNTS
    const orderId = nextId[a]!++
    const side = (i >> 1) % 2 === 0 ? 0 : 1
    try {
      recorder.placeOrder(signedOrder(keys[a]!, order({ accountIndex: BigInt(a + 1), orderId, seriesId: 1n, side, size: 5n, limitPrice: 2_100_000n + BigInt((i * 7919) % 41) * 1_000n, validUntil: NOW + 86_400n })))
      written++
      // Cancel what rests, so that order slots stay free.
      for (const o of engine.restingOrders(BigInt(a + 1))) {
        recorder.cancelOrder({ accountIndex: BigInt(a + 1), orderId: o.signed.order.orderId, signature: signField(keys[a]!.privateKey, cancelMessage(BigInt(a + 1), o.signed.order.orderId)) })
        written++
      }
    } catch (e) {
      if (!(e instanceof SequencerError)) throw e
    }
    clock.now++
  }
  journal.close()
  if (syncFd !== undefined) closeSync(syncFd)
  return { path, appendUs }
}

/** Microseconds an entry to replay `entries` as a starting node does: trees on the hasher's thread, until it handed back every batch. */
async function replayWithHasher(entries: ReturnType<Journal['read']>): Promise<number> {
  const clock = { now: 0n }
  const { engine, market } = engineAt(clock)
  let hasher: StateHasher | undefined
  let batches = 0
  engine.followWith((seed) => (hasher = new StateHasher({ params: TEST_PARAMS, ...seed }, { onBatch: () => void batches++, onFailure: (e) => { throw e } })))
  // The worker's start (module loading, ~0.3 s) is left out: a node starts it either way.
  await hasher!.root()
  forgetVerifiedSignatures()
  const t = process.hrtime.bigint()
  replayJournalInChunks(engine, market, entries, clock, REPLAY_CHUNK, () => hasher!.flush())
  await hasher!.root()
  const us = Number(process.hrtime.bigint() - t) / 1000 / entries.length
  if (batches === 0) throw new Error('the hasher handed back no batch')
  await hasher!.close()
  return us
}

/** Replays the journal, then times a checkpoint of the engine (median of RUNS rotations) and restoring the last one. */
function measureCheckpoint(path: string, entries: ReturnType<Journal['read']>): { takeMs: number; bytes: number; restoreMs: number; large: { firstMs: number; takeMs: number; restoreMs: number } } {
  const clock = { now: 0n }
  const { engine, market } = engineAt(clock)
  replayJournal(engine, market, entries, clock)
  const journal = new Journal(path)
  const took: number[] = []
  let bytes = 0
  const recorder = new Recorder(engine, market, journal, () => clock.now, { everyEntries: 0, onCheckpoint: (c) => ((bytes = c.bytes), took.push(c.ms)) })
  recorder.flush()
  let segment = 0
  for (let run = 0; run < RUNS; run++) segment = recorder.checkpoint()
  journal.close()
  const restored: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now()
    const c = readCheckpoint(journalCheckpointPath(path, segment))
    const again = new Market(DEFAULT_MARKET, [SERIES])
    again.update(c.market)
    Engine.fromCheckpoint(RollupState.fromRecords(TEST_PARAMS, c.engine.records), c.engine, { market: again, now: () => clock.now, onBatch: () => {} })
    restored.push(performance.now() - t)
  }
  return { takeMs: median(took), bytes, restoreMs: median(restored), large: measureLargeHistory(engine, market) }
}

/** Fills `orders` orders of account `a` from id `first` on into `history`, each closed. */
function fillOrders(history: OrderHistory, a: bigint, first: bigint, orders: bigint): void {
  for (let id = first; id < first + orders; id++) {
    const o = order({ accountIndex: a, orderId: id, seriesId: 1n, side: 0, size: 10n, limitPrice: 2_100_000n, validUntil: NOW + 86_400n })
    history.accepted({ order: o, signature: { R8: { x: 1n, y: 2n }, S: 3n } }, DEFAULT_ORDER_OPTIONS, NOW)
    history.filled(a, id, { size: 10n, price: 2_100_000n, role: 'taker', counterpartyAccount: a + 1n, counterpartyOrderId: id, batch: 1_000, at: NOW + 1n })
    history.closed(a, id, 'filled', undefined, NOW + 1n)
  }
}

/**
 * A checkpoint whose order history holds 100 accounts x 1,000 filled orders: the first
 * encoding, later ones with 1,000 orders more each time (median of RUNS), and decoding.
 */
function measureLargeHistory(engine: Engine, market: Market): { firstMs: number; takeMs: number; restoreMs: number } {
  const history = new OrderHistory()
  for (let a = 1n; a <= 100n; a++) fillOrders(history, a, 1n, 1_000n)
  const base = engine.checkpoint()
  const encode = () => encodeCheckpoint({ version: CHECKPOINT_VERSION, segment: 1, market: market.currentInputs(), engine: { ...base, history: history.checkpoint() } })
  let t = performance.now()
  let text = encode()
  const firstMs = performance.now() - t
  const take: number[] = []
  const restore: number[] = []
  for (let run = 0; run < RUNS; run++) {
    for (let a = 1n; a <= 100n; a++) fillOrders(history, a, 1_001n + BigInt(run) * 10n, 10n)
    t = performance.now()
    text = encode()
    take.push(performance.now() - t)
    t = performance.now()
    decodeCheckpoint(text)
    restore.push(performance.now() - t)
  }
  return { firstMs, takeMs: median(take), restoreMs: median(restore) }
}

export const journalReplay: Benchmark = {
  figures: [
    'sequencer.journal_replay_us_per_entry',
    'sequencer.journal_replay_us_per_entry_hasher_thread',
    'sequencer.journal_fsync_p99_us',
    'sequencer.checkpoint_ms',
    'sequencer.checkpoint_bytes',
    'sequencer.checkpoint_restore_ms',
    'sequencer.checkpoint_first_ms_100k_orders',
    'sequencer.checkpoint_ms_100k_orders',
    'sequencer.checkpoint_restore_ms_100k_orders',
  ],
  run: async (wanted) => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-journal-'))
    try {
      progress(`writing a journal of ${ENTRIES} entries`)
      const { path, appendUs } = writeJournal(dir)
      const entries = new Journal(path).read()
      const perEntry: number[] = []
      for (let run = 0; run < RUNS; run++) {
        const clock = { now: 0n }
        const { engine, market } = engineAt(clock)
        forgetVerifiedSignatures()
        const t = process.hrtime.bigint()
        replayJournal(engine, market, entries, clock)
        perEntry.push(Number(process.hrtime.bigint() - t) / 1000 / entries.length)
      }
      const offThread: number[] = []
      for (let run = 0; run < RUNS; run++) offThread.push(await replayWithHasher(entries))
      const sorted = [...appendUs].sort((a, b) => a - b)
      const checkpoint = measureCheckpoint(path, entries)
      const figures = [
        { name: 'sequencer.journal_replay_us_per_entry', value: round(median(perEntry), 1), unit: 'us' },
        { name: 'sequencer.journal_replay_us_per_entry_hasher_thread', value: round(median(offThread), 1), unit: 'us' },
        { name: 'sequencer.journal_fsync_p99_us', value: round(sorted[Math.floor(sorted.length * 0.99)]!, 1), unit: 'us' },
        { name: 'sequencer.checkpoint_ms', value: round(checkpoint.takeMs, 2), unit: 'ms' },
        { name: 'sequencer.checkpoint_bytes', value: checkpoint.bytes, unit: 'bytes' },
        { name: 'sequencer.checkpoint_restore_ms', value: round(checkpoint.restoreMs, 2), unit: 'ms' },
        { name: 'sequencer.checkpoint_first_ms_100k_orders', value: round(checkpoint.large.firstMs, 0), unit: 'ms' },
        { name: 'sequencer.checkpoint_ms_100k_orders', value: round(checkpoint.large.takeMs, 0), unit: 'ms' },
        { name: 'sequencer.checkpoint_restore_ms_100k_orders', value: round(checkpoint.large.restoreMs, 0), unit: 'ms' },
      ]
      return figures.filter((f) => wanted.includes(f.name))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
