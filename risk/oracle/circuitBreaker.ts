/**
 * A per-underlying circuit breaker: a price move of more than `maxMoveBps` within
 * `windowSeconds` switches the underlying to `action` ('halted' or 'reduce-only') for
 * `cooldownSeconds`, after which it resumes by itself. Pure state machine: the caller
 * passes every aggregated price with its time and gets the new state and the transitions.
 *
 * Move measure: when price p arrives at `now`, with lo and hi the lowest and highest
 * recorded prices of the window [now - windowSeconds, now],
 *
 *   move = max(p / lo - 1, 1 - p / hi)
 *
 * so every pair of prices within the window is compared once, when the later one arrives.
 * When no recorded price is left in the window, the latest earlier one is kept, so that a
 * jump across a data gap (an oracle outage) still counts as a move.
 *
 * Trip: status `tripped`, mode `action`, `resumeAt = now + cooldownSeconds`, and the
 * history restarts at the new price (the new level is the reference from then on). A
 * further move beyond the limit while tripped extends the trip (no new event). At
 * `resumeAt` the breaker re-arms: status `armed`, mode `normal`.
 */
import { RiskInputError } from '../errors.js'
import { relativeMoveBps, type ModeTransition, type TradingMode } from './types.js'

/** Parameters of the breaker for one underlying. */
export type CircuitBreakerConfig = {
  /** A move larger than this within the window trips the breaker (basis points). */
  readonly maxMoveBps: number
  /** Length of the window over which moves are measured (seconds). */
  readonly windowSeconds: number
  /** What a trip does to the underlying. */
  readonly action: Exclude<TradingMode, 'normal'>
  /** How long a trip lasts after the last move beyond the limit (seconds). */
  readonly cooldownSeconds: number
  /** Whether liquidations go on while tripped. */
  readonly liquidationsWhileTripped: boolean
}

/** Defaults: 10 % within 5 minutes halts matching for 5 minutes, without liquidations. */
export const DEFAULT_CIRCUIT_BREAKER_CONFIG: CircuitBreakerConfig = {
  maxMoveBps: 1_000,
  windowSeconds: 300,
  action: 'halted',
  cooldownSeconds: 300,
  liquidationsWhileTripped: false,
}

/** Throws `RiskInputError` unless every parameter is in its domain. */
export function validateCircuitBreakerConfig(config: CircuitBreakerConfig): void {
  for (const field of ['maxMoveBps', 'windowSeconds', 'cooldownSeconds'] as const) {
    const v = config[field]
    if (!(v > 0) || !Number.isFinite(v)) throw new RiskInputError(field, `must be finite and > 0, got ${v}`)
  }
  if (config.action !== 'halted' && config.action !== 'reduce-only') throw new RiskInputError('action', `must be 'halted' or 'reduce-only', got ${String(config.action)}`)
}

/** A recorded price. */
export type PricePoint = { readonly at: number; readonly price: number }

/** The breaker of one underlying. */
export type BreakerState = {
  readonly underlying: string
  readonly status: 'armed' | 'tripped'
  /** `normal` when armed, the configured action when tripped. */
  readonly tradingMode: TradingMode
  readonly liquidationsAllowed: boolean
  /** Prices of the window (plus the latest earlier one), oldest first. */
  readonly history: readonly PricePoint[]
  /** Set while tripped. */
  readonly trippedAt?: number
  readonly resumeAt?: number
  readonly tripReason?: string
  /** Time of the latest observation or tick. */
  readonly at: number
}

/** An armed breaker with no history. */
export function initialBreakerState(underlying: string, now: number): BreakerState {
  return { underlying, status: 'armed', tradingMode: 'normal', liquidationsAllowed: true, history: [], at: now }
}

/** Result of a step: the new state and the transitions it made (`source: 'breaker'`). */
export type BreakerStep = { readonly state: BreakerState; readonly events: ModeTransition[] }

/** Advances time to `now` without a price: re-arms a trip whose cool-down has ended. */
export function tickBreaker(state: BreakerState, now: number): BreakerStep {
  if (!(now >= state.at)) throw new RiskInputError('now', `time went backwards: ${now} < ${state.at}`)
  if (state.status === 'tripped' && state.resumeAt !== undefined && now >= state.resumeAt) {
    const armed: BreakerState = { underlying: state.underlying, status: 'armed', tradingMode: 'normal', liquidationsAllowed: true, history: state.history, at: now }
    const reason = `cool-down ended (tripped at ${state.trippedAt}: ${state.tripReason})`
    return { state: armed, events: [{ underlying: state.underlying, source: 'breaker', from: state.tradingMode, to: 'normal', reason, at: now }] }
  }
  return { state: { ...state, at: now }, events: [] }
}

/** The largest relative move of `price` against the recorded prices, with its reference. */
export function largestMove(history: readonly PricePoint[], price: number): { moveBps: number; reference: number } | undefined {
  if (history.length === 0) return undefined
  let lo = Number.POSITIVE_INFINITY
  let hi = 0
  for (const p of history) {
    lo = Math.min(lo, p.price)
    hi = Math.max(hi, p.price)
  }
  const up = price > lo ? relativeMoveBps(price, lo) : 0
  const down = price < hi ? relativeMoveBps(price, hi) : 0
  return up >= down ? { moveBps: up, reference: lo } : { moveBps: down, reference: hi }
}

/**
 * Records aggregated `price` at `now`: re-arms if the cool-down has ended, then trips (or
 * extends a trip) if the move within the window exceeds the limit.
 *
 * @example
 * let s = initialBreakerState('ETH', 0)
 * s = observePrice(s, 3000, 0, DEFAULT_CIRCUIT_BREAKER_CONFIG).state
 * observePrice(s, 3600, 60, DEFAULT_CIRCUIT_BREAKER_CONFIG).events // [{ from: 'normal', to: 'halted', ... }]
 */
export function observePrice(state: BreakerState, price: number, now: number, config: CircuitBreakerConfig): BreakerStep {
  if (!Number.isFinite(price) || price <= 0) throw new RiskInputError('price', `must be finite and > 0, got ${price}`)
  const ticked = tickBreaker(state, now)
  const current = ticked.state
  const events = [...ticked.events]
  // Keep the window; when it is empty, keep the latest earlier price (the reference across a gap).
  const inWindow = current.history.filter((p) => p.at >= now - config.windowSeconds)
  const last = current.history[current.history.length - 1]
  const history = inWindow.length === 0 && last !== undefined ? [last] : inWindow
  const move = largestMove(history, price)
  const point: PricePoint = { at: now, price }
  if (move === undefined || move.moveBps <= config.maxMoveBps) return { state: { ...current, history: [...history, point] }, events }

  const pct = (move.moveBps / 100).toFixed(2)
  const sign = price >= move.reference ? '+' : '-'
  const reason = `price moved ${sign}${pct} % (${move.reference} -> ${price}) within ${config.windowSeconds} s (limit ${(config.maxMoveBps / 100).toFixed(2)} %)`
  const tripped: BreakerState = {
    underlying: current.underlying,
    status: 'tripped',
    tradingMode: config.action,
    liquidationsAllowed: config.liquidationsWhileTripped,
    history: [point],
    trippedAt: current.status === 'tripped' ? current.trippedAt ?? now : now,
    resumeAt: now + config.cooldownSeconds,
    tripReason: current.status === 'tripped' ? `${reason} (trip extended)` : reason,
    at: now,
  }
  if (current.status === 'armed') events.push({ underlying: current.underlying, source: 'breaker', from: current.tradingMode, to: config.action, reason, at: now })
  return { state: tripped, events }
}
