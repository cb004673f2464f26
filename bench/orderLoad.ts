/**
 * The load generator of `sequencer.signed_orders_per_s`, run as a process of its own (so that
 * it does not share the node's event loop): `node --import tsx bench/orderLoad.ts` with its
 * settings as JSON in the environment variable ORDER_LOAD. It signs every order first (the
 * SDK's signer; signing is not measured), then sends them over HTTP/1.1 keep-alive (one raw
 * connection per request in flight, ./httpConnection.ts): a warm-up, then the measured runs
 * (`LoadRun`: closed or open loop). It prints one JSON line, an array with one entry per measured run:
 * requests, accepted, refusals by code, wall seconds, the latency percentiles of accepted
 * requests, the node's CPU, and how far the node's state hashing lagged at the end.
 *
 * The mix keeps every account near flat and the book shallow, as a market maker's flow does:
 * half the accounts make, half take. In each round a maker posts a one-contract limit order,
 * selling in even rounds and buying in odd ones, and a taker sends an immediate-or-cancel
 * order of the opposite side at the same price, which fills against whatever rests. A
 * maker's order that meets its own older one removes it (self-trade prevention
 * `cancel_oldest`) instead of being refused, so no account's order slots fill up.
 */
import { buildOrder, signOrder } from '../sdk/orders.js'
import { HttpConnection, postRequestBytes } from './httpConnection.js'
import { orderOptions, orderRequestToJSON } from '../sdk/orderRequest.js'
import { testKey } from '../state/testing.js'

/** Settings of one load run. */
export type OrderLoadSettings = {
  readonly url: string
  readonly seriesId: string
  /** Account indices; account i signs with `testKey(i)`. */
  readonly accounts: readonly number[]
  /** Orders of each measured run. */
  readonly orders: number
  /** One measured run per entry, in order. */
  readonly runs: readonly LoadRun[]
  /** Orders sent before the measured ones (JIT, connection set-up), not counted. */
  readonly warmUp: number
}

/**
 * How one measured run sends: closed loop (`concurrency` requests in flight, the next sent as
 * soon as an answer comes) or, with `ratePerS`, open loop: order i is due at i / ratePerS
 * seconds and sent then on a free one of `concurrency` connections, its latency counted from
 * when it was due, so that a node falling behind shows as latency instead of slowing the
 * sender down (as wrk2 measures).
 */
export type LoadRun = { readonly concurrency: number; readonly ratePerS?: number }

/** What one measured run found. */
export type OrderLoadResult = LoadRun & {
  readonly requests: number
  readonly accepted: number
  readonly refused: Readonly<Record<string, number>>
  readonly seconds: number
  readonly p50Ms: number
  readonly p99Ms: number
  /**
   * CPU seconds the node process spent (every thread, user + system) from the first measured
   * order until its state hasher had caught up with the last: each order's whole cost.
   */
  readonly nodeCpuSeconds: number
  /** Batches cut but not yet hashed when the last measured order was answered. */
  readonly hashingBacklogBatches: number
  /** Seconds from the last answer until the state hasher had caught up. */
  readonly drainSeconds: number
  /** CPU seconds this load generator spent meanwhile. */
  readonly loadCpuSeconds: number
}

const PRICE = 2_100_000n
const SIZE = 100n

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

/** Pre-signed request bodies, accounts interleaved, each account alternating buy and sell. */
export function signedBodies(settings: OrderLoadSettings, count: number, firstOrderId: number): string[] {
  const keys = settings.accounts.map((i) => testKey(i))
  const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3_600)
  const maker = orderOptions({ selfTradePrevention: 'cancel_oldest' })
  const taker = orderOptions({ type: 'ioc', selfTradePrevention: 'cancel_oldest' })
  const bodies: string[] = []
  for (let n = 0; n < count; n++) {
    const a = n % keys.length
    const round = Math.floor(n / keys.length)
    const makes = a % 2 === 0
    const sells = (round % 2 === 0) === makes
    const order = buildOrder({ accountIndex: BigInt(settings.accounts[a]!), orderId: BigInt(firstOrderId + round), seriesId: BigInt(settings.seriesId), side: sells ? 'sell' : 'buy', size: SIZE, limitPrice: PRICE, validUntil })
    bodies.push(JSON.stringify(orderRequestToJSON(signOrder(order, keys[a]!.privateKey), makes ? maker : taker)))
  }
  return bodies
}

/**
 * Sends `bodies` with `concurrency` in flight, one keep-alive connection each; latencies of
 * accepted requests in ms. The raw client of ./httpConnection.ts rather than node:http or
 * fetch (about 150 and 650 µs of CPU a request here), which on 2 cores would take from the
 * node what the figure is about. An accepted answer's body is not parsed; a refusal's is, for
 * its code.
 */
