import { describe, expect, it } from 'vitest'
import { TokenBuckets } from './limits.js'

function clocked(config = { ratePerSecond: 2, burst: 3 }, maxKeys?: number) {
  const clock = { ms: 1_000_000 }
  return { clock, buckets: new TokenBuckets(config, { now: () => clock.ms, ...(maxKeys !== undefined ? { maxKeys } : {}) }) }
}

describe('TokenBuckets', () => {
  it('lets a burst through, then one request per 1/rate seconds, saying how long to wait', () => {
    const { clock, buckets } = clocked()
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0])
    expect(buckets.take('a')).toBe(500) // 2 per second: the next token in 500 ms
    expect(buckets.take('b')).toBe(0) // keys do not share
    clock.ms += 499
    expect(buckets.take('a')).toBe(1)
    clock.ms += 1
    expect(buckets.take('a')).toBe(0)
    expect(buckets.take('a')).toBe(500)
  })

  it('refills up to the burst, never beyond', () => {
    const { clock, buckets } = clocked()
    buckets.take('a')
    clock.ms += 60_000
    expect([0, 1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 0, 500])
  })

  it('checks without spending (waitMs), and spends into debt that delays later requests', () => {
    const { clock, buckets } = clocked()
    expect(buckets.waitMs('a')).toBe(0)
    expect(buckets.waitMs('a')).toBe(0)
    for (let i = 0; i < 5; i++) buckets.spend('a') // 3 tokens, 2 of debt
    expect(buckets.waitMs('a')).toBe(1_500) // back to 1 token: 3 tokens at 2/s
    clock.ms += 1_500
    expect(buckets.take('a')).toBe(0)
  })

  it('forgets buckets that refilled when there are too many keys', () => {
    const { clock, buckets } = clocked({ ratePerSecond: 1, burst: 1 }, 2)
    buckets.take('a')
    buckets.take('b')
    clock.ms += 1_000 // a and b are full again: a fresh bucket is the same
    buckets.take('c')
    expect(buckets.size).toBe(1)
    expect(buckets.take('c')).toBe(1_000)
  })

  it('refuses a configuration that would let nothing through', () => {
    expect(() => new TokenBuckets({ ratePerSecond: 0, burst: 10 })).toThrow(RangeError)
    expect(() => new TokenBuckets({ ratePerSecond: 10, burst: 0.5 })).toThrow(/burst of at least 1/)
  })
})
