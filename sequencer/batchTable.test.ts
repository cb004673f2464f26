import { describe, expect, it } from 'vitest'
import { accountMargin, buildMarketTable, checkInitialMargin, DEFAULT_MARGIN_PARAMS, type Series } from '../risk/index.js'
import { REALISTIC_PARAMS, TEST_PARAMS } from '../state/index.js'
import { MarketTableError } from '../state/marketTable.js'
import { meetsMargin } from '../state/margin.js'
import { batchMarketTableFromJSON, batchMarketTableToJSON, fromBatchMarketTable, MarketTableCapacityError, toBatchMarketTable } from './batchTable.js'

const NOW = 1_790_000_000n
const DAY = 86_400n
/** Six ETH calls, ids 1..6, strikes 2500..5000. */
const SERIES: Series[] = [1n, 2n, 3n, 4n, 5n, 6n].map((id) => ({ id, underlying: 'ETH', expiry: NOW + 30n * DAY, strike: (2000n + 500n * id) * 1_000_000n, isCall: true }))
const INPUTS = { spotByUnderlying: { ETH: 3000 }, volByUnderlying: { ETH: 0.6 }, ratePerYear: 0, nowUnixSeconds: NOW }
const risk = buildMarketTable(SERIES, INPUTS)

describe('toBatchMarketTable', () => {
  it('copies every row, sorted by id, when they fit', () => {
    const batch = toBatchMarketTable(buildMarketTable(SERIES.slice(0, 3), INPUTS), TEST_PARAMS, [])
    expect(batch.rows.map((r) => r.seriesId)).toEqual([1n, 2n, 3n])
    for (const row of batch.rows) {
      const r = risk.rows.get(row.seriesId)!
      expect(row).toEqual({ seriesId: r.seriesId, mark: r.mark, shortMinimum: r.shortMinimum, scenarioValues: r.scenarioValues })
    }
  })

  it('gives held series priority over live ones, then fills with live series by id', () => {
    // 4 rows: held 6 and 3, then live 1 and 2.
    expect(toBatchMarketTable(risk, TEST_PARAMS, [6n, 3n, 6n]).rows.map((r) => r.seriesId)).toEqual([1n, 2n, 3n, 6n])
    expect(toBatchMarketTable(risk, TEST_PARAMS, []).rows.map((r) => r.seriesId)).toEqual([1n, 2n, 3n, 4n])
    expect(toBatchMarketTable(risk, REALISTIC_PARAMS, [6n]).rows.map((r) => r.seriesId)).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
  })

  it('skips held series the risk table cannot price (the core then refuses what needs them)', () => {
    expect(toBatchMarketTable(buildMarketTable(SERIES.slice(0, 2), INPUTS), TEST_PARAMS, [9n]).rows.map((r) => r.seriesId)).toEqual([1n, 2n])
  })

  it('keeps the previous row of a held series the market can no longer price (stale, but forced withdrawals stay provable)', () => {
    const previous = toBatchMarketTable(risk, TEST_PARAMS, [5n])
    // ETH's inputs are gone: the risk table prices nothing now.
    const blind = buildMarketTable([], INPUTS)
    const batch = toBatchMarketTable(blind, TEST_PARAMS, [5n], previous)
    expect(batch.rows).toEqual([previous.rows.find((r) => r.seriesId === 5n)])
    // A series nobody holds gets no carried row.
    expect(toBatchMarketTable(blind, TEST_PARAMS, [], previous).rows).toEqual([])
  })

  it('throws a named error when the held series alone exceed the table', () => {
    const error = (() => {
      try {
        toBatchMarketTable(risk, TEST_PARAMS, [1n, 2n, 3n, 4n, 5n])
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(MarketTableCapacityError)
    expect((error as Error).message).toMatch(/hold 5 series .* 4 rows.*must not list more series/)
  })

  it('refuses a table of another scenario count, and values outside the lanes', () => {
    expect(() => toBatchMarketTable({ ...risk, scenarioCount: 9 }, TEST_PARAMS, [])).toThrow(/9 scenarios/)
    const negative = new Map(risk.rows)
    negative.set(1n, { ...risk.rows.get(1n)!, mark: -1n })
    expect(() => toBatchMarketTable({ ...risk, rows: negative }, TEST_PARAMS, [])).toThrow(MarketTableError)
  })
})

describe('fromBatchMarketTable', () => {
  it('gives the risk engine the same numbers, so that its margin verdict is the core\'s', () => {
    const batch = toBatchMarketTable(risk, TEST_PARAMS, [])
    const back = fromBatchMarketTable(batch, NOW, TEST_PARAMS.scenarioCount)
    expect([...back.rows.keys()]).toEqual([1n, 2n, 3n, 4n])
    for (const [id, row] of back.rows) expect(row).toEqual(risk.rows.get(id))
    // A short call sized around its margin limit: both verdicts agree on each side of it.
    const positions = [{ seriesId: 2n, size: -1_000n }]
    const m = accountMargin(0n, positions, back, DEFAULT_MARGIN_PARAMS)
    const limit = m.initialMargin - m.equity // the collateral that just meets initial margin
    for (const collateral of [limit - 1n, limit, limit + 1n]) {
      const ok = accountMargin(collateral, positions, back).freeCollateral >= 0n
      expect(meetsMargin(collateral, positions, batch, TEST_PARAMS.initialMarginBps, TEST_PARAMS.scenarioCount)).toBe(ok)
      expect(ok).toBe(collateral >= limit)
    }
    expect(checkInitialMargin({ collateral: limit, positions: [] }, { seriesId: 2n, size: -1_000n, price: 0n }, back).ok).toBe(true)
  })
})

describe('journal form', () => {
  it('round-trips through JSON and validates what it reads', () => {
    const batch = toBatchMarketTable(risk, TEST_PARAMS, [])
    const json = JSON.parse(JSON.stringify(batchMarketTableToJSON(batch))) as ReturnType<typeof batchMarketTableToJSON>
    expect(batchMarketTableFromJSON(json, TEST_PARAMS)).toEqual(batch)
    expect(() => batchMarketTableFromJSON({ rows: [...json.rows].reverse() }, TEST_PARAMS)).toThrow(MarketTableError)
  })
})
