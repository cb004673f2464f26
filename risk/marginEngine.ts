/**
 * A columnar margin engine: the margin of every account at once, in floating point, giving
 * exactly what `accountMargin` (margin.ts) gives, for the whole-market recompute after each
 * new market table (and the search for accounts below maintenance margin). BigInt
 * arithmetic is some 50 to 100 times slower than float arithmetic in V8, too slow for
 * 10,000 accounts x 10 positions x 27 scenarios in a few milliseconds.
 *
 * Layout: the table as typed arrays (`columnarTable`): per row its mark, its K differences
 * d_k = value_k - mark and its short minimum; the accounts as a book (`buildMarginBook`):
 * net positions of all accounts in one compressed-row array (offsets, series ids, sizes)
 * plus each account's collateral.
 *
 * Exactness guard: every quantity is an integer. A double holds every integer up to 2^53
 * exactly, and a product or sum of two exact integers is exact when the true result is at
 * most 2^53 in magnitude. Per account the engine computes S = Σ |n_i| * M_i, with M_i the
 * largest of |mark_i|, |d_ik| and shortMinimum_i, so every product and every partial sum of
 * the scenario P&L, the mark value and the short minimum is at most S in magnitude, and
 * the margin base B <= S. The account takes the float path only when
 *
 *   |C| + S <= 2^52   and   S * max(initialFactorBps, maintenanceFactorBps) <= 2^52 * 10^4
 *
 * (2^52 rather than 2^53 leaves room for the rounding of S itself), its collateral and
 * sizes convert exactly, and every row it uses converted exactly; then equity, P_k, W, F
 * and B are exact, and IM = ceil(B * f / 10^4) is computed exactly as
 * floor(B / 10^4) * f + ceil((B mod 10^4) * f / 10^4). Any other account goes through
 * `accountMargin` itself (the fallback), so `MarginColumns.get(i)` always equals
 * `accountMargin(...)` of account i, including the worst scenario index (lowest k).
 */
import { RiskInputError } from './errors.js'
import { accountMargin, DEFAULT_MARGIN_PARAMS, netPositions, type AccountMargin, type MarginAccount, type MarginParams } from './margin.js'
import type { MarketTable } from './marketTable.js'

const LIMIT = 2 ** 52
const EXACT = 2n ** 53n
const MAX_FACTOR_BPS = 2 ** 30
/** Largest id count for which `ColumnarTable.denseRowOf` is built (4 MiB). */
const DENSE_IDS = 2 ** 20

/** A market table as typed arrays (row r of `ids` at index r). */
export type ColumnarTable = {
  readonly table: MarketTable
  /** K. */
  readonly scenarioCount: number
  /** Row of a series id (as a number). */
  readonly rowOf: ReadonlyMap<number, number>
  /** rowOf as a dense array (row or -1, by id) when the ids are small (ids listed on L1 count up from 1). */
  readonly denseRowOf: Int32Array | undefined
  readonly marks: Float64Array
  /** diffs[r * K + k] = value_rk - mark_r. */
  readonly diffs: Float64Array
  readonly shortMinimums: Float64Array
  /** M_r = max(|mark|, |d_rk|, shortMinimum); Infinity when a number of the row is not exact as a double. */
  readonly magnitudes: Float64Array
}

const absBig = (x: bigint) => (x < 0n ? -x : x)

/**
 * Converts a market table to typed arrays for `computeMargins`.
 *
 * @example const ct = columnarTable(table)
 */
export function columnarTable(table: MarketTable): ColumnarTable {
  const K = table.scenarioCount
  const n = table.rows.size
  const marks = new Float64Array(n)
  const diffs = new Float64Array(n * K)
  const shortMinimums = new Float64Array(n)
  const magnitudes = new Float64Array(n)
  const rowOf = new Map<number, number>()
  let r = 0
  for (const [id, row] of table.rows) {
    if (row.scenarioValues.length !== K) throw new RiskInputError('MarketTable', `row ${id} has ${row.scenarioValues.length} scenarios`)
    let max = absBig(row.mark) > row.shortMinimum ? absBig(row.mark) : row.shortMinimum
    if (row.shortMinimum < 0n) max = EXACT + 1n // accountMargin takes it as is; keep such a row on the exact path
    for (let k = 0; k < K; k++) {
      const d = row.scenarioValues[k]! - row.mark
      if (absBig(d) > max) max = absBig(d)
      diffs[r * K + k] = Number(d)
    }
    marks[r] = Number(row.mark)
    shortMinimums[r] = Number(row.shortMinimum)
    magnitudes[r] = max <= EXACT ? Number(max) : Infinity
    if (id >= 0n && id <= EXACT) rowOf.set(Number(id), r)
    r++
  }
  let maxId = -1
  for (const id of rowOf.keys()) if (id > maxId) maxId = id
  let denseRowOf: Int32Array | undefined
  if (maxId < DENSE_IDS) {
    denseRowOf = new Int32Array(maxId + 1).fill(-1)
    for (const [id, row] of rowOf) denseRowOf[id] = row
  }
  return { table, scenarioCount: K, rowOf, denseRowOf, marks, diffs, shortMinimums, magnitudes }
}

