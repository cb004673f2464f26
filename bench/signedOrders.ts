/**
 * `sequencer.signed_orders_per_s` and `sequencer.ack_p99_ms`: signed orders the sequencer
 * accepts per second over HTTP, and the 99th percentile of the time from sending an order to
 * its acknowledgement, on this machine (2 cores: node and load generator share them).
 *
 * The node is what `npm start` runs (sequencer/main.ts, compiled as the crash test compiles
 * it), as its own process against a real anvil with the contracts deployed and ACCOUNTS
 * accounts funded through L1 deposits. Every acknowledgement includes what it includes in
 * production: schema validation, the EdDSA signature check, the margin check under the batch's
 * market table, matching, the state-transition function, the journal's write + fsync. Batches
 * go to a BullMQ queue in a Redis database of their own that no worker serves: proving runs on
 * other machines in a deployment and is measured by `prover.*`. Rate limits are off.
 *
 * The load generator (bench/orderLoad.ts) is a separate process on loopback: it signs all
 * orders first, sends a warm-up, then the measured runs of RUNS, each starting once the node's
 * state hashing has caught up. Per run:
 * - `signed_orders_per_s`: accepted orders over the run's wall time (refusals are printed to
 *   stderr and would show there);
 * - `ack_p99_ms`: the 99th percentile of send-to-answer;
 * - `node_cpu_us_per_order`: the node's CPU, all threads, from the first order until its
 *   state hasher caught up with the last, per order (other work on the machine moves it far
 *   less than the rate);
 * - `hashing_backlog_batches`: batches cut and not yet hashed at the last answer (the state's
 *   trees are hashed off the acknowledgement path, so a burst may outrun them);
 * - `sustained_orders_per_s`: accepted orders over the wall time until the hashing caught up:
 *   the rate the node keeps up with, hashing included.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Queue } from 'bullmq'
import { ANVIL_KEYS, startAnvil } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { deposit, mintTestTokens } from '../l1/rollupCalls.js'
import { proofQueueName, redisConnection } from '../prover/queue.js'
import { ROOT } from '../prover/paths.js'
import { deployWithDefaults } from '../sequencer/embedded.js'
import { DEFAULT_PARAMS } from '../sequencer/defaults.js'
import { testKey } from '../state/testing.js'
import { ensureRedis } from '../test/redis.js'
import { compileNode, NodeProcess } from '../test/crash/nodeProcess.js'
import type { Benchmark, Figure } from './figure.js'
import type { LoadRun, OrderLoadResult, OrderLoadSettings } from './orderLoad.js'
import { BenchError, progress, round } from './support.js'

/** The default (development) parameters hold 16 accounts, the fund and the fee account among them. */
const ACCOUNTS = 12
const ORDERS = 12_000
/**
 * Orders sent before the measured ones. With 2,000 the first ~2 s of the measured run went at
 * about half the rate of the rest (p50 28 ms against 14 ms in 100 ms buckets, 2026-11-26: JIT,
 * the verifier's key tables, heap growth); from 6,000 on the rate is flat across the run, but
 * with 6,000 the first measured run was still the slowest of several in 6 of 6 tries
 * (2026-11-27: p99 14.9 to 21.3 ms against 13.4 to 18.3 ms for the runs after it).
 */
const WARM_UP = 12_000
/**
 * The measured runs; the figures without a suffix are from the first.
 *
 * 16 in flight already reach the node's full rate here (2026-11-27, in one node: 2,484 and
 * 2,317/s at 16 against 2,548 and 2,474/s at 32; 1,962 and 2,252/s at 16 against 2,016 and
 * 2,086/s at 24 in others: the same within this machine's noise), so more in flight add only
 * queueing: the mean latency is the number in flight over the rate (Little's law), p99 13.5
 * and 14.8 ms at 16 against 24.7 and 40.8 ms at 32 in that node. The run at 32 is kept to show
 * it. The open-loop run offers exactly the goal's 2,000 orders/s, however fast the node
 * answers, and counts each order's latency from when it was due.
 */
const RUNS: readonly { readonly run: LoadRun; readonly suffix: string }[] = [
  { run: { concurrency: 16 }, suffix: '' },
  { run: { concurrency: 32 }, suffix: '.32_in_flight' },
  { run: { concurrency: 128, ratePerS: 2_000 }, suffix: '.at_2000_per_s' },
]
/** A Redis database no proof worker listens on. */
const REDIS_DB = 14

async function accountsCredited(url: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const res = await fetch(`${url}/v1/accounts/${count}`)
    if (res.ok) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new BenchError(`the node never credited account ${count}`)
}

