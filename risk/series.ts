/**
 * Option series and their Deribit-style names, e.g. `ETH-27DEC26-3000-C`:
 * `<UNDERLYING>-<D><MMM><YY>-<strike>-<C|P>`, the day without a leading zero (Deribit's
 * `ETH-7JUN24-...`; a leading zero is accepted when parsing), the strike in collateral
 * units with a `d` for the decimal point when it has a fraction (`0d55`, as Deribit's
 * USDC-settled series).
 *
 * A name carries the expiry date, not the time of day: `parseSeriesName` puts expiry at
 * `EXPIRY_HOUR_UTC` (08:00 UTC, Deribit's expiry time) unless told otherwise, and
 * `seriesName` refuses a series whose expiry is not at that hour, so names round-trip.
 */
import { RiskInputError } from './errors.js'
import { formatScaled, strikeToBaseUnits } from './fixedPoint.js'
import { COLLATERAL_DECIMALS } from '../state/params.js'

/** A listed European option series (the data `Rollup.listSeries` records on L1). */
export type Series = {
  /** Series id, uint32 >= 1. */
  readonly id: bigint
  /** Underlying symbol, upper-case letters, digits and `_` (e.g. 'ETH', 'BTC'). */
  readonly underlying: string
  /** Expiry, unix seconds. */
  readonly expiry: bigint
  /** Strike in collateral base units per one unit of the underlying (3000 USDC = 3000_000000n). */
  readonly strike: bigint
  readonly isCall: boolean
}

/** Hour of day (UTC) at which series expire by default. */
export const EXPIRY_HOUR_UTC = 8

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const
const UNDERLYING = /^[A-Z0-9_]{1,16}$/
const NAME = /^([A-Z0-9_]{1,16})-(\d{1,2})([A-Z]{3})(\d{2})-(\d+(?:d\d{1,6})?)-([CP])$/

/** Validates the fields of a `Series`; throws `RiskInputError`. */
export function validateSeries(s: Series): void {
  if (s.id < 1n || s.id >= 2n ** 32n) throw new RiskInputError('id', `series id must be a uint32 >= 1, got ${s.id}`)
  if (!UNDERLYING.test(s.underlying)) throw new RiskInputError('underlying', `invalid symbol ${JSON.stringify(s.underlying)}`)
  if (s.expiry < 0n || s.expiry >= 2n ** 32n) throw new RiskInputError('expiry', `must be uint32 unix seconds, got ${s.expiry}`)
  if (s.strike <= 0n || s.strike >= 2n ** 64n) throw new RiskInputError('strike', `must be in (0, 2^64), got ${s.strike}`)
}

/**
 * Deribit-style name of a series.
 *
 * @example
 * seriesName({ id: 1n, underlying: 'ETH', expiry: 1798358400n, strike: 3000_000000n, isCall: true }) // 'ETH-27DEC26-3000-C'
 */
export function seriesName(s: Series, expiryHourUtc: number = EXPIRY_HOUR_UTC): string {
  validateSeries(s)
  const d = new Date(Number(s.expiry) * 1000)
  if (d.getUTCHours() !== expiryHourUtc || d.getUTCMinutes() !== 0 || d.getUTCSeconds() !== 0)
    throw new RiskInputError('expiry', `${s.expiry} is not at ${expiryHourUtc}:00 UTC, so a name would not round-trip`)
  const year = d.getUTCFullYear()
  if (year < 2000 || year > 2099) throw new RiskInputError('expiry', `year ${year} outside 2000..2099`)
  const date = `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(year % 100).padStart(2, '0')}`
  const strike = formatScaled(s.strike, COLLATERAL_DECIMALS).replace('.', 'd')
  return `${s.underlying}-${date}-${strike}-${s.isCall ? 'C' : 'P'}`
}

/**
 * Parses a Deribit-style name into a series without its id (ids are assigned on listing).
 * Throws `RiskInputError` on a malformed name or an impossible date.
 *
 * @example parseSeriesName('BTC-7JUN24-60000-P') // { underlying: 'BTC', expiry: 1717747200n, strike: 60000_000000n, isCall: false }
 */
export function parseSeriesName(name: string, expiryHourUtc: number = EXPIRY_HOUR_UTC): Omit<Series, 'id'> {
  const m = NAME.exec(name)
  if (!m) throw new RiskInputError('name', `not a series name: ${JSON.stringify(name)}`)
  const [, underlying = '', day = '', mon = '', yy = '', strikeText = '', cp = ''] = m
  const month = MONTHS.indexOf(mon as (typeof MONTHS)[number])
  if (month < 0) throw new RiskInputError('name', `unknown month ${mon}`)
  const year = 2000 + Number(yy)
  const ms = Date.UTC(year, month, Number(day), expiryHourUtc)
  const d = new Date(ms)
  if (d.getUTCDate() !== Number(day) || d.getUTCMonth() !== month) throw new RiskInputError('name', `no such date ${day}${mon}${yy}`)
  const strike = strikeToBaseUnits(strikeText.replace('d', '.'), 'nearest')
  if (strike <= 0n) throw new RiskInputError('name', 'strike must be positive')
  return { underlying, expiry: BigInt(ms / 1000), strike, isCall: cp === 'C' }
}
