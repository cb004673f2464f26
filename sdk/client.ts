/**
 * A small typed REST client for the sequencer API.
 *
 * Routes (the sequencer owns their schemas): POST /v1/orders, POST /v1/cancels, POST /v1/cancels/all,
 * GET /v1/accounts/:index, GET /v1/accounts/:index/orders, GET /v1/accounts/:index/orders/:orderId,
 * GET /v1/accounts?l1Address=0x.. (provisional), POST /v1/withdrawals, GET /v1/batches,
 * GET /v1/series, GET /v1/trading-rules, GET /v1/health. Request bodies use the SDK's JSON formats (orders.ts);
 * responses are returned as decoded JSON with bigints as decimal strings, typed below by
 * the fields the SDK relies on (servers may add more). Every failure is an `ApiError`
 * carrying the server's `{ code, reason }`.
 */
import type { Address } from 'viem'
import { ApiError } from './errors.js'
import type { PointJSON } from './json.js'
import { signedCancelToJSON, signedWithdrawalToJSON, type SignedCancel, type SignedWithdrawal } from './orders.js'
import { DEFAULT_ORDER_OPTIONS, orderRequestToJSON, type OrderOptions, type OrderType, type SelfTradePrevention } from './orderRequest.js'
import { signedCancelAllToJSON, type SignedCancelAll } from './cancelAll.js'
import type { SignedOrder } from '../state/types.js'
import { READ_AUTH_HEADER, signedStreamAuthToJSON, signStreamAuth } from './streamAuth.js'

/** A read authorization is signed afresh once less than this is left of it (seconds). */
const READ_AUTH_RENEW_SECONDS = 60n

/** Options of `SequencerClient`. */
export type SequencerClientOptions = {
  /** Base URL of the sequencer, e.g. `http://127.0.0.1:8080` (no trailing `/v1`). */
  readonly baseUrl: string
  /** `fetch` implementation (default: the global one); handy for tests. */
  readonly fetch?: typeof fetch
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>>
  /** Per-request timeout in milliseconds (default 10 000). */
  readonly timeoutMs?: number
  /**
   * Keys for private reads (an account's orders: `getOrders`, `getOrder`, and the open orders
   * in `getAccount`): the account and its L2 private key, or a function giving the key to
   * sign with for an account (undefined: read without). Each such request then carries the
   * account's signed read authorization (sdk/streamAuth.ts) in the `X-Read-Auth` header,
   * signed afresh a minute before the last one expires.
   */
  readonly readAuth?: { readonly accountIndex: bigint; readonly privateKey: Uint8Array } | ((accountIndex: bigint) => Promise<Uint8Array | undefined>)
}

