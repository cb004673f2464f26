/**
 * The stream hub over a real engine, without sockets: each connection records what the hub
 * sends it (its bufferedAmount is set by the test), and book flushes run when the test says.
 * sequencer/api/stream.test.ts runs the same protocol over real WebSockets.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { depositEntry, RollupState, Side, TEST_PARAMS, type Order } from '../state/index.js'
import { order as orderWith, signedOrder, testKey, type TestKey } from '../state/testing.js'
import { DEFAULT_ORDER_OPTIONS } from '../sdk/orderRequest.js'
import { signedStreamAuthToJSON, signStreamAuth, STREAM_AUTH_MAX_AHEAD_SECONDS, STREAM_AUTH_SKEW_SECONDS } from '../sdk/streamAuth.js'
import type { StreamServerMessage } from '../sdk/streamProtocol.js'
import { DEFAULT_MARKET, defaultSeries } from './defaults.js'
import { Engine } from './engine.js'
import { Market } from './market.js'
import type { BatchRecord } from './pipeline.js'
import { StreamHub, type StreamConnection, type StreamHubOptions } from './streamHub.js'

const NOW = 1_790_000_000n
const keys = [testKey(1), testKey(2)]

/** A connection that keeps what it was sent. */
class RecordingConnection implements StreamConnection {
  readonly sent: string[] = []
  bufferedAmount = 0
  closedWith: { code: number; reason: string } | undefined
  send(text: string): void {
    if (this.closedWith) throw new Error('send after close')
    this.sent.push(text)
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason }
  }
  /** Messages received since the last call. */
  take(): (StreamServerMessage & Record<string, unknown>)[] {
    return this.sent.splice(0).map((t) => JSON.parse(t))
  }
}

let engine: Engine
let hub: StreamHub
let flushes: (() => void)[]
let clockMs: number

const flush = () => flushes.splice(0).forEach((f) => f())
const order = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) =>
  signedOrder(key, orderWith({ seriesId: 1n, size: 100n, limitPrice: 2_100_000n, validUntil: NOW + 3600n, ...fields }))
const place = (key: TestKey, fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>) => engine.placeOrder(order(key, fields), DEFAULT_ORDER_OPTIONS)

function setup(options: StreamHubOptions = {}, durable?: () => Promise<void>): void {
  const market = new Market(DEFAULT_MARKET, [
    { id: 1n, ...defaultSeries(NOW) },
    { id: 2n, ...defaultSeries(NOW), strike: 3500_000000n },
  ])
  engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => NOW, onBatch: () => {} })
  keys.forEach((k, i) => engine.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  flushes = []
  clockMs = 0
  hub = new StreamHub({ engine, market, now: () => NOW, ...(durable ? { durable } : {}) }, { schedule: (f) => void flushes.push(f), clockMs: () => clockMs, ...options })
}

/** A connection to the hub; `send` hands it a client message (objects as JSON). */
function client() {
  const conn = new RecordingConnection()
  const session = hub.open(conn)
  return { conn, session, send: (m: unknown) => session.receive(typeof m === 'string' ? m : JSON.stringify(m)) }
}
const ordersSub = (key: TestKey, accountIndex: bigint, validUntil = NOW + 300n, id = 'o') => ({ op: 'subscribe', channel: 'orders', id, ...signedStreamAuthToJSON(signStreamAuth({ accountIndex, validUntil }, key.privateKey)) })

beforeEach(() => setup())

