import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { accountMargin, type MarginAccount, type MarginParams } from './margin.js'
import { buildMarketTable, type MarketRow, type MarketTable } from './marketTable.js'
import { buildMarginBook, columnarTable, computeMargins } from './marginEngine.js'
import { RiskInputError } from './errors.js'
import type { Series } from './series.js'

const NOW = 1_790_000_000n
const DAY = 86_400n

/** A table of `rows` from raw values (any K), as another engine might publish. */
function rawTable(rows: { mark: bigint; values: bigint[]; shortMinimum: bigint }[]): MarketTable {
  const K = rows[0]?.values.length ?? 0
  const map = new Map<bigint, MarketRow>()
  rows.forEach((r, i) => map.set(BigInt(i + 1), { seriesId: BigInt(i + 1), mark: r.mark, scenarioValues: r.values, shortMinimum: r.shortMinimum }))
  return { asOfUnixSeconds: NOW, scenarioCount: K, rows: map }
}

function expectSameAsAccountMargin(accounts: MarginAccount[], table: MarketTable, params?: MarginParams): number {
  const m = computeMargins(buildMarginBook(accounts), columnarTable(table), params)
  accounts.forEach((a, i) => expect(m.get(i)).toEqual(accountMargin(a.collateral, a.positions, table, params)))
  expect(m.belowMaintenance()).toEqual(
    accounts.flatMap((a, i) => {
      const x = accountMargin(a.collateral, a.positions, table, params)
      return x.equity < x.maintenanceMargin ? [i] : []
    }),
  )
  return m.fallback.size
}

describe('computeMargins', () => {
  const series: Series[] = []
  for (let i = 0; i < 20; i++)
    series.push({ id: BigInt(i + 1), underlying: i % 2 ? 'BTC' : 'ETH', expiry: NOW + BigInt(7 + 10 * (i % 5)) * DAY, strike: (i % 2 ? 80_000n + 5_000n * BigInt(i % 7) : 2_400n + 200n * BigInt(i % 7)) * 1_000_000n, isCall: i % 3 !== 0 })
  const table = buildMarketTable(series, { spotByUnderlying: { ETH: 3000, BTC: 95000 }, volByUnderlying: { ETH: 0.7, BTC: 0.5 }, ratePerYear: 0.03, nowUnixSeconds: NOW })
  const position = fc.record({ seriesId: fc.bigInt({ min: 1n, max: 20n }), size: fc.bigInt({ min: -100_000n, max: 100_000n }) })
  const account = fc.record({ collateral: fc.bigInt({ min: 0n, max: 10n ** 12n }), positions: fc.array(position, { maxLength: 12 }) })

  it('equals accountMargin on realistic books, without falling back (property)', () => {
    fc.assert(
      fc.property(fc.array(account, { maxLength: 30 }), (accounts) => {
        expect(expectSameAsAccountMargin(accounts, table)).toBe(0)
      }),
      { numRuns: 60 },
    )
  })

  it('equals accountMargin on any table and book, falling back where floats would not be exact (property)', () => {
    const magnitude = fc.constantFrom(10n ** 3n, 10n ** 9n, 2n ** 40n, 2n ** 52n, 2n ** 53n, 2n ** 62n)
    const value = (m: bigint) => fc.bigInt({ min: -m, max: m })
    const tableArb = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 6 }), magnitude)
      .chain(([rows, K, m]) => fc.array(fc.record({ mark: value(m), values: fc.array(value(m), { minLength: K, maxLength: K }), shortMinimum: fc.bigInt({ min: 0n, max: m }) }), { minLength: rows, maxLength: rows }))
      .map(rawTable)
    const accountsArb = fc.array(
      fc.record({
        collateral: fc.oneof(fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }), fc.bigInt({ min: 0n, max: 2n ** 64n })),
        positions: fc.array(fc.record({ seriesId: fc.bigInt({ min: 1n, max: 5n }), size: fc.oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n })) }), { maxLength: 6 }),
      }),
      { maxLength: 12 },
    )
    const params = fc.constantFrom<MarginParams>({ initialFactorBps: 12_500n, maintenanceFactorBps: 10_000n }, { initialFactorBps: 10_001n, maintenanceFactorBps: 3n }, { initialFactorBps: 0n, maintenanceFactorBps: 0n })
    fc.assert(
      fc.property(tableArb, accountsArb, params, (t, accounts, p) => {
        const known = accounts.map((a) => ({ ...a, positions: a.positions.filter((x) => t.rows.has(x.seriesId)) }))
        expectSameAsAccountMargin(known, t, p)
      }),
      { numRuns: 300 },
    )
  })

  it('sits right at the guard: exact just below 2^52, fallback above', () => {
    const t = rawTable([{ mark: 1n, values: [1n, 1n + 2n ** 40n, 1n - 2n ** 40n], shortMinimum: 3n }])
    // S = |n| * 2^40 = 2^51 - 2^40: inside both guards (S <= 2^52 and 1.25 S <= 2^52).
    const at = [{ collateral: 0n, positions: [{ seriesId: 1n, size: -(2n ** 11n) + 1n }] }]
    const small = computeMargins(buildMarginBook(at), columnarTable(t))
    expect(small.fallback.size).toBe(0)
    expect(small.get(0)).toEqual(accountMargin(0n, at[0]!.positions, t))
    const big = [{ collateral: 0n, positions: [{ seriesId: 1n, size: 2n ** 13n }] }] // S = 2^53: outside the guard
    const m = computeMargins(buildMarginBook(big), columnarTable(t))
    expect(m.fallback.size).toBe(1)
    expect(m.get(0)).toEqual(accountMargin(0n, big[0]!.positions, t))
  })

  it('throws as accountMargin does for an unknown series or inconsistent factors', () => {
    const book = buildMarginBook([{ collateral: 0n, positions: [{ seriesId: 99n, size: 1n }] }])
    expect(() => computeMargins(book, columnarTable(table))).toThrow(RiskInputError)
    expect(() => computeMargins(buildMarginBook([]), columnarTable(table), { initialFactorBps: 1n, maintenanceFactorBps: 2n })).toThrow(RiskInputError)
    // A series that nets to zero is never looked up, as in accountMargin.
    const netted = [{ collateral: 5n, positions: [{ seriesId: 99n, size: 1n }, { seriesId: 99n, size: -1n }] }]
    expect(computeMargins(buildMarginBook(netted), columnarTable(table)).get(0)).toEqual(accountMargin(5n, netted[0]!.positions, table))
  })
})
