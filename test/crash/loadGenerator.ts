/**
 * The crash tests' load: signed orders (crossing often, so that they fill), cancels of resting
 * orders and small withdrawals, from a few accounts, several requests in flight at once, over
 * HTTP with the SDK's signing and JSON. Every request is logged with what became of it:
 *
 * - `acked`: a 2xx answer; it must survive any crash, exactly once;
 * - `refused`: any other answer; it must never appear;
 * - `undelivered`: the connection was refused (no node listening); it must never appear;
 * - `unknown`: the node died with the request in flight; it may be there or not, but whole.
 *
 * Each signed payload is sent once (a withdrawal's amount and an order's id make each unique),
 * so an entry of the journal names exactly one request of the log.
 */
import { buildOrder, signCancel, signOrder, signWithdrawal, signedCancelToJSON, signedOrderToJSON, signedWithdrawalToJSON } from '../../sdk/index.js'
import type { TestKey } from '../../state/testing.js'
import { signedStreamAuthToJSON, signStreamAuth } from '../../sdk/streamAuth.js'

export type RequestKind = 'order' | 'cancel' | 'withdrawal'
export type RequestFate = 'pending' | 'acked' | 'refused' | 'undelivered' | 'unknown'

/** One request of the load and what became of it. */
export type SentRequest = {
  readonly seq: number
  readonly kind: RequestKind
  readonly account: bigint
  /** The JSON body, as sent: the key that finds it in the journal (`canonicalJSON`). */
  readonly body: unknown
  readonly key: string
  /** Which node process it was sent to (0, 1, ...). */
  readonly incarnation: number
  readonly sentAt: number
  answeredAt?: number
  fate: RequestFate
  status?: number
  response?: Record<string, unknown>
  error?: string
}

/** JSON with object keys sorted: the same value always gives the same text. */
export function canonicalJSON(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  )
}

/** A small seeded generator (mulberry32): the same seed gives the same mix of requests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type AccountModel = {
  readonly index: bigint
  readonly key: TestKey
  nextOrderId: bigint
  /** The withdrawal nonce; undefined while a withdrawal's fate is unknown (until `resync`). */
  nonce: bigint | undefined
  /** Orders believed resting: order id -> remaining size. */
  readonly resting: Map<bigint, bigint>
  /** Order ids in flight: their slots may hold them by the time they are answered. */
  readonly sending: Set<bigint>
}

export type LoadOptions = {
  readonly accounts: readonly { readonly index: bigint; readonly key: TestKey }[]
  readonly seriesId: bigint
  /** Order slots per account (2^orderSlotsDepth): an order id's slot is id mod this. */
  readonly orderSlots: bigint
  readonly random: () => number
  readonly validUntil: bigint
}

const MID_PRICE = 2_100_000n

export class LoadGenerator {
  readonly sent: SentRequest[] = []
  readonly #options: LoadOptions
  readonly #accounts: AccountModel[]
  readonly #keys = new Set<string>()

  constructor(options: LoadOptions) {
    this.#options = options
    this.#accounts = options.accounts.map((a) => ({ index: a.index, key: a.key, nextOrderId: 1n, nonce: 0n, resting: new Map(), sending: new Set() }))
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#options.random() * items.length)]!
  }

  #int(lo: number, hi: number): number {
    return lo + Math.floor(this.#options.random() * (hi - lo + 1))
  }

  /** A cancel of one of the account's resting orders not cancelled before, if it has one. */
  #cancel(account: AccountModel): { kind: RequestKind; account: AccountModel; path: string; body: unknown } | undefined {
    for (const orderId of account.resting.keys()) {
      const body = signedCancelToJSON(signCancel({ accountIndex: account.index, orderId }, account.key.privateKey))
      if (!this.#keys.has(canonicalJSON(body))) return { kind: 'cancel', account, path: '/v1/cancels', body }
    }
    return undefined
  }

