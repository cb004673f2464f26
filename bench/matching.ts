/**
 * `matching.orders_per_s` and `matching.p99_us`: the matching engine alone, no signatures,
 * no HTTP, no state.
 *
 * What is measured: `executeOrder` (sequencer/matcher.ts) on `OrderBook`s
 * (sequencer/orderBook.ts), the same code the engine runs: post-only and self-trade
 * refusals, reduce-only caps, the price-time matching loop, partial fills, resting,
 * immediate-or-cancel, and cancels (`OrderBook.remove`). The hooks that the engine fills
 * with signature checks, margin (risk/), the core's trade rules and the Poseidon state
 * update (state/) here only keep each account's position, so that reduce-only works; those
 * costs are measured elsewhere (crypto.*, state.*, risk.margin_*). One core, one thread.
 *
 * Workload (deterministic, a small LCG): 4 series, 400 accounts, mid prices on a slow random
 * walk, 200,000 requests per run: 40 % passive limit orders 1 to 20 ticks from the mid, 8 %
 * post-only orders near the mid (some refused as they would cross), 17 % marketable limit
 * orders up to 5 ticks through the mid (the rest rests), 8 % immediate-or-cancel, 2 %
 * reduce-only immediate-or-cancel, 25 % cancels of a resting order of a random account in a random series (found as the engine
 * finds it, through the book's index by account). Sizes 1 to 50.
 * A run ends with about 24,000 resting orders (about 6,000 per series), 57,000 fills and
 * 15,000 refusals (post-only orders that would cross, reduce-only orders with nothing to
 * reduce); a refused request counts as handled, as the engine answers it too.
 *
 * Figures: requests per second over a whole run (median of RUNS runs after a warm-up run),
 * and the 99th percentile of the per-request latency over every timed request, in
 * microseconds (process.hrtime.bigint around each request).
 */
import { Side, type SignedOrder } from '../state/index.js'
import type { Signature } from '../state/types.js'
import { DEFAULT_ORDER_OPTIONS, type OrderOptions } from '../sdk/orderRequest.js'
import { SequencerError } from '../sequencer/errors.js'
import { executeOrder, reducibleSize, type ExecutionHooks } from '../sequencer/matcher.js'
import { OrderBook } from '../sequencer/orderBook.js'
import type { Benchmark } from './figure.js'
import { BenchError, median, progress } from './support.js'

const SERIES = 4
const ACCOUNTS = 400
const REQUESTS = 200_000
const RUNS = 5
const TICK = 100n
/** Not verified by this layer: the engine checks signatures before it calls it. */
const UNCHECKED_SIGNATURE: Signature = { R8: { x: 0n, y: 1n }, S: 0n }

type Lcg = { next: () => number; int: (n: number) => number }

function lcg(seed: number): Lcg {
  let s = seed >>> 0
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
  return { next, int: (n) => Math.floor(next() * n) }
}

/** One run's measurements. */
type Run = { readonly seconds: number; readonly latenciesNs: Float64Array; readonly fills: number; readonly resting: number; readonly refused: number }

