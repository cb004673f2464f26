/** The escape-hatch tool: rebuild the state from L1 alone, force, freeze, exit and refund. */
export * from './errors.js'
export * from './params.js'
export * from './rebuild.js'
export * from './freeze.js'
export * from './exit.js'
export * from './refund.js'
export * from './status.js'
export { runCli, type CliIo } from './program.js'
