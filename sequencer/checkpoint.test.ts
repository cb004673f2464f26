/**
 * Journal checkpoints: an engine restored from any checkpoint and fed the segments after it
 * is the engine that wrote them, as is one fed the whole journal; and every crash window of a
 * rotation leaves a journal that opens, reads and recovers.
 */
import { existsSync, mkdtempSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { cancelMessage, depositEntry, RollupState, Side, signField, TEST_PARAMS, withdrawMessage, type BatchTrace, type Order } from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { orderOptions } from '../sdk/orderRequest.js'
import { signCancelAll } from '../sdk/cancelAll.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { CheckpointError, Engine } from './engine.js'
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.js'
import { Journal, JournalError, journalCheckpointPath, journalSegmentPath, journalSegments, type JournalEntry } from './journal.js'
import { prunableUpTo } from './journalPruner.js'
import { Market } from './market.js'
import { Recorder, replayJournal } from './recorder.js'
import { recoveryPoint } from './recovery.js'
import { SequencerError } from './errors.js'
import { seededRandom } from '../test/crash/loadGenerator.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const USDC = 1_000_000n
const keys = [testKey(1), testKey(2), testKey(3), testKey(4)]

function node(now: () => bigint) {
  const batches: BatchTrace[] = []
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now, onBatch: (b) => batches.push(b) })
  return { engine, market, batches }
}

const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))

/**
 * A live engine recording `requests` random requests (orders of every kind, cancels,
 * cancel-alls, withdrawals, market moves, expiry sweeps, flushes) into a journal that starts
 * a segment every `every` entries.
 */
