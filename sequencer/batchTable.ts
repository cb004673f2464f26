/**
 * The market table a batch carries (state/marketTable.ts), cut from the risk engine's table
 * (risk/marketTable.ts), and back. Both hold the same integers; the core checks margin on the
 * batch type, the risk functions (`checkInitialMargin`, `accountMargin`) on the risk type, so
 * the engine converts the batch's own table back rather than pricing twice: then the engine
 * and the core decide every fill on the very same numbers.
 *
 * Capacity: a batch table holds at most `params.marketRows` rows. Series held by some account
 * come first (margin, and forced withdrawals, must value every position), then live series by
 * id. The operator must not list more live series than the table holds: the live series with
 * the highest ids would then have no row, and no order on them could be accepted.
 */
import { validateMarketTable, type BatchMarketTable, type TableRow } from '../state/marketTable.js'
import type { ParamSet } from '../state/index.js'
import type { MarketRow, MarketTable } from '../risk/index.js'

/** More series are held than one batch table has rows for: no batch could value them all. */
export class MarketTableCapacityError extends Error {
  override readonly name = 'MarketTableCapacityError'
  constructor(
    readonly held: readonly bigint[],
    readonly marketRows: number,
  ) {
    super(
      `accounts hold ${held.length} series (${held.join(', ')}) but a batch's market table has ${marketRows} rows: ` +
        'no batch can value every position; the operator must not list more series than the table holds',
    )
  }
}

function byId(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * The batch table of `table` for the parameter set `params`: the rows of every `held` series
 * the risk table prices, then live rows by increasing id while rows are left; rows sorted by
 * id. A held series the risk table lacks (its market inputs are gone, e.g. every oracle of
 * its underlying failed) keeps its row from `previous`, the table in force, if it had one:
 * stale marks, but forced withdrawals and margin of its holders stay provable instead of
 * stalling the L1 queue until the rollup freezes (trading on it is halted by the market's
 * status meanwhile). Without any row the core refuses what would need it
 * (`UNPRICED_POSITION`). Throws `MarketTableCapacityError` when the held series alone exceed
 * `params.marketRows`, `MarketTableError` when a value does not fit the table's lanes.
 *
 * @example
 * const batch = toBatchMarketTable(market.table(now, held), TEST_PARAMS, held)
 * state.setMarketTable(batch)
 */
export function toBatchMarketTable(table: MarketTable, params: ParamSet, held: Iterable<bigint>, previous?: BatchMarketTable): BatchMarketTable {
  if (table.scenarioCount !== params.scenarioCount)
    throw new RangeError(`the risk table has ${table.scenarioCount} scenarios, the parameter set ${params.scenarioCount}`)
  const carried = new Map((previous?.rows ?? []).map((r) => [r.seriesId, r] as const))
  const rowOf = (id: bigint): TableRow | undefined => {
    const r = table.rows.get(id)
    return r ? { seriesId: r.seriesId, mark: r.mark, shortMinimum: r.shortMinimum, scenarioValues: [...r.scenarioValues] } : undefined
  }
  const heldSet = new Set(held)
  const heldIds = [...heldSet].filter((id) => table.rows.has(id) || carried.has(id)).sort(byId)
  if (heldIds.length > params.marketRows) throw new MarketTableCapacityError(heldIds, params.marketRows)
  const chosen = new Set(heldIds)
  for (const id of [...table.rows.keys()].sort(byId)) {
    if (chosen.size >= params.marketRows) break
    chosen.add(id)
  }
  const rows: TableRow[] = [...chosen].sort(byId).map((id) => rowOf(id) ?? carried.get(id)!)
  const batch = { rows }
  validateMarketTable(batch, params)
  return batch
}

/**
 * The risk engine's view of a batch table (same rows, same integers), valued as of
 * `asOfUnixSeconds`, so that risk functions give the verdicts the core gives.
 */
export function fromBatchMarketTable(table: BatchMarketTable, asOfUnixSeconds: bigint, scenarioCount: number): MarketTable {
  const rows = new Map<bigint, MarketRow>()
  for (const r of table.rows) rows.set(r.seriesId, { seriesId: r.seriesId, mark: r.mark, shortMinimum: r.shortMinimum, scenarioValues: r.scenarioValues })
  return { asOfUnixSeconds, scenarioCount, rows }
}

/** A batch table as JSON (bigints as decimal strings), as the journal records it. */
export type BatchMarketTableJSON = {
  readonly rows: readonly { readonly seriesId: string; readonly mark: string; readonly shortMinimum: string; readonly scenarioValues: readonly string[] }[]
}

export function batchMarketTableToJSON(table: BatchMarketTable): BatchMarketTableJSON {
  return {
    rows: table.rows.map((r) => ({ seriesId: r.seriesId.toString(), mark: r.mark.toString(), shortMinimum: r.shortMinimum.toString(), scenarioValues: r.scenarioValues.map(String) })),
  }
}

/** Parses a journaled table; throws `MarketTableError` unless it fits `params`. */
export function batchMarketTableFromJSON(json: BatchMarketTableJSON, params: ParamSet): BatchMarketTable {
  const table = {
    rows: json.rows.map((r) => ({ seriesId: BigInt(r.seriesId), mark: BigInt(r.mark), shortMinimum: BigInt(r.shortMinimum), scenarioValues: r.scenarioValues.map((v) => BigInt(v)) })),
  }
  validateMarketTable(table, params)
  return table
}
