import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { accountMargin, checkInitialMargin, DEFAULT_MARGIN_PARAMS, type PositionSize } from './margin.js'
import { buildMarketTable, type MarketInputs, type MarketRow, type MarketTable } from './marketTable.js'
import { BASE_SCENARIO_INDEX, SCENARIO_COUNT, SPOT_SHOCK_COUNT, VOL_SHOCK_COUNT } from './scenarios.js'
import type { Series } from './series.js'
import { RiskInputError } from './errors.js'

const NOW = 1_790_000_000n
const DAY = 86_400n
const series: Series[] = [
  { id: 1n, underlying: 'ETH', expiry: NOW + 30n * DAY, strike: 3000_000000n, isCall: true },
  { id: 2n, underlying: 'ETH', expiry: NOW + 30n * DAY, strike: 3000_000000n, isCall: false },
  { id: 3n, underlying: 'ETH', expiry: NOW + 7n * DAY, strike: 4500_000000n, isCall: true },
  { id: 4n, underlying: 'ETH', expiry: NOW + 90n * DAY, strike: 2500_000000n, isCall: false },
  { id: 5n, underlying: 'BTC', expiry: NOW + 60n * DAY, strike: 100000_000000n, isCall: true },
  { id: 6n, underlying: 'BTC', expiry: NOW - DAY, strike: 90000_000000n, isCall: true },
]
const inputs: MarketInputs = {
  spotByUnderlying: { ETH: 3000, BTC: 95000 },
  volByUnderlying: { ETH: 0.7, BTC: 0.5 },
  volBySeries: new Map([[3n, 0.9]]),
  ratePerYear: 0.03,
  nowUnixSeconds: NOW,
}
const table = buildMarketTable(series, inputs)
const row = (id: bigint) => table.rows.get(id) as MarketRow

describe('buildMarketTable', () => {
  it('has K = 27 scenarios per row, the unshocked one equal to the mark', () => {
    expect(SCENARIO_COUNT).toBe(27)
    expect(BASE_SCENARIO_INDEX).toBe(13)
    expect(table.scenarioCount).toBe(SCENARIO_COUNT)
    for (const r of table.rows.values()) {
      expect(r.scenarioValues).toHaveLength(SCENARIO_COUNT)
      expect(r.scenarioValues[BASE_SCENARIO_INDEX]).toBe(r.mark)
    }
  })

  it('is deterministic and independent of the order of the series', () => {
    const again = buildMarketTable([...series].reverse(), inputs)
    expect(again).toEqual(table)
    expect([...again.rows.keys()]).toEqual([1n, 2n, 3n, 4n, 5n, 6n])
  })

  it('prices the ETH 3000 call near its Black-Scholes value, in base units per size unit', () => {
    // BS(S=3000, K=3000, T=30/365, σ=0.7, r=0.03) ≈ 242.3 per option = 2_423_000 base units per size unit
    expect(Number(row(1n).mark)).toBeGreaterThan(2_400_000)
    expect(Number(row(1n).mark)).toBeLessThan(2_450_000)
    expect(row(1n).shortMinimum).toBe(300_000n) // 1 % of 3000 per option = 30 = 300_000 per size unit
  })

  it('moves calls up and puts down with spot, both up with vol', () => {
    for (let v = 0; v < VOL_SHOCK_COUNT; v++)
      for (let s = 1; s < SPOT_SHOCK_COUNT; s++) {
        const k = s * VOL_SHOCK_COUNT + v
        expect(row(1n).scenarioValues[k]!).toBeGreaterThanOrEqual(row(1n).scenarioValues[k - VOL_SHOCK_COUNT]!)
        expect(row(2n).scenarioValues[k]!).toBeLessThanOrEqual(row(2n).scenarioValues[k - VOL_SHOCK_COUNT]!)
      }
    for (let s = 0; s < SPOT_SHOCK_COUNT; s++) expect(row(4n).scenarioValues[s * 3 + 2]!).toBeGreaterThan(row(4n).scenarioValues[s * 3]!)
  })

  it('values an expired series at intrinsic', () => {
    expect(row(6n).mark).toBe(50_000_000n) // (95000 - 90000) per option = 5000 * 10^4
    expect(row(6n).scenarioValues[0]).toBe(0n) // 95000 * 0.85 < 90000 (BTC grid: ±15 %)
    expect(row(6n).scenarioValues[SCENARIO_COUNT - 1]).toBe(192_500_000n) // 95000 * 1.15 - 90000 = 19250 per option
  })

  it('rejects missing market data and duplicate ids', () => {
    expect(() => buildMarketTable(series, { ...inputs, spotByUnderlying: { ETH: 3000 } })).toThrow(RiskInputError)
    expect(() => buildMarketTable(series, { ...inputs, volByUnderlying: { ETH: 0.7 } })).toThrow(RiskInputError)
    expect(() => buildMarketTable([series[0]!, series[0]!], inputs)).toThrow(RiskInputError)
    expect(() => buildMarketTable(series, { ...inputs, volByUnderlying: { ETH: -0.1, BTC: 0.5 } })).toThrow(RiskInputError)
  })
})