describe('StreamHub: book', () => {
  it('sends the current snapshot first, then one coalesced snapshot per turn with consecutive numbers', () => {
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    flush()
    const a = client()
    a.send({ op: 'subscribe', channel: 'book', seriesId: '1', id: 'b' })
    const [subscribed, snapshot] = a.conn.take()
    expect(subscribed).toEqual({ type: 'subscribed', channel: 'book:1', seq: 1, id: 'b' })
    expect(snapshot).toEqual({ type: 'book', channel: 'book:1', seq: 1, seriesId: '1', bids: [], asks: [{ price: '2100000', size: '40', orders: 1 }] })

    // A burst in one turn: three orders, one message once the turn ends.
    place(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 2_200_000n })
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 5n, limitPrice: 1_900_000n })
    place(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 15n })
    expect(a.conn.take()).toEqual([])
    flush()
    expect(a.conn.take()).toEqual([
      {
        type: 'book',
        channel: 'book:1',
        seq: 2,
        seriesId: '1',
        bids: [{ price: '1900000', size: '5', orders: 1 }],
        asks: [
          { price: '2100000', size: '25', orders: 1 },
          { price: '2200000', size: '10', orders: 1 },
        ],
      },
    ])
    // A change that leaves the top levels as they were sends nothing; neither does another series.
    place(keys[0]!, { accountIndex: 1n, orderId: 3n, side: Side.buy, seriesId: 2n, size: 5n, limitPrice: 1_000_000n })
    flush()
    expect(a.conn.take()).toEqual([])

    // A second subscriber gets the same snapshot under the same number.
    const b = client()
    b.send({ op: 'subscribe', channel: 'book', seriesId: '1' })
    expect(b.conn.take().map((m) => [m.type, m.seq])).toEqual([
      ['subscribed', 2],
      ['book', 2],
    ])
  })

  it('keeps the top N levels per side', () => {
    setup({ bookDepth: 2 })
    for (const [id, price] of [[1n, 2_100_000n], [2n, 2_200_000n], [3n, 2_300_000n]] as const) place(keys[1]!, { accountIndex: 2n, orderId: id, side: Side.sell, size: 1n, limitPrice: price })
    const a = client()
    a.send({ op: 'subscribe', channel: 'book', seriesId: '1' })
    expect(a.conn.take()[1]).toMatchObject({ asks: [{ price: '2100000' }, { price: '2200000' }] })
  })

  it('brings a stale snapshot up to date for the listeners already there when someone subscribes mid-turn', () => {
    const a = client()
    a.send({ op: 'subscribe', channel: 'book', seriesId: '1' })
    a.conn.take()
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    const b = client()
    b.send({ op: 'subscribe', channel: 'book', seriesId: '1' })
    expect(a.conn.take()).toMatchObject([{ type: 'book', seq: 2, asks: [{ size: '40' }] }])
    expect(b.conn.take()).toMatchObject([{ type: 'subscribed', seq: 2 }, { type: 'book', seq: 2 }])
    flush()
    expect([...a.conn.take(), ...b.conn.take()]).toEqual([])
  })
})

