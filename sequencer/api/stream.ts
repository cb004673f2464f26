/**
 * GET /v1/stream: the WebSocket stream (book snapshots, trades, own order updates, batch
 * status). This plugin only carries frames between a socket and a `StreamSession` of the hub
 * (sequencer/streamHub.ts), which parses, checks and answers every message.
 *
 * It needs `@fastify/websocket` registered before it, with `streamWebsocketOptions`: frames
 * over `STREAM_MAX_PAYLOAD_BYTES` are cut off by the WebSocket layer (close 1009) before they
 * are buffered; smaller messages over the hub's `maxMessageBytes` get a MESSAGE_TOO_LARGE
 * error and the connection stays.
 */
import type { FastifyInstance } from 'fastify'
import type {} from '@fastify/websocket' // its route types (`websocket: true`)
import type { RawData, WebSocket } from 'ws'
import type { StreamConnection, StreamHub } from '../streamHub.js'

/** Hard limit of one frame (the hub answers messages up to its own, smaller `maxMessageBytes`). */
export const STREAM_MAX_PAYLOAD_BYTES = 64 * 1024

/** Options to register `@fastify/websocket` with: `await app.register(websocket, streamWebsocketOptions)`. */
export const streamWebsocketOptions = { options: { maxPayload: STREAM_MAX_PAYLOAD_BYTES } } as const

/**
 * After a close frame is queued, how long a socket may take to finish before it is cut: a slow
 * consumer may never read its backlog, and the close frame waits behind it.
 */
export const STREAM_CLOSE_GRACE_MS = 5_000

/** What the plugin reaches (a field of the node's ApiContext). */
export type StreamContext = { readonly stream: StreamHub }

function connectionOf(socket: WebSocket): StreamConnection {
  return {
    send: (text) => {
      if (socket.readyState === socket.OPEN) socket.send(text)
    },
    get bufferedAmount() {
      return socket.bufferedAmount
    },
    close: (code, reason) => {
      socket.close(code, reason)
      const cut = setTimeout(() => socket.terminate(), STREAM_CLOSE_GRACE_MS)
      cut.unref()
      socket.once('close', () => clearTimeout(cut))
    },
  }
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

export async function streamRoutes(app: FastifyInstance, ctx: StreamContext): Promise<void> {
  if (!app.hasDecorator('websocketServer')) throw new Error('streamRoutes needs @fastify/websocket: register it first, with streamWebsocketOptions')
  app.get('/v1/stream', { websocket: true, schema: { tags: ['stream'], summary: 'WebSocket stream: book, trades, own orders (signed), batches' } }, (socket, request) => {
    const session = ctx.stream.open(connectionOf(socket))
    socket.on('message', (data, isBinary) => {
      if (isBinary) session.refuse('BAD_MESSAGE', 'send JSON in text frames')
      else session.receive(textOf(data))
    })
    socket.on('close', () => session.close())
    // Oversized or malformed frames: ws reports them here, then closes the socket (1009, 1002, 1007).
    socket.on('error', (error) => request.log.info({ err: error }, 'stream socket error'))
  })
}