describe('accountMargin', () => {
  it('a flat account needs no margin', () => {
    const m = accountMargin(123n, [], table)
    expect(m).toMatchObject({ equity: 123n, initialMargin: 0n, maintenanceMargin: 0n, worstScenarioLoss: 0n, freeCollateral: 123n })
    expect(accountMargin(5n, [{ seriesId: 1n, size: 10n }, { seriesId: 1n, size: -10n }], table).initialMargin).toBe(0n)
  })

  it('a short call is worst at spot +15 % (ETH grid), vol +45 %', () => {
    const m = accountMargin(10_000_000_000n, [{ seriesId: 1n, size: -100n }], table)
    expect(m.worstScenarioIndex).toBe(SCENARIO_COUNT - 1)
    expect(m.worstScenarioLoss).toBe(100n * (row(1n).scenarioValues[SCENARIO_COUNT - 1]! - row(1n).mark))
    expect(m.initialMargin).toBe((m.worstScenarioLoss * 12_500n + 9_999n) / 10_000n)
    expect(m.equity).toBe(10_000_000_000n - 100n * row(1n).mark)
  })

  it('a long-only account is never below maintenance while its collateral is >= 0', () => {
    const m = accountMargin(0n, [{ seriesId: 3n, size: 1000n }, { seriesId: 4n, size: 7n }], table)
    expect(m.maintenanceMargin).toBeLessThanOrEqual(m.equity)
  })

  it('throws for a series missing from the table', () => {
    expect(() => accountMargin(0n, [{ seriesId: 99n, size: 1n }], table)).toThrow(RiskInputError)
  })

  it('rejects inconsistent factors', () => {
    expect(() => accountMargin(0n, [], table, { initialFactorBps: 9_000n, maintenanceFactorBps: 10_000n })).toThrow(RiskInputError)
  })

  const positions = fc.array(
    fc.record({ seriesId: fc.constantFrom(1n, 2n, 3n, 4n, 5n, 6n), size: fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }) }),
    { maxLength: 8 },
  )

  it('is never negative (property)', () => {
    fc.assert(
      fc.property(positions, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (p, c) => {
        const m = accountMargin(c, p, table)
        expect(m.initialMargin >= 0n && m.maintenanceMargin >= 0n && m.worstScenarioLoss >= 0n).toBe(true)
        expect(m.initialMargin >= m.maintenanceMargin).toBe(true)
        expect(m.freeCollateral).toBe(m.equity - m.initialMargin)
      }),
    )
  })

  it('is sub-additive: margin(A + B) <= margin(A) + margin(B) (property)', () => {
    fc.assert(
      fc.property(positions, positions, (a, b) => {
        const ma = accountMargin(0n, a, table)
        const mb = accountMargin(0n, b, table)
        const mab = accountMargin(0n, [...a, ...b], table)
        expect(mab.initialMargin <= ma.initialMargin + mb.initialMargin).toBe(true)
        expect(mab.maintenanceMargin <= ma.maintenanceMargin + mb.maintenanceMargin).toBe(true)
        expect(mab.worstScenarioLoss <= ma.worstScenarioLoss + mb.worstScenarioLoss).toBe(true)
        expect(mab.equity).toBe(ma.equity + mb.equity)
      }),
    )
  })

  it('a flat account has zero margin, however its positions cancel (property)', () => {
    fc.assert(
      fc.property(positions, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.nat(), (p, c, seed) => {
        // p plus its negation, in an order drawn from the seed: every series nets to zero.
        const legs = [...p, ...p.map((x) => ({ seriesId: x.seriesId, size: -x.size }))]
        const shuffled = legs.map((x, i) => ({ x, key: (i * 2654435761 + seed) % 1000003 })).sort((a, b) => a.key - b.key).map((e) => e.x)
        const m = accountMargin(c, shuffled, table)
        expect(m).toEqual({ equity: c, initialMargin: 0n, maintenanceMargin: 0n, worstScenarioLoss: 0n, worstScenarioIndex: 0, shortMinimum: 0n, freeCollateral: c })
      }),
    )
  })

  it('a portfolio never needs more than the sum of its positions held apart (property)', () => {
    fc.assert(
      fc.property(positions, (p) => {
        const whole = accountMargin(0n, p, table)
        let im = 0n
        let mm = 0n
        for (const x of p) {
          const part = accountMargin(0n, [x], table)
          im += part.initialMargin
          mm += part.maintenanceMargin
        }
        expect(whole.initialMargin <= im && whole.maintenanceMargin <= mm).toBe(true)
      }),
    )
  })

  it('hedging a short call with the long call never raises margin', () => {
    const naked = accountMargin(0n, [{ seriesId: 1n, size: -100n }], table)
    const covered = accountMargin(0n, [{ seriesId: 1n, size: -100n }, { seriesId: 3n, size: 100n }], table)
    expect(covered.worstScenarioLoss).toBeLessThanOrEqual(naked.worstScenarioLoss)
  })
})

