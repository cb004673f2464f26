/**
 * Errors of the SDK's L1 helpers (sdk/l1.ts). Every one extends `SdkL1Error`, itself an
 * `SdkError`, and says what to do next. A refusal by the Rollup contract (a revert) is an
 * `L1RefusedError` naming the contract's custom error; a failure to reach the chain at all is
 * an `L1UnreachableError`, so that a caller can tell "the exchange said no" from "try again".
 */
import { BaseError as ViemBaseError, HttpRequestError, TimeoutError as ViemTimeoutError } from 'viem'
import { revertReason, TransactionError } from '../l1/errors.js'
import { SdkError } from './errors.js'

/** Base class of every error of the SDK's L1 helpers. */
export class SdkL1Error extends SdkError {
  override name = 'SdkL1Error'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * The Rollup contract (or the collateral token) refused a transaction. `reason` is the decoded
 * custom error (`Frozen()`, `NothingToWithdraw()`, `AccountOutOfRange(99)`) when the node
 * returned one.
 *
 * @example
 * try { await claimWithdrawals(wallet, { rollup }) } catch (e) { if (e instanceof L1RefusedError) console.error(e.action, e.reason) }
 */
export class L1RefusedError extends SdkL1Error {
  override name = 'L1RefusedError'
  constructor(
    /** What was sent: `deposit`, `approve`, `withdraw`, `requestForcedWithdrawal`, ... */
    readonly action: string,
    /** The contract's decoded error, or the node's short message. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${action} refused by L1: ${reason}`, options)
  }
}

/** The L1 JSON-RPC endpoint did not answer (connection refused, DNS, timeout). */
export class L1UnreachableError extends SdkL1Error {
  override name = 'L1UnreachableError'
}

/** The wallet holds fewer collateral tokens than a deposit needs. */
export class InsufficientTokenBalanceError extends SdkL1Error {
  override name = 'InsufficientTokenBalanceError'
  constructor(
    readonly balance: bigint,
    readonly needed: bigint,
    readonly token: string,
  ) {
    super(`the wallet holds ${balance} base units of the collateral token ${token}, the deposit needs ${needed}`)
  }
}

/** The Rollup is frozen: no deposit or forced request is accepted; accounts exit through the escape hatch (docs/escape.md). */
export class RollupFrozenError extends SdkL1Error {
  override name = 'RollupFrozenError'
  constructor(readonly rollup: string) {
    super(`the Rollup at ${rollup} is frozen: deposits and requests are closed, exit through the escape hatch (docs/escape.md)`)
  }
}

/** `claimWithdrawals` found nothing credited to the address on L1. */
export class NothingToClaimError extends SdkL1Error {
  override name = 'NothingToClaimError'
  constructor(readonly address: string) {
    super(`nothing is waiting to be paid to ${address} on L1: a withdrawal is credited once its batch is verified`)
  }
}

/**
 * A wait gave up: the sequencer did not process a deposit, or no batch credited a withdrawal,
 * within `timeoutMs`. `what` names the wait; nothing was lost, the wait can be resumed.
 */
export class WaitTimeoutError extends SdkL1Error {
  override name = 'WaitTimeoutError'
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
    detail: string,
  ) {
    super(`${what}: still not done after ${Math.round(timeoutMs / 1000)} s (${detail})`)
  }
}

/**
 * The sequencer's account for the L1 address holds another L2 key than the one given: the
 * deposit went to a different account, or the key was derived for another deployment.
 */
export class AccountKeyMismatchError extends SdkL1Error {
  override name = 'AccountKeyMismatchError'
  constructor(
    readonly accountIndex: bigint,
    readonly l1Address: string,
  ) {
    super(`account ${accountIndex} of ${l1Address} holds another L2 key than the one given (derived for another chain or rollup?)`)
  }
}

/**
 * Maps a failure of a viem call to the SDK's L1 errors: a revert becomes `L1RefusedError`
 * with the decoded custom error, a transport failure `L1UnreachableError`; SDK errors pass
 * through and anything else (a bug) is rethrown as is.
 */
export function toL1Error(error: unknown, action: string): unknown {
  if (error instanceof SdkError) return error
  if (error instanceof TransactionError) {
    const cause = error.cause
    const reason = revertReason(cause) ?? error.message.replace(/^.*? reverted:? ?/, '')
    return new L1RefusedError(action, reason, { cause: error })
  }
  if (error instanceof ViemBaseError) {
    const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof ViemTimeoutError)
    if (transport) return new L1UnreachableError(`${action}: the L1 node did not answer (${(transport as ViemBaseError).shortMessage})`, { cause: error })
    const reason = revertReason(error)
    return new L1RefusedError(action, reason ?? error.shortMessage, { cause: error })
  }
  return error
}

/**
 * Runs an L1 call, turning its failure into the SDK's L1 errors (`toL1Error`).
 *
 * @example const frozen = await callL1('frozen', () => client.readContract({ address: rollup, abi: rollupAbi, functionName: 'frozen' }))
 */
export async function callL1<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw toL1Error(error, action)
  }
}
