/**
 * vitest global setup: makes a Redis server available to every test file through REDIS_URL.
 * Circuit artifacts and contract builds are produced beforehand by `npm run build`.
 */
import { ensureRedis, type RedisHandle } from './redis.js'

let redis: RedisHandle | undefined

export async function setup(): Promise<void> {
  redis = await ensureRedis()
  process.env.REDIS_URL = redis.url
}

export async function teardown(): Promise<void> {
  await redis?.stop()
}
