/**
 * Microseconds per `poseidon()` call for the arities the sequencer hashes most (2, 3, 4, 5, 8),
 * as docs/hashing.md reports them: `npx tsx crypto/poseidon/timing.ts [module...]`.
 *
 * Each given module (a path exporting `poseidon`, e.g. a copy of an earlier version; by default
 * this directory's, both its backend and its wasm permutation) is timed in the same process, interleaved, after a warm-up of 2000 calls:
 * rounds of 800 calls on 64 fixed random inputs, the best round's process CPU time per call
 * (CPU time, not wall time, so that other work on a shared machine counts less).
 */
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'
import { P } from '../field/frLayout.js'

type Hash = (inputs: readonly bigint[]) => bigint

const ARITIES = [2, 3, 4, 5, 8]
const [WARM_UP, CALLS, ROUNDS] = [2000, 800, 15]

let seed = 12345n
function random(): bigint {
  seed = (seed * 6364136223846793005n + 1442695040888963407n) % (1n << 256n)
  return seed % P
}

function cpuMicrosPerCall(hash: Hash, inputs: readonly bigint[][]): number {
  const start = process.cpuUsage()
  for (let i = 0; i < CALLS; i++) hash(inputs[i & 63]!)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / CALLS
}

const paths = process.argv.slice(2)
const hashes: [string, Hash][] = paths.length === 0
  ? await import('./poseidon.js').then((m): [string, Hash][] => [[`poseidon.ts, ${m.poseidonBackend()}`, m.poseidon], ['poseidon.ts, wasm', m.poseidonWasm]])
  : await Promise.all(paths.map(async (p): Promise<[string, Hash]> => [p, (await import(pathToFileURL(resolve(p)).href)).poseidon as Hash]))

for (const n of ARITIES) {
  const inputs = Array.from({ length: 64 }, () => Array.from({ length: n }, random))
  const expected = hashes[0]![1](inputs[0]!)
  for (const [name, hash] of hashes) if (hash(inputs[0]!) !== expected) throw new Error(`${name} disagrees on Poseidon(${n})`)
  for (const [, hash] of hashes) for (let i = 0; i < WARM_UP; i++) hash(inputs[i & 63]!)
  const best = hashes.map(() => Infinity)
  for (let round = 0; round < ROUNDS; round++) hashes.forEach(([, hash], h) => (best[h] = Math.min(best[h]!, cpuMicrosPerCall(hash, inputs))))
  console.log(`Poseidon(${n}): ${hashes.map(([name], h) => `${best[h]!.toFixed(1)} us${hashes.length > 1 ? ` (${name})` : ''}`).join(', ')}`)
}
