/**
 * The replica's follower against a journal a real recorder and engine write: it follows the
 * appends into its own engine (same root, books, accounts, order history, pending slots), never
 * consumes a line before its newline, and stops on corruption or a replaced journal.
 */
import { describe, expect, it } from 'vitest'
import { appendFileSync, mkdtempSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { depositEntry, RollupState, Side, TEST_PARAMS, type Order } from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { Engine } from './engine.js'
import { Journal, JournalError, journalCheckpointPath, journalSegmentPath } from './journal.js'
import { readCheckpoint } from './checkpoint.js'
import { JournalFollower } from './journalFollower.js'
import { Market } from './market.js'
import { Recorder } from './recorder.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const USDC = 1_000_000n
const keys = [testKey(1), testKey(2), testKey(3)]

const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrder(key, orderWith({ seriesId: 1n, size: 10n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))

/** A primary (recorder over a journal file) and a follower of that file with an engine of its own. */
function primaryAndFollower(series = [SERIES], checkpointEvery = 0) {
  const path = join(mkdtempSync(join(tmpdir(), 'follow-')), 'j.jsonl')
  // Each entry written at once, so that the follower reads it in the same test step.
  const journal = new Journal(path, { writeAtOnce: true })
  const clock = { now: NOW }
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => clock.now, onBatch: () => {} })
  const recorder = new Recorder(engine, market, journal, () => clock.now, { everyEntries: checkpointEvery })
  journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
  const followerClock = { now: 0n, replaying: false }
  const followerMarket = new Market(DEFAULT_MARKET, series)
  const followerEngine = new Engine(new RollupState(TEST_PARAMS), { market: followerMarket, now: () => (followerClock.replaying ? followerClock.now : NOW), onBatch: () => {} })
  const follower = new JournalFollower(path, followerEngine, followerMarket, followerClock)
  return { path, journal, clock, engine, recorder, follower, followerEngine, followerMarket }
}

/** Everything the read API serves from an engine that a follower must reproduce. */
function view(engine: Engine) {
  return {
    root: engine.state.root,
    pendingSlots: engine.pendingSlots,
    queue: engine.nextQueueIndex,
    bids: engine.book(1n).levels(Side.buy),
    asks: engine.book(1n).levels(Side.sell),
    accounts: [1n, 2n, 3n].map((i) => ({ account: engine.state.account(i), positions: engine.state.positions(i), resting: engine.restingOrders(i).map((o) => o.signed.order.orderId) })),
    history: [1n, 2n, 3n].flatMap((a) => [1n, 2n, 3n].map((id) => engine.orders.get(a, id, NOW))),
  }
}

