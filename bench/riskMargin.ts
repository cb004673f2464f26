/**
 * `risk.*`: the cost of margin for the whole market, on one thread (JavaScript runs the
 * computation on the main thread only).
 *
 * - `risk.market_table_build_ms`: `buildMarketTable` for 200 series (ETH and BTC calls and
 *   puts, 7 to 180 days), K = 27: 200 x 28 Black-Scholes valuations and exact decimal
 *   roundings. Median of 15 runs after 3 warm-ups.
 * - `risk.margin_full_market_ms`: the margin of 10,000 accounts x 10 positions x 27
 *   scenarios over those 200 series with the columnar engine (risk/marginEngine.ts): the
 *   table converted to typed arrays plus every account's equity, IM, MM, worst scenario and
 *   short minimum. Median of 21 runs after 5 warm-ups. Before timing, every account's
 *   result is checked against `accountMargin` (the bigint reference), and the run fails if
 *   any account left the exact float path. The bigint reference's own time for the same
 *   market and the time to build the columnar book go to stderr.
 *
 * Data are drawn from a fixed-seed generator, so every run measures the same market.
 */
import { accountMargin, type MarginAccount } from '../risk/margin.js'
import { buildMarketTable } from '../risk/marketTable.js'
import type { Series } from '../risk/series.js'
import { buildMarginBook, columnarTable, computeMargins } from '../risk/marginEngine.js'
import type { Benchmark, Figure } from './figure.js'
import { BenchError, median, progress, round } from './support.js'

const NOW = 1_790_000_000n
const DAY = 86_400n
const SERIES = 200
const ACCOUNTS = 10_000
const POSITIONS = 10

/** mulberry32: a small deterministic generator of floats in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function market(): { series: Series[]; inputs: Parameters<typeof buildMarketTable>[1] } {
  const series: Series[] = []
  const expiries = [7n, 14n, 30n, 60n, 90n, 180n]
  for (let i = 0; i < SERIES; i++) {
    const eth = i < 120
    const spot = eth ? 3000n : 95000n
    const step = eth ? 100n : 2500n
    const strike = spot + step * BigInt((i % 21) - 10)
    series.push({ id: BigInt(i + 1), underlying: eth ? 'ETH' : 'BTC', expiry: NOW + expiries[i % expiries.length]! * DAY, strike: strike * 1_000_000n, isCall: i % 2 === 0 })
  }
  return { series, inputs: { spotByUnderlying: { ETH: 3012.5, BTC: 94850 }, volByUnderlying: { ETH: 0.68, BTC: 0.52 }, ratePerYear: 0.03, nowUnixSeconds: NOW } }
}

function accounts(): MarginAccount[] {
  const random = generator(20_260_101)
  const out: MarginAccount[] = []
  for (let a = 0; a < ACCOUNTS; a++) {
    const ids = new Set<bigint>()
    while (ids.size < POSITIONS) ids.add(BigInt(1 + Math.floor(random() * SERIES)))
    const positions = [...ids].map((seriesId) => ({ seriesId, size: BigInt(Math.floor(random() * 10_000) - 5_000) || 1n }))
    out.push({ collateral: BigInt(Math.floor(random() * 2_000_000)) * 1_000_000n, positions })
  }
  return out
}

function time(f: () => void): number {
  const t0 = process.hrtime.bigint()
  f()
  return Number(process.hrtime.bigint() - t0) / 1e6
}

export const riskMargin: Benchmark = {
  figures: ['risk.margin_full_market_ms', 'risk.market_table_build_ms'],
  run: async (wanted) => {
    const figures: Figure[] = []
    const { series, inputs } = market()
    const table = buildMarketTable(series, inputs)

    if (wanted.includes('risk.market_table_build_ms')) {
      for (let i = 0; i < 3; i++) buildMarketTable(series, inputs)
      const runs = Array.from({ length: 15 }, () => time(() => buildMarketTable(series, inputs)))
      figures.push({ name: 'risk.market_table_build_ms', value: round(median(runs), 2), unit: 'ms' })
    }

    if (wanted.includes('risk.margin_full_market_ms')) {
      const book = accounts()
      let columnar = buildMarginBook(book)
      progress(`columnar book of ${ACCOUNTS} accounts x ${POSITIONS} positions built in ${round(time(() => (columnar = buildMarginBook(book))), 1)} ms`)
      // Reference check (and the bigint time for comparison).
      const fast = computeMargins(columnar, columnarTable(table))
      if (fast.fallback.size > 0) throw new BenchError(`${fast.fallback.size} accounts left the exact float path`)
      let reference: ReturnType<typeof accountMargin>[] = []
      const bigintMs = time(() => (reference = book.map((a) => accountMargin(a.collateral, a.positions, table))))
      for (let a = 0; a < ACCOUNTS; a++) {
        const got = fast.get(a)
        const want = reference[a]!
        if (JSON.stringify(got, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(want, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)))
          throw new BenchError(`account ${a}: the columnar engine disagrees with accountMargin`)
      }
      progress(`bigint accountMargin over the same market: ${round(bigintMs, 0)} ms; below maintenance: ${fast.belowMaintenance().length} accounts`)
      for (let i = 0; i < 5; i++) computeMargins(columnar, columnarTable(table))
      const runs = Array.from({ length: 21 }, () => time(() => computeMargins(columnar, columnarTable(table))))
      progress(`columnar runs (ms): min ${round(Math.min(...runs), 2)}, max ${round(Math.max(...runs), 2)}`)
      figures.push({ name: 'risk.margin_full_market_ms', value: round(median(runs), 2), unit: 'ms' })
    }
    return figures
  },
}