/** A fill of a placed order, as POST /v1/orders reports it. */
export type FillJSON = { readonly makerAccount: string; readonly makerOrderId: string; readonly size: string; readonly price: string }
/** Response of POST /v1/orders. */
export type PlaceOrderResponse = {
  readonly status: 'filled' | 'partially_filled' | 'resting' | 'cancelled_remainder'
  /** The order's account and id (sequencers before order options did not echo them). */
  readonly accountIndex?: string
  readonly orderId?: string
  readonly fills: FillJSON[]
  /** Size left resting in the book. */
  readonly resting: string
  /** Why matching stopped early, or why the rest did not rest (ioc). */
  readonly note?: string
  /** Own resting orders removed by self-trade prevention `cancel_oldest`. */
  readonly selfTradeCancelled?: readonly string[]
  /** Reduce-only: the size the order could trade, when below its signed size. */
  readonly cappedSize?: string
}
/** Response of POST /v1/cancels. */
export type CancelOrderResponse = { readonly status: 'cancelled'; readonly accountIndex: string; readonly orderId: string; readonly removedFromBook: string }
/** Response of POST /v1/cancels/all. */
export type CancelAllResponse = {
  readonly status: 'cancelled'
  readonly accountIndex: string
  readonly seriesId: string
  /** Every order taken off the book; `inCircuit` false: it left the book only (send a single cancel to retire it). */
  readonly removed: readonly { readonly orderId: string; readonly seriesId: string; readonly removedFromBook: string; readonly inCircuit: boolean }[]
  /** Order ids whose cancel transaction was applied (one slot each). */
  readonly cancelTxs: readonly string[]
  readonly skipped: readonly { readonly orderId: string; readonly reason: string }[]
}
/** Status of an order in the sequencer's history. */
export type OrderStatus = 'resting' | 'partially_filled' | 'filled' | 'cancelled' | 'expired' | 'rejected'
/** One fill of an order, with the batch that carries it. */
export type OrderFillJSON = {
  readonly size: string
  readonly price: string
  readonly role: 'maker' | 'taker'
  readonly counterpartyAccount: string
  readonly counterpartyOrderId: string
  readonly batch: number
  readonly at: string
}
/** Response of GET /v1/accounts/:index/orders/:orderId (and each item of the list). */
export type OrderResponse = {
  readonly accountIndex: string
  readonly orderId: string
  readonly seriesId: string
  readonly side: 0 | 1
  readonly size: string
  readonly limitPrice: string
  readonly validUntil: string
  readonly options: { readonly type: OrderType; readonly reduceOnly: boolean; readonly selfTradePrevention: SelfTradePrevention }
  readonly status: OrderStatus
  readonly filledSize: string
  readonly remaining: string
  /** Absent before any fill. */
  readonly averagePrice?: string
  readonly notional: string
  readonly fills: readonly OrderFillJSON[]
  readonly receivedAt: string
  readonly updatedAt: string
  readonly reason?: string
  /** The refusal code of a rejected order. */
  readonly code?: string
}
/** Response of GET /v1/accounts/:index/orders. */
export type OrdersResponse = { readonly accountIndex: string; readonly orders: readonly OrderResponse[]; readonly next?: string }
/** Query of `getOrders`. */
export type OrdersQuery = { readonly status?: 'open' | 'closed' | 'all'; readonly limit?: number; readonly cursor?: string }
/** Response of GET /v1/trading-rules. */
export type TradingRulesResponse = { readonly series: readonly { readonly seriesId: string; readonly tickSize: string; readonly sizeIncrement: string }[] }
/** Response of GET /v1/accounts/:index. */
export type AccountResponse = {
  readonly index: string
  readonly pubKey: PointJSON
  readonly l1Address: string
  readonly nonce: string
  readonly collateral: string
  readonly positions: readonly { readonly seriesId: string; readonly size: string }[]
} & Readonly<Record<string, unknown>>
/** Response of POST /v1/withdrawals. */
export type WithdrawalResponse = { readonly status: string } & Readonly<Record<string, unknown>>
/** One batch (GET /v1/batches/:number, and each entry of GET /v1/batches). */
export type BatchResponse = {
  readonly number: number
  readonly status: 'proving' | 'submitting' | 'verified' | 'failed'
  readonly oldRoot: string
  readonly newRoot: string
  readonly txCounts: Readonly<Record<string, number>>
  readonly createdAt: string
  readonly provingMs?: number
  readonly l1TxHash?: string
  readonly gasUsed?: string
  readonly error?: string
}
/** Response of GET /v1/batches: newest first; `next` is the cursor of the older page. */
export type BatchesResponse = { readonly batches: readonly BatchResponse[]; readonly next?: string }
/** Query of `getBatches`. */
export type BatchesQuery = { readonly limit?: number; readonly cursor?: string }
/** Response of GET /v1/series. */
export type SeriesListResponse = {
  readonly series: readonly { readonly id: string; readonly underlying: string; readonly expiry: string; readonly strike: string; readonly isCall: boolean }[]
} & Readonly<Record<string, unknown>>
/** Response of GET /v1/health. */
export type HealthResponse = { readonly status: string } & Readonly<Record<string, unknown>>

/**
 * Typed client of the sequencer's REST API.
 *
 * @example
 * const client = new SequencerClient({ baseUrl: 'http://127.0.0.1:8080' })
 * await client.placeOrder(signOrder(order, key.privateKey))
 * const account = await client.getAccount(1n)
 */
export class SequencerClient {
  readonly #baseUrl: string
  readonly #fetch: typeof fetch
  readonly #headers: Readonly<Record<string, string>>
  readonly #timeoutMs: number
  readonly #readKey: (accountIndex: bigint) => Promise<Uint8Array | undefined>
  readonly #signedReads = new Map<bigint, { readonly validUntil: bigint; readonly header: string }>()

  constructor(options: SequencerClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#headers = options.headers ?? {}
    this.#timeoutMs = options.timeoutMs ?? 10_000
    const auth = options.readAuth
    this.#readKey = typeof auth === 'function' ? auth : async (index) => (auth?.accountIndex === index ? auth.privateKey : undefined)
  }

