/** Messages between pool.ts and poolWorker.ts. */

/** An item travels as 6 bigints: message, R8.x, R8.y, S, A.x, A.y. */
export const FIELDS_PER_ITEM = 6

/** A batch for one worker. */
export type PoolRequest = { readonly id: number; readonly fields: readonly bigint[] }
/** Its answer: one byte per item, 1 when the signature verifies, in the order sent. */
export type PoolReply = { readonly id: number; readonly results: Uint8Array }