  /** The next request to send, signed: an order most of the time, else a cancel or a withdrawal. */
  #next(): { kind: RequestKind; account: AccountModel; path: string; body: unknown } {
    const account = this.#pick(this.#accounts)
    const roll = this.#options.random()
    const cancel = roll < 0.2 ? this.#cancel(account) : undefined
    if (cancel) return cancel
    if (roll > 0.9 && account.nonce !== undefined) {
      // The sequence number makes the amount, hence the payload, unique.
      const amount = 1_000n + BigInt(this.sent.length)
      const body = signedWithdrawalToJSON(signWithdrawal({ accountIndex: account.index, nonce: account.nonce, amount }, account.key.privateKey))
      return { kind: 'withdrawal', account, path: '/v1/withdrawals', body }
    }
    // An id whose order slot holds none of our resting orders (a busy slot would refuse it);
    // with every slot busy, a cancel makes room instead.
    const slots = this.#options.orderSlots
    const busy = new Set([...account.resting.keys(), ...account.sending].map((id) => id % slots))
    if (BigInt(busy.size) >= slots) {
      const room = this.#cancel(account)
      if (room) return room
    }
    let orderId = account.nextOrderId
    for (let i = 0n; i < slots && busy.has(orderId % slots); i++) orderId++
    account.nextOrderId = orderId + 1n
    const side = this.#options.random() < 0.5 ? 'buy' : 'sell'
    const limitPrice = MID_PRICE + BigInt(this.#int(-40, 40)) * 1_000n
    const size = BigInt(this.#int(1, 20))
    const order = buildOrder({ accountIndex: account.index, orderId, seriesId: this.#options.seriesId, side, size, limitPrice, validUntil: this.#options.validUntil })
    return { kind: 'order', account, path: '/v1/orders', body: signedOrderToJSON(signOrder(order, account.key.privateKey)) }
  }

  /** Learns from an acknowledged answer: resting orders, fills of our makers, nonces. */
  #learn(request: SentRequest, account: AccountModel): void {
    const r = request.response!
    if (request.kind === 'order') {
      const orderId = BigInt((request.body as { order: { orderId: string } }).order.orderId)
      if (BigInt(r.resting as string) > 0n) account.resting.set(orderId, BigInt(r.resting as string))
      for (const f of r.fills as { makerAccount: string; makerOrderId: string; size: string }[]) {
        const maker = this.#accounts.find((a) => a.index === BigInt(f.makerAccount))
        const left = (maker?.resting.get(BigInt(f.makerOrderId)) ?? 0n) - BigInt(f.size)
        if (left > 0n) maker?.resting.set(BigInt(f.makerOrderId), left)
        else maker?.resting.delete(BigInt(f.makerOrderId))
      }
    } else if (request.kind === 'cancel') account.resting.delete(BigInt((request.body as { orderId: string }).orderId))
    else if (account.nonce !== undefined) account.nonce++
  }

  /** Sends one request to `url` and logs its fate. */
  async sendOne(url: string, incarnation: number): Promise<SentRequest> {
    const { kind, account, path, body } = this.#next()
    const key = canonicalJSON(body)
    this.#keys.add(key)
    const request: SentRequest = { seq: this.sent.length, kind, account: account.index, body, key, incarnation, sentAt: performance.now(), fate: 'pending' }
    this.sent.push(request)
    const orderId = kind === 'order' ? BigInt((body as { order: { orderId: string } }).order.orderId) : undefined
    if (orderId !== undefined) account.sending.add(orderId)
    try {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const answer = (await res.json()) as Record<string, unknown>
      request.answeredAt = performance.now()
      request.status = res.status
      request.response = answer
      request.fate = res.ok ? 'acked' : 'refused'
      if (res.ok) this.#learn(request, account)
      // A refused withdrawal may mean our nonce is stale: learn it again at the next resync.
      else if (kind === 'withdrawal' && answer.code === 'NONCE_MISMATCH') account.nonce = undefined
    } catch (error) {
      const code = ((error as Error & { cause?: { code?: string } }).cause?.code ?? '') as string
      request.fate = code === 'ECONNREFUSED' ? 'undelivered' : 'unknown'
      request.error = `${(error as Error).message} ${code}`.trim()
      if (kind === 'withdrawal' && request.fate === 'unknown') account.nonce = undefined
    } finally {
      if (orderId !== undefined) account.sending.delete(orderId)
    }
    return request
  }

  /**
   * Keeps `concurrency` requests in flight against `url` until `stop()` says so; resolves once
   * every request sent has its fate (the node may be killed meanwhile).
   */
  async run(url: string, incarnation: number, concurrency: number, stop: () => boolean): Promise<void> {
    const lane = async () => {
      while (!stop()) {
        await this.sendOne(url, incarnation)
        // Signing is synchronous: yield so that answers and the kill timer get their turn.
        await new Promise((r) => setImmediate(r))
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
  }

  /** After a restart: resting orders and nonces as the node has them (it is the truth now). */
  async resync(url: string): Promise<void> {
    for (const account of this.#accounts) {
      // Read as the owner: the open orders are private.
      const validUntil = BigInt(Math.floor(Date.now() / 1000) + 300)
      const auth = JSON.stringify(signedStreamAuthToJSON(signStreamAuth({ accountIndex: account.index, validUntil }, account.key.privateKey)))
      const res = await fetch(`${url}/v1/accounts/${account.index}`, { headers: { 'x-read-auth': auth } })
      if (!res.ok) throw new Error(`GET /v1/accounts/${account.index}: ${res.status} ${await res.text()}`)
      const view = (await res.json()) as { nonce: string; openOrders: { orderId: string; remaining: string }[] }
      account.nonce = BigInt(view.nonce)
      account.resting.clear()
      for (const o of view.openOrders) account.resting.set(BigInt(o.orderId), BigInt(o.remaining))
    }
  }
}
