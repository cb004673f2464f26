/**
 * The trader CLI's units: what a person types and reads, against the protocol's integers
 * (state/params.ts, risk/fixedPoint.ts). Collateral in tokens (6 decimals), sizes in option
 * contracts (2 decimals), prices in collateral per contract (4 decimals: the protocol's price
 * is base units per size unit, 10^6 / 10^2), strikes in collateral per unit of underlying.
 * Input is converted exactly: a value with more decimals than its unit holds is refused, never
 * rounded, because a rounded order or withdrawal is not the one the trader meant.
 */
import { InvalidArgumentError } from 'commander'
import { formatScaled, PRICE_DECIMALS } from '../risk/fixedPoint.js'
import { COLLATERAL_DECIMALS, SIZE_DECIMALS } from '../state/params.js'

/** A quantity the CLI reads and prints: its name and its decimal places. */
export type Unit = { readonly name: string; readonly decimals: number }

export const COLLATERAL: Unit = { name: 'collateral', decimals: COLLATERAL_DECIMALS }
export const CONTRACTS: Unit = { name: 'contracts', decimals: SIZE_DECIMALS }
export const PRICE: Unit = { name: 'collateral per contract', decimals: PRICE_DECIMALS }
export const STRIKE: Unit = { name: 'collateral per unit of underlying', decimals: COLLATERAL_DECIMALS }

const DECIMAL = /^(\d+)(?:\.(\d+))?$/

/**
 * A plain decimal ("5000", "0.25", "210.5") -> the unit's integer, exactly. Throws commander's
 * `InvalidArgumentError` (a usage error, exit 2) for anything else, more decimals than the unit
 * has, or a value below `min`.
 *
 * @example parseUnits('1.5', CONTRACTS) // 150n
 */
export function parseUnits(text: string, unit: Unit, min = 1n): bigint {
  const m = DECIMAL.exec(text.trim())
  if (!m) throw new InvalidArgumentError(`"${text}" is not a plain decimal number (${unit.name})`)
  const [, int = '', frac = ''] = m
  if (frac.length > unit.decimals) throw new InvalidArgumentError(`"${text}" has more than ${unit.decimals} decimals (${unit.name})`)
  const value = BigInt(int + frac.padEnd(unit.decimals, '0'))
  if (value < min) throw new InvalidArgumentError(`"${text}" must be at least ${formatScaled(min, unit.decimals)} (${unit.name})`)
  return value
}

/** The unit's integer as a decimal string, trailing zeros dropped: `formatUnits(150n, CONTRACTS)` is '1.5'. */
export function formatUnits(value: bigint, unit: Unit): string {
  return formatScaled(value, unit.decimals)
}

/** A decimal string from the API ("-150") as a formatted unit; `?` for a value that is not an integer. */
export function formatApiUnits(text: unknown, unit: Unit): string {
  if (typeof text !== 'string' || !/^-?\d+$/.test(text)) return '?'
  return formatUnits(BigInt(text), unit)
}

const DURATION = /^(\d+)(s|m|h|d)$/
const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const

/**
 * "30s", "15m", "12h", "7d" -> seconds (at least 1).
 *
 * @example parseDuration('2h') // 7200
 */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim())
  if (!m) throw new InvalidArgumentError(`"${text}" is not a duration like 30s, 15m, 12h or 7d`)
  const seconds = Number(m[1]) * SECONDS[m[2] as keyof typeof SECONDS]
  if (seconds < 1 || !Number.isSafeInteger(seconds)) throw new InvalidArgumentError(`"${text}" must be at least 1s`)
  return seconds
}

/**
 * Unix seconds or an ISO 8601 date ("2026-12-31T08:00:00Z") -> unix seconds.
 *
 * @example parseTime('1790000000') // 1790000000n
 */
export function parseTime(text: string): bigint {
  const t = text.trim()
  if (/^\d+$/.test(t)) return BigInt(t)
  const ms = /^\d{4}-\d{2}-\d{2}/.test(t) ? Date.parse(t) : Number.NaN
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${text}" is neither unix seconds nor an ISO date`)
  return BigInt(Math.floor(ms / 1000))
}

/**
 * A non-negative integer (an account index, an order id, a block number).
 *
 * @example parseIndex('42', 'account') // 42n
 */
export function parseIndex(text: string, what: string, min = 0n): bigint {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`${what} must be a whole number, got "${text}"`)
  const value = BigInt(text.trim())
  if (value < min) throw new InvalidArgumentError(`${what} must be at least ${min}, got ${value}`)
  return value
}

/** Unix seconds as an ISO date without milliseconds. */
export function formatTime(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().replace('.000Z', 'Z')
}

/** Seconds as a short human duration ("2d 3h 4m 5s"), the escape tool's. */
export { formatDuration } from '../escape/freeze.js'
