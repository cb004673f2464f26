/**
 * `npm start`: the rollup node.
 *
 * With no configuration it runs on embedded defaults: anvil on 127.0.0.1:8545, the
 * contracts deployed there, the sequencer API on 127.0.0.1:8080, an in-process prover.
 * Environment variables point it elsewhere:
 *
 *   RPC_URL          an L1 JSON-RPC endpoint instead of the embedded anvil
 *   OPERATOR_KEY     the operator's private key (required with RPC_URL)
 *   ROLLUP_ADDRESS   an already deployed Rollup (else the contracts are deployed with OPERATOR_KEY)
 *   DEPLOY_BLOCK     the Rollup's deployment block (log scans start there)
 *   HOST, PORT       where the API listens (127.0.0.1, 8080)
 *   ANVIL_PORT       port of the embedded anvil (8545)
 *   PROVER           in-process (default) or bullmq (workers: npx tsx prover/worker.ts)
 *   REDIS_URL        Redis of the bullmq prover (redis://127.0.0.1:6379)
 *   PROVING_CONCURRENCY batches proven at once, later ones waiting in order (1 in-process,
 *                    8 with bullmq; give it at least the number of proof workers)
 *   BATCH_TIMEOUT_MS a partial batch is cut after this long (5000)
 *   POLL_INTERVAL_MS how often L1 (queue entries, series) and the oracle are polled (1000)
 *   RATE_LIMIT_IP    requests per second and burst per client IP, `500,1000`; `off` disables
 *   RATE_LIMIT_ACCOUNT orders, cancels and withdrawals per second and burst per account, `50,100`; `off` disables
 *   MAX_PROVING_BACKLOG batches not yet on L1 past which new orders are refused (503
 *                    PROVING_BACKLOG; cancels and withdrawals still pass): 16,384 slots' worth; `off` disables
 *   ORACLE_FEEDS     with RPC_URL: Chainlink-style feeds per underlying, `ETH=0xA,0xB,0xC;BTC=…`
 *                    (at least 3 each): index prices and, on a new deployment, settlement;
 *                    simulated index feeds and operator-owned mock settlement feeds otherwise
 *   ADMIN_TOKEN      bearer token of the operator routes (/v1/admin/*: volatility surface); off without
 *   DATA_DIR         where the write-ahead journal lives with RPC_URL (./data); the embedded
 *                    chain starts afresh each time, so the embedded node keeps none
 *   REPLICA          1: a read-only replica of the node running on the same RPC_URL,
 *                    ROLLUP_ADDRESS and DATA_DIR; it takes over when that node dies
 *                    (docs/operations.md, "Replica mode")
 */
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { nativePoseidonUnavailable } from '../crypto/poseidon/poseidon.js'
import { ensureArtifacts } from '../prover/artifacts.js'
import { DEFAULT_MARKET, DEFAULT_PARAMS } from './defaults.js'
import { deployWithDefaults, simulatedOracle, startEmbedded } from './embedded.js'
import { createPublicClient, http } from 'viem'
import { chainlinkFeed } from '../oracle/chainlinkFeed.js'
import { OracleService } from '../oracle/oracleService.js'
import { startNode, type NodeConfig, type RollupNode } from './node.js'
import { startReplica } from './replica.js'
import { DEFAULT_RATE_LIMITS, type BucketConfig } from './api/limits.js'
import type { TrustProxy } from './api/app.js'

const env = process.env
const log = (s: string) => console.log(`[node] ${s}`)

/** `RATE_LIMIT_*`: `rate,burst` (per second), or `off`. */
function bucket(name: string, fallback: BucketConfig | false): BucketConfig | false {
  const spec = env[name]
  if (spec === undefined || spec === '') return fallback
  if (spec === 'off') return false
  const [rate, burst] = spec.split(',').map(Number)
  if (!(rate! > 0) || !(burst! >= 1)) throw new Error(`${name}: cannot read "${spec}" (want RATE,BURST such as 50,100, or off)`)
  return { ratePerSecond: rate!, burst: burst! }
}

function workerCount(name: string): number {
  const n = Number(env[name])
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error(`${name}: cannot read "${env[name]}" (want a whole number of worker threads, 0 to 64)`)
  return n
}

/** `JOURNAL_CHECKPOINT_ENTRIES`: entries per journal segment (0: one segment, never checkpointed). */
function checkpointEntries(): number {
  const n = Number(env.JOURNAL_CHECKPOINT_ENTRIES)
  if (!Number.isInteger(n) || n < 0) throw new Error(`JOURNAL_CHECKPOINT_ENTRIES: cannot read "${env.JOURNAL_CHECKPOINT_ENTRIES}" (want a whole number of entries; 0 turns checkpoints off)`)
  return n
}

