/**
 * A typed client of the sequencer's WebSocket stream (`GET /v1/stream`, protocol in
 * sdk/streamProtocol.ts): subscribe to book snapshots, trades, your own order updates (signed
 * with your L2 key, re-signed at every connection) and batch status.
 *
 * It reconnects after a lost connection (growing delays) and subscribes again to everything it
 * was subscribed to. Each data message carries its channel's sequence number; the client
 * reports a jump as a `gap` (messages missed while disconnected, or the server restarted), after
 * which a book is whole again at its next snapshot and orders should be read again over REST
 * (`GET /v1/accounts/:index/orders?status=open`).
 *
 * @example
 * const stream = new SequencerStream({ baseUrl: 'http://127.0.0.1:8080' })
 * stream.on('trade', (t) => console.log(t.seriesId, t.price, t.size))
 * stream.on('order', (o) => console.log(o.event, o.order.status))
 * stream.on('gap', (g) => console.warn('missed', g))
 * await stream.connect()
 * await stream.subscribe({ channel: 'trades' })
 * await stream.subscribe({ channel: 'orders', accountIndex: 1n, privateKey: key.privateKey })
 */
import { SdkError } from './errors.js'
import { signedStreamAuthToJSON, signStreamAuth } from './streamAuth.js'
import {
  channelKey,
  type BatchMessage,
  type BookMessage,
  type OrderMessage,
  type StreamErrorCode,
  type StreamServerMessage,
  type SubscribedMessage,
  type TradeMessage,
} from './streamProtocol.js'

export * from './streamProtocol.js'
export * from './streamAuth.js'

/** A subscription, as the SDK takes it. */
export type StreamSubscription =
  | { readonly channel: 'book'; readonly seriesId: bigint }
  /** `seriesId` absent: every series. */
  | { readonly channel: 'trades'; readonly seriesId?: bigint }
  /** The key signs the authorization at every (re)connection; it never leaves this process. */
  | { readonly channel: 'orders'; readonly accountIndex: bigint; readonly privateKey: Uint8Array }
  | { readonly channel: 'batches' }

/**
 * A jump in a channel's sequence numbers: `received` came where `expected` was due.
 * `missed`: messages `expected .. received - 1` never arrived (they went out while this client
 * was away). `reset`: the numbers went back, the server restarted.
 */
export type StreamGap = { readonly channel: string; readonly expected: number; readonly received: number; readonly kind: 'missed' | 'reset' }

/** What `on` can listen to. */
export type StreamEvents = {
  readonly book: BookMessage
  readonly trade: TradeMessage
  readonly order: OrderMessage
  readonly batch: BatchMessage
  readonly gap: StreamGap
  /** A refusal the server sent that no pending call was waiting for. */
  readonly error: StreamError
  /** Each connection opened (`reconnect`: not the first one). */
  readonly open: { readonly reconnect: boolean }
  readonly close: { readonly code: number; readonly reason: string; readonly willReconnect: boolean }
}

