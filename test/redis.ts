/**
 * Finds a Redis server for the tests or starts a private one. Tests that need Redis never
 * skip: when none answers and none can be started, they fail with the reason.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createConnection } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** True when something answers a Redis PING at host:port within the timeout. */
export async function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (buf) => done(buf.toString().startsWith('+PONG')))
  })
}

export type RedisHandle = { url: string; stop: () => Promise<void> }

/** Uses REDIS_URL or 127.0.0.1:6379 when it answers; otherwise starts redis-server on a free port. */
export async function ensureRedis(): Promise<RedisHandle> {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv) {
    const u = new URL(fromEnv)
    if (await redisAnswers(u.hostname, Number(u.port || 6379))) return { url: fromEnv, stop: async () => {} }
    throw new Error(`REDIS_URL=${fromEnv} does not answer PING`)
  }
  if (await redisAnswers('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => {} }
  const port = 20000 + Math.floor(Math.random() * 20000)
  const dir = mkdtempSync(join(tmpdir(), 'redis-'))
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  )
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`cannot start redis-server (install it: apt-get install redis-server): ${e.message}`))),
  )
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers('127.0.0.1', port)) return
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`redis-server on port ${port} did not answer within 10 s`)
  })()
  await Promise.race([ready, spawnError])
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM')
    },
  }
}
