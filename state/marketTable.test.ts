import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { REALISTIC_PARAMS, TEST_PARAMS, marketTableWordCount } from './params.js'
import {
  EMPTY_MARKET_TABLE,
  MarketTableError,
  marketTableFromWords,
  marketTableHash,
  marketTableHashOfWords,
  marketTableLanes,
  marketTableWords,
  type BatchMarketTable,
} from './marketTable.js'
import { testMarketTable } from './testing.js'
import { hash } from './poseidon.js'

const P = TEST_PARAMS
const LANE = (1n << 48n) - 1n

describe('market table layout', () => {
  it('packs 5 lanes to a word, pads to whole hash calls, and unpacks back', () => {
    const table = testMarketTable(P, [1n, 5n, 9n])
    const words = marketTableWords(table, P)
    expect(words).toHaveLength(marketTableWordCount(P))
    expect(marketTableWordCount(P)).toBe(24) // 4 rows x 30 lanes = 120 lanes = 24 words
    expect(marketTableWordCount(REALISTIC_PARAMS)).toBe(96)
    expect(words[0]).toBe(1n | (100n << 48n) | (10n << 96n) | (table.rows[0]!.scenarioValues[0]! << 144n) | (table.rows[0]!.scenarioValues[1]! << 192n))
    expect(marketTableFromWords(words, P)).toEqual(table)
    expect(marketTableLanes(table, P)).toHaveLength(P.marketRows * (3 + P.scenarioCount))
  })

  it('hashes the words 4 at a time from 0', () => {
    const words = marketTableWords(testMarketTable(P), P)
    let t = 0n
    for (let i = 0; i < words.length; i += 4) t = hash([t, ...words.slice(i, i + 4)])
    expect(marketTableHashOfWords(words)).toBe(t)
    expect(marketTableHash(EMPTY_MARKET_TABLE, P)).not.toBe(marketTableHash(testMarketTable(P), P))
  })

  it.each<[string, BatchMarketTable]>([
    ['too many rows', { rows: [1n, 2n, 3n, 4n, 5n].map((seriesId) => ({ ...testMarketTable(P, [1n]).rows[0]!, seriesId })) }],
    ['series 0', { rows: [{ ...testMarketTable(P, [1n]).rows[0]!, seriesId: 0n }] }],
    ['decreasing ids', testMarketTable(P, [2n, 1n])],
    ['a repeated id', testMarketTable(P, [2n, 2n])],
    ['a value of 49 bits', { rows: [{ ...testMarketTable(P, [1n]).rows[0]!, mark: 1n << 48n }] }],
    ['a negative value', { rows: [{ ...testMarketTable(P, [1n]).rows[0]!, shortMinimum: -1n }] }],
    ['too few scenario values', { rows: [{ ...testMarketTable(P, [1n]).rows[0]!, scenarioValues: [1n] }] }],
  ])('refuses %s', (_, table) => {
    expect(() => marketTableWords(table, P)).toThrow(MarketTableError)
  })

  it('refuses words that are not the canonical packing of a table', () => {
    const words = marketTableWords(testMarketTable(P, [1n]), P)
    expect(() => marketTableFromWords(words.slice(1), P)).toThrow(MarketTableError)
    // A value in an unused row, or bits above the last lane of a word.
    const unusedRow = [...words]
    unusedRow[20] = 7n
    expect(() => marketTableFromWords(unusedRow, P)).toThrow(MarketTableError)
    const highBits = [...words]
    highBits[0] = words[0]! | (1n << 240n)
    expect(() => marketTableFromWords(highBits, P)).toThrow(MarketTableError)
  })

  it('round-trips random tables (property)', () => {
    const row = (id: bigint) =>
      fc.record({
        seriesId: fc.constant(id),
        mark: fc.bigInt({ min: 0n, max: LANE }),
        shortMinimum: fc.bigInt({ min: 0n, max: LANE }),
        scenarioValues: fc.array(fc.bigInt({ min: 0n, max: LANE }), { minLength: P.scenarioCount, maxLength: P.scenarioCount }),
      })
    const table = fc
      .uniqueArray(fc.bigInt({ min: 1n, max: (1n << 32n) - 1n }), { maxLength: P.marketRows })
      .map((ids) => [...ids].sort((a, b) => (a < b ? -1 : 1)))
      .chain((ids) => fc.tuple(...ids.map(row)))
      .map((rows) => ({ rows: [...rows] }))
    fc.assert(
      fc.property(table, (t) => {
        expect(marketTableFromWords(marketTableWords(t, P), P)).toEqual(t)
      }),
      { numRuns: 100 },
    )
  })
})