describe('JournalFollower', () => {
  it('follows the journal from segment to segment, and from a checkpoint as from the start', () => {
    const p = primaryAndFollower([SERIES], 3)
    keys.forEach((k, i) => p.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    p.recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 30n }))
    p.recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 10n }))
    p.recorder.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_900_000n }))
    p.recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n }))
    const segments = p.journal.segment
    expect(segments).toBeGreaterThanOrEqual(2)
    expect(p.follower.behind()).toBe(p.journal.read().length)
    p.follower.catchUp()
    expect(p.follower.segment).toBe(segments)
    expect(p.follower.behind()).toBe(0)
    expect(view(p.followerEngine)).toEqual(view(p.engine))

    // A new follower starting at the last checkpoint reaches the same state.
    const checkpoint = readCheckpoint(journalCheckpointPath(p.path, segments))
    const market = new Market(DEFAULT_MARKET, [SERIES])
    market.update(checkpoint.market)
    const clock = { now: 0n, replaying: false }
    const engine = Engine.fromCheckpoint(RollupState.fromRecords(TEST_PARAMS, checkpoint.engine.records), checkpoint.engine, { market, now: () => (clock.replaying ? clock.now : NOW), onBatch: () => {} })
    const late = new JournalFollower(p.path, engine, market, clock, segments)
    late.catchUp()
    expect(view(engine)).toEqual(view(p.engine))
  })

  it('stops when the segment it reads was deleted before it read all of it', () => {
    const p = primaryAndFollower([SERIES], 3)
    keys.forEach((k, i) => p.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    p.recorder.applyQueueEntry(3n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, USDC))
    expect(p.journal.segment).toBeGreaterThanOrEqual(1)
    unlinkSync(journalSegmentPath(p.path, 0))
    expect(() => p.follower.catchUp()).toThrow(/was deleted .* restart the replica/)
  })

  it('follows appends as they are written, in order, into the same state', () => {
    const p = primaryAndFollower()
    expect(p.follower.catchUp()).toEqual({ applied: 1 })
    expect(p.follower.start).toEqual({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
    keys.forEach((k, i) => p.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    expect(p.follower.behind()).toBe(3)
    expect(p.follower.catchUp()).toEqual({ applied: 3 })
    expect(view(p.followerEngine)).toEqual(view(p.engine))
    p.clock.now += 60n
    p.recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell, size: 30n }))
    p.recorder.placeOrder(order(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 10n }))
    p.recorder.updateMarket({ spotByUnderlying: { ETH: 2_900 } })
    p.clock.now += 60n
    p.recorder.placeOrder(order(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_900_000n }))
    expect(p.follower.catchUp()).toEqual({ applied: 4 })
    expect(p.follower.behind()).toBe(0)
    expect(view(p.followerEngine)).toEqual(view(p.engine))
    expect(p.followerEngine.book(1n).levels(Side.sell).length).toBeGreaterThan(0)
    p.recorder.flush()
    p.follower.catchUp()
    expect(view(p.followerEngine)).toEqual(view(p.engine))
    expect(p.follower.applied).toBe(p.journal.read().length)
  })

  it('never consumes a line before its newline: a torn or half-written last line waits', () => {
    const p = primaryAndFollower()
    keys.forEach((k, i) => p.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    p.follower.catchUp()
    const before = view(p.followerEngine)
    const offset = p.follower.tail.offset
    // The primary's next line, written in two pieces (as a crash mid-write would leave it).
    p.recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell }))
    const line = readFileSync(p.path).subarray(offset).toString('utf8')
    truncateSync(p.path, offset)
    appendFileSync(p.path, line.slice(0, 40))
    expect(p.follower.catchUp()).toEqual({ applied: 0 })
    expect(p.follower.behind()).toBe(0)
    expect(p.follower.tail.offset).toBe(offset)
    expect(view(p.followerEngine)).toEqual(before)
    appendFileSync(p.path, line.slice(40, -1))
    expect(p.follower.catchUp()).toEqual({ applied: 0 })
    appendFileSync(p.path, '\n')
    expect(p.follower.catchUp()).toEqual({ applied: 1 })
    expect(view(p.followerEngine)).toEqual(view(p.engine))
  })

  it('waits before an entry on a series its market does not list yet, then goes on once it does', () => {
    const p = primaryAndFollower([])
    keys.forEach((k, i) => p.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    p.recorder.placeOrder(order(keys[2]!, { accountIndex: 3n, orderId: 1n, side: Side.sell }))
    p.recorder.applyQueueEntry(3n, depositEntry(keys[0]!.l1Address, keys[0]!.pubKey, USDC))
    expect(p.follower.catchUp()).toEqual({ applied: 4, missingSeries: 1n })
    expect(p.follower.behind()).toBe(2)
    p.followerMarket.addSeries(SERIES)
    expect(p.follower.catchUp()).toEqual({ applied: 2 })
    expect(view(p.followerEngine)).toEqual(view(p.engine))
  })

  it('stops with JournalError on a complete line that is not JSON, a replaced journal, or a missing start line', () => {
    const corrupt = primaryAndFollower()
    appendFileSync(corrupt.path, '{"t":"flu\n')
    expect(() => corrupt.follower.catchUp()).toThrow(/line 2 is not JSON/)

    const replaced = primaryAndFollower()
    keys.forEach((k, i) => replaced.recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000n * USDC)))
    replaced.follower.catchUp()
    writeFileSync(replaced.path, '{"t":"flush"}\n')
    expect(() => replaced.follower.catchUp()).toThrow(JournalError)
    expect(() => replaced.follower.catchUp()).toThrow(/shrank/)

    const headless = primaryAndFollower()
    writeFileSync(headless.path, '{"t":"flush"}\n')
    expect(() => headless.follower.catchUp()).toThrow(/start line/)
  })

  it('waits for a journal that does not exist yet', () => {
    const follower = new JournalFollower(join(mkdtempSync(join(tmpdir(), 'follow-')), 'absent.jsonl'), undefined as never, new Market(DEFAULT_MARKET), { now: 0n, replaying: false })
    expect(follower.catchUp()).toEqual({ applied: 0 })
    expect(follower.behind()).toBe(0)
  })
})