/** `JOURNAL_PRUNE=off` keeps every journal segment (default on: deleted once L1 verified what they cut). */
function pruneJournal(): boolean {
  const v = env.JOURNAL_PRUNE ?? 'on'
  if (v !== 'on' && v !== 'off') throw new Error(`JOURNAL_PRUNE: cannot read "${v}" (want on or off)`)
  return v === 'on'
}

/** `MAX_PROVING_BACKLOG=500` (batches) or `off`. */
function maxProvingBacklog(): number | false {
  const v = env.MAX_PROVING_BACKLOG!
  if (v === 'off') return false
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new Error(`MAX_PROVING_BACKLOG: cannot read "${v}" (want a whole number of batches, at least 1, or off)`)
  return n
}

function provingConcurrency(): number {
  const n = Number(env.PROVING_CONCURRENCY)
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`PROVING_CONCURRENCY: cannot read "${env.PROVING_CONCURRENCY}" (want a whole number of batches, 1 to 1024)`)
  return n
}

/** `TRUST_PROXY=2` (proxy hops) or `TRUST_PROXY=10.0.0.1,10.1.0.0/16` (proxy addresses or CIDRs). */
function trustProxy(): TrustProxy | undefined {
  const spec = env.TRUST_PROXY
  if (spec === undefined || spec === '') return undefined
  if (/^\d+$/.test(spec)) return Number(spec)
  const hosts = spec.split(',').map((h) => h.trim())
  if (hosts.some((h) => !/^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(h))) throw new Error(`TRUST_PROXY: cannot read "${spec}" (want a number of proxy hops, or proxy addresses or CIDRs separated by commas)`)
  return hosts
}

function common(): Partial<NodeConfig> {
  const proxies = trustProxy()
  const prover: NodeConfig['prover'] = env.PROVER === 'bullmq' ? { kind: 'bullmq', redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379' } : { kind: 'in-process' }
  return {
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 8080),
    batchTimeoutMs: Number(env.BATCH_TIMEOUT_MS ?? 5000),
    pollIntervalMs: Number(env.POLL_INTERVAL_MS ?? 1000),
    ...(env.VERIFY_WORKERS !== undefined ? { verifyWorkers: workerCount('VERIFY_WORKERS') } : {}),
    ...(env.PROVING_CONCURRENCY !== undefined ? { provingConcurrency: provingConcurrency() } : {}),
    ...(env.MAX_PROVING_BACKLOG !== undefined ? { maxProvingBacklog: maxProvingBacklog() } : {}),
    ...(env.JOURNAL_CHECKPOINT_ENTRIES !== undefined ? { checkpointEntries: checkpointEntries() } : {}),
    pruneJournal: pruneJournal(),
    rateLimits: { perIp: bucket('RATE_LIMIT_IP', DEFAULT_RATE_LIMITS.perIp), perAccount: bucket('RATE_LIMIT_ACCOUNT', DEFAULT_RATE_LIMITS.perAccount) },
    prover,
    ...(env.ADMIN_TOKEN ? { adminToken: env.ADMIN_TOKEN } : {}),
    logger: { level: env.LOG_LEVEL ?? 'info' },
    ...(proxies !== undefined ? { trustProxy: proxies } : {}),
    log,
  }
}

/** `ETH=0xfeed1,0xfeed2,0xfeed3;BTC=...`: Chainlink-style aggregators per underlying. */
function parseFeeds(spec: string): Record<string, Address[]> {
  const feeds: Record<string, Address[]> = {}
  for (const part of spec.split(';').filter(Boolean)) {
    const [underlying, addresses] = part.split('=')
    if (!underlying || !addresses) throw new Error(`ORACLE_FEEDS: cannot read "${part}" (want SYMBOL=0xaddr,0xaddr,0xaddr)`)
    feeds[underlying] = addresses.split(',') as Address[]
  }
  return feeds
}

/** An oracle service reading the ORACLE_FEEDS aggregators. */
async function chainlinkOracle(rpcUrl: string, spec: string): Promise<OracleService> {
  const client = createPublicClient({ transport: http(rpcUrl) })
  const underlyings = Object.fromEntries(
    Object.entries(parseFeeds(spec)).map(([underlying, addresses]) => [underlying, { feeds: addresses.map((address, i) => chainlinkFeed({ id: `${underlying}-${i}`, client, address })) }]),
  )
  return new OracleService({ underlyings })
}