/** All accounts' net positions in compressed rows: account a owns entries offsets[a] .. offsets[a + 1] - 1. */
export type MarginBook = {
  readonly accounts: readonly MarginAccount[]
  readonly offsets: Int32Array
  readonly seriesIds: Float64Array
  readonly sizes: Float64Array
  readonly collateral: Float64Array
  /** 1 when the account's collateral, sizes and series ids are exact as doubles. */
  readonly exactInput: Uint8Array
}

/**
 * Builds the columnar book of `accounts` (positions netted per series, zero sizes dropped,
 * as margin.ts does). The sequencer keeps one and rebuilds it when positions change.
 *
 * @example const book = buildMarginBook([{ collateral: 10n ** 9n, positions: [{ seriesId: 1n, size: -100n }] }])
 */
export function buildMarginBook(accounts: readonly MarginAccount[]): MarginBook {
  const nets = accounts.map((a) => netPositions(a.positions))
  const total = nets.reduce((s, m) => s + m.size, 0)
  const offsets = new Int32Array(accounts.length + 1)
  const seriesIds = new Float64Array(total)
  const sizes = new Float64Array(total)
  const collateral = new Float64Array(accounts.length)
  const exactInput = new Uint8Array(accounts.length)
  let p = 0
  for (let a = 0; a < accounts.length; a++) {
    offsets[a] = p
    const c = accounts[a]!.collateral
    let exact = absBig(c) <= EXACT
    collateral[a] = Number(c)
    for (const [id, size] of nets[a]!) {
      exact &&= absBig(size) <= EXACT && id >= 0n && id <= EXACT
      seriesIds[p] = Number(id)
      sizes[p] = Number(size)
      p++
    }
    exactInput[a] = exact ? 1 : 0
  }
  offsets[accounts.length] = p
  return { accounts, offsets, seriesIds, sizes, collateral, exactInput }
}

/** Margins of every account of a book, as columns; `get(a)` gives account a's `AccountMargin`. */
export type MarginColumns = {
  readonly equity: Float64Array
  readonly initialMargin: Float64Array
  readonly maintenanceMargin: Float64Array
  readonly worstScenarioLoss: Float64Array
  readonly worstScenarioIndex: Int32Array
  readonly shortMinimum: Float64Array
  /** Accounts computed by `accountMargin` (outside the exactness guard); their columns hold NaN. */
  readonly fallback: ReadonlyMap<number, AccountMargin>
  /** Account a's margin, equal to `accountMargin(collateral, positions, table, params)`. */
  get(a: number): AccountMargin
  /** Accounts with equity < maintenance margin, in increasing order. */
  belowMaintenance(): number[]
}

/**
 * The margin of every account of `book` under `ct` (rules of margin.ts; exactness argument
 * in the module header). Throws `RiskInputError` as `accountMargin` does (unknown series,
 * inconsistent factors).
 *
 * @example
 * const m = computeMargins(book, columnarTable(table))
 * m.belowMaintenance() // accounts to liquidate
 */