describe('portfolio-margin golden cases (risk/testdata/margin-cases.json)', () => {
  type Json = {
    params: { initialFactorBps: string; maintenanceFactorBps: string }
    table: { asOfUnixSeconds: string; scenarioCount: number; rows: { seriesId: string; mark: string; scenarioValues: string[]; shortMinimum: string }[] }
    cases: { name: string; collateral: string; positions: { seriesId: string; size: string }[]; expected: Record<string, string | number> }[]
  }
  const data = JSON.parse(readFileSync(new URL('./testdata/margin-cases.json', import.meta.url), 'utf8')) as Json
  const golden: MarketTable = {
    asOfUnixSeconds: BigInt(data.table.asOfUnixSeconds),
    scenarioCount: data.table.scenarioCount,
    rows: new Map(
      data.table.rows.map((r) => [
        BigInt(r.seriesId),
        { seriesId: BigInt(r.seriesId), mark: BigInt(r.mark), scenarioValues: r.scenarioValues.map(BigInt), shortMinimum: BigInt(r.shortMinimum) },
      ]),
    ),
  }
  const params = { initialFactorBps: BigInt(data.params.initialFactorBps), maintenanceFactorBps: BigInt(data.params.maintenanceFactorBps) }
  expect(params).toEqual(DEFAULT_MARGIN_PARAMS)

  it.each(data.cases)('$name', (c) => {
    const pos: PositionSize[] = c.positions.map((p) => ({ seriesId: BigInt(p.seriesId), size: BigInt(p.size) }))
    const m = accountMargin(BigInt(c.collateral), pos, golden, params)
    const got = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]))
    expect(got).toEqual(c.expected)
  })
})

describe('checkInitialMargin', () => {
  const mark = row(1n).mark

  it('accepts a covered trade and returns the margin after it', () => {
    const r = checkInitialMargin({ collateral: 1_000_000_000n, positions: [] }, { seriesId: 1n, size: -100n, price: mark }, table)
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.after.equity).toBe(1_000_000_000n)
  })

  it('rejects an uncovered short with the required and available figures', () => {
    const before = { collateral: 10_000_000n, positions: [] }
    const r = checkInitialMargin(before, { seriesId: 1n, size: -100n, price: mark }, table)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.code).toBe('INSUFFICIENT_MARGIN')
      const after = accountMargin(10_000_000n + 100n * mark, [{ seriesId: 1n, size: -100n }], table)
      expect(r.required).toBe(after.initialMargin)
      expect(r.available).toBe(after.equity)
      expect(r.required > r.available).toBe(true)
    }
  })

  it('rejects a purchase the collateral cannot pay for', () => {
    const r = checkInitialMargin({ collateral: 100n, positions: [] }, { seriesId: 1n, size: 1n, price: 101n }, table)
    expect(r).toMatchObject({ ok: false, code: 'INSUFFICIENT_COLLATERAL', required: 101n, available: 100n })
  })

  it('takes the trading fee from the collateral on either side', () => {
    const buy = checkInitialMargin({ collateral: 101n, positions: [] }, { seriesId: 1n, size: 1n, price: 100n, fee: 2n }, table)
    expect(buy).toMatchObject({ ok: false, code: 'INSUFFICIENT_COLLATERAL', required: 102n, available: 101n })
    const covered = checkInitialMargin({ collateral: 1_000_000_000n, positions: [] }, { seriesId: 1n, size: -100n, price: mark, fee: 7n }, table)
    expect(covered.ok && covered.after.equity).toBe(1_000_000_000n - 7n)
  })

  it('rejects an unknown series as a value, not an exception', () => {
    expect(checkInitialMargin({ collateral: 100n, positions: [] }, { seriesId: 42n, size: 1n, price: 1n }, table)).toMatchObject({ ok: false, code: 'UNKNOWN_SERIES' })
  })

  it('a trade that closes a position is accepted for a solvent account', () => {
    const before = { collateral: 1_000_000_000n, positions: [{ seriesId: 1n, size: -100n }] }
    expect(checkInitialMargin(before, { seriesId: 1n, size: 100n, price: mark }, table).ok).toBe(true)
  })
})