describe('StreamHub: trades, orders, batches', () => {
  it('publishes each fill once, per series and on trades:all', () => {
    const one = client()
    const all = client()
    const other = client()
    one.send({ op: 'subscribe', channel: 'trades', seriesId: '1' })
    all.send({ op: 'subscribe', channel: 'trades' })
    other.send({ op: 'subscribe', channel: 'trades', seriesId: '2' })
    expect([one, all, other].map((c) => c.conn.take()[0])).toEqual([
      { type: 'subscribed', channel: 'trades:1', seq: 0 },
      { type: 'subscribed', channel: 'trades:all', seq: 0 },
      { type: 'subscribed', channel: 'trades:2', seq: 0 },
    ])
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    place(keys[1]!, { accountIndex: 2n, orderId: 2n, side: Side.sell, size: 10n, limitPrice: 2_200_000n })
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 45n, limitPrice: 2_200_000n })
    const trade = { type: 'trade', seriesId: '1', takerSide: 0, taker: { accountIndex: '1', orderId: '1' }, batch: expect.any(Number), at: NOW.toString() }
    expect(one.conn.take()).toEqual([
      { ...trade, channel: 'trades:1', seq: 1, price: '2100000', size: '40', maker: { accountIndex: '2', orderId: '1' } },
      { ...trade, channel: 'trades:1', seq: 2, price: '2200000', size: '5', maker: { accountIndex: '2', orderId: '2' } },
    ])
    expect(all.conn.take().map((m) => [m.channel, m.seq, m.size])).toEqual([
      ['trades:all', 1, '40'],
      ['trades:all', 2, '5'],
    ])
    expect(other.conn.take()).toEqual([])
  })

  it('sends order updates only to the signed-in owner', () => {
    const owner = client()
    const stranger = client()
    owner.send(ordersSub(keys[0]!, 1n))
    stranger.send(ordersSub(keys[1]!, 2n))
    expect(owner.conn.take()).toEqual([{ type: 'subscribed', channel: 'orders:1', seq: 0, id: 'o' }])
    stranger.conn.take()
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 30n })
    expect(owner.conn.take().map((m) => [m.seq, m.event, (m.order as { status: string }).status])).toEqual([
      [1, 'accepted', 'resting'],
      [2, 'resting', 'resting'],
    ])
    // Account 2 sells into it: account 1 hears its fill and close, account 2 only its own order.
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 30n })
    const ownerSaw = owner.conn.take()
    expect(ownerSaw.map((m) => [m.seq, m.event])).toEqual([
      [3, 'filled'],
      [4, 'closed'],
    ])
    expect(ownerSaw[0]).toMatchObject({ channel: 'orders:1', fill: { size: '30', price: '2100000', role: 'maker', counterpartyAccount: '2' }, order: { accountIndex: '1', orderId: '1', status: 'partially_filled', filledSize: '30' } })
    expect(ownerSaw[1]).toMatchObject({ order: { status: 'filled', remaining: '0', averagePrice: '2100000' } })
    const strangerSaw = stranger.conn.take()
    expect(strangerSaw.map((m) => [m.channel, m.event])).toEqual([
      ['orders:2', 'accepted'],
      ['orders:2', 'filled'],
      ['orders:2', 'closed'],
    ])
    expect(strangerSaw.every((m) => (m.order as { accountIndex: string }).accountIndex === '2')).toBe(true)
    // A refusal whose signature verified is an update too.
    expect(() => place(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, validUntil: NOW })).toThrow()
    expect(owner.conn.take()).toMatchObject([{ seq: 5, event: 'rejected', order: { status: 'rejected', code: 'ORDER_EXPIRED' } }])
  })

  it('publishes batch status changes with the L1 transaction and the failure', () => {
    const a = client()
    a.send({ op: 'subscribe', channel: 'batches' })
    a.conn.take()
    const record: BatchRecord = { number: 4, status: 'proving', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 0, trade: 2, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 2 }, createdAt: '2026-01-01T00:00:00.000Z' }
    hub.batchChanged(record)
    record.status = 'submitting'
    record.provingMs = 1234
    hub.batchChanged(record)
    record.status = 'verified'
    record.l1TxHash = '0xabc'
    record.gasUsed = 456_789n
    hub.batchChanged(record)
    hub.batchChanged({ ...record, number: 5, status: 'failed', error: 'proof refused' })
    const base = { type: 'batch', channel: 'batches', number: 4, txCounts: record.txCounts, createdAt: record.createdAt }
    expect(a.conn.take()).toEqual([
      { ...base, seq: 1, status: 'proving' },
      { ...base, seq: 2, status: 'submitting', provingMs: 1234 },
      { ...base, seq: 3, status: 'verified', provingMs: 1234, l1TxHash: '0xabc', gasUsed: '456789' },
      { ...base, seq: 4, number: 5, status: 'failed', provingMs: 1234, l1TxHash: '0xabc', gasUsed: '456789', error: 'proof refused' },
    ])
  })

  it('counts messages nobody heard, so a late subscriber learns where the channel stands', () => {
    hub.batchChanged({ number: 0, status: 'proving', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 1, trade: 0, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 3 }, createdAt: 'x' })
    const a = client()
    a.send({ op: 'subscribe', channel: 'batches' })
    expect(a.conn.take()).toEqual([{ type: 'subscribed', channel: 'batches', seq: 1 }])
  })

  it('answers ping, and stops a channel on unsubscribe', () => {
    const a = client()
    a.send({ op: 'ping', id: 'p1' })
    a.send({ op: 'subscribe', channel: 'trades' })
    a.send({ op: 'unsubscribe', channel: 'trades', id: 'u' })
    a.send(ordersSub(keys[0]!, 1n))
    a.send({ op: 'unsubscribe', channel: 'orders', accountIndex: '1' })
    expect(a.conn.take().map((m) => m.type)).toEqual(['pong', 'subscribed', 'unsubscribed', 'subscribed', 'unsubscribed'])
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 40n })
    flush()
    expect(a.conn.take()).toEqual([])
    expect(a.session.subscriptions).toEqual([])
  })
})

