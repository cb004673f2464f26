import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseSeriesName, seriesName, type Series } from './series.js'
import { RiskInputError } from './errors.js'

const eth: Series = { id: 1n, underlying: 'ETH', expiry: 1798358400n, strike: 3000_000000n, isCall: true }

describe('series names', () => {
  it('formats Deribit-style names', () => {
    expect(seriesName(eth)).toBe('ETH-27DEC26-3000-C')
    expect(seriesName({ ...eth, underlying: 'BTC', expiry: 1717747200n, strike: 60000_000000n, isCall: false })).toBe('BTC-7JUN24-60000-P')
    expect(seriesName({ ...eth, underlying: 'XRP_USDC', strike: 550_000n })).toBe('XRP_USDC-27DEC26-0d55-C')
  })

  it('parses names, with or without a leading zero on the day', () => {
    expect(parseSeriesName('ETH-27DEC26-3000-C')).toEqual({ underlying: 'ETH', expiry: 1798358400n, strike: 3000_000000n, isCall: true })
    expect(parseSeriesName('BTC-07JUN24-60000-P').expiry).toBe(1717747200n)
    expect(parseSeriesName('XRP_USDC-27DEC26-0d55-C').strike).toBe(550_000n)
  })

  it('rejects malformed names and impossible dates', () => {
    for (const bad of ['ETH-31FEB26-3000-C', 'ETH-27DEC26-3000-X', 'eth-27DEC26-3000-C', 'ETH-27XYZ26-3000-C', 'ETH-27DEC26-0-C', 'ETH-27DEC26-1d1234567-C', 'ETH27DEC263000C'])
      expect(() => parseSeriesName(bad), bad).toThrow(RiskInputError)
  })

  it('refuses to name a series whose expiry is not at 08:00 UTC', () => {
    expect(() => seriesName({ ...eth, expiry: eth.expiry + 1n })).toThrow(RiskInputError)
  })

  it('round-trips (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1) / 86400000, max: Date.UTC(2099, 11, 31) / 86400000 }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.boolean(),
        fc.constantFrom('ETH', 'BTC', 'SOL_USDC'),
        (day, strike, isCall, underlying) => {
          const s: Series = { id: 7n, underlying, expiry: BigInt(day * 86400 + 8 * 3600), strike, isCall }
          expect(parseSeriesName(seriesName(s))).toEqual({ underlying, expiry: s.expiry, strike, isCall })
        },
      ),
    )
  })
})
