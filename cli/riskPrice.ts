/**
 * `risk price`: Black-Scholes-Merton price and Greeks for each CSV row of option inputs
 * (`risk/blackScholes.ts`, docs/risk.md "Risk CLI").
 *
 * Input: a header line `type,S,K,T,r,q,sigma`, then one option per line: type `C` or `P`,
 * spot S and strike K in the same unit, T in years, r, q and sigma as decimals per year
 * (0.05 = 5 %). Blank lines are skipped; fields may be padded with spaces or double-quoted.
 *
 * Output: a header line `price,delta,gamma,vega,theta,rho`, then one line per input row, in
 * order: vega per 1.00 of vol, theta per year (-∂V/∂T), rho per 1.00 of rate; every number in
 * full precision (the shortest decimal that reads back as the same double).
 *
 * A row that cannot be priced (wrong field count, not a number, out of domain, a result that
 * is not finite) gets an empty row `,,,,,` in its place, so that output row i always belongs
 * to input row i, and `line N: reason` on stderr; the other rows are still priced and the
 * exit code is 1. A missing or wrong header (or empty input) prints nothing and exits 2.
 */
import { valueOption, type OptionInputs, type OptionValuation } from '../risk/blackScholes.js'
import { RiskInputError } from '../risk/errors.js'

/** The required input header. */
export const RISK_PRICE_INPUT_HEADER = 'type,S,K,T,r,q,sigma'
/** The output header. */
export const RISK_PRICE_OUTPUT_HEADER = 'price,delta,gamma,vega,theta,rho'
/** Exit codes of `risk price`. */
export const RiskPriceExit = { ok: 0, rowErrors: 1, badInput: 2 } as const

const COLUMNS = RISK_PRICE_INPUT_HEADER.split(',')
const EMPTY_ROW = ','.repeat(5)
/** Plain decimal numbers only: no hex, no Infinity/NaN, no empty field. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
/** The CSV column of each `OptionInputs` field, for error messages. */
const COLUMN_OF: Record<string, string> = {
  isCall: 'type',
  spot: 'S',
  strike: 'K',
  yearsToExpiry: 'T',
  ratePerYear: 'r',
  dividendYieldPerYear: 'q',
  volPerSqrtYear: 'sigma',
}

/** The outcome of one data line: its output row, or why it has none. */
export type RowResult = { readonly ok: true; readonly csv: string } | { readonly ok: false; readonly reason: string }

function fields(line: string): string[] {
  return line.split(',').map((f) => {
    const t = f.trim()
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t
  })
}

/** Why `line` is not the input header, or undefined when it is. */
export function headerProblem(line: string): string | undefined {
  const got = fields(line.replace(/^\uFEFF/, ''))
  if (got.length === COLUMNS.length && got.every((f, i) => f === COLUMNS[i])) return undefined
  return `expected the header "${RISK_PRICE_INPUT_HEADER}", got "${line.trim()}"`
}

/** Parses one data line into `OptionInputs`, or says why it cannot. */
export function parseRow(line: string): { readonly ok: true; readonly inputs: OptionInputs } | { readonly ok: false; readonly reason: string } {
  const f = fields(line)
  if (f.length !== COLUMNS.length) return { ok: false, reason: `expected ${COLUMNS.length} fields (${RISK_PRICE_INPUT_HEADER}), got ${f.length}` }
  const [type, ...numbers] = f as [string, ...string[]]
  if (type !== 'C' && type !== 'P') return { ok: false, reason: `type must be C or P, got "${type}"` }
  const values: number[] = []
  for (const [i, text] of numbers.entries()) {
    if (!DECIMAL.test(text)) return { ok: false, reason: `${COLUMNS[i + 1]} must be a decimal number, got "${text}"` }
    values.push(Number(text))
  }
  const [spot, strike, yearsToExpiry, ratePerYear, dividendYieldPerYear, volPerSqrtYear] = values as [number, number, number, number, number, number]
  return { ok: true, inputs: { isCall: type === 'C', spot, strike, yearsToExpiry, ratePerYear, dividendYieldPerYear, volPerSqrtYear } }
}

/** The output row of a valuation: full-precision numbers in `RISK_PRICE_OUTPUT_HEADER` order. */
export function formatValuation(v: OptionValuation): string {
  return [v.price, v.delta, v.gamma, v.vegaPerUnitVol, v.thetaPerYear, v.rhoPerUnitRate].map((x) => String(x)).join(',')
}

/** Prices one data line. */
export function priceRow(line: string): RowResult {
  const parsed = parseRow(line)
  if (!parsed.ok) return parsed
  let v: OptionValuation
  try {
    v = valueOption(parsed.inputs)
  } catch (error) {
    if (error instanceof RiskInputError) {
      const column = COLUMN_OF[error.field] ?? error.field
      return { ok: false, reason: `${column}: ${error.message.slice(error.field.length + 2)}` }
    }
    throw error
  }
  const bad = Object.entries(v).find(([, x]) => !Number.isFinite(x))
  if (bad) return { ok: false, reason: `${bad[0]} is not finite (${bad[1]}) for these inputs` }
  return { ok: true, csv: formatValuation(v) }
}

/** Where `runRiskPrice` writes: `write` takes output text (lines with their newlines). */
export type RiskPriceIo = { readonly write: (text: string) => Promise<void>; readonly err: (line: string) => void }

/** Output is written in chunks of this many rows. */
const ROWS_PER_CHUNK = 2048

/**
 * Reads the lines of a CSV (header first), writes the output CSV, reports bad rows on
 * `io.err` as `line N: reason` (N counts every input line from 1, the header included), and
 * returns the exit code (`RiskPriceExit`).
 */
export async function runRiskPrice(lines: AsyncIterable<string> | Iterable<string>, io: RiskPriceIo): Promise<number> {
  let lineNumber = 0
  let header = false
  let failures = 0
  let chunk: string[] = []
  for await (const raw of lines) {
    lineNumber++
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') continue
    if (!header) {
      const problem = headerProblem(line)
      if (problem) {
        io.err(`line ${lineNumber}: ${problem}`)
        return RiskPriceExit.badInput
      }
      header = true
      chunk.push(RISK_PRICE_OUTPUT_HEADER)
      continue
    }
    const result = priceRow(line)
    if (result.ok) chunk.push(result.csv)
    else {
      failures++
      chunk.push(EMPTY_ROW)
      io.err(`line ${lineNumber}: ${result.reason}`)
    }
    if (chunk.length >= ROWS_PER_CHUNK) {
      await io.write(`${chunk.join('\n')}\n`)
      chunk = []
    }
  }
  if (!header) {
    io.err(`empty input: expected the header line "${RISK_PRICE_INPUT_HEADER}"`)
    return RiskPriceExit.badInput
  }
  if (chunk.length > 0) await io.write(`${chunk.join('\n')}\n`)
  if (failures > 0) io.err(`${failures} row${failures === 1 ? '' : 's'} could not be priced`)
  return failures > 0 ? RiskPriceExit.rowErrors : RiskPriceExit.ok
}
