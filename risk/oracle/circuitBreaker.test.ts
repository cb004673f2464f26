import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DEFAULT_CIRCUIT_BREAKER_CONFIG, initialBreakerState, largestMove, observePrice, tickBreaker, validateCircuitBreakerConfig, type BreakerState, type CircuitBreakerConfig } from './circuitBreaker.js'
import { relativeMoveBps, type ModeTransition } from './types.js'
import { RiskInputError } from '../errors.js'

const T0 = 1_800_000_000
const config: CircuitBreakerConfig = { ...DEFAULT_CIRCUIT_BREAKER_CONFIG, maxMoveBps: 1_000, windowSeconds: 300, cooldownSeconds: 600 }

/** Feeds `prices` (one per `every` seconds from T0) and collects the events. */
function run(prices: readonly number[], every = 10, c: CircuitBreakerConfig = config): { state: BreakerState; events: ModeTransition[] } {
  let state = initialBreakerState('ETH', T0)
  const events: ModeTransition[] = []
  prices.forEach((p, i) => {
    const out = observePrice(state, p, T0 + i * every, c)
    state = out.state
    events.push(...out.events)
  })
  return { state, events }
}

describe('circuit breaker', () => {
  it('has documented defaults and validates its config', () => {
    expect(DEFAULT_CIRCUIT_BREAKER_CONFIG).toEqual({ maxMoveBps: 1000, windowSeconds: 300, action: 'halted', cooldownSeconds: 300, liquidationsWhileTripped: false })
    expect(() => validateCircuitBreakerConfig({ ...config, windowSeconds: 0 })).toThrow(RiskInputError)
    expect(() => validateCircuitBreakerConfig({ ...config, action: 'normal' as 'halted' })).toThrow(/action/)
  })

  it('measures the largest move against the window low and high', () => {
    expect(largestMove([], 100)).toBeUndefined()
    expect(largestMove([{ at: 0, price: 100 }, { at: 1, price: 120 }], 110)).toEqual({ moveBps: expect.closeTo(1000, 6), reference: 100 })
    expect(largestMove([{ at: 0, price: 100 }, { at: 1, price: 120 }], 90)).toEqual({ moveBps: expect.closeTo(2500, 6), reference: 120 })
  })

  it('trips on a 20 % jump within the window and logs the transition', () => {
    const { state, events } = run([3000, 3010, 3600])
    expect(state).toMatchObject({ status: 'tripped', tradingMode: 'halted', liquidationsAllowed: false, trippedAt: T0 + 20, resumeAt: T0 + 620 })
    expect(events).toEqual([{ underlying: 'ETH', source: 'breaker', from: 'normal', to: 'halted', reason: expect.stringMatching(/\+20\.00 %.*3000 -> 3600.*limit 10\.00 %/), at: T0 + 20 }])
  })

  it('trips on a gradual move within the window, and on falls', () => {
    expect(run([3000, 3100, 3200, 3300, 3400]).events).toMatchObject([{ at: T0 + 40 }]) // 3400 / 3000 = +13.3 %
    expect(run([3000, 2900, 2600]).events).toMatchObject([{ reason: expect.stringContaining('-13.33 %') }])
  })

  it('does not trip at or below the limit, nor on moves spread over more than the window', () => {
    expect(run([3000, 3150, 3300]).events).toEqual([]) // exactly +10 %
    expect(run([1000, 1100, 1100, 1000]).events).toEqual([])
    // +5 % every 200 s: any 300 s window holds at most one step... but two steps are 400 s apart
    expect(run([3000, 3150, 3307.5, 3472.875], 200).events).toEqual([])
  })

  it('keeps the latest earlier price across a gap, so a jump after an outage trips', () => {
    let s = observePrice(initialBreakerState('ETH', T0), 3000, T0, config).state
    s = tickBreaker(s, T0 + 1000).state
    expect(observePrice(s, 3500, T0 + 1000, config).events).toMatchObject([{ to: 'halted' }])
  })

  it('resumes after the cool-down, by tick or by the next price, and the new level is the reference', () => {
    const tripped = run([3000, 3600]).state
    expect(tickBreaker(tripped, T0 + 10 + 599).events).toEqual([])
    const resumed = tickBreaker(tripped, T0 + 10 + 600)
    expect(resumed.state).toMatchObject({ status: 'armed', tradingMode: 'normal', liquidationsAllowed: true })
    expect(resumed.events).toEqual([{ underlying: 'ETH', source: 'breaker', from: 'halted', to: 'normal', reason: expect.stringContaining('cool-down ended'), at: T0 + 610 }])

    const byPrice = observePrice(tripped, 3610, T0 + 700, config)
    expect(byPrice.state.status).toBe('armed')
    expect(byPrice.events).toMatchObject([{ from: 'halted', to: 'normal' }])
  })

  it('extends the trip when the price keeps moving, without a new event', () => {
    let { state } = run([3000, 3600]) // tripped at T0 + 10
    const out = observePrice(state, 4000, T0 + 100, config) // +11 % from the trip level
    state = out.state
    expect(out.events).toEqual([])
    expect(state).toMatchObject({ status: 'tripped', trippedAt: T0 + 10, resumeAt: T0 + 700, tripReason: expect.stringContaining('extended') })
  })

  it('can switch to reduce-only and keep liquidations', () => {
    const { state, events } = run([3000, 2000], 10, { ...config, action: 'reduce-only', liquidationsWhileTripped: true })
    expect(state).toMatchObject({ tradingMode: 'reduce-only', liquidationsAllowed: true })
    expect(events).toMatchObject([{ from: 'normal', to: 'reduce-only' }])
  })

  it('refuses bad prices and time going backwards', () => {
    const s = run([3000]).state
    expect(() => observePrice(s, 0, T0 + 1, config)).toThrow(RiskInputError)
    expect(() => observePrice(s, 3000, T0 - 1, config)).toThrow(RiskInputError)
  })

  it('trips exactly when some earlier price of the window is more than the limit away (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 120 }), fc.double({ min: -0.08, max: 0.08, noNaN: true })), { minLength: 1, maxLength: 40 }), (steps) => {
        let state = initialBreakerState('ETH', T0)
        let t = T0
        let p = 1000
        state = observePrice(state, p, t, config).state
        const seen: { at: number; price: number }[] = [{ at: t, price: p }]
        for (const [dt, ret] of steps) {
          t += dt
          p *= 1 + ret
          const armedBefore = tickBreaker(state, t).state.status === 'armed'
          const window = seen.filter((x) => x.at >= t - config.windowSeconds)
          const refs = window.length > 0 ? window : seen.slice(-1)
          const out = observePrice(state, p, t, config)
          const beyond = refs.some((x) => relativeMoveBps(p, x.price) > config.maxMoveBps)
          if (armedBefore) expect(out.state.status === 'tripped').toBe(beyond)
          for (const e of out.events) expect(e.from).not.toBe(e.to)
          state = out.state
          if (out.state.status === 'tripped' && out.state.history.length === 1) seen.splice(0, seen.length)
          seen.push({ at: t, price: p })
        }
      }),
      { numRuns: 300 },
    )
  })
})