async function main(): Promise<void> {
  const noNative = nativePoseidonUnavailable()
  log(noNative === undefined ? 'Poseidon: the native addon (build/native/poseidon.node)' : `Poseidon: wasm, 2 to 2.6x slower than the native addon, which is not used: ${noNative}`)
  // BullMQ workers prove, with their own artifacts; the node itself then needs none.
  if (env.PROVER !== 'bullmq') {
    log('checking circuit artifacts (the first run compiles and sets up the circuit, ~2 min)')
    await ensureArtifacts(DEFAULT_PARAMS, { log })
  }
  let url: string
  let stopAll: () => Promise<void>
  if (env.REPLICA === '1' && (!env.RPC_URL || !env.ROLLUP_ADDRESS))
    throw new Error('REPLICA=1 follows a running node: set RPC_URL, OPERATOR_KEY, ROLLUP_ADDRESS and DATA_DIR as for that node')
  if (env.RPC_URL) {
    if (!env.OPERATOR_KEY) throw new Error('OPERATOR_KEY is required with RPC_URL')
    const operatorKey = env.OPERATOR_KEY as Hex
    let rollup = env.ROLLUP_ADDRESS as Address | undefined
    let deployBlock = env.DEPLOY_BLOCK ? BigInt(env.DEPLOY_BLOCK) : undefined
    if (!rollup) {
      // Settlement must never rest on feeds the operator controls: outside a local chain, the
      // Chainlink-style feeds of ORACLE_FEEDS settle the series too.
      const feeds = env.ORACLE_FEEDS ? parseFeeds(env.ORACLE_FEEDS) : undefined
      if (!feeds) log('ORACLE_FEEDS not set: settlement uses mock feeds owned by the operator (fine for a local chain only)')
      const { deployment } = await deployWithDefaults(env.RPC_URL, operatorKey, feeds ? { settlementFeeds: feeds } : {})
      rollup = deployment.rollup
      deployBlock = deployment.deployBlock
      log(`deployed Rollup ${rollup}, token ${deployment.token}, verifier ${deployment.verifier} at block ${deployBlock}`)
    }
    const oracle = env.ORACLE_FEEDS ? await chainlinkOracle(env.RPC_URL, env.ORACLE_FEEDS) : simulatedOracle(DEFAULT_MARKET.spotByUnderlying)
    if (!env.ORACLE_FEEDS) log('ORACLE_FEEDS not set: using simulated index feeds')
    const journalPath = join(env.DATA_DIR ?? 'data', `${rollup.toLowerCase()}.journal.jsonl`)
    const config = { ...common(), params: DEFAULT_PARAMS, market: DEFAULT_MARKET, rpcUrl: env.RPC_URL, operatorKey, rollup, journalPath, oracle, ...(deployBlock !== undefined ? { deployBlock } : {}) }
    if (env.REPLICA === '1') {
      const replica = await startReplica(config)
      url = replica.url
      stopAll = () => replica.stop()
      log(`read-only replica of ${journalPath}: writes are refused (503 READ_ONLY_REPLICA); it takes over on this port when the primary dies`)
      replica.primary.then(
        (node) => log(`now the primary at ${node.url}/v1: a restart replays the journal, so nothing acknowledged is lost`),
        (error: Error) => {
          console.error(`[node] the replica stopped: ${error.message}`)
          process.exit(1)
        },
      )
    } else {
      const node = await startNode(config)
      url = node.url
      log(`journal ${journalPath}: a restart replays it, so nothing acknowledged is lost`)
      stopAll = node.stop
    }
  } else {
    const embedded = await startEmbedded({ anvilPort: Number(env.ANVIL_PORT ?? 8545), node: common() })
    const node: RollupNode = embedded.node
    url = node.url
    stopAll = embedded.stop
    log(`anvil (local L1) at ${embedded.anvil.rpcUrl}, chain id ${embedded.anvil.chainId}`)
    log(`Rollup ${embedded.deployment.rollup}, collateral token ${embedded.deployment.token} (open test faucet: mint), verifier ${embedded.deployment.verifier}`)
    log(`listed series ${embedded.seriesId}: ${node.market.series().map((s) => node.market.name(s)).join(', ')}`)
  }
  log(`sequencer API at ${url}/v1 (OpenAPI at ${url}/docs); Ctrl-C stops`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log('stopping: finishing batches in flight')
      void stopAll().then(() => process.exit(0))
    })
  }
}

main().catch((error: Error) => {
  console.error(`[node] cannot start: ${error.message}`)
  process.exit(1)
})
