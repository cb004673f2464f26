// Worker-thread fixture of native.test.ts: which Poseidon a worker thread gets, and one hash.
// It registers tsx before loading the TypeScript, as the node's own workers do.
import { parentPort } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
const { poseidon, poseidonBackend } = await import('./poseidon.ts')
parentPort.postMessage([poseidonBackend(), poseidon([1n, 2n]).toString()])
