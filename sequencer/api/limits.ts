/**
 * Rate limits: token buckets per client IP (every route but the probes, the metrics and the
 * docs) and per account (every write whose body names one: orders, cancels, withdrawals, and
 * any write route added later). A request over a limit gets
 * `429 RATE_LIMITED` with `Retry-After`, before its signature is verified: verification is
 * the expensive step the limits protect.
 *
 * The account comes from the body, which anyone can write, so an account's bucket is only
 * charged for requests its owner signed (answered 2xx, 409 or 422): a stranger sending forged
 * orders in a victim's name spends its own IP's tokens, never the victim's. Checking before and
 * charging after lets a burst of concurrent requests overdraw the bucket by the few in flight;
 * the debt is paid back before the next request passes, so the long-run rate holds.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ApiContext } from './context.js'
import { sendError } from './errors.js'

/** A bucket refilling at `ratePerSecond` up to `burst` tokens; one request costs one token. */
export type BucketConfig = { readonly ratePerSecond: number; readonly burst: number }

/** Limits per client IP and per account; `false` turns one off. */
export type RateLimitConfig = { readonly perIp: BucketConfig | false; readonly perAccount: BucketConfig | false }

/**
 * Well above what a person, the demo or the tests send, well below what would let one client
 * starve the others (an order's signature check costs the node milliseconds).
 */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perIp: { ratePerSecond: 500, burst: 1_000 },
  perAccount: { ratePerSecond: 50, burst: 100 },
}

/** Token buckets by key (an IP, an account index). */
export class TokenBuckets {
  readonly config: BucketConfig
  readonly #buckets = new Map<string, { tokens: number; at: number }>()
  readonly #now: () => number
  readonly #maxKeys: number

  /** `now` in milliseconds; past `maxKeys` keys, buckets that refilled completely are dropped (a fresh one is the same). */
  constructor(config: BucketConfig, options: { now?: () => number; maxKeys?: number } = {}) {
    if (!(config.ratePerSecond > 0) || !(config.burst >= 1)) throw new RangeError(`a bucket needs a positive rate and a burst of at least 1 (got ${config.ratePerSecond}/s, burst ${config.burst})`)
    this.config = config
    this.#now = options.now ?? Date.now
    this.#maxKeys = options.maxKeys ?? 100_000
  }

  get size(): number {
    return this.#buckets.size
  }

  #tokens(key: string, now: number): number {
    const b = this.#buckets.get(key)
    if (!b) return this.config.burst
    return Math.min(this.config.burst, b.tokens + ((now - b.at) / 1000) * this.config.ratePerSecond)
  }

  /** Milliseconds until `key` has a token (0: it has one now). Spends nothing. */
  waitMs(key: string): number {
    const tokens = this.#tokens(key, this.#now())
    if (tokens >= 1) return 0
    // Less a hair, so that float rounding (0.998 tokens -> 1.0000000000000009 ms) does not add a millisecond.
    return Math.max(1, Math.ceil(((1 - tokens) / this.config.ratePerSecond) * 1000 - 1e-6))
  }

  /** Spends one token of `key`, into debt if need be. */
  spend(key: string): void {
    const now = this.#now()
    this.#buckets.set(key, { tokens: this.#tokens(key, now) - 1, at: now })
    if (this.#buckets.size > this.#maxKeys) this.#sweep(now)
  }

  /** Spends a token when there is one; else returns the wait in milliseconds and spends nothing. */
  take(key: string): number {
    const wait = this.waitMs(key)
    if (wait === 0) this.spend(key)
    return wait
  }

  #sweep(now: number): void {
    for (const [key] of this.#buckets) if (this.#tokens(key, now) >= this.config.burst) this.#buckets.delete(key)
  }
}

// Probes and scrapers must always get through, and the docs are static.
const EXEMPT = /^\/(v1\/health(\/.*)?|metrics|docs(\/.*)?)$/

/** The account a write names: `order.accountIndex` for orders, `accountIndex` for cancels and withdrawals. */
function accountOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as { accountIndex?: unknown; order?: { accountIndex?: unknown } }
  const index = b.order?.accountIndex ?? b.accountIndex
  return typeof index === 'string' ? index : undefined
}

/** Requests the account's owner signed: refusals for a bad signature, an unknown account or bad input are not theirs. */
function ownersRequest(status: number): boolean {
  return status < 400 || status === 409 || status === 422
}

function refuse(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, scope: 'ip' | 'account', key: string, config: BucketConfig, waitMs: number): FastifyReply {
  ctx.metrics.rateLimited.inc({ scope })
  void reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))))
  const who = scope === 'ip' ? `address ${key}` : `account ${key}`
  return sendError(request, reply, 429, 'RATE_LIMITED', `too many requests from ${who}: at most ${config.ratePerSecond}/s (bursts of ${config.burst}); retry in ${waitMs} ms`, {
    scope,
    ratePerSecond: String(config.ratePerSecond),
    burst: String(config.burst),
    retryAfterMs: String(waitMs),
  })
}

export const limitsPlugin = fp(async (app: FastifyInstance, ctx: ApiContext) => {
  if (!ctx.rateLimits) return
  const { perIp, perAccount } = ctx.rateLimits
  if (perIp) {
    const buckets = new TokenBuckets(perIp)
    // onRequest: before the body is read, so a flood costs the node as little as possible.
    app.addHook('onRequest', async (request, reply) => {
      if (EXEMPT.test(request.routeOptions.url ?? '')) return
      const wait = buckets.take(request.ip)
      if (wait > 0) return refuse(ctx, request, reply, 'ip', request.ip, perIp, wait)
    })
  }
  if (perAccount) {
    const buckets = new TokenBuckets(perAccount)
    // preHandler: the body is parsed and matches its schema, and the signature is not checked yet.
    app.addHook('preHandler', async (request, reply) => {
      const account = accountOf(request.body)
      if (account === undefined) return
      const wait = buckets.waitMs(account)
      if (wait > 0) return refuse(ctx, request, reply, 'account', account, perAccount, wait)
    })
    app.addHook('onResponse', async (request, reply) => {
      if (!ownersRequest(reply.statusCode)) return
      const account = accountOf(request.body)
      if (account !== undefined) buckets.spend(account)
    })
  }
})
