/**
 * The trader SDK: derive an L2 key from an Ethereum wallet, build and sign orders and
 * withdrawals, move them as JSON, and talk to the sequencer.
 *
 * @example
 * import { privateKeyToAccount } from 'viem/accounts'
 * import { deriveL2Key, buildOrder, signOrder, SequencerClient } from './sdk/index.js'
 * const key = await deriveL2Key(privateKeyToAccount(pk), 31337, rollupAddress)
 * const order = buildOrder({ accountIndex: 1n, orderId: 1n, seriesId: 1n, side: 'buy', size: 100n, limitPrice: 47_594n, validUntil: 1_790_000_000n })
 * await new SequencerClient({ baseUrl: 'http://127.0.0.1:8080' }).placeOrder(signOrder(order, key.privateKey))
 */
export * from './errors.js'
export * from './keys.js'
export * from './messages.js'
export * from './json.js'
export * from './orders.js'
export * from './client.js'
export * from './l1Errors.js'
export * from './l1.js'
export * from './l1Waits.js'
export * from './stream.js'