  /** The `X-Read-Auth` header for a private read of `accountIndex`, if this client has a key for it. */
  async #readAuthHeaders(accountIndex: bigint): Promise<Record<string, string>> {
    const now = BigInt(Math.floor(Date.now() / 1000))
    let signed = this.#signedReads.get(accountIndex)
    if (!signed || signed.validUntil - now < READ_AUTH_RENEW_SECONDS) {
      const privateKey = await this.#readKey(accountIndex)
      if (!privateKey) return {}
      const auth = signStreamAuth({ accountIndex }, privateKey, now)
      signed = { validUntil: auth.validUntil, header: JSON.stringify(signedStreamAuthToJSON(auth)) }
      this.#signedReads.set(accountIndex, signed)
    }
    return { [READ_AUTH_HEADER]: signed.header }
  }

  /**
   * Sends a signed order with its execution options (POST /v1/orders); without options, a
   * plain limit order.
   *
   * @example
   * await client.placeOrder(signOrder(buildOrder({ ... }), key.privateKey))
   * await client.placeOrder(signed, orderOptions({ type: 'ioc', reduceOnly: true }))
   */
  placeOrder(signed: SignedOrder, options: OrderOptions = DEFAULT_ORDER_OPTIONS): Promise<PlaceOrderResponse> {
    return this.request('POST', '/v1/orders', orderRequestToJSON(signed, options))
  }

  /**
   * Cancels every resting order of the account, in one series or all (POST /v1/cancels/all);
   * the per-order cancels it carries also retire those orders in the circuit.
   *
   * @example
   * const open = await client.getOrders(1n, { status: 'open' })
   * await client.cancelAll(signCancelAll(buildCancelAll({ accountIndex: 1n }), key.privateKey, open.orders.map((o) => BigInt(o.orderId))))
   */
  cancelAll(signed: SignedCancelAll): Promise<CancelAllResponse> {
    return this.request('POST', '/v1/cancels/all', signedCancelAllToJSON(signed))
  }

  /**
   * One order's status, filled size, average price and fills (GET /v1/accounts/:index/orders/:orderId).
   *
   * @example const { status, filledSize } = await client.getOrder(1n, 7n)
   */
  async getOrder(accountIndex: bigint | number, orderId: bigint | number): Promise<OrderResponse> {
    return this.request('GET', `/v1/accounts/${BigInt(accountIndex).toString()}/orders/${BigInt(orderId).toString()}`, undefined, await this.#readAuthHeaders(BigInt(accountIndex)))
  }

  /**
   * An account's orders, newest first, a page at a time (GET /v1/accounts/:index/orders);
   * pass the previous page's `next` as `cursor`.
   *
   * @example
   * let page = await client.getOrders(1n, { status: 'all', limit: 100 })
   * while (page.next) page = await client.getOrders(1n, { cursor: page.next })
   */
  async getOrders(accountIndex: bigint | number, query: OrdersQuery = {}): Promise<OrdersResponse> {
    const params = new URLSearchParams()
    if (query.status) params.set('status', query.status)
    if (query.limit !== undefined) params.set('limit', String(query.limit))
    if (query.cursor !== undefined) params.set('cursor', query.cursor)
    const q = params.toString()
    return this.request('GET', `/v1/accounts/${BigInt(accountIndex).toString()}/orders${q ? `?${q}` : ''}`, undefined, await this.#readAuthHeaders(BigInt(accountIndex)))
  }

  /**
   * Tick size and size increment of every listed series (GET /v1/trading-rules).
   *
   * @example const { series } = await client.getTradingRules()
   */
  getTradingRules(): Promise<TradingRulesResponse> {
    return this.request('GET', '/v1/trading-rules')
  }

  /**
   * Cancels an order for good (POST /v1/cancels): it leaves the book, and its order slot is
   * bumped in the next batch so that it can never fill.
   *
   * @example await client.cancelOrder(signCancel({ accountIndex: 1n, orderId: 7n }, key.privateKey))
   */
  cancelOrder(signed: SignedCancel): Promise<CancelOrderResponse> {
    return this.request('POST', '/v1/cancels', signedCancelToJSON(signed))
  }

  /**
   * Reads an account by index (GET /v1/accounts/:index).
   *
   * @example const { collateral, nonce } = await client.getAccount(1n)
   */
  async getAccount(index: bigint | number): Promise<AccountResponse> {
    return this.request('GET', `/v1/accounts/${BigInt(index).toString()}`, undefined, await this.#readAuthHeaders(BigInt(index)))
  }

  /**
   * Finds an account by its L1 address (GET /v1/accounts?l1Address=; provisional route).
   *
   * @example const account = await client.getAccountByL1Address('0xf39F...2266')
   */
  getAccountByL1Address(l1Address: Address): Promise<AccountResponse> {
    return this.request('GET', `/v1/accounts?l1Address=${encodeURIComponent(l1Address.toLowerCase())}`)
  }

  /**
   * Sends a signed withdrawal request (POST /v1/withdrawals).
   *
   * @example await client.requestWithdrawal(signWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 5_000_000n }, key.privateKey))
   */
  requestWithdrawal(signed: SignedWithdrawal): Promise<WithdrawalResponse> {
    return this.request('POST', '/v1/withdrawals', signedWithdrawalToJSON(signed))
  }

  /**
   * Batches, newest first, a page at a time (GET /v1/batches; 100 a page unless `limit`, at
   * most 1,000): pass the previous page's `next` as `cursor`. The node lists every batch not
   * yet on L1 and the newest verified ones.
   *
   * @example
   * const { batches } = await client.getBatches({ limit: 10 })
   */
  getBatches(query: BatchesQuery = {}): Promise<BatchesResponse> {
    const params = new URLSearchParams()
    if (query.limit !== undefined) params.set('limit', String(query.limit))
    if (query.cursor !== undefined) params.set('cursor', query.cursor)
    const q = params.toString()
    return this.request('GET', `/v1/batches${q ? `?${q}` : ''}`)
  }

  /**
   * One batch (GET /v1/batches/:number); `ApiError` 404 `UNKNOWN_BATCH` when the node holds
   * none of that number (not cut yet, or verified long ago: read it from L1).
   *
   * @example const batch = await client.getBatch(7)
   */
  getBatch(number: number): Promise<BatchResponse> {
    return this.request('GET', `/v1/batches/${number}`)
  }

  /**
   * Lists the live series (GET /v1/series).
   *
   * @example const { series } = await client.getSeries()
   */
  getSeries(): Promise<SeriesListResponse> {
    return this.request('GET', '/v1/series')
  }

  /**
   * The sequencer's clock in unix seconds (GET /v1/time). An order's `validUntil` is judged
   * against it, not against this machine's clock: build short-lived orders from it, so that
   * a client clock running behind cannot make them arrive already expired.
   *
   * @example const validUntil = (await client.serverTime()) + 30n
   */
  async serverTime(): Promise<bigint> {
    const { unixSeconds } = await this.request<{ unixSeconds: string }>('GET', '/v1/time')
    return BigInt(unixSeconds)
  }

  /**
   * Liveness of the sequencer (GET /v1/health).
   *
   * @example (await client.health()).status // 'ok'
   */
  health(): Promise<HealthResponse> {
    return this.request('GET', '/v1/health')
  }

  /**
   * Any JSON request to the API, for routes this client does not wrap yet. Throws
   * `ApiError` for a non-2xx status, a network failure, a timeout or a non-JSON body.
   * `extraHeaders` go with this request only.
   *
   * @example const r = await client.request<{ x: string }>('GET', '/v1/stats')
   */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, extraHeaders: Readonly<Record<string, string>> = {}): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers, ...extraHeaders }
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeoutMs) }
    if (body !== undefined) {
      headers['content-type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    let res: Response
    try {
      res = await this.#fetch(`${this.#baseUrl}${path}`, init)
    } catch (e) {
      const name = (e as { name?: string }).name
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new ApiError(0, 'TIMEOUT', `${method} ${path} took longer than ${this.#timeoutMs} ms`, { cause: e })
      throw new ApiError(0, 'NETWORK_ERROR', `${method} ${path}: ${(e as Error).message}`, { cause: e })
    }
    const text = await res.text()
    let json: unknown
    try {
      json = text === '' ? undefined : JSON.parse(text)
    } catch {
      json = undefined
      if (res.ok) throw new ApiError(res.status, 'INVALID_RESPONSE', `${method} ${path}: body is not JSON`)
    }
    if (!res.ok) {
      const err = json as { code?: unknown; reason?: unknown; details?: unknown } | undefined
      const retryAfterS = retryAfterSeconds(res.headers.get('retry-after'))
      const details = err && isStringRecord(err.details) ? err.details : undefined
      const extra = { ...(details ? { details } : {}), ...(retryAfterS !== undefined ? { retryAfterS } : {}) }
      if (err && typeof err.code === 'string' && typeof err.reason === 'string') throw new ApiError(res.status, err.code, err.reason, extra)
      throw new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText, extra)
    }
    return json as T
  }
}

/** `Retry-After` in seconds (the API sends whole seconds; an HTTP date is not used), if present and sane. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined
  return Number(header.trim())
}

function isStringRecord(x: unknown): x is Record<string, string> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === 'string')
}
