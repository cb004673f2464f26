/**
 * Subscriptions and fan-out of the WebSocket stream, free of sockets: a connection is anything
 * that can `send` text, say how many bytes wait to be written and `close`, so the whole
 * protocol runs in unit tests; sequencer/api/stream.ts only carries frames between a socket
 * and a session.
 *
 * Sources: the engine's order history (`onChange`: every order change; the taker's fill is a
 * trade; any change in a series may have moved its book) and the batch pipeline, which the
 * node feeds in through `batchChanged`. Trades, order updates and batch changes go out as
 * they happen; book snapshots are coalesced: a series whose book changed is marked, and one
 * snapshot per series goes out on the next turn of the event loop, only when its top levels
 * differ from the last one sent.
 *
 * Bounded memory: a session whose socket holds more than `maxBufferedBytes` unsent bytes is
 * closed (`4001`, SLOW_CONSUMER) and dropped from every channel, rather than queued for; a
 * session holds at most `maxSubscriptions` channels, the hub `maxSessions` sessions; client
 * messages are bounded in size and rate.
 */
import { Side } from '../state/params.js'
import { TokenBuckets, type BucketConfig } from './api/limits.js'
import type { Engine } from './engine.js'
import type { Market } from './market.js'
import { tradeOfChange, type OrderChange } from './orderHistory.js'
import type { BatchRecord } from './pipeline.js'
import { batchJSON, fillJSON, levelJSON, orderRecordJSON, parseStreamRequest, tradeJSON, type StreamRefusal, type StreamRequest } from './streamMessages.js'
import type { SignedStreamAuth } from '../sdk/streamAuth.js'
import { checkReadAuth } from './readAuth.js'
import { StreamCloseCode, type BookLevelJSON, type StreamErrorCode } from '../sdk/streamProtocol.js'

/** What the hub needs of a socket. */
export interface StreamConnection {
  send(text: string): void
  /** Bytes handed to `send` and not yet written out. */
  readonly bufferedAmount: number
  close(code: number, reason: string): void
}

/** What the hub reads: the engine's books, history and accounts, the listed series, the clock. */
export type StreamSource = {
  readonly engine: Pick<Engine, 'orders' | 'book' | 'state'>
  readonly market: Pick<Market, 'seriesById'>
  /** Unix seconds: the clock stream authorizations expire against. */
  readonly now: () => bigint
  /**
   * Resolves once everything journaled so far is on disk (`Recorder.durable`). Given, every
   * published message waits for it: a fill or an order update on the stream is an
   * acknowledgement too, and must not announce what a power cut could still take back.
   */
  readonly durable?: () => Promise<void>
}

export type StreamLimits = {
  /** Levels per side in a book snapshot. */
  readonly bookDepth: number
  readonly maxSubscriptions: number
  readonly maxSessions: number
  /** Unsent bytes a session may have queued before it is closed as a slow consumer. */
  readonly maxBufferedBytes: number
  /** Largest client message answered (bigger ones are refused MESSAGE_TOO_LARGE). */
  readonly maxMessageBytes: number
  /** Client messages per session; `false`: unlimited. */
  readonly messageRate: BucketConfig | false
}

/**
 * A subscription is about 60 bytes and an `orders` one with its signature about 370, so 4 KiB
 * is generous; 1 MiB of backlog holds about 500 book snapshots at full depth (about 2 KB each).
 */
export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  bookDepth: 20,
  maxSubscriptions: 32,
  maxSessions: 1_000,
  maxBufferedBytes: 1 << 20,
  maxMessageBytes: 4_096,
  messageRate: { ratePerSecond: 20, burst: 40 },
}

export type StreamHubOptions = Partial<StreamLimits> & {
  /** Runs the book flush later (default `setImmediate`: once per event-loop turn). */
  readonly schedule?: (flush: () => void) => void
  /** Milliseconds, for the message rate (default `Date.now`). */
  readonly clockMs?: () => number
  readonly log?: (line: string) => void
}

type SessionState = { readonly id: number; readonly conn: StreamConnection; readonly subscriptions: Set<string>; closed: boolean }

/** One client connection: what the transport hands in, and what it tells the hub. */
export class StreamSession {
  readonly #state: SessionState
  readonly #hub: HubInternals

  /** @internal made by `StreamHub.open` */
  constructor(state: SessionState, hub: HubInternals) {
    this.#state = state
    this.#hub = hub
  }

  get id(): number {
    return this.#state.id
  }

