import { BaseError as ViemBaseError, ContractFunctionRevertedError } from 'viem'
/** Errors of the L1 layer. */

/** Base of every error thrown by l1/. */
export class L1Error extends Error {
  override readonly name: string = 'L1Error'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** anvil could not be started or did not answer. */
export class AnvilError extends L1Error {
  override readonly name = 'AnvilError'
}

/** A contract artifact is missing (run `npm run build`) or cannot be linked. */
export class ArtifactError extends L1Error {
  override readonly name = 'ArtifactError'
}

/** A transaction reverted or was not mined. */
export class TransactionError extends L1Error {
  override readonly name = 'TransactionError'
}

/** The decoded custom error of a reverted Rollup call, if the node returned one. */
export function revertReason(error: unknown): string | undefined {
  if (!(error instanceof ViemBaseError)) return undefined
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError)
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined
  const data = reverted.data
  if (data?.errorName) return `${data.errorName}(${(data.args ?? []).map(String).join(', ')})`
  return reverted.reason ?? undefined
}

/**
 * Turns a failed contract call into a `TransactionError` naming the action and the contract's
 * custom error (for example `escapeExit reverted: AlreadyExited(1)`). Other errors pass through.
 */
export function revertError(error: unknown, what: string): unknown {
  if (error instanceof TransactionError || !(error instanceof ViemBaseError)) return error
  const reason = revertReason(error)
  return new TransactionError(`${what} reverted: ${reason ?? error.shortMessage}`, { cause: error })
}

/** Runs an L1 call, reporting a revert as a `TransactionError` with its decoded reason. */
export async function sending<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw revertError(error, what)
  }
}