describe('StreamHub: refusals', () => {
  const refusal = (c: ReturnType<typeof client>, m: unknown) => {
    c.send(m)
    const got = c.conn.take()
    expect(got).toHaveLength(1)
    return got[0]
  }

  it('refuses malformed messages with BAD_MESSAGE or UNKNOWN_CHANNEL and keeps the connection', () => {
    const a = client()
    for (const bad of ['{not json', '[1,2]', '"subscribe"', 'null'] as const) expect(refusal(a, bad)).toMatchObject({ type: 'error', code: 'BAD_MESSAGE' })
    expect(refusal(a, { op: 'publish', id: 'x' })).toMatchObject({ code: 'BAD_MESSAGE', id: 'x' })
    expect(refusal(a, { op: 'subscribe', channel: 'book', seriesId: 1 })).toMatchObject({ code: 'BAD_MESSAGE', reason: '$.seriesId: must be a canonical decimal string' })
    expect(refusal(a, { op: 'subscribe', channel: 'book', seriesId: '01' })).toMatchObject({ code: 'BAD_MESSAGE' })
    expect(refusal(a, { op: 'subscribe', channel: 'book' })).toMatchObject({ code: 'BAD_MESSAGE', reason: '$.seriesId: missing' })
    expect(refusal(a, { op: 'subscribe', channel: 'batches', depth: 5 })).toMatchObject({ code: 'BAD_MESSAGE', reason: '$.depth: unexpected field' })
    expect(refusal(a, { op: 'ping', id: 7 })).toMatchObject({ code: 'BAD_MESSAGE', reason: expect.stringContaining('$.id') })
    expect(refusal(a, { op: 'ping', id: 'x'.repeat(65) })).toMatchObject({ code: 'BAD_MESSAGE' })
    expect(refusal(a, { op: 'subscribe', channel: 'orders', accountIndex: '1' })).toMatchObject({ code: 'BAD_MESSAGE', reason: '$.validUntil: missing' })
    expect(refusal(a, { op: 'subscribe', channel: 'candles', id: 'c' })).toEqual({ type: 'error', code: 'UNKNOWN_CHANNEL', reason: '$.channel: "candles" is none of book, trades, orders, batches', id: 'c' })
    expect(refusal(a, { op: 'subscribe' })).toMatchObject({ code: 'UNKNOWN_CHANNEL' })
    a.session.refuse('BAD_MESSAGE', 'send JSON in text frames')
    expect(a.conn.take()).toEqual([{ type: 'error', code: 'BAD_MESSAGE', reason: 'send JSON in text frames' }])
    expect(a.conn.closedWith).toBeUndefined()
    expect(refusal(a, { op: 'ping' })).toEqual({ type: 'pong' })
  })

  it('refuses unknown series, repeated and missing subscriptions, and too many', () => {
    setup({ maxSubscriptions: 2 })
    const a = client()
    expect(refusal(a, { op: 'subscribe', channel: 'book', seriesId: '9' })).toMatchObject({ code: 'UNKNOWN_SERIES' })
    expect(refusal(a, { op: 'subscribe', channel: 'trades', seriesId: '9' })).toMatchObject({ code: 'UNKNOWN_SERIES' })
    expect(refusal(a, { op: 'subscribe', channel: 'trades' })).toMatchObject({ type: 'subscribed' })
    expect(refusal(a, { op: 'subscribe', channel: 'trades', id: 't' })).toMatchObject({ code: 'ALREADY_SUBSCRIBED', id: 't' })
    expect(refusal(a, { op: 'unsubscribe', channel: 'batches' })).toMatchObject({ code: 'NOT_SUBSCRIBED' })
    expect(refusal(a, { op: 'subscribe', channel: 'batches' })).toMatchObject({ type: 'subscribed' })
    expect(refusal(a, { op: 'subscribe', channel: 'trades', seriesId: '1' })).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', reason: 'a connection holds at most 2 subscriptions' })
  })

  it('refuses a private subscription with a bad signature, an unknown account, or a validUntil outside the window', () => {
    const a = client()
    const latest = NOW + STREAM_AUTH_MAX_AHEAD_SECONDS + STREAM_AUTH_SKEW_SECONDS
    expect(refusal(a, ordersSub(keys[1]!, 1n))).toMatchObject({ code: 'BAD_SIGNATURE', id: 'o' })
    expect(refusal(a, { ...ordersSub(keys[0]!, 1n), validUntil: (NOW + 301n).toString() })).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(refusal(a, ordersSub(keys[0]!, 9n))).toMatchObject({ code: 'UNKNOWN_ACCOUNT' })
    expect(refusal(a, ordersSub(keys[0]!, 1n, NOW))).toMatchObject({ code: 'REQUEST_EXPIRED' })
    expect(refusal(a, ordersSub(keys[0]!, 1n, latest + 1n))).toMatchObject({ code: 'VALID_UNTIL_TOO_FAR' })
    const sig = ordersSub(keys[0]!, 1n).signature
    expect(refusal(a, { ...ordersSub(keys[0]!, 1n), signature: { ...sig, S: '1'.padEnd(80, '0') } })).toMatchObject({ code: 'BAD_MESSAGE', reason: expect.stringContaining('$.signature.S') })
    expect(a.session.subscriptions).toEqual([])
    expect(refusal(a, ordersSub(keys[0]!, 1n, latest))).toMatchObject({ type: 'subscribed', channel: 'orders:1' })
  })

  it('refuses oversized messages and floods, keeping the connection', () => {
    setup({ maxMessageBytes: 100, messageRate: { ratePerSecond: 2, burst: 2 } })
    const a = client()
    expect(refusal(a, JSON.stringify({ op: 'ping', id: 'é'.repeat(50) }))).toMatchObject({ code: 'MESSAGE_TOO_LARGE', reason: 'a message is at most 100 bytes, got 121' })
    expect(refusal(a, { op: 'ping' })).toEqual({ type: 'pong' })
    expect(refusal(a, { op: 'ping' })).toEqual({ type: 'pong' })
    expect(refusal(a, { op: 'ping' })).toMatchObject({ code: 'RATE_LIMITED', reason: 'at most 2 messages/s; retry in 500 ms' })
    clockMs += 500
    expect(refusal(a, { op: 'ping' })).toEqual({ type: 'pong' })
    expect(a.conn.closedWith).toBeUndefined()
  })
})