export function computeMargins(book: MarginBook, ct: ColumnarTable, params: MarginParams = DEFAULT_MARGIN_PARAMS): MarginColumns {
  if (params.maintenanceFactorBps < 0n || params.initialFactorBps < params.maintenanceFactorBps)
    throw new RiskInputError('MarginParams', 'need 0 <= maintenanceFactorBps <= initialFactorBps')
  const n = book.accounts.length
  const K = ct.scenarioCount
  const equity = new Float64Array(n)
  const initialMargin = new Float64Array(n)
  const maintenanceMargin = new Float64Array(n)
  const worstScenarioLoss = new Float64Array(n)
  const worstScenarioIndex = new Int32Array(n)
  const shortMinimum = new Float64Array(n)
  const fallback = new Map<number, AccountMargin>()
  const fastFactors = params.initialFactorBps <= BigInt(MAX_FACTOR_BPS)
  const fI = Number(params.initialFactorBps)
  const fM = Number(params.maintenanceFactorBps)
  const sLimit = (LIMIT * 10_000) / Math.max(fI, 1)
  const { offsets, seriesIds, sizes, collateral, exactInput } = book
  const { rowOf, denseRowOf, marks, diffs, shortMinimums, magnitudes } = ct
  const pnl = new Float64Array(K)
  let rowBuf = new Int32Array(64)

  for (let a = 0; a < n; a++) {
    const start = offsets[a]!
    const end = offsets[a + 1]!
    let ok = fastFactors && exactInput[a] === 1
    if (end - start > rowBuf.length) rowBuf = new Int32Array(end - start)
    let s = 0
    for (let p = start; ok && p < end; p++) {
      const id = seriesIds[p]!
      const r = denseRowOf !== undefined ? (id < denseRowOf.length ? denseRowOf[id]! : -1) : (rowOf.get(id) ?? -1)
      if (r < 0) ok = false // accountMargin throws the right error
      else {
        rowBuf[p - start] = r
        s += Math.abs(sizes[p]!) * magnitudes[r]!
      }
    }
    const c = collateral[a]!
    if (!ok || !(Math.abs(c) + s <= LIMIT) || !(s <= sLimit)) {
      const acc = book.accounts[a]!
      fallback.set(a, accountMargin(acc.collateral, acc.positions, ct.table, params))
      equity[a] = initialMargin[a] = maintenanceMargin[a] = worstScenarioLoss[a] = shortMinimum[a] = NaN
      worstScenarioIndex[a] = -1
      continue
    }
    pnl.fill(0)
    let markValue = 0
    let shortMin = 0
    for (let p = start; p < end; p++) {
      const r = rowBuf[p - start]!
      const size = sizes[p]!
      markValue += size * marks[r]!
      if (size < 0) shortMin -= size * shortMinimums[r]!
      const base = r * K
      for (let k = 0; k < K; k++) pnl[k] = pnl[k]! + size * diffs[base + k]!
    }
    let worst = 0
    for (let k = 1; k < K; k++) if (pnl[k]! < pnl[worst]!) worst = k
    const worstPnl = K > 0 ? pnl[worst]! : 0
    const loss = worstPnl < 0 ? -worstPnl : 0
    const b = loss > shortMin ? loss : shortMin
    const low = b % 10_000
    const high = (b - low) / 10_000
    equity[a] = c + markValue
    initialMargin[a] = high * fI + ceilBps(low * fI)
    maintenanceMargin[a] = high * fM + ceilBps(low * fM)
    worstScenarioLoss[a] = loss
    worstScenarioIndex[a] = worst
    shortMinimum[a] = shortMin
  }

  const get = (a: number): AccountMargin => {
    const f = fallback.get(a)
    if (f !== undefined) return f
    if (!(a >= 0 && a < n)) throw new RiskInputError('account', `no account ${a} in the book`)
    const e = BigInt(equity[a]!)
    const im = BigInt(initialMargin[a]!)
    return {
      equity: e,
      initialMargin: im,
      maintenanceMargin: BigInt(maintenanceMargin[a]!),
      worstScenarioLoss: BigInt(worstScenarioLoss[a]!),
      worstScenarioIndex: worstScenarioIndex[a]!,
      shortMinimum: BigInt(shortMinimum[a]!),
      freeCollateral: e - im,
    }
  }
  const belowMaintenance = (): number[] => {
    const out: number[] = []
    for (let a = 0; a < n; a++) {
      const f = fallback.get(a)
      if (f !== undefined ? f.equity < f.maintenanceMargin : equity[a]! < maintenanceMargin[a]!) out.push(a)
    }
    return out
  }
  return { equity, initialMargin, maintenanceMargin, worstScenarioLoss, worstScenarioIndex, shortMinimum, fallback, get, belowMaintenance }
}

/** ceil(t / 10^4) of an exact non-negative integer t < 2^53. */
function ceilBps(t: number): number {
  const rest = t % 10_000
  return (t - rest) / 10_000 + (rest > 0 ? 1 : 0)
}
