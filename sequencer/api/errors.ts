/**
 * Maps every failure to the API's error body `{ code, reason, details? }`: the sequencer's
 * refusals keep their status; fastify's validation and size errors become 400 and 413;
 * anything else is a 500 that hides internals from the client and is logged.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { SequencerError } from '../errors.js'
import { SdkValidationError } from '../../sdk/errors.js'

// The code each refused request was answered with, for the metrics' onResponse hook.
const codes = new WeakMap<FastifyRequest, string>()

/** The error code `request` was answered with, if it was refused. */
export function errorCodeOf(request: FastifyRequest): string | undefined {
  return codes.get(request)
}

/** Answers `request` with the error body, remembering its code. */
export function sendError(request: FastifyRequest, reply: FastifyReply, status: number, code: string, reason: string, details?: Readonly<Record<string, string>>): FastifyReply {
  codes.set(request, code)
  return reply.status(status).send(details ? { code, reason, details } : { code, reason })
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SequencerError) {
      request.log.info({ code: error.code }, error.reason)
      return sendError(request, reply, error.status, error.code, error.reason, error.details)
    }
    if (error instanceof SdkValidationError) return sendError(request, reply, 400, 'MALFORMED_REQUEST', error.message)
    if (error.validation) return sendError(request, reply, 400, 'MALFORMED_REQUEST', `${error.validationContext ?? 'request'}${error.message.replace(/^[a-z]+/, '')}`)
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendError(request, reply, 415, 'UNSUPPORTED_MEDIA_TYPE', `${error.message}; send application/json`)
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(request, reply, 413, 'PAYLOAD_TOO_LARGE', error.message)
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return sendError(request, reply, error.statusCode, 'MALFORMED_REQUEST', error.message)
    request.log.error(error)
    return sendError(request, reply, 500, 'INTERNAL', 'internal error; the request was not applied')
  })
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, 'NOT_FOUND', `no route ${request.method} ${request.url}`))
})
