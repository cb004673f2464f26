/**
 * A minimal HTTP/1.1 client for load generation: one keep-alive connection, one request at a
 * time, requests given as ready bytes, responses read by Content-Length. node:http spends
 * ~150 µs of CPU a request and fetch ~650 µs; on a 2-core machine where the load generator
 * shares the cores with the node it measures, that is CPU taken from the node. This costs a
 * fraction of it (no header objects, no streams, no agent), which is why load tools such as wrk
 * are written this way. It understands exactly what the sequencer answers (a status line,
 * headers with Content-Length, a body) and fails loudly on anything else.
 */
import { connect, type Socket } from 'node:net'

/** A response: its status code and raw body. */
export type RawResponse = { readonly status: number; readonly body: Buffer }

const HEADER_END = Buffer.from('\r\n\r\n')

/** The bytes of a POST with a JSON body. */
export function postRequestBytes(host: string, path: string, json: string): Buffer {
  const body = Buffer.from(json)
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body])
}

/** One keep-alive connection. */
export class HttpConnection {
  readonly #socket: Socket
  readonly #ready: Promise<void>
  #buffer: Buffer = Buffer.alloc(0)
  #waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | undefined

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true })
    this.#ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', resolve)
      this.#socket.once('error', reject)
    })
    // A failed connect rejects the next send; until then it must not count as unhandled.
    this.#ready.catch(() => {})
    this.#socket.on('data', (chunk: Buffer) => this.#receive(chunk))
    this.#socket.on('error', (error) => this.#fail(error))
    this.#socket.on('close', () => this.#fail(new Error('the server closed the connection')))
  }

  /** Sends `request` (complete bytes) and resolves with the response. */
  async send(request: Buffer): Promise<RawResponse> {
    await this.#ready
    if (this.#waiting) throw new Error('one request at a time on a connection')
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject }
      this.#socket.write(request)
    })
  }

  close(): void {
    this.#socket.destroy()
  }

  #receive(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    const end = this.#buffer.indexOf(HEADER_END)
    if (end < 0) return
    const head = this.#buffer.toString('latin1', 0, end)
    const status = Number(head.slice(9, 12))
    const length = /\r\ncontent-length: *(\d+)/i.exec(head)
    if (!length) return this.#fail(new Error(`a response without Content-Length: ${head.split('\r\n')[0]}`))
    const total = end + HEADER_END.length + Number(length[1])
    if (this.#buffer.length < total) return
    const body = this.#buffer.subarray(end + HEADER_END.length, total)
    this.#buffer = this.#buffer.subarray(total)
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.resolve({ status, body })
  }

  #fail(error: Error): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    waiting?.reject(error)
  }
}
