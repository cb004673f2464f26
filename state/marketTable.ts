/**
 * The market table a batch carries (docs/protocol.md, "Market table"): per series its mark,
 * its short-option minimum and its value under each of K risk scenarios, integers in
 * collateral base units per size unit. Margin in the circuit is linear in it. The risk
 * engine builds it (risk/marketTable.ts); this module fixes how it is laid out, packed for
 * L1 and hashed, which the circuit and the Rollup contract repeat exactly.
 */
import { Bits, MarketTableLayout, marketRowLanes, marketTableWordCount, type ParamSet } from './params.js'
import { fitsUnsigned } from './field.js'
import { hash } from './poseidon.js'

/** One row: what margin needs to value a position in `seriesId`. */
export type TableRow = {
  readonly seriesId: bigint
  readonly mark: bigint
  /** Margin per short size unit that no scenario may undercut. */
  readonly shortMinimum: bigint
  /** Value under scenario k, k = 0..K-1. */
  readonly scenarioValues: readonly bigint[]
}

/** A batch's table: at most `marketRows` rows, series ids >= 1 strictly increasing. */
export type BatchMarketTable = { readonly rows: readonly TableRow[] }

/** The table with no rows: margin can then value only flat accounts. */
export const EMPTY_MARKET_TABLE: BatchMarketTable = { rows: [] }

/** Thrown for a table the protocol does not accept (the circuit could not prove it). */
export class MarketTableError extends Error {
  override readonly name = 'MarketTableError'
}

/** Throws `MarketTableError` unless the table fits `p` and the layout's bounds. */
export function validateMarketTable(table: BatchMarketTable, p: ParamSet): void {
  if (table.rows.length > p.marketRows) throw new MarketTableError(`${table.rows.length} rows, at most ${p.marketRows}`)
  let previous = 0n
  for (const row of table.rows) {
    if (row.seriesId <= previous) throw new MarketTableError(`series ids must be >= 1 and strictly increasing (${row.seriesId} after ${previous})`)
    previous = row.seriesId
    if (row.scenarioValues.length !== p.scenarioCount)
      throw new MarketTableError(`row ${row.seriesId} has ${row.scenarioValues.length} scenario values, the parameter set ${p.scenarioCount}`)
    for (const [what, v] of rowLanes(row).map((v, i) => [laneName(i), v] as const))
      if (!fitsUnsigned(v, Bits.tableValue)) throw new MarketTableError(`row ${row.seriesId}: ${what} = ${v} is outside [0, 2^${Bits.tableValue})`)
  }
}

function laneName(i: number): string {
  return ['seriesId', 'mark', 'shortMinimum'][i] ?? `scenario ${i - MarketTableLayout.rowHeaderLanes}`
}

function rowLanes(row: TableRow): bigint[] {
  return [row.seriesId, row.mark, row.shortMinimum, ...row.scenarioValues]
}

/** Every lane of the table, row after row, unused rows zero: what the circuit takes as input. */
export function marketTableLanes(table: BatchMarketTable, p: ParamSet): bigint[] {
  validateMarketTable(table, p)
  const lanes: bigint[] = []
  for (let r = 0; r < p.marketRows; r++) {
    const row = table.rows[r]
    lanes.push(...(row ? rowLanes(row) : new Array<bigint>(marketRowLanes(p)).fill(0n)))
  }
  return lanes
}

/** The packed words posted on L1: lanes 5 to a word from the least significant bits, zero-padded. */
export function marketTableWords(table: BatchMarketTable, p: ParamSet): bigint[] {
  const lanes = marketTableLanes(table, p)
  const words = new Array<bigint>(marketTableWordCount(p)).fill(0n)
  lanes.forEach((lane, i) => {
    const w = Math.floor(i / MarketTableLayout.lanesPerWord)
    words[w] = words[w]! | (lane << BigInt(Bits.tableValue * (i % MarketTableLayout.lanesPerWord)))
  })
  return words
}

/** Unpacks words posted on L1 back into a table (rows with series id 0 are unused). */
export function marketTableFromWords(words: readonly bigint[], p: ParamSet): BatchMarketTable {
  if (words.length !== marketTableWordCount(p)) throw new MarketTableError(`${words.length} table words, the parameter set ${marketTableWordCount(p)}`)
  const mask = (1n << BigInt(Bits.tableValue)) - 1n
  const laneCount = p.marketRows * marketRowLanes(p)
  const lanes: bigint[] = []
  for (let i = 0; i < laneCount; i++)
    lanes.push((words[Math.floor(i / MarketTableLayout.lanesPerWord)]! >> BigInt(Bits.tableValue * (i % MarketTableLayout.lanesPerWord))) & mask)
  const rows: TableRow[] = []
  for (let r = 0; r < p.marketRows; r++) {
    const at = r * marketRowLanes(p)
    if (lanes[at] === 0n) continue
    const h = MarketTableLayout.rowHeaderLanes
    rows.push({ seriesId: lanes[at]!, mark: lanes[at + 1]!, shortMinimum: lanes[at + 2]!, scenarioValues: lanes.slice(at + h, at + h + p.scenarioCount) })
  }
  const table = { rows }
  validateMarketTable(table, p)
  if (marketTableWords(table, p).some((w, i) => w !== words[i])) throw new MarketTableError('the words are not the canonical packing of a table')
  return table
}

/** `t = 0; t = H(t, w_4i, w_4i+1, w_4i+2, w_4i+3)` over the packed words: what the batch's data chain starts from. */
export function marketTableHashOfWords(words: readonly bigint[]): bigint {
  let t = 0n
  for (let i = 0; i < words.length; i += MarketTableLayout.wordsPerHash) t = hash([t, ...words.slice(i, i + MarketTableLayout.wordsPerHash)])
  return t
}

/** Hash of a table (its canonical words). */
export function marketTableHash(table: BatchMarketTable, p: ParamSet): bigint {
  return marketTableWordsAndHash(table, p).hash
}

/** Words and hash of tables already packed: a table stays in force for many batches (docs/sequencer.md). */
const packed = new WeakMap<BatchMarketTable, { readonly p: ParamSet; readonly words: readonly bigint[]; readonly hash: bigint }>()

/** `marketTableWords` and `marketTableHashOfWords` of a table, computed once per table object and parameter set. */
export function marketTableWordsAndHash(table: BatchMarketTable, p: ParamSet): { readonly words: readonly bigint[]; readonly hash: bigint } {
  const known = packed.get(table)
  if (known && known.p === p) return known
  const words = marketTableWords(table, p)
  const entry = { p, words, hash: marketTableHashOfWords(words) }
  packed.set(table, entry)
  return entry
}

/** The row of `seriesId`, if the table has one. */
export function tableRowOf(table: BatchMarketTable, seriesId: bigint): TableRow | undefined {
  return table.rows.find((r) => r.seriesId === seriesId)
}
