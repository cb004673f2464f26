/** Errors of the oracle adapters and service. */

/** Base of every error thrown by oracle/: misconfiguration and misuse (bugs), never a bad feed. */
export class OracleError extends Error {
  override readonly name: string = 'OracleError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
