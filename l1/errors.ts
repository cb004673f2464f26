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