/** A refusal of the stream (`code` from the server), or `CLOSED` for a call cut short by a closed connection. */
export class StreamError extends SdkError {
  override name = 'StreamError'
  constructor(
    readonly code: StreamErrorCode | 'CLOSED',
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`)
  }
}

/** The part of a WebSocket the client uses: the browser API, which the `ws` package also has. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: never) => void) | null
  onmessage: ((event: never) => void) | null
  onclose: ((event: never) => void) | null
  onerror: ((event: never) => void) | null
}
export type WebSocketConstructor = new (url: string) => WebSocketLike

export type SequencerStreamOptions = {
  /** Base URL of the sequencer (`http://host:port`, as `SequencerClient`'s), or the WebSocket URL itself (`ws://host:port/v1/stream`). */
  readonly baseUrl: string
  /** WebSocket implementation (default: the global one, else the `ws` package). */
  readonly WebSocket?: WebSocketConstructor
  /** Delays between reconnection attempts: from `initialDelayMs`, doubling up to `maxDelayMs`; `false`: never reconnect. */
  readonly reconnect?: { readonly initialDelayMs: number; readonly maxDelayMs: number } | false
  /** Unix seconds, the clock stream authorizations are signed against (default: the local clock). */
  readonly now?: () => bigint
}

const OPEN = 1
type Pending = { readonly key: string; readonly resolve: (value: SubscribedMessage | undefined) => void; readonly reject: (error: StreamError) => void }
type Listener = (event: never) => void

/**
 * The WebSocket URL of a sequencer: `http(s)://host:port` becomes `ws(s)://host:port/v1/stream`;
 * a `ws(s)://` URL is kept.
 *
 * @example streamUrl('http://127.0.0.1:8080') // 'ws://127.0.0.1:8080/v1/stream'
 */
export function streamUrl(baseUrl: string): string {
  if (/^wss?:\/\//.test(baseUrl)) return baseUrl
  const m = /^http(s?):\/\/(.*?)\/*$/.exec(baseUrl)
  if (!m) throw new SdkError(`not an http(s) or ws(s) URL: ${baseUrl}`)
  return `ws${m[1]}://${m[2]}/v1/stream`
}

export class SequencerStream {
  readonly #url: string
  readonly #options: SequencerStreamOptions
  #socket: WebSocketLike | undefined
  #connecting: Promise<void> | undefined
  /** What the client wants to be subscribed to, by channel key: resubscribed after a reconnect. */
  readonly #wanted = new Map<string, StreamSubscription>()
  /** Last sequence number seen per channel key. */
  readonly #seen = new Map<string, number>()
  readonly #pending = new Map<string, Pending>()
  readonly #listeners = new Map<keyof StreamEvents, Set<Listener>>()
  #nextId = 1
  #closedByUser = false
  #opened = 0
  #delay: number
  #retry: ReturnType<typeof setTimeout> | undefined

  constructor(options: SequencerStreamOptions) {
    this.#options = options
    this.#url = streamUrl(options.baseUrl)
    this.#delay = options.reconnect === false ? 0 : (options.reconnect?.initialDelayMs ?? 250)
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.#socket?.readyState === OPEN
  }

  /** The channel keys the client keeps subscribed (`book:1`, `trades:all`, `orders:7`, ...). */
  get subscriptions(): readonly string[] {
    return [...this.#wanted.keys()]
  }

  /** Listens to `event`; returns the function that stops listening. */
  on<K extends keyof StreamEvents>(event: K, listener: (value: StreamEvents[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as Listener)
    return () => void set.delete(listener as Listener)
  }

  /** Opens the connection (resolves once open; rejects when the first attempt fails). */
  async connect(): Promise<void> {
    this.#closedByUser = false
    if (this.connected) return
    this.#connecting ??= this.#open().finally(() => (this.#connecting = undefined))
    return this.#connecting
  }

  /**
   * Subscribes, and keeps the subscription across reconnections. Resolves with the server's
   * `subscribed` (its `seq`: the channel's last message number); rejects with a `StreamError`
   * when the server refuses (the subscription is then forgotten).
   */
  async subscribe(sub: StreamSubscription): Promise<SubscribedMessage> {
    const key = keyOf(sub)
    if (!this.connected) throw new StreamError('CLOSED', 'not connected: call connect() first')
    // Checked here: sent on, the server's refusal would end the subscription already held.
    if (this.#wanted.has(key)) throw new StreamError('ALREADY_SUBSCRIBED', `already subscribed to ${key}`)
    this.#wanted.set(key, sub)
    try {
      return (await this.#request(key, this.#subscribeMessage(sub)))!
    } catch (error) {
      if (error instanceof StreamError && error.code !== 'CLOSED') this.#wanted.delete(key)
      throw error
    }
  }

  /** Stops a subscription. */
  async unsubscribe(sub: StreamSubscription): Promise<void> {
    const key = keyOf(sub)
    this.#wanted.delete(key)
    this.#seen.delete(key)
    const fields = sub.channel === 'orders' ? { channel: 'orders', accountIndex: sub.accountIndex.toString() } : this.#publicFields(sub)
    await this.#request(key, { op: 'unsubscribe', ...fields })
  }

  /** Round trip to the server. */
  async ping(): Promise<void> {
    await this.#request('ping', { op: 'ping' })
  }

  /** Closes the connection for good (no reconnection); pending calls reject with `CLOSED`. */
  close(): void {
    this.#closedByUser = true
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = undefined
    this.#socket?.close(1000, 'client closed')
    this.#failPending('the client closed the stream')
  }

  // ---- connection --------------------------------------------------------------------------

  async #open(): Promise<void> {
    const Impl = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? ((await import('ws')).WebSocket as unknown as WebSocketConstructor)
    const socket = new Impl(this.#url)
    this.#socket = socket
    await new Promise<void>((resolve, reject) => {
      let opened = false
      socket.onopen = (() => {
        opened = true
        this.#delay = this.#options.reconnect === false ? 0 : (this.#options.reconnect?.initialDelayMs ?? 250)
        const reconnect = this.#opened++ > 0
        // Resubscriptions: a refusal (the key no longer verifies, the series was delisted) ends that subscription.
        for (const [key, sub] of this.#wanted) this.#pending.set(this.#sendRequest(this.#subscribeMessage(sub)), { key, resolve: () => {}, reject: (error) => this.#emit('error', error) })
        this.#emit('open', { reconnect })
        resolve()
      }) as Listener
      socket.onmessage = ((event: { data: unknown }) => this.#onMessage(event.data)) as Listener
      socket.onerror = (() => {}) as Listener
      socket.onclose = ((event: { code: number; reason: string }) => {
        if (this.#socket !== socket) return
        this.#socket = undefined
        const willReconnect = !this.#closedByUser && this.#options.reconnect !== false
        this.#failPending(`connection closed (${event.code}${event.reason ? `: ${event.reason}` : ''})`)
        this.#emit('close', { code: event.code, reason: String(event.reason ?? ''), willReconnect })
        if (!opened) reject(new StreamError('CLOSED', `could not connect to ${this.#url} (${event.code})`))
        if (willReconnect && opened) this.#scheduleReconnect()
      }) as Listener
    })
  }

  #scheduleReconnect(): void {
    const reconnect = this.#options.reconnect
    if (reconnect === false || this.#closedByUser) return
    const delay = this.#delay
    this.#delay = Math.min(reconnect?.maxDelayMs ?? 10_000, Math.max(1, delay) * 2)
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (this.#closedByUser) return
      this.#open().catch(() => this.#scheduleReconnect())
    }, delay)
  }

  // ---- requests ----------------------------------------------------------------------------

  #publicFields(sub: Exclude<StreamSubscription, { channel: 'orders' }>): Record<string, string> {
    if (sub.channel === 'batches') return { channel: 'batches' }
    return sub.seriesId === undefined ? { channel: sub.channel } : { channel: sub.channel, seriesId: sub.seriesId.toString() }
  }

  #subscribeMessage(sub: StreamSubscription): Record<string, unknown> {
    if (sub.channel !== 'orders') return { op: 'subscribe', ...this.#publicFields(sub) }
    const now = this.#options.now?.()
    const auth = signStreamAuth({ accountIndex: sub.accountIndex }, sub.privateKey, ...(now !== undefined ? [now] : []))
    return { op: 'subscribe', channel: 'orders', ...signedStreamAuthToJSON(auth) }
  }

  async #request(key: string, message: Record<string, unknown>): Promise<SubscribedMessage | undefined> {
    if (!this.connected) throw new StreamError('CLOSED', 'not connected: call connect() first')
    return new Promise((resolve, reject) => {
      const id = this.#sendRequest(message)
      this.#pending.set(id, { key, resolve, reject })
    })
  }

  #sendRequest(message: Record<string, unknown>): string {
    const id = String(this.#nextId++)
    this.#socket?.send(JSON.stringify({ ...message, id }))
    return id
  }

  #failPending(reason: string): void {
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(new StreamError('CLOSED', reason))
  }

  // ---- messages ----------------------------------------------------------------------------

  #onMessage(data: unknown): void {
    let m: StreamServerMessage
    try {
      m = JSON.parse(String(data)) as StreamServerMessage
    } catch {
      return
    }
    switch (m.type) {
      case 'subscribed':
        this.#onSubscribed(m)
        return this.#settle(m.id, m)
      case 'unsubscribed':
      case 'pong':
        return this.#settle(m.id, undefined)
      case 'error': {
        const error = new StreamError(m.code, m.reason)
        const p = m.id === undefined ? undefined : this.#pending.get(m.id)
        if (p) {
          this.#pending.delete(m.id!)
          // A refused resubscription (after a reconnect) ends that subscription.
          if (p.key !== 'ping') this.#wanted.delete(p.key)
          return p.reject(error)
        }
        return this.#emit('error', error)
      }
      case 'book':
      case 'trade':
      case 'order':
      case 'batch':
        this.#sequence(m.channel, m.seq)
        return this.#emit(m.type, m as never)
    }
  }

  #settle(id: string | undefined, value: SubscribedMessage | undefined): void {
    const p = id === undefined ? undefined : this.#pending.get(id)
    if (!p) return
    this.#pending.delete(id!)
    p.resolve(value)
  }

  /** `subscribed.seq` is the channel's last message: a client that saw an earlier one missed the ones between. */
  #onSubscribed(m: SubscribedMessage): void {
    const last = this.#seen.get(m.channel)
    if (last !== undefined && m.seq !== last) this.#emit('gap', { channel: m.channel, expected: last + 1, received: m.seq + 1, kind: m.seq > last ? 'missed' : 'reset' })
    this.#seen.set(m.channel, m.seq)
  }

  #sequence(channel: string, seq: number): void {
    const last = this.#seen.get(channel)
    this.#seen.set(channel, seq)
    // seq === last: the book snapshot that follows `subscribed` repeats its number.
    if (last === undefined || seq === last + 1 || seq === last) return
    this.#emit('gap', { channel, expected: last + 1, received: seq, kind: seq > last ? 'missed' : 'reset' })
  }

  #emit<K extends keyof StreamEvents>(event: K, value: StreamEvents[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) (listener as (v: StreamEvents[K]) => void)(value)
  }
}

function keyOf(sub: StreamSubscription): string {
  if (sub.channel === 'orders') return channelKey({ channel: 'orders', accountIndex: sub.accountIndex.toString() })
  if (sub.channel === 'batches') return channelKey({ channel: 'batches' })
  return channelKey(sub.seriesId === undefined ? { channel: sub.channel } : { channel: sub.channel, seriesId: sub.seriesId.toString() })
}