/** Runs the workload once on fresh books. */
export function runWorkload(requests = REQUESTS, seed = 42): Run {
  const rand = lcg(seed)
  const books = Array.from({ length: SERIES }, (_, i) => new OrderBook(BigInt(i + 1)))
  const mids = Array.from({ length: SERIES }, () => 2_000_000n)
  const positions = new Map<string, bigint>()
  const key = (account: bigint, series: bigint) => `${account}/${series}`
  const held = (account: bigint, series: bigint) => positions.get(key(account, series)) ?? 0n
  const nextOrderId = new Array<number>(ACCOUNTS + 1).fill(1)
  const latencies = new Float64Array(requests)
  let sequence = 0
  let fills = 0
  let refused = 0

  // One set of hooks per run: the order being executed is in `taker`.
  let taker: SignedOrder['order'] = { accountIndex: 0n, orderId: 0n, seriesId: 0n, side: Side.buy, size: 0n, limitPrice: 0n, validUntil: 0n }
  const hooks: ExecutionHooks = {
    now: 1_000n,
    admit: () => {},
    check: (maker, fill) => {
      const m = maker.signed.order
      if (maker.options?.reduceOnly && fill > reducibleSize(held(m.accountIndex, m.seriesId), m.side)) return { ok: false, drop: 'maker', reason: 'reduce-only' }
      return { ok: true }
    },
    trade: (maker, fill) => {
      const m = maker.signed.order
      const signedFill = taker.side === Side.buy ? fill : -fill
      positions.set(key(taker.accountIndex, taker.seriesId), held(taker.accountIndex, taker.seriesId) + signedFill)
      positions.set(key(m.accountIndex, m.seriesId), held(m.accountIndex, m.seriesId) - signedFill)
      fills++
    },
    dropMaker: (maker) => void books[Number(maker.signed.order.seriesId) - 1]!.remove(maker),
  }

  const place = (options: OrderOptions, through: bigint, away: bigint) => {
    const s = rand.int(SERIES)
    const book = books[s]!
    const accountIndex = BigInt(1 + rand.int(ACCOUNTS))
    const side = rand.next() < 0.5 ? Side.buy : Side.sell
    const offset = (through - away) * TICK
    const limitPrice = side === Side.buy ? mids[s]! + offset : mids[s]! - offset
    const size = BigInt(1 + rand.int(50))
    const orderId = BigInt(nextOrderId[Number(accountIndex)]!++)
    const order = { accountIndex, orderId, seriesId: book.seriesId, side, size, limitPrice, validUntil: 2_000n }
    let tradable = size
    if (options.reduceOnly) tradable = reducibleSize(held(accountIndex, book.seriesId), side) < size ? reducibleSize(held(accountIndex, book.seriesId), side) : size
    if (tradable === 0n) {
      refused++
      return
    }
    try {
      taker = order
      executeOrder(book, { signed: { order, signature: UNCHECKED_SIGNATURE }, options, size: tradable, sequence: sequence++ }, hooks)
    } catch (e) {
      if (!(e instanceof SequencerError)) throw e
      refused++
    }
  }

  // As the engine finds an order to cancel: among the account's resting orders in the series.
  const cancel = () => {
    const book = books[rand.int(SERIES)]!
    const mine = book.ordersOf(BigInt(1 + rand.int(ACCOUNTS)))
    const o = mine[rand.int(mine.length)]
    if (o) book.remove(o)
  }

  const limit = { ...DEFAULT_ORDER_OPTIONS }
  const postOnly: OrderOptions = { ...DEFAULT_ORDER_OPTIONS, type: 'post_only' }
  const ioc: OrderOptions = { ...DEFAULT_ORDER_OPTIONS, type: 'ioc' }
  const reduceIoc: OrderOptions = { ...DEFAULT_ORDER_OPTIONS, type: 'ioc', reduceOnly: true }
  const stpOldest: OrderOptions = { ...DEFAULT_ORDER_OPTIONS, selfTradePrevention: 'cancel_oldest' }
  const started = process.hrtime.bigint()
  for (let r = 0; r < requests; r++) {
    if (r % 100 === 0) {
      const s = rand.int(SERIES)
      mids[s] = mids[s]! + BigInt(rand.int(3) - 1) * TICK
    }
    const u = rand.next()
    const t0 = process.hrtime.bigint()
    if (u < 0.4) place(rand.next() < 0.5 ? limit : stpOldest, 0n, BigInt(1 + rand.int(20)))
    else if (u < 0.48) place(postOnly, 0n, BigInt(rand.int(3)))
    else if (u < 0.65) place(rand.next() < 0.5 ? limit : stpOldest, BigInt(rand.int(6)), 0n)
    else if (u < 0.73) place(ioc, BigInt(rand.int(6)), 0n)
    else if (u < 0.75) place(reduceIoc, BigInt(rand.int(6)), 0n)
    else cancel()
    latencies[r] = Number(process.hrtime.bigint() - t0)
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return { seconds, latenciesNs: latencies, fills, resting: books.reduce((n, b) => n + b.size, 0), refused }
}

/** The p-th percentile (0..100) of `values` (nearest rank). */
export function percentile(values: Float64Array, p: number): number {
  if (values.length === 0) throw new BenchError('percentile of no values')
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

export const matching: Benchmark = {
  figures: ['matching.orders_per_s', 'matching.p99_us'],
  run: async () => {
    runWorkload(REQUESTS, 7) // warm-up (JIT)
    const runs = Array.from({ length: RUNS }, (_, i) => runWorkload(REQUESTS, 42 + i))
    const rates = runs.map((r) => REQUESTS / r.seconds)
    const all = new Float64Array(REQUESTS * RUNS)
    runs.forEach((r, i) => all.set(r.latenciesNs, i * REQUESTS))
    const p99us = percentile(all, 99) / 1000
    const last = runs[runs.length - 1]!
    progress(`matching: ${Math.round(median(rates))} requests/s (runs ${rates.map(Math.round).join(', ')}); p50 ${(percentile(all, 50) / 1000).toFixed(2)} us, p99 ${p99us.toFixed(2)} us, max ${(percentile(all, 100) / 1000).toFixed(0)} us; last run: ${last.fills} fills, ${last.refused} refused, ${last.resting} resting at the end`)
    return [
      { name: 'matching.orders_per_s', value: Math.round(median(rates)), unit: 'requests/s' },
      { name: 'matching.p99_us', value: Math.round(p99us * 100) / 100, unit: 'us' },
    ]
  },
}
