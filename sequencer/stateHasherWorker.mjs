// Worker-thread entry of the state hasher (stateHasher.ts): the worker is plain JavaScript, so
// it registers tsx (as crypto/eddsa/poolWorker.mjs does) before loading the TypeScript body.
import { register } from 'tsx/esm/api'

register()
await import('./stateHasherWorker.ts')
