/**
 * The SDK's stream client against the sequencer's stream plugin on 127.0.0.1 (real engine,
 * real WebSockets), and its sequence bookkeeping on a scripted socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Side } from '../state/index.js'
import { startStreamTestServer, STREAM_TEST_NOW, type StreamTestServer } from '../sequencer/api/streamTestServer.js'
import type { BatchRecord } from '../sequencer/pipeline.js'
import { SequencerStream, StreamError, streamUrl, type StreamEvents, type WebSocketLike } from './stream.js'

let server: StreamTestServer
beforeAll(async () => {
  server = await startStreamTestServer()
})
afterAll(async () => {
  await server?.close()
})

/** Resolves with the next `event` the stream emits that `match` accepts. */
function next<K extends keyof StreamEvents>(stream: SequencerStream, event: K, match: (v: StreamEvents[K]) => boolean = () => true): Promise<StreamEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} event`)), 3_000)
    const stop = stream.on(event, (v) => {
      if (!match(v)) return
      clearTimeout(timer)
      stop()
      resolve(v)
    })
  })
}

const batch = (number: number): BatchRecord => ({ number, status: 'proving', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 0, trade: 1, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 3 }, createdAt: new Date(0).toISOString() })

describe('SequencerStream', () => {
  it('derives the WebSocket URL', () => {
    expect(streamUrl('http://127.0.0.1:8080/')).toBe('ws://127.0.0.1:8080/v1/stream')
    expect(streamUrl('https://seq.example')).toBe('wss://seq.example/v1/stream')
    expect(streamUrl('ws://h:1/v1/stream')).toBe('ws://h:1/v1/stream')
    expect(() => streamUrl('ftp://x')).toThrow(/not an http/)
  })

  it('subscribes with typed messages, signs the orders channel, and rejects refusals', async () => {
    const stream = new SequencerStream({ baseUrl: server.baseUrl, now: () => STREAM_TEST_NOW })
    await expect(stream.subscribe({ channel: 'trades' })).rejects.toMatchObject({ code: 'CLOSED' })
    await stream.connect()
    const book = next(stream, 'book')
    expect(await stream.subscribe({ channel: 'book', seriesId: 1n })).toMatchObject({ type: 'subscribed', channel: 'book:1' })
    expect(await book).toMatchObject({ seriesId: '1' })
    await stream.subscribe({ channel: 'trades', seriesId: 1n })
    await stream.subscribe({ channel: 'orders', accountIndex: 1n, privateKey: server.keys[0]!.privateKey })
    const refused = await stream.subscribe({ channel: 'book', seriesId: 42n }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(StreamError)
    expect(refused).toMatchObject({ code: 'UNKNOWN_SERIES' })
    await expect(stream.subscribe({ channel: 'orders', accountIndex: 1n, privateKey: server.keys[1]!.privateKey })).rejects.toMatchObject({ code: 'ALREADY_SUBSCRIBED' })
    await expect(stream.subscribe({ channel: 'orders', accountIndex: 2n, privateKey: server.keys[0]!.privateKey })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(stream.subscriptions).toEqual(['book:1', 'trades:1', 'orders:1'])

    const own = next(stream, 'order', (o) => o.event === 'resting')
    expect(await server.placeOrder(server.keys[0]!, { accountIndex: 1n, orderId: 5n, side: Side.buy, size: 7n })).toBe(200)
    expect((await own).order).toMatchObject({ accountIndex: '1', orderId: '5', status: 'resting', remaining: '7' })
    const trade = next(stream, 'trade')
    const updated = next(stream, 'book', (b) => b.bids.length === 0)
    expect(await server.placeOrder(server.keys[1]!, { accountIndex: 2n, orderId: 5n, side: Side.sell, size: 7n })).toBe(200)
    expect(await trade).toMatchObject({ seriesId: '1', size: '7', takerSide: 1, maker: { accountIndex: '1', orderId: '5' } })
    await updated
    await stream.unsubscribe({ channel: 'orders', accountIndex: 1n, privateKey: server.keys[0]!.privateKey })
    await stream.ping()
    expect(stream.subscriptions).toEqual(['book:1', 'trades:1'])
    stream.close()
    await expect(stream.ping()).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('reconnects, subscribes again (re-signing), and reports what it missed as a gap', async () => {
    const stream = new SequencerStream({ baseUrl: server.baseUrl, now: () => STREAM_TEST_NOW, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } })
    await stream.connect()
    await stream.subscribe({ channel: 'batches' })
    await stream.subscribe({ channel: 'orders', accountIndex: 2n, privateKey: server.keys[1]!.privateKey })
    const first = next(stream, 'batch')
    server.hub.batchChanged(batch(10))
    const seen = (await first).seq

    const closed = next(stream, 'close')
    for (const socket of server.app.websocketServer.clients) socket.terminate()
    expect(await closed).toMatchObject({ code: 1006, willReconnect: true })
    // Sent while the client is away.
    server.hub.batchChanged(batch(11))
    server.hub.batchChanged(batch(12))
    const gap = next(stream, 'gap')
    expect(await next(stream, 'open')).toEqual({ reconnect: true })
    expect(await gap).toEqual({ channel: 'batches', expected: seen + 1, received: seen + 3, kind: 'missed' })
    await stream.ping()
    expect(stream.connected).toBe(true)

    // Both channels came back, the private one with a fresh signature.
    const after = next(stream, 'batch')
    server.hub.batchChanged(batch(13))
    expect(await after).toMatchObject({ seq: seen + 3, number: 13 })
    const own = next(stream, 'order')
    expect(await server.placeOrder(server.keys[1]!, { accountIndex: 2n, orderId: 6n, side: Side.sell, size: 1n, limitPrice: 9_000_000n })).toBe(200)
    expect(await own).toMatchObject({ channel: 'orders:2', event: 'accepted' })
    stream.close()
  })

  it('fails connect() when nothing listens', async () => {
    const stream = new SequencerStream({ baseUrl: 'http://127.0.0.1:1', reconnect: false })
    await expect(stream.connect()).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

/** A socket whose server messages the test writes. */
class ScriptedSocket implements WebSocketLike {
  static last: ScriptedSocket | undefined
  readyState = 0
  readonly sent: Record<string, unknown>[] = []
  onopen: ((event: never) => void) | null = null
  onmessage: ((event: never) => void) | null = null
  onclose: ((event: never) => void) | null = null
  onerror: ((event: never) => void) | null = null
  constructor(readonly url: string) {
    ScriptedSocket.last = this
    queueMicrotask(() => {
      this.readyState = 1
      ;(this.onopen as (e: unknown) => void)({})
    })
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data))
  }
  close(): void {
    this.readyState = 3
  }
  push(m: unknown): void {
    ;(this.onmessage as (e: { data: string }) => void)({ data: JSON.stringify(m) })
  }
}

describe('SequencerStream sequence numbers', () => {
  it('reports skipped numbers as missed and numbers going back as a server reset; a repeat is a snapshot', async () => {
    const stream = new SequencerStream({ baseUrl: 'ws://scripted/v1/stream', WebSocket: ScriptedSocket, reconnect: false })
    const gaps: StreamEvents['gap'][] = []
    stream.on('gap', (g) => gaps.push(g))
    await stream.connect()
    const socket = ScriptedSocket.last!
    const subscribed = stream.subscribe({ channel: 'trades' })
    expect(socket.sent).toEqual([{ op: 'subscribe', channel: 'trades', id: '1' }])
    socket.push({ type: 'subscribed', channel: 'trades:all', seq: 4, id: '1' })
    await subscribed
    const trade = (seq: number) => ({ type: 'trade', channel: 'trades:all', seq, seriesId: '1', price: '1', size: '1', takerSide: 0, taker: { accountIndex: '1', orderId: '1' }, maker: { accountIndex: '2', orderId: '1' }, batch: 0, at: '0' })
    for (const seq of [5, 6, 6, 9, 2, 3]) socket.push(trade(seq))
    expect(gaps).toEqual([
      { channel: 'trades:all', expected: 7, received: 9, kind: 'missed' },
      { channel: 'trades:all', expected: 10, received: 2, kind: 'reset' },
    ])
    // A refusal nobody waits for is an error event; garbage from the server is ignored.
    const errors: StreamError[] = []
    stream.on('error', (e) => errors.push(e))
    socket.push({ type: 'error', code: 'RATE_LIMITED', reason: 'slow down' })
    ;(socket.onmessage as (e: { data: string }) => void)({ data: 'not json' })
    expect(errors.map((e) => e.code)).toEqual(['RATE_LIMITED'])
  })
})
