/** Everything that talks to L1, with viem. */
export * from './abi.js'
export * from './anvil.js'
export * from './clients.js'
export * from './deploy.js'
export * from './errors.js'
export * from './rollupCalls.js'
export * from './rollupReaders.js'
export * from './settlement.js'
