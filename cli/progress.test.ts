import { afterEach, describe, expect, it, vi } from 'vitest'
import { CLEAR_LINE, ProgressBar, renderFrame, withProgress, type ProgressSink } from './progress.js'

function recorder(isTTY: boolean, columns?: number): ProgressSink & { readonly writes: string[] } {
  const writes: string[] = []
  return { isTTY, ...(columns !== undefined ? { columns } : {}), write: (t) => void writes.push(t), writes }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('renderFrame', () => {
  it('draws a known fraction with its percentage and the elapsed time', () => {
    expect(renderFrame({ label: 'deposit', fraction: 0.5, elapsedMs: 1500, width: 10 })).toBe('deposit [#####-----]  50%  1.5s')
    expect(renderFrame({ label: 'x', fraction: 0, elapsedMs: 0, width: 4 })).toBe('x [----]   0%  0.0s')
    expect(renderFrame({ label: 'x', fraction: 1, elapsedMs: 12_345, width: 4 })).toBe('x [####] 100%  12.3s')
  })

  it('clamps fractions outside [0, 1] and treats NaN as unknown', () => {
    expect(renderFrame({ label: 'x', fraction: 1.7, elapsedMs: 0, width: 4 })).toBe('x [####] 100%  0.0s')
    expect(renderFrame({ label: 'x', fraction: -3, elapsedMs: 0, width: 4 })).toBe('x [----]   0%  0.0s')
    expect(renderFrame({ label: 'x', fraction: Number.NaN, elapsedMs: 0, width: 6 })).toBe('x [###---]       0.0s')
  })

  it('bounces a block across the bar while the fraction is unknown', () => {
    const cells = (ms: number) => /\[(.*)\]/.exec(renderFrame({ label: 'x', elapsedMs: ms, width: 6 }))![1]
    expect([0, 100, 200, 300, 400, 500, 600].map(cells)).toEqual(['###---', '-###--', '--###-', '---###', '--###-', '-###--', '###---'])
  })

  it('cuts the line to the terminal width', () => {
    const line = renderFrame({ label: 'a very long label that does not fit', fraction: 0.5, elapsedMs: 0, width: 10, columns: 20 })
    expect(line).toHaveLength(19)
    expect(line).toBe('a very long label t')
  })
})

describe('ProgressBar', () => {
  it('writes nothing at all when the sink is not a terminal', async () => {
    const sink = recorder(false)
    const result = await withProgress(sink, 'waiting', async (bar) => {
      bar.update({ fraction: 0.5, label: 'half' })
      await new Promise((r) => setTimeout(r, 250))
      bar.update({ fraction: 1 })
      return 42
    })
    expect(result).toBe(42)
    expect(sink.writes).toEqual([])
  })

  it('redraws in place on a terminal, ticks the elapsed time, and erases itself when done', () => {
    vi.useFakeTimers()
    let now = 1_000
    const sink = recorder(true, 80)
    const bar = new ProgressBar(sink, 'deposit', { width: 4, now: () => now, intervalMs: 100 })
    expect(sink.writes).toEqual([`${CLEAR_LINE}deposit [###-]       0.0s`])
    now += 250
    bar.update({ fraction: 0.5, label: 'credited' })
    expect(sink.writes.at(-1)).toBe(`${CLEAR_LINE}credited [##--]  50%  0.3s`)
    now += 150
    vi.advanceTimersByTime(100)
    expect(sink.writes.at(-1)).toBe(`${CLEAR_LINE}credited [##--]  50%  0.4s`)
    bar.done()
    expect(sink.writes.at(-1)).toBe(CLEAR_LINE)
    const count = sink.writes.length
    vi.advanceTimersByTime(1_000)
    bar.update({ fraction: 1 })
    bar.done()
    expect(sink.writes).toHaveLength(count)
  })

  it('is erased when the work fails, and the failure passes through', async () => {
    const sink = recorder(true)
    await expect(
      withProgress(sink, 'waiting', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(sink.writes.at(-1)).toBe(CLEAR_LINE)
  })
})
