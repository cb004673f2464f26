/**
 * `valueOption` against the exact reference in risk/testdata/bs-reference.json (mpmath, 50
 * digits, at the exact double inputs; regenerate with `python3 scripts/reference/bs_reference.py`).
 *
 * Tolerance, per value: |got - want| <= 1e-9 * max(|want|, scale), with scale the natural
 * size of the quantity for that spot: S for price, vega, theta and rho (all in price units),
 * 1 for delta and 1/S for gamma. That is 1e-9 relative, or 1e-9 of spot absolute for the
 * quantities in price units (stricter than 1e-9 x spot for delta and gamma, whose units differ).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { valueOption, type OptionValuation } from './blackScholes.js'

type Row = [type: 'C' | 'P', S: number, K: number, T: number, r: number, q: number, sigma: number, price: number, delta: number, gamma: number, vega: number, theta: number, rho: number, group: string]

const reference = JSON.parse(readFileSync(new URL('./testdata/bs-reference.json', import.meta.url), 'utf8')) as { columns: string[]; cases: Row[] }

const TOLERANCE = 1e-9
const FIELDS: readonly (readonly [keyof OptionValuation, number, (S: number) => number])[] = [
  ['price', 7, (S) => S],
  ['delta', 8, () => 1],
  ['gamma', 9, (S) => 1 / S],
  ['vegaPerUnitVol', 10, (S) => S],
  ['thetaPerYear', 11, (S) => S],
  ['rhoPerUnitRate', 12, (S) => S],
]

/** The error of each field in units of its tolerance (<= 1 passes). */
function errors(row: Row): { field: string; got: number; want: number; ratio: number }[] {
  const [type, spot, strike, yearsToExpiry, ratePerYear, dividendYieldPerYear, volPerSqrtYear] = row
  const got = valueOption({ isCall: type === 'C', spot, strike, yearsToExpiry, ratePerYear, dividendYieldPerYear, volPerSqrtYear })
  return FIELDS.map(([field, column, scale]) => {
    const want = row[column] as number
    const allowed = TOLERANCE * Math.max(Math.abs(want), scale(spot))
    return { field, got: got[field], want, ratio: Math.abs(got[field] - want) / allowed }
  })
}

describe('valueOption against the exact reference (bs-reference.json)', () => {
  it('has the expected columns and a few thousand cases', () => {
    expect(reference.columns).toEqual(['type', 'S', 'K', 'T', 'r', 'q', 'sigma', 'price', 'delta', 'gamma', 'vega', 'theta', 'rho', 'group'])
    expect(reference.cases.length).toBeGreaterThan(2000)
  })

  const groups = [...new Set(reference.cases.map((row) => row[13]))]
  it.each(groups)('every price and Greek of group "%s" is within 1e-9', (group) => {
    const failures: string[] = []
    for (const row of reference.cases.filter((r) => r[13] === group)) {
      for (const e of errors(row)) {
        if (!(e.ratio <= 1)) failures.push(`${JSON.stringify(row.slice(0, 7))} ${e.field}: got ${e.got}, want ${e.want} (${e.ratio.toExponential(2)} x tolerance)`)
      }
    }
    expect(failures.slice(0, 20), `${failures.length} failures`).toEqual([])
  })
})
