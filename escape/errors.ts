/**
 * Errors of the escape-hatch tool. Every one extends `EscapeError` and says what to do next;
 * reverts of the Rollup contract are reported as l1's `TransactionError` with the decoded
 * custom error (see `revertError`).
 */
import { TransactionError } from '../l1/errors.js'

/** Base of every error thrown by escape/. */
export class EscapeError extends Error {
  override readonly name: string = 'EscapeError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * The data on L1 does not reproduce the verified state: a batch does not replay to the root
 * the contract recorded, the queue events do not hash to the contract's queue chain, or the
 * final root is not the contract's `stateRoot`. `batchNumber` is set when one batch is at fault.
 */
export class RebuildError extends EscapeError {
  override readonly name = 'RebuildError'
  readonly batchNumber: bigint | undefined
  constructor(message: string, options?: { cause?: unknown; batchNumber?: bigint }) {
    super(message, options)
    this.batchNumber = options?.batchNumber
  }
}

/** The parameter set given does not match the deployed contract. */
export class ParamsMismatchError extends EscapeError {
  override readonly name = 'ParamsMismatchError'
}

/** An exit or refund was attempted before the rollup was frozen. */
export class NotFrozenError extends EscapeError {
  override readonly name = 'NotFrozenError'
}

/** A freeze was attempted on a rollup that is already frozen. */
export class AlreadyFrozenError extends EscapeError {
  override readonly name = 'AlreadyFrozenError'
}

/** A freeze was attempted but no forced withdrawal is waiting, or none is past its deadline. */
export class NotOverdueError extends EscapeError {
  override readonly name = 'NotOverdueError'
  /** The deadline of the oldest unserved forced request, when there is one. */
  readonly deadline: bigint | undefined
  constructor(message: string, options?: { cause?: unknown; deadline?: bigint }) {
    super(message, options)
    this.deadline = options?.deadline
  }
}

/** The account already exited through the escape hatch. */
export class AlreadyExitedError extends EscapeError {
  override readonly name = 'AlreadyExitedError'
}

/** The account index holds no account in the last verified state, or is out of range. */
export class NoSuchAccountError extends EscapeError {
  override readonly name = 'NoSuchAccountError'
}

export { revertReason, revertError, sending } from '../l1/errors.js'
