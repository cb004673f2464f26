/**
 * `circuit.constraints_per_slot.test`: constraints of the test parameter set's batch circuit
 * (circom --O2, as `npm run build` compiles it) divided by its batch size. The per-batch
 * part (the final Poseidon(5) of the public input) is spread over the slots.
 */
import { constraintCount } from '../prover/artifacts.js'
import { TEST_PARAMS } from '../state/params.js'
import type { Benchmark } from './figure.js'
import { builtArtifacts, progress } from './support.js'

export const constraintsTest: Benchmark = {
  figures: ['circuit.constraints_per_slot.test'],
  run: async () => {
    // The build `npm run build` left: the benchmarks measure it, they never rebuild it.
    const paths = builtArtifacts(TEST_PARAMS)
    const constraints = await constraintCount(paths.r1cs)
    progress(`test circuit: ${constraints} constraints, batch size ${TEST_PARAMS.batchSize}`)
    return [{ name: 'circuit.constraints_per_slot.test', value: constraints / TEST_PARAMS.batchSize, unit: 'constraints' }]
  },
}