  /** The channel keys this session is subscribed to. */
  get subscriptions(): readonly string[] {
    return [...this.#state.subscriptions]
  }

  /** Whether the session ended (closed by the client, or by the hub). */
  get closed(): boolean {
    return this.#state.closed
  }

  /** A text frame from the client. */
  receive(text: string): void {
    this.#hub.receive(this.#state, text)
  }

  /** Refuses what the transport could not make a message of (a binary frame). */
  refuse(code: StreamErrorCode, reason: string): void {
    this.#hub.send(this.#state, JSON.stringify({ type: 'error', code, reason }))
  }

  /** The socket closed: leaves every channel. */
  close(): void {
    this.#hub.drop(this.#state)
  }
}

type HubInternals = {
  receive(s: SessionState, text: string): void
  send(s: SessionState, text: string): void
  drop(s: SessionState): void
}

type BookSnapshot = { readonly text: string; readonly bids: readonly BookLevelJSON[]; readonly asks: readonly BookLevelJSON[] }

export class StreamHub {
  readonly limits: StreamLimits
  readonly #source: StreamSource
  readonly #schedule: (flush: () => void) => void
  readonly #log: (line: string) => void
  readonly #rate: TokenBuckets | undefined
  readonly #sessions = new Set<SessionState>()
  readonly #subscribers = new Map<string, Set<SessionState>>()
  /** Last sequence number per channel key (counted whether anyone listens or not, so a reconnecting client sees what it missed). */
  readonly #seq = new Map<string, number>()
  readonly #lastBook = new Map<bigint, BookSnapshot>()
  readonly #dirty = new Set<bigint>()
  #flushScheduled = false
  /** Messages published but held until the journal entries behind them are durable, in order. */
  #outbox: { readonly targets: readonly SessionState[]; readonly text: string }[] = []
  #releasing = false
  #nextId = 1
  #stopped = false
  readonly #unsubscribe: () => void
  readonly #internals: HubInternals = {
    receive: (s, text) => this.#receive(s, text),
    send: (s, text) => this.#send(s, text),
    drop: (s) => this.#drop(s),
  }

