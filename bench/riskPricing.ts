/**
 * `risk.bs_price_greeks_per_s`: Black-Scholes-Merton valuations (price and all five Greeks,
 * `valueOption`) per second on one core.
 *
 * A fixed, varied set of 4,096 inputs (calls and puts; spot 50..70,000; strike 0.5x..2x spot;
 * 1 day..2 years; vol 15 %..150 %; r 0..8 %; q 0..3 %; a few deep in/out of the money) is
 * valued in a loop, every field of every result summed so that nothing is optimized away.
 * After a warm-up of about half a second (JIT), RUNS timed runs of about 0.3 s each; the
 * figure is their median. Single-threaded: one core, whatever the machine has.
 */
import { valueOption, type OptionInputs } from '../risk/blackScholes.js'
import type { Benchmark } from './figure.js'
import { BenchError, median, progress } from './support.js'

const INPUT_COUNT = 4096
const RUNS = 9
const RUN_SECONDS = 0.3
const WARM_UP_SECONDS = 0.5

/** Deterministic inputs (a small LCG, so every run values the same set). */
export function benchmarkInputs(count = INPUT_COUNT): OptionInputs[] {
  let seed = 12345
  const uniform = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 2 ** 32
  }
  const inputs: OptionInputs[] = []
  for (let i = 0; i < count; i++) {
    const spot = 50 * Math.exp(uniform() * Math.log(1400))
    // Mostly 0.5x..2x spot; one in 16 deep in or out of the money (0.1x or 10x).
    const ratio = i % 16 === 0 ? (uniform() < 0.5 ? 0.1 : 10) : Math.exp((uniform() * 2 - 1) * Math.LN2)
    inputs.push({
      isCall: uniform() < 0.5,
      spot,
      strike: spot * ratio,
      yearsToExpiry: (1 + uniform() * 729) / 365,
      volPerSqrtYear: 0.15 + uniform() * 1.35,
      ratePerYear: uniform() * 0.08,
      dividendYieldPerYear: uniform() * 0.03,
    })
  }
  return inputs
}

/** Values every input `loops` times; returns the sum of all fields (kept live). */
function valueAll(inputs: readonly OptionInputs[], loops: number): number {
  let sink = 0
  for (let l = 0; l < loops; l++) {
    for (let i = 0; i < inputs.length; i++) {
      const v = valueOption(inputs[i]!)
      sink += v.price + v.delta + v.gamma + v.vegaPerUnitVol + v.thetaPerYear + v.rhoPerUnitRate
    }
  }
  return sink
}

/** Timed runs of `valueAll`, in valuations per second. */
export function measureValuationsPerSecond(inputs: readonly OptionInputs[] = benchmarkInputs()): { readonly median: number; readonly runs: readonly number[] } {
  const seconds = (loops: number) => {
    const started = process.hrtime.bigint()
    const sink = valueAll(inputs, loops)
    const s = Number(process.hrtime.bigint() - started) / 1e9
    if (!Number.isFinite(sink)) throw new BenchError('valueOption returned a non-finite value')
    return s
  }
  // Warm-up, which also calibrates the loop count of a run.
  let loops = 1
  let spent = 0
  let elapsed = 0
  while (spent < WARM_UP_SECONDS) {
    elapsed = seconds(loops)
    spent += elapsed
    if (elapsed < 0.05) loops *= 2
  }
  loops = Math.max(1, Math.round((loops * RUN_SECONDS) / elapsed))
  const runs: number[] = []
  for (let run = 0; run < RUNS; run++) runs.push((loops * inputs.length) / seconds(loops))
  return { median: median(runs), runs }
}

export const riskPricing: Benchmark = {
  figures: ['risk.bs_price_greeks_per_s'],
  run: async () => {
    const { median: perSecond, runs } = measureValuationsPerSecond()
    const sorted = [...runs].sort((a, b) => a - b)
    progress(`valueOption: median ${Math.round(perSecond)}/s over ${RUNS} runs (min ${Math.round(sorted[0]!)}, max ${Math.round(sorted[sorted.length - 1]!)})`)
    return [{ name: 'risk.bs_price_greeks_per_s', value: Math.round(perSecond), unit: 'valuations/s' }]
  },
}