describe('StreamHub: bounds', () => {
  it('closes a slow consumer (4001) and forgets it, while the others go on', () => {
    setup({ maxBufferedBytes: 1_000 })
    const slow = client()
    const fast = client()
    for (const c of [slow, fast]) c.send({ op: 'subscribe', channel: 'batches' })
    const record: BatchRecord = { number: 0, status: 'proving', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 0, trade: 0, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 4 }, createdAt: 'x' }
    hub.batchChanged(record)
    slow.conn.bufferedAmount = 1_001
    hub.batchChanged(record)
    expect(slow.conn.closedWith).toEqual({ code: 4001, reason: 'SLOW_CONSUMER: over 1000 bytes unread; reconnect and read faster' })
    expect(slow.session.closed).toBe(true)
    const before = slow.conn.sent.length
    hub.batchChanged(record)
    expect(slow.conn.sent.length).toBe(before)
    expect(fast.conn.take().filter((m) => m.type === 'batch')).toHaveLength(3)
    expect(hub.stats).toEqual({ sessions: 1, subscriptions: 1 })
  })

  it('turns away connections past maxSessions (1013) and closes everyone on stop (1001)', () => {
    setup({ maxSessions: 1 })
    const a = client()
    const b = client()
    expect(b.conn.closedWith).toEqual({ code: 1013, reason: 'TOO_MANY_CONNECTIONS: the server holds 1' })
    expect(b.session.closed).toBe(true)
    b.send({ op: 'ping' })
    expect(b.conn.sent).toEqual([])
    a.session.close()
    const c = client()
    expect(c.conn.closedWith).toBeUndefined()
    c.send({ op: 'subscribe', channel: 'trades' })
    hub.stop()
    expect(c.conn.closedWith).toEqual({ code: 1001, reason: 'server shutting down' })
    c.conn.take()
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 40n })
    expect(c.conn.take()).toEqual([])
    expect(client().conn.closedWith?.code).toBe(1001)
  })

  it('keeps a bad connection from stopping the engine or the others', () => {
    const broken = client()
    const good = client()
    for (const c of [broken, good]) c.send({ op: 'subscribe', channel: 'trades' })
    broken.conn.send = () => {
      throw new Error('socket gone')
    }
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    expect(place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 40n }).status).toBe('filled')
    expect(broken.session.closed).toBe(true)
    expect(good.conn.take().filter((m) => m.type === 'trade')).toHaveLength(1)
  })
})

