// Worker-thread entry of the verifier pool (pool.ts): the worker is plain JavaScript, so it
// registers tsx (as cli/bin.mjs does) before loading the TypeScript body.
import { register } from 'tsx/esm/api'

register()
await import('./poolWorker.ts')
