/** Circuit artifacts and Groth16 proving. */
export * from './paths.js'
export * from './artifacts.js'
export * from './prove.js'
export * from './curves.js'
export * from './queue.js'
