/**
 * The catalogue of reasons a transaction is refused. Rejections are values, never thrown:
 * the sequencer maps each code to an HTTP 4xx with its reason.
 */
export const RejectionCode = {
  UNKNOWN_ACCOUNT: 'account does not exist',
  BAD_SIGNATURE: 'signature does not verify under the account key',
  KEY_MISMATCH: 'account belongs to another L2 key or L1 address',
  ACCOUNT_OUT_OF_RANGE: 'account index is outside the accounts tree',
  ACCOUNT_NOT_EMPTY: 'account index is already taken',
  ACCOUNT_RESERVED: 'account 0 is the insurance fund and fee account; no deposit may open or credit it',
  WRONG_ACCOUNT: 'order is signed for another account',
  WRONG_SIDE: 'order side does not match its role in the trade',
  SELF_TRADE: 'buyer and seller are the same account',
  SERIES_MISMATCH: 'orders name different series',
  BAD_SERIES: 'series id must be at least 1',
  BAD_FILL: 'fill size must be positive and fit 64 bits',
  PRICE_BEYOND_LIMIT: 'trade price is beyond an order limit price',
  ORDER_OVERFILLED: 'fill exceeds the order size left',
  ORDER_ID_REUSED: 'order slot already holds a newer order id',
  ORDER_CANCELLED: 'order was cancelled by its owner',
  BAD_ORDER_ID: 'order id must be at least 1 and fit 32 bits',
  POSITION_SLOTS_FULL: 'account has no free position slot',
  BAD_SETTLEMENT: 'a settlement closes an open position of the account at a fixed price (> 0) and uint64 strike',
  NOT_LIQUIDATABLE: 'the account meets maintenance margin under the batch market table',
  BAD_LIQUIDATION: 'a liquidation must reduce an open position of the account, by at most its size',
  INSUFFICIENT_FUND: 'the insurance fund cannot pay for the position it would take over',
  DUPLICATE_POSITION: 'the series is already held in another position slot of the account',
  POSITION_TOO_LARGE: 'position size would exceed 2^63',
  INSUFFICIENT_COLLATERAL: 'collateral would become negative',
  INSUFFICIENT_MARGIN: 'the account would fall below initial margin under the batch market table',
  UNPRICED_POSITION: 'the account holds a series that the batch market table has no row for',
  COLLATERAL_OVERFLOW: 'collateral would exceed 2^64',
  NONCE_MISMATCH: 'withdrawal nonce is not the account nonce',
  AMOUNT_OUT_OF_RANGE: 'amount must fit 64 bits',
  BAD_QUEUE_ENTRY: 'queue entry is not of the expected kind',
  BATCH_FULL: 'batch already holds batchSize transactions',
} as const
export type RejectionCode = keyof typeof RejectionCode

/** A refused transaction: a code from the catalogue and a human reason. */
export type Rejection = { readonly ok: false; readonly code: RejectionCode; readonly reason: string }
export type Accepted = { readonly ok: true }
export type CheckResult = Accepted | Rejection

export const ACCEPTED: Accepted = { ok: true }

/** A rejection with the catalogue's reason, plus optional detail. */
export function reject(code: RejectionCode, detail?: string): Rejection {
  return { ok: false, code, reason: detail ? `${RejectionCode[code]}: ${detail}` : RejectionCode[code] }
}

/** Thrown when a transaction that was not checked (or failed its check) is applied: a bug. */
export class StateError extends Error {
  override readonly name = 'StateError'
  readonly rejection: Rejection | undefined
  constructor(message: string, rejection?: Rejection) {
    super(message)
    this.rejection = rejection
  }
}
