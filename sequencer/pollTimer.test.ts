import { describe, expect, it } from 'vitest'
import { PollTimer } from './pollTimer.js'

describe('PollTimer', () => {
  it('waits the interval, and no longer once interrupted', async () => {
    const timer = new PollTimer(60)
    let t = performance.now()
    await timer.wait()
    expect(performance.now() - t).toBeGreaterThanOrEqual(50)
    t = performance.now()
    const waiting = timer.wait()
    setTimeout(() => timer.interrupt(), 5)
    await waiting
    expect(performance.now() - t).toBeLessThan(50)
  })

  it('an interrupt with nothing waiting does not cut the next wait short', async () => {
    const timer = new PollTimer(40)
    timer.interrupt()
    const t = performance.now()
    await timer.wait()
    expect(performance.now() - t).toBeGreaterThanOrEqual(30)
  })
})
