/**
 * Errors thrown by the trader SDK: one base class, a validation error for malformed input
 * (fields out of range, tampered or malformed JSON), and `ApiError` for the sequencer API.
 */

/** Base class of every error the SDK throws. */
export class SdkError extends Error {
  override name = 'SdkError'
}

/**
 * Input that does not satisfy the protocol's rules: `path` names the field
 * (e.g. `order.limitPrice`, `signature.S`).
 *
 * @example
 * try { parseSignedOrder(text) } catch (e) { if (e instanceof SdkValidationError) console.error(e.path, e.message) }
 */
export class SdkValidationError extends SdkError {
  override name = 'SdkValidationError'
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`)
  }
}

/**
 * A failed call to the sequencer API. `code` and `reason` are the server's error body
 * `{ code, reason }`; when the server sent none, `code` is `HTTP_<status>`, and for
 * failures before any response `NETWORK_ERROR` or `TIMEOUT` (status 0). `INVALID_RESPONSE`
 * marks a success status whose body is not JSON.
 *
 * @example
 * try { await client.placeOrder(signed) } catch (e) { if (e instanceof ApiError && e.code === 'INSUFFICIENT_MARGIN') ... }
 * try { await client.placeOrder(signed) } catch (e) { if (e instanceof ApiError && e.retryAfterS) await sleep(e.retryAfterS * 1000) }
 */
export class ApiError extends SdkError {
  override name = 'ApiError'
  /** The figures the server gave with the refusal (e.g. required and available margin; a backlog and its limit). */
  readonly details: Readonly<Record<string, string>> | undefined
  /**
   * Seconds to wait before trying again, from the response's `Retry-After`: set with
   * `429 RATE_LIMITED` and `503 PROVING_BACKLOG`, whose requests may simply be sent again later.
   */
  readonly retryAfterS: number | undefined
  constructor(
    /** HTTP status, or 0 when no response arrived. */
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    options?: { cause?: unknown; details?: Readonly<Record<string, string>>; retryAfterS?: number },
  ) {
    super(`${code}: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause })
    this.details = options?.details
    this.retryAfterS = options?.retryAfterS
  }
}
