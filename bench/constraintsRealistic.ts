/**
 * `circuit.constraints_per_slot.realistic`: constraints per slot of the realistic parameter
 * set's batch circuit (accounts depth 24, batch 16), all rules included.
 *
 * The 16-slot main is about 0.95M constraints, beyond what circom's WebAssembly build can
 * compile in its 4 GiB. Every slot is the same template and everything else is per batch, so
 * the figure is computed exactly from two small compiles of the same `Batch` template at the
 * realistic parameters: `perSlot = C(2) - C(1)`, `perBatch = C(1) - perSlot`, and
 * `C(16) / 16 = perSlot + perBatch / 16`. Both mains are generated under
 * build/realistic-parts/ and cached by the circuit sources (two compiles, about 4 minutes
 * on 2 cores the first time). circom's --O2 can merge a few constraints across a slot
 * boundary, which is why the result is a computation, not a count of the 16-slot main.
 */
import { createHash } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { artifactsKey, constraintCount } from '../prover/artifacts.js'
import { ROOT } from '../prover/paths.js'
import { REALISTIC_PARAMS } from '../state/params.js'
import { circomMain } from '../scripts/generate.js'
import type { Benchmark } from './figure.js'
import { progress, timed } from './support.js'

const run = promisify(execFile)
const DIR = join(ROOT, 'build', 'realistic-parts')

/** The realistic main with `slots` slots instead of `batchSize`. */
function partMain(slots: number): string {
  const main = circomMain(REALISTIC_PARAMS).replace('include "../batch.circom";', 'include "../../circuits/batch.circom";')
  return main.replace(/Batch\(\d+,/, `Batch(${slots},`)
}

/** Compiles the `slots`-slot main unless a compile of the same sources is cached; returns its constraints. */
async function partConstraints(slots: number): Promise<number> {
  mkdirSync(DIR, { recursive: true })
  const source = partMain(slots)
  const key = createHash('sha256').update(artifactsKey(REALISTIC_PARAMS)).update(source).digest('hex')
  const base = `batch_realistic_${slots}`
  const stamp = join(DIR, `${base}.json`)
  const r1cs = join(DIR, `${base}.r1cs`)
  const cached = existsSync(stamp) && existsSync(r1cs) && (JSON.parse(readFileSync(stamp, 'utf8')) as { key?: string }).key === key
  if (!cached) {
    writeFileSync(join(DIR, `${base}.circom`), source)
    progress(`compiling the realistic batch with ${slots} slot(s) (circom --O2)`)
    await run(join(ROOT, 'node_modules', '.bin', 'circom2'), [join(DIR, `${base}.circom`), '--r1cs', '--O2', '-l', join(ROOT, 'node_modules'), '-o', DIR], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    })
    writeFileSync(stamp, JSON.stringify({ key }))
  }
  return constraintCount(r1cs)
}

export const constraintsRealistic: Benchmark = {
  figures: ['circuit.constraints_per_slot.realistic'],
  run: async () => {
    const { result, seconds } = await timed(async () => [await partConstraints(1), await partConstraints(2)] as const)
    const [one, two] = result
    const perSlot = two - one
    const perBatch = one - perSlot
    const B = REALISTIC_PARAMS.batchSize
    progress(`realistic parts ready in ${seconds.toFixed(1)} s: ${one} constraints at 1 slot, ${two} at 2; ${perSlot} a slot, ${perBatch} a batch`)
    return [{ name: 'circuit.constraints_per_slot.realistic', value: perSlot + perBatch / B, unit: 'constraints' }]
  },
}