async function runLoad(settings: OrderLoadSettings): Promise<OrderLoadResult[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join('bench', 'orderLoad.ts')], {
    cwd: ROOT,
    env: { ...process.env, ORDER_LOAD: JSON.stringify(settings) },
    maxBuffer: 1 << 20,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as OrderLoadResult[]
}

/** One measured run's figures; `suffix` names the run (empty for the headline run). */
function figuresOf(r: OrderLoadResult, suffix: string): Figure[] {
  progress(`${r.ratePerS ? `${r.ratePerS}/s offered on up to ${r.concurrency} connections` : `${r.concurrency} in flight`}: accepted ${r.accepted} of ${r.requests} in ${r.seconds.toFixed(2)} s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms; refused ${JSON.stringify(r.refused)}`)
  progress(`  hashing: ${r.hashingBacklogBatches} batches behind at the last answer, caught up ${r.drainSeconds.toFixed(2)} s later`)
  progress(`  CPU until caught up: node ${r.nodeCpuSeconds.toFixed(2)} s (${round((r.nodeCpuSeconds / (r.seconds + r.drainSeconds)) * 100, 0)} % of a core), load generator ${r.loadCpuSeconds.toFixed(2)} s`)
  if (r.accepted < r.requests * 0.9) throw new BenchError(`only ${r.accepted} of ${r.requests} orders were accepted: ${JSON.stringify(r.refused)}`)
  return [
    { name: `sequencer.signed_orders_per_s${suffix}`, value: round(r.accepted / r.seconds, 0), unit: 'orders/s' },
    { name: `sequencer.ack_p99_ms${suffix}`, value: round(r.p99Ms, 2), unit: 'ms' },
    { name: `sequencer.node_cpu_us_per_order${suffix}`, value: round((r.nodeCpuSeconds / r.requests) * 1e6, 0), unit: 'us' },
    { name: `sequencer.sustained_orders_per_s${suffix}`, value: round(r.accepted / (r.seconds + r.drainSeconds), 0), unit: 'orders/s' },
    { name: `sequencer.hashing_backlog_batches${suffix}`, value: r.hashingBacklogBatches, unit: 'batches' },
  ]
}

const FIGURES = ['signed_orders_per_s', 'ack_p99_ms', 'node_cpu_us_per_order', 'sustained_orders_per_s', 'hashing_backlog_batches']


export const signedOrders: Benchmark = {
  figures: RUNS.flatMap(({ suffix }) => FIGURES.map((f) => `sequencer.${f}${suffix}`)),
  async run(): Promise<readonly Figure[]> {
    const anvil = await startAnvil()
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-orders-'))
    const redis = await ensureRedis()
    const { hostname, port } = new URL(redis.url)
    const redisUrl = `redis://${hostname}:${port || 6379}/${REDIS_DB}`
    let node: NodeProcess | undefined
    const compiled = await compileNode()
    try {
      progress('deploying and funding accounts')
      const operatorKey = ANVIL_KEYS[0]
      const { deployment, seriesId } = await deployWithDefaults(anvil.rpcUrl, operatorKey)
      const funder = await connectL1(anvil.rpcUrl, ANVIL_KEYS[1])
      await mintTestTokens(funder, deployment.token, funder.account.address, 10n ** 16n)
      const accounts = Array.from({ length: ACCOUNTS }, (_, i) => i + 1)
      for (const i of accounts) await deposit(funder, deployment.rollup, deployment.token, 1_000_000_000_000n, testKey(i).pubKey)
      node = new NodeProcess(
        {
          rpcUrl: anvil.rpcUrl,
          operatorKey,
          rollup: deployment.rollup,
          deployBlock: deployment.deployBlock,
          dataDir,
          redisUrl,
          pollIntervalMs: 500,
          batchTimeoutMs: 5_000,
          // No proof worker takes this queue, so every batch stays unfinished: the node's
          // backlog limit (cancel-only past 8,192 batches here) would end the runs early.
          env: { RATE_LIMIT_IP: 'off', RATE_LIMIT_ACCOUNT: 'off', MAX_PROVING_BACKLOG: 'off' },
        },
        compiled.entry,
      )
      const url = await node.ready
      await accountsCredited(url, ACCOUNTS)
      progress(`sending ${WARM_UP} signed orders, then ${RUNS.length} measured runs of ${ORDERS}`)
      const results = await runLoad({ url, seriesId: seriesId.toString(), accounts, orders: ORDERS, runs: RUNS.map((r) => r.run), warmUp: WARM_UP })
      return results.flatMap((r, i) => figuresOf(r, RUNS[i]!.suffix))
    } finally {
      await node?.kill()
      compiled.remove()
      const queue = new Queue(proofQueueName(DEFAULT_PARAMS), { connection: redisConnection(redisUrl) })
      await queue.obliterate({ force: true }).catch(() => {})
      await queue.close()
      await anvil.stop()
      await redis.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  },
}
