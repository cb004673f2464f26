/** Messages between pool.ts and poolWorker.ts. */

/** An item travels as 6 bigints: message, R8.x, R8.y, S, A.x, A.y. */
export const FIELDS_PER_ITEM = 6

/**
 * A batch for one worker. With `inputs` > 0 each item starts with the `inputs` elements whose
 * Poseidon hash is its message, in place of the message: `inputs + FIELDS_PER_ITEM - 1` fields.
 */
export type PoolRequest = { readonly id: number; readonly fields: readonly bigint[]; readonly inputs: number }
/**
 * Its answer: one byte per item, 1 when the signature verifies, in the order sent; with
 * `inputs` > 0, also each item's message (the hash the worker computed).
 */
export type PoolReply = { readonly id: number; readonly results: Uint8Array; readonly messages?: readonly bigint[] }
