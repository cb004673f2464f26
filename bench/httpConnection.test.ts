/**
 * The load generator's raw HTTP/1.1 client against a real fastify server on loopback: statuses
 * and bodies as sent, many requests over one connection, a body that arrives in several
 * chunks, and a connection the server closes (the waiting request fails, it does not hang).
 */
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HttpConnection, postRequestBytes } from './httpConnection.js'

const app = Fastify()
let port = 0
beforeAll(async () => {
  app.post('/echo', async (request) => request.body)
  app.post('/refuse', async (_request, reply) => reply.code(422).send({ code: 'REFUSED', reason: 'as asked' }))
  app.post('/big', async () => ({ blob: 'x'.repeat(300_000) }))
  app.post('/hang-up', async (request) => {
    request.raw.socket.destroy()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  port = (app.server.address() as { port: number }).port
})
afterAll(() => app.close())

describe('HttpConnection', () => {
  it('sends many requests over one keep-alive connection and reads status and body of each', async () => {
    const c = new HttpConnection('127.0.0.1', port)
    for (let i = 0; i < 50; i++) {
      const { status, body } = await c.send(postRequestBytes(`127.0.0.1:${port}`, '/echo', JSON.stringify({ i })))
      expect(status).toBe(200)
      expect(JSON.parse(body.toString())).toEqual({ i })
    }
    const refused = await c.send(postRequestBytes(`127.0.0.1:${port}`, '/refuse', '{}'))
    expect(refused.status).toBe(422)
    expect(JSON.parse(refused.body.toString())).toEqual({ code: 'REFUSED', reason: 'as asked' })
    c.close()
  })

  it('reads a body that arrives in many chunks', async () => {
    const c = new HttpConnection('127.0.0.1', port)
    const { status, body } = await c.send(postRequestBytes(`127.0.0.1:${port}`, '/big', '{}'))
    expect(status).toBe(200)
    expect((JSON.parse(body.toString()) as { blob: string }).blob).toHaveLength(300_000)
    c.close()
  })

  it('fails the waiting request when the server closes the connection', async () => {
    const c = new HttpConnection('127.0.0.1', port)
    await expect(c.send(postRequestBytes(`127.0.0.1:${port}`, '/hang-up', '{}'))).rejects.toThrow(/closed the connection|ECONNRESET/)
  })

  it('rejects a send on a connection that could not be made, without an unhandled rejection before it', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = Fastify()
      void probe.listen({ host: '127.0.0.1', port: 0 }).then(async () => {
        const p = (probe.server.address() as { port: number }).port
        await probe.close()
        resolve(p)
      })
    })
    const c = new HttpConnection('127.0.0.1', closed)
    await new Promise((r) => setTimeout(r, 50)) // the refused connect happens before any send
    await expect(c.send(postRequestBytes(`127.0.0.1:${closed}`, '/echo', '{}'))).rejects.toThrow(/ECONNREFUSED/)
  })
})