function liveRun(seed: number, requests: number, every: number) {
  const path = join(mkdtempSync(join(tmpdir(), 'checkpoint-')), 'j.jsonl')
  const journal = new Journal(path)
  const clock = { now: NOW }
  const live = node(() => clock.now)
  const checkpoints: number[] = []
  const recorder = new Recorder(live.engine, live.market, journal, () => clock.now, { everyEntries: every, onCheckpoint: (c) => checkpoints.push(c.segment) })
  journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
  const random = seededRandom(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!
  const nextId = [0n, 0n, 0n, 0n]
  const cancelAllNonce = [0n, 0n, 0n, 0n]
  let refused = 0
  for (let n = 0; n < requests; n++) {
    const a = Math.floor(random() * keys.length)
    const key = keys[a]!
    const accountIndex = BigInt(a + 1)
    const roll = random()
    try {
      if (roll < 0.62) {
        const orderId = ++nextId[a]!
        const options = pick([orderOptions(), orderOptions(), orderOptions({ type: 'ioc' }), orderOptions({ type: 'post_only' }), orderOptions({ reduceOnly: true }), orderOptions({ selfTradePrevention: 'cancel_oldest' })])
        const validUntil = NOW + BigInt(60 + Math.floor(random() * 3600))
        recorder.placeOrder(order(key, { accountIndex, orderId, side: pick([Side.buy, Side.sell]), size: BigInt(1 + Math.floor(random() * 50)), limitPrice: BigInt(2_000_000 + 20_000 * Math.floor(random() * 10)), validUntil }), options)
      } else if (roll < 0.77) {
        const orderId = BigInt(1 + Math.floor(random() * Number(nextId[a]! + 1n)))
        recorder.cancelOrder({ accountIndex, orderId, signature: signField(key.privateKey, cancelMessage(accountIndex, orderId)) })
      } else if (roll < 0.8) {
        const nonce = ++cancelAllNonce[a]!
        const resting = live.engine.restingOrders(accountIndex).map((o) => o.signed.order.orderId)
        recorder.cancelAll(signCancelAll({ accountIndex, seriesId: 0n, nonce, validUntil: clock.now + 600n }, key.privateKey, resting))
      } else if (roll < 0.85) {
        const amount = BigInt(1 + Math.floor(random() * 10)) * USDC
        const nonce = live.engine.state.account(accountIndex).nonce
        recorder.requestWithdrawal({ accountIndex, nonce, amount, signature: signField(key.privateKey, withdrawMessage(accountIndex, nonce, amount)) })
      } else if (roll < 0.9) {
        recorder.updateMarket({ spotByUnderlying: { ETH: 2_900 + Math.floor(random() * 200) }, volByUnderlying: { ETH: 0.5 + random() / 5 } })
      } else if (roll < 0.96) {
        clock.now += BigInt(Math.floor(random() * 400))
        recorder.expireOrders()
      } else recorder.flush()
    } catch (error) {
      if (!(error instanceof SequencerError)) throw error
      refused++
    }
  }
  // Orders left resting at the end, so that the books compared are not empty.
  keys.forEach((key, a) => {
    const accountIndex = BigInt(a + 1)
    for (const [side, limitPrice] of [[Side.buy, 1_900_000n + BigInt(a) * 1_000n], [Side.sell, 2_400_000n - BigInt(a) * 1_000n]] as const)
      for (let tries = 0; tries < 4; tries++) {
        try {
          recorder.placeOrder(order(key, { accountIndex, orderId: ++nextId[a]!, side, size: 5n, limitPrice, validUntil: clock.now + 86_400n }))
          break
        } catch (error) {
          if (!(error instanceof SequencerError)) throw error // an order slot still busy: the next id takes another
        }
      }
  })
  journal.close()
  return { path, journal, live, checkpoints, refused }
}

/** An engine restored from segment `k`'s checkpoint (or a fresh one for 0), fed the journal from there. */
function restoreAndReplay(path: string, k: number) {
  const clock = { now: 0n }
  const batches: BatchTrace[] = []
  const market = new Market(DEFAULT_MARKET, [SERIES])
  let engine: Engine
  if (k === 0) engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => clock.now, onBatch: (b) => batches.push(b) })
  else {
    const checkpoint = readCheckpoint(journalCheckpointPath(path, k))
    market.update(checkpoint.market)
    engine = Engine.fromCheckpoint(RollupState.fromRecords(TEST_PARAMS, checkpoint.engine.records), checkpoint.engine, { market, now: () => clock.now, onBatch: (b) => batches.push(b) })
  }
  replayJournal(engine, market, new Journal(path).readFrom(k), clock)
  return { engine, batches }
}

/**
 * What an engine serves and decides from, as canonical text: the state's records, the books in
 * priority order, every account's orders, cancel-all nonces, batch number and open slots.
 * Refused orders are left out, and arrival numbers are compared by their order only: neither is
 * journaled (a refusal changes nothing), so no replay can know them.
 */
function everything(engine: Engine): string {
  const { openBatchRoot: _, ...all } = engine.state.records()
  // An account without positions or order slots may have an empty map or none: the same leaf.
  const nonEmpty = <V>(m: ReadonlyMap<bigint, ReadonlyMap<bigint, V>>) => new Map([...m].filter(([, inner]) => inner.size > 0))
  const records = { ...all, positions: nonEmpty(all.positions), orderSlots: nonEmpty(all.orderSlots) }
  const books = [Side.buy, Side.sell].map((side) => engine.book(1n).orders(side).map((o) => ({ account: o.signed.order.accountIndex, orderId: o.signed.order.orderId, remaining: o.remaining, options: o.options })))
  const orders = keys.map((_, i) =>
    engine.orders
      .list(BigInt(i + 1), { filter: 'all', limit: 1_000_000 }, NOW)
      .orders.filter((r) => r.status !== 'rejected')
      .map(({ sequence: _, ...r }) => r),
  )
  const nonces = keys.map((_, i) => engine.lastCancelAllNonce(BigInt(i + 1)))
  return canonical({ records, books, orders, nonces, batch: engine.openBatchNumber, open: engine.pendingSlots })
}

