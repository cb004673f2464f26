/**
 * A small typed REST client for the sequencer API.
 *
 * Routes (the sequencer owns their schemas): POST /v1/orders, POST /v1/cancels, GET /v1/accounts/:index,
 * GET /v1/accounts?l1Address=0x.. (provisional), POST /v1/withdrawals, GET /v1/batches,
 * GET /v1/series, GET /v1/health. Request bodies use the SDK's JSON formats (orders.ts);
 * responses are returned as decoded JSON with bigints as decimal strings, typed below by
 * the fields the SDK relies on (servers may add more). Every failure is an `ApiError`
 * carrying the server's `{ code, reason }`.
 */
import type { Address } from 'viem'
import { ApiError } from './errors.js'
import type { PointJSON } from './json.js'
import { signedCancelToJSON, signedOrderToJSON, signedWithdrawalToJSON, type SignedCancel, type SignedWithdrawal } from './orders.js'
import type { SignedOrder } from '../state/types.js'

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
}

/** Response of POST /v1/orders. */
export type PlaceOrderResponse = { readonly status: string } & Readonly<Record<string, unknown>>
/** Response of POST /v1/cancels. */
export type CancelOrderResponse = { readonly status: string; readonly removedFromBook: string } & Readonly<Record<string, unknown>>
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
/** Response of GET /v1/batches. */
export type BatchesResponse = { readonly batches: readonly Readonly<Record<string, unknown>>[] } & Readonly<Record<string, unknown>>
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

  constructor(options: SequencerClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis)
    this.#headers = options.headers ?? {}
    this.#timeoutMs = options.timeoutMs ?? 10_000
  }

  /**
   * Sends a signed order (POST /v1/orders).
   *
   * @example await client.placeOrder(signOrder(buildOrder({ ... }), key.privateKey))
   */
  placeOrder(signed: SignedOrder): Promise<PlaceOrderResponse> {
    return this.request('POST', '/v1/orders', signedOrderToJSON(signed))
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
  getAccount(index: bigint | number): Promise<AccountResponse> {
    return this.request('GET', `/v1/accounts/${BigInt(index).toString()}`)
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
   * Lists batches (GET /v1/batches).
   *
   * @example const { batches } = await client.getBatches()
   */
  getBatches(): Promise<BatchesResponse> {
    return this.request('GET', '/v1/batches')
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
   *
   * @example const r = await client.request<{ x: string }>('GET', '/v1/stats')
   */
  async request<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers }
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
      const err = json as { code?: unknown; reason?: unknown } | undefined
      if (err && typeof err.code === 'string' && typeof err.reason === 'string') throw new ApiError(res.status, err.code, err.reason)
      throw new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText)
    }
    return json as T
  }
}