describe('StreamHub: nothing announced before it is durable', () => {
  it('holds trades and order updates until the journal says they are on disk, then sends them in order', async () => {
    const fsyncs: { release: () => void; fail: (e: Error) => void }[] = []
    setup({}, () => new Promise<void>((release, fail) => void fsyncs.push({ release, fail })))
    const watcher = client()
    watcher.send({ op: 'subscribe', channel: 'trades', id: 't' })
    watcher.send(ordersSub(keys[0]!, 1n))
    watcher.conn.take()
    place(keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 40n })
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 40n })
    flush() // the release starts on a later turn, after the recorder's append
    expect(watcher.conn.take()).toEqual([])
    expect(fsyncs).toHaveLength(1)
    // A later change waits for a later fsync.
    place(keys[0]!, { accountIndex: 1n, orderId: 2n, side: Side.buy, size: 10n })
    fsyncs[0]!.release()
    await new Promise((r) => setImmediate(r))
    const first = watcher.conn.take()
    // Order 1 of account 1: accepted, filled (with the trade), closed; all held until the first fsync.
    expect(first.map((m) => `${m.type}:${m.channel}:${m.seq}`)).toEqual(['order:orders:1:1', 'order:orders:1:2', 'trade:trades:all:1', 'order:orders:1:3'])
    flush()
    expect(fsyncs).toHaveLength(2)
    fsyncs[1]!.release()
    await new Promise((r) => setImmediate(r))
    expect(watcher.conn.take().map((m) => `${m.type}:${m.channel}:${m.seq}`)).toEqual(['order:orders:1:4', 'order:orders:1:5'])
  })

  it('withholds what a failed fsync did not make durable', async () => {
    const fsyncs: { release: () => void; fail: (e: Error) => void }[] = []
    setup({}, () => new Promise<void>((release, fail) => void fsyncs.push({ release, fail })))
    const watcher = client()
    watcher.send(ordersSub(keys[0]!, 1n))
    watcher.conn.take()
    place(keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 40n })
    flush()
    fsyncs[0]!.fail(new Error('EIO'))
    await new Promise((r) => setImmediate(r))
    expect(watcher.conn.take()).toEqual([])
  })
})