/** JSON with sorted keys, bigints as strings, Maps as entry lists by key (their insertion order means nothing here). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`
    if (v instanceof Map) return [...v].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))
    return v
  })
}

describe('journal checkpoints', () => {
  it('restores, from every checkpoint, the engine that wrote the journal: state, books, history, nonces, batches', () => {
    const { path, live, checkpoints, refused } = liveRun(7, 600, 20)
    expect(checkpoints.length).toBeGreaterThanOrEqual(8)
    expect(refused).toBeGreaterThan(0) // the failure paths ran too
    expect(journalSegments(path)).toEqual([0, ...checkpoints])
    const liveRoot = live.engine.state.root
    const liveBatches = live.batches.map((b) => b.newRoot)
    expect(live.engine.book(1n).size).toBeGreaterThanOrEqual(keys.length)
    const want = everything(live.engine)
    for (const k of [0, ...checkpoints]) {
      const again = restoreAndReplay(path, k)
      expect(again.engine.state.root, `from segment ${k}`).toBe(liveRoot)
      // The batches cut after the checkpoint are the live run's, number for number.
      const first = k === 0 ? 0 : readCheckpoint(journalCheckpointPath(path, k)).engine.openBatchNumber
      expect(again.batches.map((b) => b.newRoot)).toEqual(liveBatches.slice(first))
      const got = everything(again.engine)
      expect(got, `from segment ${k}`).toBe(want)
    }
  })

  it('reads back bigints and Maps exactly, and refuses a checkpoint of another format', () => {
    const { path, checkpoints } = liveRun(3, 200, 30)
    const file = journalCheckpointPath(path, checkpoints[0]!)
    const checkpoint = readCheckpoint(file)
    expect(checkpoint.engine.records.accounts.get(1n)!.collateral).toBeTypeOf('bigint')
    expect(encodeCheckpoint(checkpoint)).toBe(readFileSync(file, 'utf8'))
    const [head, history] = readFileSync(file, 'utf8').split('\n')
    expect(checkpoint.engine.history.records.length).toBeGreaterThan(10)
    expect(() => decodeCheckpoint(`${JSON.stringify({ ...JSON.parse(head!), version: 99 })}\n${history}\n`)).toThrow(/format version 99/)
    expect(() => decodeCheckpoint(`${head}\n`.slice(0, -1))).toThrow(/ends before its order history/)
    expect(() => decodeCheckpoint(`${head}\n${history!.slice(0, -10)}`)).toThrow(/not JSON/)
    expect(() => decodeCheckpoint('{"version":2,')).toThrow(/not JSON/)
  })

  it('reuses the text of a final order at the next checkpoint, unless the order changed after all', () => {
    const { live } = liveRun(19, 200, 0)
    live.engine.flush()
    const take = () => encodeCheckpoint({ version: CHECKPOINT_VERSION, segment: 1, market: {}, engine: live.engine.checkpoint() })
    const first = take()
    expect(take()).toBe(first)
    const history = live.engine.checkpoint().history
    const i = history.done.findIndex((d, j) => d && history.records[j]!.status === 'filled')
    const record = history.records[i]! as { status: string; updatedAt: bigint }
    record.status = 'cancelled' // not a change the history makes: the stamp must still catch it
    record.updatedAt += 1n
    const again = decodeCheckpoint(take())
    expect(again.engine.history.records[i]).toMatchObject({ status: 'cancelled', updatedAt: history.records[i]!.updatedAt })
  })

  it('is taken only between batches; a segment twice as long as asked cuts its open batch to end', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'checkpoint-')), 'j.jsonl')
    const journal = new Journal(path)
    const live = node(() => NOW)
    const recorder = new Recorder(live.engine, live.market, journal, () => NOW, { everyEntries: 3 })
    journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
    recorder.applyQueueEntry(0n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, USDC))
    expect(() => live.engine.checkpoint()).toThrow(CheckpointError) // a batch is open
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_001 } }) // 3 entries: long enough, but the batch is open
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_002 } })
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_003 } })
    expect(journal.segment).toBe(0)
    expect(live.engine.pendingSlots).toBe(1)
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_004 } }) // 6: the batch is cut short, then the segment ends
    expect(journal.segment).toBe(1)
    expect(live.engine.pendingSlots).toBe(0)
    expect(live.batches).toHaveLength(1)
    expect(new Journal(path).read().map((e) => e.t)).toEqual(['start', 'queue', 'market', 'market', 'market', 'market', 'flush', 'start'])
    expect(readCheckpoint(journalCheckpointPath(path, 1)).market.spotByUnderlying).toEqual({ ETH: 3_004 })
    journal.close()
  })
})

describe('a checkpoint that fails', () => {
  it('leaves the request answered and the journal on its segment, is reported, and is tried again later', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'checkpoint-')), 'j.jsonl')
    const journal = new Journal(path)
    const live = node(() => NOW)
    const errors: Error[] = []
    const recorder = new Recorder(live.engine, live.market, journal, () => NOW, { everyEntries: 3, onCheckpointError: (e) => errors.push(e) })
    journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
    const tooLarge = vi.spyOn(live.engine, 'checkpoint').mockImplementation(() => {
      throw new RangeError('Invalid string length')
    })
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_001 } })
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_002 } }) // 3 entries: tried, failed
    expect(errors.map((e) => e.message)).toEqual(['Invalid string length'])
    expect(live.market.currentInputs().spotByUnderlying).toEqual({ ETH: 3_002 })
    tooLarge.mockRestore()
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_003 } })
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_004 } })
    expect(journal.segment).toBe(0) // not before 3 more entries
    recorder.updateMarket({ spotByUnderlying: { ETH: 3_005 } })
    expect(journal.segment).toBe(1)
    expect(errors).toHaveLength(1)
    journal.close()
    expect(new Journal(path).read().map((e) => e.t)).toEqual(['start', 'market', 'market', 'market', 'market', 'market', 'start'])
  })
})

/** Ends the journal's last segment now (cutting an open batch, journaled), as the recorder would. */
function rotateNow(path: string, live: ReturnType<typeof node>): number {
  const journal = new Journal(path)
  if (live.engine.flush()) journal.append({ t: 'flush' })
  const k = journal.rotate((segment) => encodeCheckpoint({ version: CHECKPOINT_VERSION, segment, market: live.market.currentInputs(), engine: live.engine.checkpoint() } satisfies Checkpoint), live.engine.openBatchNumber)
  journal.close()
  return k
}