  constructor(source: StreamSource, options: StreamHubOptions = {}) {
    this.#source = source
    const { schedule, clockMs, log, ...limits } = options
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...limits }
    this.#schedule = schedule ?? ((flush) => void setImmediate(flush))
    this.#log = log ?? (() => {})
    this.#rate = this.limits.messageRate ? new TokenBuckets(this.limits.messageRate, { ...(clockMs ? { now: clockMs } : {}), maxKeys: 10_000 }) : undefined
    this.#unsubscribe = source.engine.orders.onChange(
      (change) => this.#onOrderChange(change),
      (error) => this.#log(`stream: order change not published: ${(error as Error).message}`),
    )
  }

  /** Open sessions and their subscriptions, for metrics and tests. */
  get stats(): { readonly sessions: number; readonly subscriptions: number } {
    let subscriptions = 0
    for (const s of this.#sessions) subscriptions += s.subscriptions.size
    return { sessions: this.#sessions.size, subscriptions }
  }

  /** A new connection. Past `maxSessions` (or once stopped) it is closed at once, and the session returned is closed. */
  open(conn: StreamConnection): StreamSession {
    const state: SessionState = { id: this.#nextId++, conn, subscriptions: new Set(), closed: false }
    if (this.#stopped) {
      state.closed = true
      conn.close(StreamCloseCode.goingAway, 'server shutting down')
    } else if (this.#sessions.size >= this.limits.maxSessions) {
      state.closed = true
      conn.close(StreamCloseCode.tryAgainLater, `TOO_MANY_CONNECTIONS: the server holds ${this.limits.maxSessions}`)
    } else this.#sessions.add(state)
    return new StreamSession(state, this.#internals)
  }

  /** A batch changed status (the pipeline's `onChange`). Read at once: the pipeline mutates its records. */
  batchChanged(record: BatchRecord): void {
    this.#publish('batches', () => batchJSON(record))
  }

  /** Stops listening to the engine and closes every session (1001). */
  stop(): void {
    if (this.#stopped) return
    this.#stopped = true
    this.#unsubscribe()
    for (const s of [...this.#sessions]) this.#kill(s, StreamCloseCode.goingAway, 'server shutting down')
  }

  // ---- sources -----------------------------------------------------------------------------

  #onOrderChange(change: OrderChange): void {
    const r = change.record
    // A refusal never touches a book; everything else may have.
    if (change.kind !== 'rejected') this.#markBook(r.order.seriesId)
    this.#publish(`orders:${r.order.accountIndex}`, () => ({ type: 'order', event: change.kind, order: orderRecordJSON(r), ...(change.kind === 'filled' ? { fill: fillJSON(change.fill) } : {}) }))
    const trade = tradeOfChange(change)
    if (trade) {
      this.#publish(`trades:${trade.seriesId}`, () => tradeJSON(trade))
      this.#publish('trades:all', () => tradeJSON(trade))
    }
  }

  #markBook(seriesId: bigint): void {
    this.#dirty.add(seriesId)
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    this.#schedule(() => this.#flush())
  }

  #flush(): void {
    this.#flushScheduled = false
    if (this.#stopped) return
    for (const seriesId of this.#dirty) if (this.#subscribers.get(`book:${seriesId}`)?.size) this.#publishBook(seriesId)
    this.#dirty.clear()
  }

  #bookSnapshot(seriesId: bigint): BookSnapshot {
    const book = this.#source.engine.book(seriesId)
    const bids = book.levels(Side.buy).slice(0, this.limits.bookDepth).map(levelJSON)
    const asks = book.levels(Side.sell).slice(0, this.limits.bookDepth).map(levelJSON)
    return { text: JSON.stringify([bids, asks]), bids, asks }
  }

  /** Publishes the book's snapshot when it differs from the last one published; returns the latest. */
  #publishBook(seriesId: bigint): BookSnapshot {
    const snapshot = this.#bookSnapshot(seriesId)
    const last = this.#lastBook.get(seriesId)
    if (last && last.text === snapshot.text) return last
    this.#lastBook.set(seriesId, snapshot)
    this.#publish(`book:${seriesId}`, () => ({ type: 'book', seriesId: seriesId.toString(), bids: snapshot.bids, asks: snapshot.asks }))
    return snapshot
  }

  // ---- fan-out -----------------------------------------------------------------------------

  #publish(key: string, body: () => { readonly type: string }): void {
    const seq = (this.#seq.get(key) ?? 0) + 1
    this.#seq.set(key, seq)
    const subscribers = this.#subscribers.get(key)
    if (!subscribers || subscribers.size === 0) return
    const { type, ...rest } = body()
    const text = JSON.stringify({ type, channel: key, seq, ...rest })
    if (!this.#source.durable) {
      for (const s of [...subscribers]) this.#send(s, text)
      return
    }
    this.#outbox.push({ targets: [...subscribers], text })
    this.#release()
  }

  /**
   * Sends the held messages once an fsync that started after them has finished. It is asked
   * for on a later turn (`schedule`): an engine change is published before the recorder
   * appends its journal entry, in the same turn.
   */
  #release(): void {
    if (this.#releasing) return
    this.#releasing = true
    this.#schedule(() => {
      const held = this.#outbox
      this.#outbox = []
      void this.#source.durable!()
        .then(
          () => {
            for (const m of held) for (const s of m.targets) this.#send(s, m.text)
          },
          (error: Error) => this.#log(`stream: ${held.length} messages withheld, the journal is not durable: ${error.message}`),
        )
        .finally(() => {
          this.#releasing = false
          if (this.#outbox.length > 0 && !this.#stopped) this.#release()
        })
    })
  }

  #send(s: SessionState, text: string): void {
    if (s.closed) return
    try {
      s.conn.send(text)
    } catch (error) {
      this.#log(`stream: session ${s.id} send failed, dropped: ${(error as Error).message}`)
      this.#drop(s)
      return
    }
    if (s.conn.bufferedAmount > this.limits.maxBufferedBytes)
      this.#kill(s, StreamCloseCode.slowConsumer, `SLOW_CONSUMER: over ${this.limits.maxBufferedBytes} bytes unread; reconnect and read faster`)
  }

  #reply(s: SessionState, message: Record<string, unknown>, id: string | undefined): void {
    this.#send(s, JSON.stringify(id === undefined ? message : { ...message, id }))
  }

  #refuse(s: SessionState, r: Omit<StreamRefusal, 'ok'>): void {
    this.#reply(s, { type: 'error', code: r.code, reason: r.reason }, r.id)
  }

  #kill(s: SessionState, code: number, reason: string): void {
    if (s.closed) return
    this.#drop(s)
    this.#log(`stream: session ${s.id} closed (${code}): ${reason}`)
    try {
      s.conn.close(code, reason)
    } catch (error) {
      this.#log(`stream: closing session ${s.id} failed: ${(error as Error).message}`)
    }
  }

  #drop(s: SessionState): void {
    s.closed = true
    this.#sessions.delete(s)
    for (const key of s.subscriptions) this.#leave(s, key)
  }

  #leave(s: SessionState, key: string): void {
    s.subscriptions.delete(key)
    const set = this.#subscribers.get(key)
    set?.delete(s)
    if (set?.size === 0) this.#subscribers.delete(key)
  }

  // ---- client messages ---------------------------------------------------------------------

  #receive(s: SessionState, text: string): void {
    if (s.closed) return
    const bytes = Buffer.byteLength(text, 'utf8')
    if (bytes > this.limits.maxMessageBytes) return this.#refuse(s, { code: 'MESSAGE_TOO_LARGE', reason: `a message is at most ${this.limits.maxMessageBytes} bytes, got ${bytes}` })
    const wait = this.#rate?.take(String(s.id)) ?? 0
    if (wait > 0) return this.#refuse(s, { code: 'RATE_LIMITED', reason: `at most ${(this.limits.messageRate as BucketConfig).ratePerSecond} messages/s; retry in ${wait} ms` })
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      return this.#refuse(s, { code: 'BAD_MESSAGE', reason: `not JSON: ${(error as Error).message}` })
    }
    const request = parseStreamRequest(value)
    if ('ok' in request) return this.#refuse(s, request)
    if (request.op === 'ping') return this.#reply(s, { type: 'pong' }, request.id)
    const refusal = request.op === 'subscribe' ? this.#subscribe(s, request) : this.#unsubscribeRequest(s, request)
    if (refusal) this.#refuse(s, { ...refusal, ...(request.id !== undefined ? { id: request.id } : {}) })
  }

  #keyOf(r: Exclude<StreamRequest, { op: 'ping' }>): string {
    switch (r.channel) {
      case 'book':
        return `book:${r.seriesId}`
      case 'trades':
        return `trades:${r.seriesId ?? 'all'}`
      case 'orders':
        return `orders:${'auth' in r ? r.auth.accountIndex : r.accountIndex}`
      case 'batches':
        return 'batches'
    }
  }

  #unsubscribeRequest(s: SessionState, r: Exclude<StreamRequest, { op: 'ping' }>): Omit<StreamRefusal, 'ok'> | undefined {
    const key = this.#keyOf(r)
    if (!s.subscriptions.has(key)) return { code: 'NOT_SUBSCRIBED', reason: `not subscribed to ${key}` }
    this.#leave(s, key)
    this.#reply(s, { type: 'unsubscribed', channel: key }, r.id)
    return undefined
  }

  #subscribe(s: SessionState, r: Exclude<StreamRequest, { op: 'ping' }>): Omit<StreamRefusal, 'ok'> | undefined {
    const key = this.#keyOf(r)
    if (s.subscriptions.has(key)) return { code: 'ALREADY_SUBSCRIBED', reason: `already subscribed to ${key}` }
    if (s.subscriptions.size >= this.limits.maxSubscriptions) return { code: 'TOO_MANY_SUBSCRIPTIONS', reason: `a connection holds at most ${this.limits.maxSubscriptions} subscriptions` }
    if ((r.channel === 'book' || r.channel === 'trades') && r.seriesId !== undefined && !this.#source.market.seriesById(r.seriesId))
      return { code: 'UNKNOWN_SERIES', reason: `series ${r.seriesId} is not listed` }
    if (r.channel === 'orders' && 'auth' in r) {
      const refusal = this.#authorize(r.auth)
      if (refusal) return refusal
    }
    // The book's snapshot is brought up to date (for those already listening too) before the
    // new subscriber joins, so the snapshot it gets carries the number in its `subscribed`.
    const snapshot = r.channel === 'book' ? this.#publishBook(r.seriesId) : undefined
    let set = this.#subscribers.get(key)
    if (!set) this.#subscribers.set(key, (set = new Set()))
    set.add(s)
    s.subscriptions.add(key)
    const seq = this.#seq.get(key) ?? 0
    this.#reply(s, { type: 'subscribed', channel: key, seq }, r.id)
    if (snapshot && r.channel === 'book') this.#send(s, JSON.stringify({ type: 'book', channel: key, seq, seriesId: r.seriesId.toString(), bids: snapshot.bids, asks: snapshot.asks }))
    return undefined
  }

  /** The checks of a private subscription (sequencer/readAuth.ts). */
  #authorize(auth: SignedStreamAuth): Omit<StreamRefusal, 'ok'> | undefined {
    return checkReadAuth(this.#source.engine.state, this.#source.now(), auth)
  }

}