async function send(url: string, bodies: readonly string[], run: LoadRun): Promise<{ accepted: number; refused: Record<string, number>; latencies: number[]; seconds: number }> {
  const refused: Record<string, number> = {}
  const latencies: number[] = []
  const target = new URL(url)
  const requests = bodies.map((body) => postRequestBytes(target.host, '/v1/orders', body))
  const connections = Array.from({ length: run.concurrency }, () => new HttpConnection(target.hostname, Number(target.port)))
  let accepted = 0
  let next = 0
  const started = performance.now()
  const due = (i: number) => (run.ratePerS ? started + (i * 1000) / run.ratePerS : performance.now())
  const worker = async (connection: HttpConnection) => {
    while (next < requests.length) {
      const i = next++
      const request = requests[i]!
      const t = due(i)
      const early = t - performance.now()
      if (early > 0) await new Promise((r) => setTimeout(r, early))
      const { status, body } = await connection.send(request)
      if (status >= 200 && status < 300) {
        accepted++
        latencies.push(performance.now() - t)
      } else {
        const code = (JSON.parse(body.toString()) as { code?: string }).code ?? `HTTP_${status}`
        refused[code] = (refused[code] ?? 0) + 1
      }
    }
  }
  await Promise.all(connections.map(worker))
  for (const c of connections) c.close()
  return { accepted, refused, latencies, seconds: (performance.now() - started) / 1000 }
}

/** The node's /metrics, as sample name -> value (only unlabelled samples). */
async function metrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const samples = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line)
    if (m) samples.set(m[1]!, Number(m[2]))
  }
  return samples
}

function sample(samples: Map<string, number>, url: string, name: string): number {
  const value = samples.get(name)
  if (value === undefined) throw new Error(`${url}/metrics has no ${name}`)
  return value
}

/**
 * The node's CPU seconds so far, all threads (prom-client's `process_cpu_seconds_total` on its
 * /metrics): read around the measured orders, it gives the node's CPU per order, a figure that
 * other work on the machine moves far less than the rate.
 */
async function nodeCpuSeconds(url: string): Promise<number> {
  return sample(await metrics(url), url, 'sequencer_process_cpu_seconds_total')
}

/** Batches the node cut that its state hasher has not handed back yet. */
async function hashingBacklog(url: string): Promise<number> {
  return sample(await metrics(url), url, 'sequencer_state_hasher_pending_batches')
}

/** Waits until the node's state hasher has caught up; the seconds it took. */
async function hashingCaughtUp(url: string): Promise<number> {
  const started = performance.now()
  while ((await hashingBacklog(url)) > 0) {
    if (performance.now() - started > 300_000) throw new Error('the state hasher did not catch up within 300 s')
    await new Promise((r) => setTimeout(r, 20))
  }
  return (performance.now() - started) / 1000
}

/** One measured run of pre-signed `bodies`, on a node that has caught up. */
async function measure(url: string, bodies: readonly string[], run: LoadRun): Promise<OrderLoadResult> {
  // The measured orders start on a node with no hashing left over from what came before.
  await hashingCaughtUp(url)
  const [nodeBefore, loadBefore] = [await nodeCpuSeconds(url), process.cpuUsage()]
  const r = await send(url, bodies, run)
  const load = process.cpuUsage(loadBefore)
  const hashingBacklogBatches = await hashingBacklog(url)
  const drainSeconds = await hashingCaughtUp(url)
  const nodeCpu = (await nodeCpuSeconds(url)) - nodeBefore
  const sorted = r.latencies.sort((a, b) => a - b)
  return {
    ...run,
    requests: bodies.length,
    accepted: r.accepted,
    refused: r.refused,
    seconds: r.seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    nodeCpuSeconds: nodeCpu,
    loadCpuSeconds: (load.user + load.system) / 1e6,
    hashingBacklogBatches,
    drainSeconds,
  }
}

/** A warm-up, then one measured run per entry of `runs`, each with orders of its own. */
export async function runOrderLoad(settings: OrderLoadSettings): Promise<OrderLoadResult[]> {
  const rounds = (orders: number) => Math.ceil(orders / settings.accounts.length)
  await send(settings.url, signedBodies(settings, settings.warmUp, 1), { concurrency: settings.runs[0]?.concurrency ?? 1 })
  const results: OrderLoadResult[] = []
  let firstOrderId = 1 + rounds(settings.warmUp)
  for (const run of settings.runs) {
    const bodies = signedBodies(settings, settings.orders, firstOrderId)
    firstOrderId += rounds(settings.orders)
    results.push(await measure(settings.url, bodies, run))
  }
  return results
}

if (process.env.ORDER_LOAD) {
  const result = await runOrderLoad(JSON.parse(process.env.ORDER_LOAD) as OrderLoadSettings)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
