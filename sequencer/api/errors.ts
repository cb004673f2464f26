/**
 * Maps every failure to the API's error body `{ code, reason, details? }`: the sequencer's
 * refusals keep their status; fastify's validation and size errors become 400 and 413;
 * anything else is a 500 that hides internals from the client and is logged.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance } from 'fastify'
import { SequencerError } from '../errors.js'
import { SdkValidationError } from '../../sdk/errors.js'

function body(code: string, reason: string, details?: Readonly<Record<string, string>>) {
  return details ? { code, reason, details } : { code, reason }
}

export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof SequencerError) {
      request.log.info({ code: error.code }, error.reason)
      return reply.status(error.status).send(body(error.code, error.reason, error.details))
    }
    if (error instanceof SdkValidationError) return reply.status(400).send(body('MALFORMED_REQUEST', error.message))
    if (error.validation) return reply.status(400).send(body('MALFORMED_REQUEST', `${error.validationContext ?? 'request'}${error.message.replace(/^[a-z]+/, '')}`))
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.status(415).send(body('UNSUPPORTED_MEDIA_TYPE', `${error.message}; send application/json`))
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send(body('PAYLOAD_TOO_LARGE', error.message))
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) return reply.status(error.statusCode).send(body('MALFORMED_REQUEST', error.message))
    request.log.error(error)
    return reply.status(500).send(body('INTERNAL', 'internal error; the request was not applied'))
  })
  app.setNotFoundHandler((request, reply) => reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url}`)))
})
