/**
 * Exit codes of the trader CLI and how each failure maps to one, with the line printed for it.
 *
 *   0  done
 *   1  refused: the exchange said no (an API error with its code and reason, such as
 *      `INSUFFICIENT_MARGIN`), or the Rollup contract did (a revert with its custom error),
 *      or a check made before sending (not enough tokens, rollup frozen, nothing to claim)
 *   2  usage: bad arguments or configuration (no key, a malformed address or amount)
 *   3  unavailable: the sequencer or the L1 node did not answer, the sequencer said "not
 *      now" (429 rate limit, 503 proving backlog: an answer with Retry-After), or a wait timed
 *      out; nothing was refused and the same command can be tried again
 *   4  internal error (a bug): the message and stack are printed
 */
import { ApiError, SdkError, SdkValidationError } from '../sdk/errors.js'
import { L1UnreachableError, WaitTimeoutError } from '../sdk/l1Errors.js'

export const TraderExit = { ok: 0, refused: 1, usage: 2, unavailable: 3, internal: 4 } as const
export type TraderExit = (typeof TraderExit)[keyof typeof TraderExit]

/** A usage or configuration problem found by the CLI itself (exit 2). */
export class CliUsageError extends Error {
  override name = 'CliUsageError'
}

/** API error codes that mean "no answer" rather than "no". */
const UNAVAILABLE_CODES = new Set(['NETWORK_ERROR', 'TIMEOUT', 'INVALID_RESPONSE'])

/** How a failure ends the command: its exit code and the line for stderr. */
export type Failure = { readonly code: TraderExit; readonly message: string; readonly json: Readonly<Record<string, unknown>> }

/**
 * Classifies a failure of a trader command.
 *
 * @example describeFailure(new ApiError(422, 'INSUFFICIENT_MARGIN', 'needs 10')).code // 1
 */
export function describeFailure(error: unknown): Failure {
  if (error instanceof CliUsageError) return { code: TraderExit.usage, message: `usage: ${error.message}`, json: { kind: 'usage', reason: error.message } }
  if (error instanceof ApiError) {
    // A rate limit (429) or a proving backlog (503 with Retry-After) says "not now", not "no":
    // the same request may pass in a moment.
    if (UNAVAILABLE_CODES.has(error.code) || error.status === 0 || error.status === 429 || error.retryAfterS !== undefined) {
      const retry = error.retryAfterS !== undefined ? `; try again in ${error.retryAfterS} s` : ''
      return {
        code: TraderExit.unavailable,
        message: `sequencer unavailable: ${error.reason}${retry}`,
        json: { kind: 'unavailable', code: error.code, reason: error.reason, ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}) },
      }
    }
    return {
      code: TraderExit.refused,
      message: `refused by the exchange: ${error.code} (HTTP ${error.status}): ${error.reason}`,
      json: { kind: 'refused', code: error.code, status: error.status, reason: error.reason },
    }
  }
  if (error instanceof L1UnreachableError || error instanceof WaitTimeoutError)
    return { code: TraderExit.unavailable, message: `unavailable: ${error.message}`, json: { kind: 'unavailable', code: error.name, reason: error.message } }
  if (error instanceof SdkValidationError) return { code: TraderExit.usage, message: `usage: ${error.message}`, json: { kind: 'usage', code: error.name, reason: error.message } }
  if (error instanceof SdkError) return { code: TraderExit.refused, message: `refused: ${error.message}`, json: { kind: 'refused', code: error.name, reason: error.message } }
  const e = error instanceof Error ? error : new Error(String(error))
  return { code: TraderExit.internal, message: `internal error: ${e.stack ?? e.message}`, json: { kind: 'internal', reason: e.message } }
}
