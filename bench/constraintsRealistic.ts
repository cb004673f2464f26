/**
 * `circuit.constraints_per_slot.realistic`: constraints of the realistic parameter set's
 * batch circuit (accounts depth 24, batch 16; circom --O2, r1cs and witness wasm, no setup)
 * divided by its batch size. The compilation is cached under build/realistic/ by the
 * circuit sources; a stale or missing build is recompiled first, which takes minutes
 * (docs/benchmarks.md).
 */
import { constraintCount, ensureArtifacts } from '../prover/artifacts.js'
import { REALISTIC_PARAMS } from '../state/params.js'
import type { Benchmark } from './figure.js'
import { progress, timed } from './support.js'

export const constraintsRealistic: Benchmark = {
  figures: ['circuit.constraints_per_slot.realistic'],
  run: async () => {
    const { result: paths, seconds } = await timed(() => ensureArtifacts(REALISTIC_PARAMS, { setup: false, log: progress }))
    progress(`realistic r1cs ready in ${seconds.toFixed(1)} s (near zero when cached)`)
    const constraints = await constraintCount(paths.r1cs)
    progress(`realistic circuit: ${constraints} constraints, batch size ${REALISTIC_PARAMS.batchSize}`)
    return [{ name: 'circuit.constraints_per_slot.realistic', value: constraints / REALISTIC_PARAMS.batchSize, unit: 'constraints' }]
  },
}