describe('journal segments across crashes', () => {
  it('ignores a checkpoint whose segment was never created, and overwrites it at the next rotation', () => {
    const { path, live } = liveRun(5, 200, 30)
    const entries = new Journal(path).read().length
    const flushed = live.engine.pendingSlots > 0 ? 1 : 0
    const k = rotateNow(path, live)
    const first = readFileSync(journalCheckpointPath(path, k), 'utf8')
    // The crash came after the checkpoint was renamed into place, before the segment existed.
    unlinkSync(journalSegmentPath(path, k))
    const reopened = new Journal(path)
    expect(reopened.segment).toBe(k - 1)
    expect(reopened.read()).toHaveLength(entries + flushed) // and the flush that ended an open batch
    expect(recoveryPoint(path, 1_000).segment).toBe(k - 1)
    reopened.append({ t: 'market', update: { spotByUnderlying: { ETH: 3_100 } } })
    reopened.close()
    live.market.update({ spotByUnderlying: { ETH: 3_100 } })
    expect(rotateNow(path, live)).toBe(k)
    expect(readFileSync(journalCheckpointPath(path, k), 'utf8')).not.toBe(first)
    expect(recoveryPoint(path, 1_000).segment).toBe(k)
  })

  it('removes a new segment whose start line is torn, and appends to the segment before', () => {
    const { path, checkpoints } = liveRun(5, 200, 30)
    const next = checkpoints.at(-1)! + 1
    writeFileSync(journalSegmentPath(path, next), '{"t":"start","chainId":31337,"rol')
    expect(recoveryPoint(path, 1_000).segment).toBe(next - 1)
    const entries = new Journal(path).read().length
    const reopened = new Journal(path)
    reopened.append({ t: 'flush' })
    reopened.close()
    expect(existsSync(journalSegmentPath(path, next))).toBe(false)
    expect(new Journal(path).read()).toHaveLength(entries + 1)
  })

  it('starts a restart at the newest checkpoint L1 caught up with, skipping an unreadable one with its reason', () => {
    const { path, checkpoints } = liveRun(11, 300, 30)
    const bases = checkpoints.map((k) => readCheckpoint(journalCheckpointPath(path, k)).engine.openBatchNumber)
    expect(recoveryPoint(path, 0)).toMatchObject({ segment: 0 })
    expect(recoveryPoint(path, bases.at(-1)!)).toMatchObject({ segment: checkpoints.at(-1)! })
    expect(recoveryPoint(path, bases.at(-1)! - 1).segment).toBeLessThan(checkpoints.at(-1)!)
    writeFileSync(journalCheckpointPath(path, checkpoints.at(-1)!), '{"version":1,')
    const point = recoveryPoint(path, 1_000)
    expect(point.segment).toBe(checkpoints.at(-2)!)
    expect(point.skipped[0]).toMatch(/not JSON/)
    // A checkpoint renamed to another segment's place is refused, not trusted.
    writeFileSync(journalCheckpointPath(path, checkpoints.at(-2)!), readFileSync(journalCheckpointPath(path, checkpoints[0]!)))
    expect(recoveryPoint(path, 1_000).skipped[1]).toMatch(/is for segment/)
  })

  it('prunes the segments before a checkpoint once L1 verified their batches, and then cannot start without one', () => {
    const { path, live, checkpoints } = liveRun(13, 300, 30)
    const bases = checkpoints.map((k) => readCheckpoint(journalCheckpointPath(path, k)).engine.openBatchNumber)
    expect(prunableUpTo(path, bases[0]! - 1)).toBeUndefined()
    const keep = checkpoints[2]!
    expect(prunableUpTo(path, bases[2]!)).toBe(keep)
    const journal = new Journal(path)
    expect(journal.prune(keep)).toEqual([0, ...checkpoints.slice(0, 2)])
    expect(journalSegments(path)[0]).toBe(keep)
    expect(existsSync(journalCheckpointPath(path, checkpoints[0]!))).toBe(false)
    expect(recoveryPoint(path, bases[2]!).segment).toBe(keep)
    expect(() => recoveryPoint(path, bases[2]! - 1)).toThrow(JournalError)
    // The journal left still restores the live engine.
    expect(restoreAndReplay(path, keep).engine.state.root).toBe(live.engine.state.root)
    // A new segment copies the deployment of the start line it finds, segment 0 being gone.
    const k = rotateNow(path, live)
    expect(new Journal(path).readFrom(k)[0]).toMatchObject({ t: 'start', chainId: 31337, rollup: '0x01' })
  })

  it('refuses a segment whose start line names another batch than the replay stands at', () => {
    const { path, checkpoints } = liveRun(17, 200, 30)
    const k = checkpoints[1]!
    const file = journalSegmentPath(path, k)
    const [first, ...rest] = readFileSync(file, 'utf8').split('\n')
    const start = JSON.parse(first!) as Extract<JournalEntry, { t: 'start' }>
    writeFileSync(file, [JSON.stringify({ ...start, baseBatches: start.baseBatches + 1 }), ...rest].join('\n'))
    expect(() => restoreAndReplay(path, 0)).toThrow(/begins at batch/)
  })
})
