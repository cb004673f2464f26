/**
 * The REST side of read authorizations (sequencer/readAuth.ts). An account's orders are
 * private: the request carries the account's signed read authorization, as JSON, in the
 * `X-Read-Auth` header (what `signedStreamAuthToJSON` writes; the SDK's `SequencerClient`
 * sends it when given the account's key):
 *
 *   X-Read-Auth: {"accountIndex":"1","validUntil":"1790000300","signature":{"R8":{"x":"…","y":"…"},"S":"…"}}
 */
import type { FastifyRequest } from 'fastify'
import { SdkValidationError } from '../../sdk/errors.js'
import { READ_AUTH_HEADER, signedStreamAuthFromJSON, type SignedStreamAuth } from '../../sdk/streamAuth.js'
import { SequencerError } from '../errors.js'
import { ReadAuthChecker } from '../readAuth.js'
import type { ApiContext } from './context.js'

/** The header in a route's schema (OpenAPI); its checks are the gate's, so that a missing one is 401 AUTH_REQUIRED. */
export const readAuthHeaders = {
  type: 'object',
  properties: {
    [READ_AUTH_HEADER]: { type: 'string', description: "the account's signed read authorization as JSON: { accountIndex, validUntil, signature } (sdk/streamAuth.ts)" },
  },
} as const

/** A signed authorization as JSON is about 350 bytes; anything far longer is not one. */
const MAX_HEADER_BYTES = 1024

const STATUS = { UNKNOWN_ACCOUNT: 404, REQUEST_EXPIRED: 401, VALID_UNTIL_TOO_FAR: 401, BAD_SIGNATURE: 401 } as const

/** Checks the read authorizations of requests for one node. */
export type ReadAuthGate = {
  /** Throws `SequencerError` unless the request carries a valid read authorization of account `index`. */
  readonly require: (request: FastifyRequest, index: bigint) => void
  /** Whether the request carries a valid read authorization of `index`: false without the header; a bad one throws. */
  readonly authorized: (request: FastifyRequest, index: bigint) => boolean
}

function parse(header: string): SignedStreamAuth {
  if (header.length > MAX_HEADER_BYTES) throw new SequencerError(400, 'MALFORMED_REQUEST', `${READ_AUTH_HEADER} is ${header.length} bytes; a read authorization is under ${MAX_HEADER_BYTES}`)
  try {
    return signedStreamAuthFromJSON(JSON.parse(header), READ_AUTH_HEADER)
  } catch (error) {
    const why = error instanceof SdkValidationError || error instanceof SyntaxError ? error.message : String(error)
    throw new SequencerError(400, 'MALFORMED_REQUEST', `${READ_AUTH_HEADER} is not a signed read authorization ({ accountIndex, validUntil, signature } as JSON): ${why}`)
  }
}

/** The gate of `ctx`'s node: one cache of verified authorizations for all its routes. */
export function readAuthGate(ctx: ApiContext, checker = new ReadAuthChecker()): ReadAuthGate {
  const check = (index: bigint, header: string) => {
    const auth = parse(header)
    if (auth.accountIndex !== index)
      throw new SequencerError(403, 'WRONG_ACCOUNT', `the read authorization is account ${auth.accountIndex}'s; this is account ${index}'s data`)
    const refusal = checker.check(ctx.engine.state, ctx.now(), auth, header)
    if (refusal) throw new SequencerError(STATUS[refusal.code], refusal.code, refusal.reason)
  }
  const headerOf = (request: FastifyRequest) => {
    const value = request.headers[READ_AUTH_HEADER]
    if (Array.isArray(value)) throw new SequencerError(400, 'MALFORMED_REQUEST', `${READ_AUTH_HEADER} given ${value.length} times`)
    return value
  }
  return {
    require(request, index) {
      const header = headerOf(request)
      if (header === undefined)
        throw new SequencerError(
          401,
          'AUTH_REQUIRED',
          `account ${index}'s orders are private: send its read authorization, signed with its L2 key, in the ${READ_AUTH_HEADER} header (the SDK's SequencerClient does, given readAuth)`,
        )
      check(index, header)
    },
    authorized(request, index) {
      const header = headerOf(request)
      if (header === undefined) return false
      check(index, header)
      return true
    },
  }
}
