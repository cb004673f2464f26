/**
 * `npm run bench [-- NAME...]`: runs the benchmarks and prints one JSON line per figure,
 * `{"name": "...", "value": N, "unit": "..."}`. A NAME selects the figures whose name equals
 * it or starts with it followed by a dot (`npm run bench -- l1` runs every l1.* figure).
 */
import { terminateCurves } from '../prover/curves.js'
import { benchmarks } from './registry.js'

function selected(name: string, filters: readonly string[]): boolean {
  return filters.length === 0 || filters.some((f) => name === f || name.startsWith(`${f}.`))
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((a) => a !== '--')
  const chosen = benchmarks.filter((b) => b.figures.some((f) => selected(f, filters)))
  if (chosen.length === 0) {
    console.error(`no benchmark matches ${filters.join(' ')}; known: ${benchmarks.flatMap((b) => b.figures).join(', ')}`)
    process.exit(2)
  }
  for (const bench of chosen) {
    const wanted = bench.figures.filter((f) => selected(f, filters))
    const started = Date.now()
    for (const figure of await bench.run(wanted)) {
      if (wanted.includes(figure.name)) console.log(JSON.stringify(figure))
    }
    // Progress and timings go to stderr: stdout carries only the figures.
    console.error(`[bench] ${bench.figures.join(', ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  }
  await terminateCurves()
  // snarkjs and anvil may leave handles open; the figures are printed, so end here.
  process.exit(0)
}

await main()
