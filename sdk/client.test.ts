import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { SequencerClient } from './client.js'
import { ApiError } from './errors.js'
import { deriveL2Key } from './keys.js'
import { buildOrder, parseSignedOrder, parseSignedWithdrawal, signOrder, signWithdrawal } from './orders.js'
import { orderOptions, parseOrderRequest } from './orderRequest.js'
import { buildCancelAll, parseSignedCancelAll, signCancelAll } from './cancelAll.js'
import { signedStreamAuthFromJSON, STREAM_AUTH_DEFAULT_LIFETIME_SECONDS, verifyStreamAuth } from './streamAuth.js'

type Call = { url: string; method: string; body: string | undefined; headers: Record<string, string> }

function mockFetch(respond: (c: Call) => Response | Promise<Response>) {
  const calls: Call[] = []
  const f = (async (input: string | URL | Request, init?: RequestInit) => {
    const c: Call = { url: String(input), method: init?.method ?? 'GET', body: init?.body as string | undefined, headers: (init?.headers ?? {}) as Record<string, string> }
    calls.push(c)
    return respond(c)
  }) as typeof fetch
  return { f, calls }
}
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

const key = await deriveL2Key(privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'), 31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3')
const signed = signOrder(buildOrder({ accountIndex: 1n, orderId: 1n, seriesId: 1n, side: 'buy', size: 10n, limitPrice: 100n, validUntil: 2_000_000_000n }), key.privateKey)

