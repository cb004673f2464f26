/**
 * Conversions between floating-point quantities and the protocol's integer units, and the
 * integer rounding helpers that margin uses.
 *
 * Protocol units (state/params.ts):
 * - collateral: base units, 10^-COLLATERAL_DECIMALS (6) of one collateral token (USD-like);
 * - size: size units, 10^-SIZE_DECIMALS (2) of one option on one unit of the underlying;
 * - prices (order limit prices, marks, scenario values): collateral base units per size
 *   unit, so `premium = price * size` is exact in base units. A premium of P collateral per
 *   option is P * 10^6 / 10^2 = P * 10^4 base units per size unit.
 * - strikes: collateral base units per one unit of the underlying.
 *
 * Rounding is explicit at every float -> integer step (`Rounding`):
 * - `'up'` (towards +∞) for what the user must hold or pay: margin requirements, fees; so
 *   integer truncation can never under-collateralise an account;
 * - `'down'` (towards -∞) for what is owed or credited to the user: payouts, free collateral;
 *   so the protocol never pays out a fraction it does not have;
 * - `'nearest'` (ties away from zero) for shared reference prices (marks, scenario values
 *   in the market table): both sides of every trade use the same number, so no direction
 *   would be conservative for both; the error is at most 1/2 base unit per size unit.
 *
 * Floats are converted exactly from their shortest round-trip decimal representation
 * (ECMAScript `Number.prototype.toString`, which is fully specified), not from their binary
 * value: `0.1` collateral is exactly 100000 base units under every rounding, which the
 * binary value 0.1000000000000000055... rounded up would not give. Decimal strings are
 * accepted too and converted exactly.
 */
import { COLLATERAL_DECIMALS, SIZE_DECIMALS } from '../state/params.js'
import { RiskInputError } from './errors.js'

/** Rounding direction of a float -> integer conversion (see the module header). */
export type Rounding = 'up' | 'down' | 'nearest'

/** 10^6: base units per one collateral token. */
export const COLLATERAL_SCALE: bigint = 10n ** BigInt(COLLATERAL_DECIMALS)
/** 10^2: size units per one option contract. */
export const SIZE_SCALE: bigint = 10n ** BigInt(SIZE_DECIMALS)
/** Decimal places of a price "per size unit in base units" relative to "collateral per option": 6 - 2 = 4. */
export const PRICE_DECIMALS = COLLATERAL_DECIMALS - SIZE_DECIMALS

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i

/** floor(n / d) for d > 0, for any sign of n. */
export function floorDiv(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RiskInputError('divisor', `must be positive, got ${d}`)
  const q = n / d
  return n % d !== 0n && n < 0n ? q - 1n : q
}

/** ceil(n / d) for d > 0, for any sign of n. */
export function ceilDiv(n: bigint, d: bigint): bigint {
  return -floorDiv(-n, d)
}

/** round(n / d) to nearest, ties away from zero, for d > 0. */
export function roundDiv(n: bigint, d: bigint): bigint {
  const mag = ((n < 0n ? -n : n) * 2n + d) / (2n * d)
  return n < 0n ? -mag : mag
}

/** n / d rounded in the given direction (d > 0). */
export function divRound(n: bigint, d: bigint, rounding: Rounding): bigint {
  return rounding === 'up' ? ceilDiv(n, d) : rounding === 'down' ? floorDiv(n, d) : roundDiv(n, d)
}

/**
 * Exact value of `x * 10^decimals` rounded to an integer in the given direction, where `x`
 * is a finite number (taken at its shortest decimal representation) or a decimal string
 * such as "12.5", "-3e-7".
 *
 * @example decimalToScaled(0.1, 6, 'up') // 100000n
 * @example decimalToScaled('1.0000005', 6, 'nearest') // 1000001n
 */
export function decimalToScaled(x: number | string, decimals: number, rounding: Rounding): bigint {
  if (typeof x === 'number' && !Number.isFinite(x)) throw new RiskInputError('value', `must be finite, got ${x}`)
  const text = typeof x === 'number' ? String(x) : x.trim()
  const m = DECIMAL.exec(text)
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new RiskInputError('value', `not a decimal number: ${JSON.stringify(text)}`)
  const [, sign, intPart = '', frac = '', exp = '0'] = m
  const digits = BigInt((intPart + frac).replace(/^0+(?=\d)/, '') || '0')
  // value = digits * 10^(exp - frac.length); scaled = digits * 10^(shift)
  const shift = Number(exp) - frac.length + decimals
  if (Math.abs(shift) > 1000) throw new RiskInputError('value', `exponent of ${text} out of range`)
  const signed = sign === '-' ? -digits : digits
  if (shift >= 0) return signed * 10n ** BigInt(shift)
  return divRound(signed, 10n ** BigInt(-shift), rounding)
}

/**
 * Exact decimal string of `units * 10^-decimals` (no float involved).
 *
 * @example formatScaled(-1234567n, 6) // '-1.234567'
 */
export function formatScaled(units: bigint, decimals: number): string {
  const neg = units < 0n
  const s = (neg ? -units : units).toString().padStart(decimals + 1, '0')
  const int = s.slice(0, s.length - decimals)
  const frac = s.slice(s.length - decimals).replace(/0+$/, '')
  return `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}`
}

/**
 * Collateral tokens (e.g. 12.5 USDC) -> base units.
 *
 * @example collateralToBaseUnits(12.5, 'down') // 12500000n
 */
export function collateralToBaseUnits(amount: number | string, rounding: Rounding): bigint {
  return decimalToScaled(amount, COLLATERAL_DECIMALS, rounding)
}

/** Base units -> collateral tokens as a float (for display and pricing only). */
export function baseUnitsToCollateral(units: bigint): number {
  return Number(formatScaled(units, COLLATERAL_DECIMALS))
}

/**
 * Option contracts (e.g. 1.5 options) -> size units (150n).
 *
 * @example contractsToSizeUnits(0.25, 'down') // 25n
 */
export function contractsToSizeUnits(contracts: number | string, rounding: Rounding): bigint {
  return decimalToScaled(contracts, SIZE_DECIMALS, rounding)
}

/** Size units -> option contracts as a float. */
export function sizeUnitsToContracts(size: bigint): number {
  return Number(formatScaled(size, SIZE_DECIMALS))
}

/**
 * A premium in collateral per option (what Black-Scholes returns for strike and spot in
 * collateral units) -> base units per size unit (the protocol's price unit).
 *
 * @example pricePerContractToPerSizeUnit(4.7594, 'nearest') // 47594n
 */
export function pricePerContractToPerSizeUnit(collateralPerContract: number | string, rounding: Rounding): bigint {
  return decimalToScaled(collateralPerContract, PRICE_DECIMALS, rounding)
}

/** Base units per size unit -> collateral per option, as a float. */
export function pricePerSizeUnitToPerContract(baseUnitsPerSizeUnit: bigint): number {
  return Number(formatScaled(baseUnitsPerSizeUnit, PRICE_DECIMALS))
}

/**
 * A strike (or spot) in collateral per unit of underlying -> base units per unit.
 *
 * @example strikeToBaseUnits(3000, 'nearest') // 3000000000n
 */
export function strikeToBaseUnits(collateralPerUnderlying: number | string, rounding: Rounding): bigint {
  return decimalToScaled(collateralPerUnderlying, COLLATERAL_DECIMALS, rounding)
}

/** Base units per unit of underlying -> collateral per unit, as a float (pricing input). */
export function baseUnitsToStrike(baseUnitsPerUnderlying: bigint): number {
  return Number(formatScaled(baseUnitsPerUnderlying, COLLATERAL_DECIMALS))
}
