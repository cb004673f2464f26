/**
 * GET /v1/stream over real WebSockets (the `ws` client) against a fastify app with the stream
 * plugin, the order routes and a real engine, listening on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Side } from '../../state/index.js'
import { signedStreamAuthToJSON, signStreamAuth } from '../../sdk/streamAuth.js'
import type { BatchRecord } from '../pipeline.js'
import { startStreamTestServer, STREAM_TEST_NOW, type StreamTestServer } from './streamTestServer.js'
import { STREAM_MAX_PAYLOAD_BYTES } from './stream.js'

type Message = Record<string, unknown> & { type: string; channel?: string; seq?: number }

/** A raw WebSocket client that queues what it receives. */
class Client {
  readonly received: Message[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #wake: (() => void) | undefined

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Message)
      this.#wake?.()
    })
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })))
  }

  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url)
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    return new Client(ws)
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m))
  }

  /** Takes the first queued message `match` accepts, waiting for it (2 s at most). */
  async next(match: (m: Message) => boolean = () => true): Promise<Message> {
    const deadline = Date.now() + 2_000
    for (;;) {
      const at = this.received.findIndex(match)
      if (at >= 0) return this.received.splice(at, 1)[0]!
      if (Date.now() > deadline) throw new Error(`no matching message; queued: ${JSON.stringify(this.received)}`)
      await new Promise<void>((resolve) => {
        this.#wake = resolve
        setTimeout(resolve, 50)
      })
    }
  }

  /** Everything the server sent before it answers this ping. */
  async drain(): Promise<Message[]> {
    const id = `drain-${Math.random()}`
    this.send({ op: 'ping', id })
    await this.next((m) => m.type === 'pong' && m.id === id)
    return this.received.splice(0)
  }
}

let server: StreamTestServer
const clients: Client[] = []
const connect = async () => {
  const c = await Client.open(server.url)
  clients.push(c)
  return c
}
const ordersSub = (keyIndex: number, accountIndex: bigint) => ({ op: 'subscribe', channel: 'orders', ...signedStreamAuthToJSON(signStreamAuth({ accountIndex, validUntil: STREAM_TEST_NOW + 300n }, server.keys[keyIndex]!.privateKey)) })

beforeAll(async () => {
  server = await startStreamTestServer({ maxBufferedBytes: 64 * 1024 })
})
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate()
})
afterAll(async () => {
  await server?.close()
})