describe('SequencerClient', () => {
  it('POSTs orders and withdrawals as SDK JSON to the v1 routes', async () => {
    const { f, calls } = mockFetch(() => json(200, { status: 'accepted' }))
    const client = new SequencerClient({ baseUrl: 'http://seq.test/', fetch: f, headers: { 'x-api-key': 'k' } })
    expect(await client.placeOrder(signed)).toEqual({ status: 'accepted' })
    const w = signWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 5n }, key.privateKey)
    await client.requestWithdrawal(w)
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(['POST http://seq.test/v1/orders', 'POST http://seq.test/v1/withdrawals'])
    expect(parseSignedOrder(calls[0]!.body!, { publicKey: key.publicKey })).toEqual(signed)
    expect(parseSignedWithdrawal(calls[1]!.body!, { publicKey: key.publicKey })).toEqual(w)
    expect(calls[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 'k' })
  })

  it('GETs accounts, batches, series and health', async () => {
    const { f, calls } = mockFetch((c) => json(200, c.url.endsWith('/health') ? { status: 'ok' } : { ok: true }))
    const client = new SequencerClient({ baseUrl: 'http://seq.test', fetch: f })
    await client.getAccount(12n)
    await client.getAccountByL1Address('0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    await client.getBatches()
    await client.getBatches({ limit: 20, cursor: '40' })
    await client.getBatch(7)
    await client.getSeries()
    expect(await client.health()).toEqual({ status: 'ok' })
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'GET http://seq.test/v1/accounts/12',
      'GET http://seq.test/v1/accounts?l1Address=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266',
      'GET http://seq.test/v1/batches',
      'GET http://seq.test/v1/batches?limit=20&cursor=40',
      'GET http://seq.test/v1/batches/7',
      'GET http://seq.test/v1/series',
      'GET http://seq.test/v1/health',
    ])
    expect(calls.every((c) => c.body === undefined)).toBe(true)
  })

  it('sends order options and cancel-alls, and reads orders, order pages and trading rules', async () => {
    const { f, calls } = mockFetch(() => json(200, { status: 'ok', orders: [] }))
    const client = new SequencerClient({ baseUrl: 'http://seq.test', fetch: f })
    await client.placeOrder(signed, orderOptions({ type: 'post_only' }))
    const all = signCancelAll(buildCancelAll({ accountIndex: 1n, seriesId: 2n, nonce: 9n, validUntil: 2_000_000_000n }), key.privateKey, [1n])
    await client.cancelAll(all)
    await client.getOrder(1n, 7)
    await client.getOrders(1n)
    await client.getOrders(1, { status: 'open', limit: 20, cursor: '41' })
    await client.getTradingRules()
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST http://seq.test/v1/orders',
      'POST http://seq.test/v1/cancels/all',
      'GET http://seq.test/v1/accounts/1/orders/7',
      'GET http://seq.test/v1/accounts/1/orders',
      'GET http://seq.test/v1/accounts/1/orders?status=open&limit=20&cursor=41',
      'GET http://seq.test/v1/trading-rules',
    ])
    expect(parseOrderRequest(calls[0]!.body!, { publicKey: key.publicKey })).toEqual({ signed, options: orderOptions({ type: 'post_only' }) })
    expect(parseSignedCancelAll(calls[1]!.body!, { publicKey: key.publicKey })).toEqual(all)
    // Without options the body is the plain signed order, as before options existed.
    await client.placeOrder(signed)
    expect(parseSignedOrder(calls[6]!.body!)).toEqual(signed)
  })

  it("signs reads of an account's orders with its key, reusing the authorization while it lasts, and no other account's", async () => {
    const { f, calls } = mockFetch(() => json(200, { orders: [] }))
    const client = new SequencerClient({ baseUrl: 'http://seq.test', fetch: f, readAuth: { accountIndex: 1n, privateKey: key.privateKey } })
    await client.getOrders(1n)
    await client.getOrder(1, 7)
    await client.getAccount(1n)
    await client.getAccount(2n)
    await client.getAccountByL1Address('0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266')
    const sent = calls.map((c) => c.headers['x-read-auth'])
    expect(sent.slice(3)).toEqual([undefined, undefined])
    expect(new Set(sent.slice(0, 3)).size).toBe(1)
    const auth = signedStreamAuthFromJSON(JSON.parse(sent[0]!))
    expect(auth.accountIndex).toBe(1n)
    expect(verifyStreamAuth(auth, key.publicKey)).toBe(true)
    const now = BigInt(Math.floor(Date.now() / 1000))
    expect(auth.validUntil - now).toBeGreaterThan(STREAM_AUTH_DEFAULT_LIFETIME_SECONDS - 5n)
    expect(auth.validUntil - now).toBeLessThanOrEqual(STREAM_AUTH_DEFAULT_LIFETIME_SECONDS)

    // A function gives the key per account (a CLI session derives it once it is needed).
    const asked: bigint[] = []
    const lazy = new SequencerClient({ baseUrl: 'http://seq.test', fetch: f, readAuth: async (index) => (asked.push(index), index === 3n ? key.privateKey : undefined) })
    await lazy.getOrders(3n)
    await lazy.getOrders(3n)
    await lazy.getOrders(4n)
    expect(asked).toEqual([3n, 4n])
    expect(signedStreamAuthFromJSON(JSON.parse(calls[5]!.headers['x-read-auth']!)).accountIndex).toBe(3n)
    expect(calls[7]!.headers['x-read-auth']).toBeUndefined()
  })

  it('throws ApiError with the server code and reason', async () => {
    const { f } = mockFetch(() => json(422, { code: 'INSUFFICIENT_MARGIN', reason: 'initial margin 10 exceeds equity 5' }))
    const err = await new SequencerClient({ baseUrl: 'http://seq.test', fetch: f }).placeOrder(signed).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 422, code: 'INSUFFICIENT_MARGIN', reason: 'initial margin 10 exceeds equity 5' })
  })

  it('carries the refusal\'s details and Retry-After, so that a caller knows when to try again', async () => {
    const backlog = mockFetch(
      () => new Response(JSON.stringify({ code: 'PROVING_BACKLOG', reason: '9 batches wait', details: { backlog: '9', limit: '8' } }), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '5' } }),
    )
    const err = await new SequencerClient({ baseUrl: 'http://seq.test', fetch: backlog.f }).placeOrder(signed).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 503, code: 'PROVING_BACKLOG', details: { backlog: '9', limit: '8' }, retryAfterS: 5 })
    // No header, a date, garbage or non-string details: left out, not guessed.
    for (const [headers, body] of [
      [{}, { code: 'HALTED', reason: 'halted' }],
      [{ 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }, { code: 'X', reason: 'y', details: { n: 1 } }],
      [{ 'retry-after': '-3' }, { code: 'X', reason: 'y', details: 'no' }],
    ] as const) {
      const f = mockFetch(() => new Response(JSON.stringify(body), { status: 503, headers })).f
      const e = (await new SequencerClient({ baseUrl: 'http://seq.test', fetch: f }).health().catch((x: unknown) => x)) as ApiError
      expect([e.code, e.retryAfterS, e.details]).toEqual([body.code, undefined, undefined])
    }
  })

  it('maps bodies without {code, reason}, network errors, timeouts and non-JSON successes', async () => {
    const plain = mockFetch(() => new Response('Bad Gateway', { status: 502 }))
    await expect(new SequencerClient({ baseUrl: 'http://x', fetch: plain.f }).health()).rejects.toMatchObject({ status: 502, code: 'HTTP_502', reason: 'Bad Gateway' })
    const down = mockFetch(() => {
      throw new TypeError('fetch failed')
    })
    await expect(new SequencerClient({ baseUrl: 'http://x', fetch: down.f }).health()).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' })
    const slow = mockFetch(
      (c) =>
        new Promise<Response>((_, reject) => {
          void c
          setTimeout(() => reject(new DOMException('timed out', 'TimeoutError')), 5)
        }),
    )
    await expect(new SequencerClient({ baseUrl: 'http://x', fetch: slow.f, timeoutMs: 1 }).health()).rejects.toMatchObject({ code: 'TIMEOUT' })
    const html = mockFetch(() => new Response('<html>', { status: 200 }))
    await expect(new SequencerClient({ baseUrl: 'http://x', fetch: html.f }).health()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' })
  })
})
