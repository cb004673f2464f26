/**
 * The one error the sequencer reports to clients: an HTTP status, a stable machine code and
 * a human reason. Every refusal leaves the state exactly as it was.
 */
import type { Rejection, RejectionCode } from '../state/index.js'

/** Codes the sequencer adds to the state's rejection catalogue. */
export type SequencerCode =
  | RejectionCode
  | 'MALFORMED_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'ORDER_EXPIRED'
  | 'ORDER_REPLAYED'
  | 'ORDER_SLOT_BUSY'
  | 'ALREADY_CANCELLED'
  | 'SELF_TRADE'
  | 'POST_ONLY_WOULD_CROSS'
  | 'REDUCE_ONLY_REJECTED'
  | 'BAD_TICK'
  | 'BAD_SIZE_INCREMENT'
  | 'CANCEL_ALL_REPLAYED'
  | 'REQUEST_EXPIRED'
  | 'UNKNOWN_ORDER'
  | 'UNKNOWN_BATCH'
  | 'TOO_MANY_CANCELS'
  | 'UNKNOWN_SERIES'
  | 'INSUFFICIENT_MARGIN'
  | 'INSUFFICIENT_COLLATERAL'
  | 'NO_LIQUIDITY'
  | 'HALTED'
  | 'PROVING_BACKLOG'
  | 'MARKET_HALTED'
  | 'MARKET_DEGRADED'
  | 'REDUCE_ONLY'
  | 'UNAUTHORIZED'
  | 'AUTH_REQUIRED'
  | 'WRONG_ACCOUNT'
  | 'VALID_UNTIL_TOO_FAR'
  | 'SURFACE_ARBITRAGE'
  | 'BAD_SURFACE'
  | 'INTERNAL'

/** A refused request. `details` carries figures such as required and available margin. */
export class SequencerError extends Error {
  override readonly name = 'SequencerError'
  constructor(
    readonly status: number,
    readonly code: SequencerCode,
    readonly reason: string,
    readonly details?: Readonly<Record<string, string>>,
  ) {
    super(`${code}: ${reason}`)
  }
}

/** HTTP status of each state rejection: 404 for a missing account, 401 for a bad signature, 409 for replays, 422 otherwise. */
const STATUS: Partial<Record<RejectionCode, number>> = {
  UNKNOWN_ACCOUNT: 404,
  BAD_SIGNATURE: 401,
  KEY_MISMATCH: 401,
  NONCE_MISMATCH: 409,
  ORDER_ID_REUSED: 409,
  ORDER_CANCELLED: 409,
  ACCOUNT_RESERVED: 409,
  ACCOUNT_OUT_OF_RANGE: 400,
  BAD_ORDER_ID: 400,
  AMOUNT_OUT_OF_RANGE: 400,
}

/** The client error for a state rejection. */
export function fromRejection(r: Rejection): SequencerError {
  return new SequencerError(STATUS[r.code] ?? 422, r.code, r.reason)
}