describe('GET /v1/stream', () => {
  it('streams the book (snapshot first), trades, and order updates to their owner only', async () => {
    const owner = await connect()
    const stranger = await connect()
    owner.send({ op: 'subscribe', channel: 'book', seriesId: '1', id: 'book' })
    expect(await owner.next()).toEqual({ type: 'subscribed', channel: 'book:1', seq: 1, id: 'book' })
    expect(await owner.next()).toEqual({ type: 'book', channel: 'book:1', seq: 1, seriesId: '1', bids: [], asks: [] })
    owner.send({ op: 'subscribe', channel: 'trades', seriesId: '1' })
    owner.send(ordersSub(0, 1n))
    stranger.send({ op: 'subscribe', channel: 'trades' })
    stranger.send(ordersSub(1, 2n))
    // Account 2's key cannot open account 1's orders.
    stranger.send({ ...ordersSub(1, 1n), id: 'steal' })
    expect(await stranger.next((m) => m.id === 'steal')).toMatchObject({ type: 'error', code: 'BAD_SIGNATURE' })
    expect((await owner.drain()).map((m) => m.channel)).toEqual(['trades:1', 'orders:1'])
    expect((await stranger.drain()).map((m) => m.channel)).toEqual(['trades:all', 'orders:2'])

    expect(await server.placeOrder(server.keys[0]!, { accountIndex: 1n, orderId: 1n, side: Side.buy, size: 30n })).toBe(200)
    expect(await owner.next((m) => m.type === 'book')).toEqual({ type: 'book', channel: 'book:1', seq: 2, seriesId: '1', bids: [{ price: '2100000', size: '30', orders: 1 }], asks: [] })
    expect(await server.placeOrder(server.keys[1]!, { accountIndex: 2n, orderId: 1n, side: Side.sell, size: 10n })).toBe(200)
    const trade = { type: 'trade', seriesId: '1', price: '2100000', size: '10', takerSide: 1, taker: { accountIndex: '2', orderId: '1' }, maker: { accountIndex: '1', orderId: '1' }, batch: expect.any(Number), at: STREAM_TEST_NOW.toString() }
    expect(await owner.next((m) => m.type === 'trade')).toEqual({ ...trade, channel: 'trades:1', seq: 1 })
    expect(await stranger.next((m) => m.type === 'trade')).toEqual({ ...trade, channel: 'trades:all', seq: 1 })
    expect(await owner.next((m) => m.type === 'book')).toMatchObject({ seq: 3, bids: [{ price: '2100000', size: '20', orders: 1 }] })

    const ownUpdates = (await owner.drain()).filter((m) => m.type === 'order')
    expect(ownUpdates.map((m) => [m.channel, m.seq, m.event])).toEqual([
      ['orders:1', 1, 'accepted'],
      ['orders:1', 2, 'resting'],
      ['orders:1', 3, 'filled'],
      ['orders:1', 4, 'resting'],
    ])
    // The stream shows an order exactly as the REST API does (to its owner: the same signed authorization).
    const auth = JSON.stringify(signedStreamAuthToJSON(signStreamAuth({ accountIndex: 1n, validUntil: STREAM_TEST_NOW + 300n }, server.keys[0]!.privateKey)))
    const rest = await server.app.inject({ method: 'GET', url: '/v1/accounts/1/orders/1', headers: { 'x-read-auth': auth } })
    expect(rest.statusCode).toBe(200)
    expect(ownUpdates[3]!.order).toEqual(rest.json())
    const strangerSaw = await stranger.drain()
    expect(strangerSaw.filter((m) => m.type === 'order').map((m) => [m.channel, m.event])).toEqual([
      ['orders:2', 'accepted'],
      ['orders:2', 'filled'],
      ['orders:2', 'closed'],
    ])
    expect(strangerSaw.some((m) => m.channel === 'orders:1' || JSON.stringify(m).includes('"accountIndex":"1","orderId":"1","seriesId"'))).toBe(false)
  })

  it('streams batch status changes', async () => {
    const c = await connect()
    c.send({ op: 'subscribe', channel: 'batches' })
    const { seq } = await c.next()
    const record: BatchRecord = { number: 0, status: 'proving', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 2, trade: 1, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 1 }, createdAt: new Date(0).toISOString() }
    server.hub.batchChanged(record)
    Object.assign(record, { status: 'submitting', provingMs: 900 })
    server.hub.batchChanged(record)
    Object.assign(record, { status: 'verified', l1TxHash: `0x${'ab'.repeat(32)}`, gasUsed: 321_000n })
    server.hub.batchChanged(record)
    const got = [await c.next(), await c.next(), await c.next()]
    expect(got.map((m) => [m.seq, m.status, m.l1TxHash])).toEqual([
      [seq! + 1, 'proving', undefined],
      [seq! + 2, 'submitting', undefined],
      [seq! + 3, 'verified', `0x${'ab'.repeat(32)}`],
    ])
    expect(got[2]).toMatchObject({ type: 'batch', channel: 'batches', number: 0, gasUsed: '321000', provingMs: 900 })
  })

  it('refuses bad JSON, binary frames and big messages without dropping the connection; cuts off oversized frames; keeps serving', async () => {
    const c = await connect()
    c.send('{"op": "subscribe",')
    expect(await c.next()).toMatchObject({ type: 'error', code: 'BAD_MESSAGE', reason: expect.stringContaining('not JSON') })
    c.ws.send(Buffer.from('{"op":"ping"}'), { binary: true })
    expect(await c.next()).toEqual({ type: 'error', code: 'BAD_MESSAGE', reason: 'send JSON in text frames' })
    c.send({ op: 'ping', id: 'x'.repeat(5_000) })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'MESSAGE_TOO_LARGE' })
    c.send({ op: 'subscribe', channel: 'level3', id: 'l3' })
    expect(await c.next()).toMatchObject({ type: 'error', code: 'UNKNOWN_CHANNEL', id: 'l3' })
    c.send({ op: 'ping', id: 'still here' })
    expect(await c.next()).toEqual({ type: 'pong', id: 'still here' })

    c.send('x'.repeat(STREAM_MAX_PAYLOAD_BYTES + 1))
    expect((await c.closed).code).toBe(1009)
    const d = await connect()
    d.send({ op: 'ping' })
    expect(await d.next()).toEqual({ type: 'pong' })
  })

  it('closes a consumer that stops reading (4001, SLOW_CONSUMER) once its backlog passes the bound', async () => {
    const slow = await connect()
    const fast = await connect()
    for (const c of [slow, fast]) c.send({ op: 'subscribe', channel: 'batches' })
    await slow.drain()
    await fast.drain()
    const sessions = server.hub.stats.sessions
    // The client stops reading: the kernel's buffers fill, then the server's backlog grows.
    ;(slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause()
    const record: BatchRecord = { number: 1, status: 'failed', oldRoot: 0n, newRoot: 0n, txCounts: { deposit: 0, trade: 0, withdraw: 0, forcedWithdrawal: 0, cancel: 0, noop: 4 }, createdAt: new Date(0).toISOString(), error: 'e'.repeat(16_000) }
    let sent = 0
    while (server.hub.stats.sessions === sessions && sent < 5_000) {
      server.hub.batchChanged(record)
      sent++
      if (sent % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    expect(server.hub.stats.sessions).toBe(sessions - 1)
    ;(slow.ws as unknown as { _socket: { resume(): void } })._socket.resume()
    expect(await slow.closed).toEqual({ code: 4001, reason: 'SLOW_CONSUMER: over 65536 bytes unread; reconnect and read faster' })
    // The one that reads got every message.
    const batches = (await fast.drain()).filter((m) => m.type === 'batch')
    expect(batches).toHaveLength(sent)
  })
})
