/**
 * The kill -9 crash test (docs/operations.md, "Crash safety"): one anvil and one deployment,
 * the node as a separate process on a journal directory, a signed load over HTTP, SIGKILL at
 * random moments, a restart on the same journal after each, and an audit after every restart:
 *
 * 1. every acknowledged order, cancel and withdrawal is in the journal exactly once, and its
 *    answer (state root, status, fills) is what a fresh engine fed the journal computes there;
 * 2. refused and undelivered requests are absent; a request the node died holding is either
 *    absent or present whole (and then a resend is refused as a replay, changing nothing);
 * 3. the journal keeps the order of acknowledgements (a request sent after another was
 *    acknowledged comes after it), and what was once read from it never changes;
 * 4. the restarted node serves exactly the reference's state root, pending slots, queue
 *    progress, order book, accounts and open orders; at quiescent kills, exactly what it
 *    served just before it died.
 *
 * Kill moments cycle through: mid-load (requests in flight), quiescent (load drained, state
 * read just before), and during start-up (the journal replay or the first L1 poll).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Queue } from 'bullmq'
import { ANVIL_KEYS, startAnvil } from '../../l1/anvil.js'
import { connectL1 } from '../../l1/clients.js'
import { deposit, mintTestTokens } from '../../l1/rollupCalls.js'
import { proofQueueName, redisConnection, startProofWorker } from '../../prover/queue.js'
import { readRollupStatus } from '../../l1/rollupReaders.js'
import type { Address, PublicClient } from 'viem'
import { DEFAULT_MARKET, DEFAULT_PARAMS } from '../../sequencer/defaults.js'
import { deployWithDefaults } from '../../sequencer/embedded.js'
import { Journal, journalSegments, type JournalEntry } from '../../sequencer/journal.js'
import { testKey } from '../../state/testing.js'
import { ensureRedis } from '../redis.js'
import { auditRequests, type InFlightFate } from './audit.js'
import { canonicalJSON, LoadGenerator, seededRandom, type SentRequest } from './loadGenerator.js'
import { compileNode, journalPathOf, NodeProcess, type CompiledNode, type NodeProcessConfig } from './nodeProcess.js'
import { readNodeView, ReferenceReplay, type NodeView } from './referenceReplay.js'

export type CrashRunOptions = {
  /** Kill points (SIGKILLs); the node is restarted after each. */
  readonly kills: number
  readonly seed?: number
  /** Trading accounts (at most 15 with the test parameters). */
  readonly accounts?: number
  /** Requests in flight at once. */
  readonly concurrency?: number
  /** How long load runs before a kill, in milliseconds: uniform in [min, max]. */
  readonly loadMs?: readonly [number, number]
  /** Run sequencer/main.ts through tsx instead of compiled (slower restarts: 4 to 6 s). */
  readonly tsx?: boolean
  /**
   * Attach a BullMQ proof worker (real Groth16 proofs, in this process), so that batches are
   * proven and submitted to L1 while the kills happen; at the end, wait until L1 has every
   * batch the node cut, exactly once, with the node's roots. Each proof takes seconds: for
   * the longer script, not the test suite.
   */
  readonly prove?: boolean
  /**
   * Entries per journal segment (`JOURNAL_CHECKPOINT_ENTRIES`; default 40): small, so that
   * kills also land around rotations, and restarts with a prover start from checkpoints.
   * Segments are never pruned here: the reference replays the whole journal.
   */
  readonly checkpointEntries?: number
  readonly log?: (s: string) => void
}

/** What the run did and measured. */
export type CrashRunReport = {
  readonly seed: number
  readonly kills: { readonly midLoad: number; readonly quiescent: number; readonly atStart: number }
  /** Requests by fate; `unknown` split by what the journal showed after the restart. */
  readonly requests: { readonly acked: number; readonly refused: number; readonly undelivered: number; readonly unknownPresent: number; readonly unknownAbsent: number }
  readonly refusedCodes: Readonly<Record<string, number>>
  readonly journalEntries: number
  /** Journal segments written (each after the first begins at a checkpoint). */
  readonly journalSegments: number
  /** Journal entries that were orders, cancels, withdrawals. */
  readonly journaledRequests: number
  /** Milliseconds from spawn to listening, per restart, with the journal length it replayed. */
  readonly restarts: readonly Restart[]
  /** Quiescent kills after which the node served exactly what it served before. */
  readonly exactMatches: number
  /** With `prove`: batches L1 verified by the end. */
  readonly verifiedOnL1?: number
  readonly durationMs: number
}

/** One restart: spawn to listening, the journal's length then, the replay, and the checkpoint it began at (none: segment 0). */
export type Restart = { readonly readyMs: number; readonly entries: number; readonly replayMs: number; readonly checkpointSegment?: number }

/** What a node that just started says of its start (/metrics and the readiness detail). */
async function restartOf(url: string, readyMs: number, entries: number): Promise<Restart> {
  const replayMs = Math.round((await gauge(url, 'sequencer_journal_replay_seconds')) * 1000)
  const ready = (await (await fetch(`${url}/v1/health/ready`)).json()) as { checks: { journal: { detail: string } } }
  const segment = /from the checkpoint of segment (\d+)/.exec(ready.checks.journal.detail)?.[1]
  return { readyMs: Math.round(readyMs), entries, replayMs, ...(segment !== undefined ? { checkpointSegment: Number(segment) } : {}) }
}

/** The audit found acknowledged work lost, duplicated, altered or invented. */
export class CrashAuditError extends Error {
  override readonly name = 'CrashAuditError'
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))


/** One scrape value of the node's /metrics (a gauge without labels). */
async function gauge(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line ? Number(line.split(' ')[1]) : Number.NaN
}

/** Waits until L1 verified at least `count` batches (more may come: the node may cut one meanwhile). */
async function l1Verified(client: PublicClient, rollup: Address, count: number, fail: (problem: string) => never): Promise<void> {
  const deadline = Date.now() + 600_000
  while ((await readRollupStatus(client, rollup)).batchCount < BigInt(count)) {
    if (Date.now() > deadline) fail(`L1 did not verify ${count} batches in 10 minutes`)
    await sleep(500)
  }
}

/**
 * With a prover attached: waits until L1 holds every batch the journal cut (`want`, replayed
 * by the reference), then checks that L1 has exactly that many (each batch once: a second
 * submission of a number would have reverted and halted the node) and ends at the last one's
 * root. Returns the batches L1 verified.
 */
async function everyBatchOnL1(url: string, client: PublicClient, rollup: Address, want: { readonly count: number; readonly lastRoot: bigint }, fail: (problem: string) => never): Promise<number> {
  const deadline = Date.now() + 1_800_000
  for (;;) {
    const health = (await (await fetch(`${url}/v1/health`)).json()) as { status: string; reason?: string }
    if (health.status !== 'ok') fail(`the node halted: ${health.reason}`)
    const status = await readRollupStatus(client, rollup)
    if (status.batchCount > BigInt(want.count)) fail(`L1 verified ${status.batchCount} batches; the journal cut ${want.count}`)
    if (status.batchCount === BigInt(want.count)) {
      if (want.count > 0 && status.stateRoot !== want.lastRoot) fail(`L1's root ${status.stateRoot} is not the last batch's ${want.lastRoot}`)
      return want.count
    }
    if (Date.now() > deadline) fail(`L1 verified ${status.batchCount} of ${want.count} batches in 30 minutes`)
    await sleep(1_000)
  }
}

/** Runs the crash test; throws `CrashAuditError` at the first audit that finds a problem. */
export async function runCrashTest(options: CrashRunOptions): Promise<CrashRunReport> {
  const started = performance.now()
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const log = options.log ?? (() => {})
  const random = seededRandom(seed)
  const nAccounts = options.accounts ?? 6
  const concurrency = options.concurrency ?? 2
  const [loadMin, loadMax] = options.loadMs ?? [60, 300]
  const anvil = await startAnvil()
  const dataDir = mkdtempSync(join(tmpdir(), 'crash-'))
  const redis = await ensureRedis()
  // A database of its own: unless `prove`, no proof worker listens there, so batches wait (the
  // journal is what is under test), and the queue is dropped at the end.
  const { hostname, port } = new URL(redis.url)
  const redisUrl = `redis://${hostname}:${port || 6379}/${1 + (seed % 15)}`
  const prover = options.prove ? startProofWorker(DEFAULT_PARAMS, redisUrl, { log }) : undefined
  let node: NodeProcess | undefined
  let compiled: CompiledNode | undefined
  try {
    const spawnNode = () => new NodeProcess(config, compiled?.entry)
    const operatorKey = ANVIL_KEYS[0]
    // esbuild compiles the node while anvil deploys.
    const [{ deployment, seriesId }, node0] = await Promise.all([deployWithDefaults(anvil.rpcUrl, operatorKey), options.tsx ? undefined : compileNode()])
    compiled = node0
    const funder = await connectL1(anvil.rpcUrl, ANVIL_KEYS[1])
    await mintTestTokens(funder, deployment.token, funder.account.address, 10n ** 15n)
    const keys = Array.from({ length: nAccounts }, (_, i) => testKey(i + 1))
    for (const key of keys) await deposit(funder, deployment.rollup, deployment.token, 1_000_000_000n, key.pubKey)
    let deposits = keys.length
    const accounts = keys.map((key, i) => ({ index: BigInt(i + 1), key }))
    const config: NodeProcessConfig = {
      rpcUrl: anvil.rpcUrl,
      operatorKey,
      rollup: deployment.rollup,
      deployBlock: deployment.deployBlock,
      dataDir,
      redisUrl,
      pollIntervalMs: 500,
      // Batches are cut when full (two slots); a timeout cut would race the quiescent snapshot.
      batchTimeoutMs: 3_600_000,
      env: { JOURNAL_CHECKPOINT_ENTRIES: String(options.checkpointEntries ?? 40), JOURNAL_PRUNE: 'off' },
    }
    const journal = new Journal(journalPathOf(config))
    const reference = await ReferenceReplay.create({
      client: funder.publicClient,
      rollup: deployment.rollup,
      deployBlock: deployment.deployBlock,
      params: DEFAULT_PARAMS,
      market: DEFAULT_MARKET,
      seriesId,
      accounts: [0n, ...accounts.map((a) => a.index)],
    })
    const load = new LoadGenerator({ accounts, seriesId, orderSlots: 1n << BigInt(DEFAULT_PARAMS.orderSlotsDepth), random, validUntil: BigInt(Math.floor(Date.now() / 1000) + 86_400) })
    const fates = new Map<SentRequest, InFlightFate>()
    const kills = { midLoad: 0, quiescent: 0, atStart: 0 }
    const restarts: { readyMs: number; entries: number; replayMs: number }[] = []
    let exactMatches = 0
    let before: { view: NodeView; entries: number } | undefined

    const fail = (problem: string): never => {
      throw new CrashAuditError(`${problem}\n(seed ${seed}; journal ${journal.path})\nnode output:\n${node?.output() ?? ''}`)
    }

    /** The node's view and the reference's at the same journal position (only market entries and segment start lines may slip in between). */
    const comparedView = async (url: string): Promise<{ view: NodeView; entries: number }> => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const n = journal.read().length
        const view = await readNodeView(url, seriesId, reference.accounts, (index) => keys[Number(index) - 1]?.privateKey)
        const entries = journal.read()
        reference.feed(entries)
        if (!entries.slice(n).every((e) => e.t === 'market' || e.t === 'start')) continue
        const expected = reference.view()
        if (canonicalJSON(view) !== canonicalJSON(expected))
          fail(`the node serves a state other than the replay of its journal (${entries.length} entries):\nnode      ${canonicalJSON(view)}\nreference ${canonicalJSON(expected)}`)
        return { view, entries: entries.length }
      }
      return fail('the journal never stood still long enough to compare the node with the reference')
    }

    /** Every request of the log against the journal (test/crash/audit.ts); in-flight ones found whole must be refused as replays. */
    const auditLog = async (url: string) => {
      const { problems, resolved } = auditRequests(load.sent, reference.requests, fates)
      if (problems.length > 0) fail(problems.join('\n'))
      for (const { request, fate } of resolved) if (fate === 'present') await resendIsRefused(url, request, `${request.kind} #${request.seq} of account ${request.account}`)
    }

    const resendIsRefused = async (url: string, r: SentRequest, what: string) => {
      const path = r.kind === 'order' ? '/v1/orders' : r.kind === 'cancel' ? '/v1/cancels' : '/v1/withdrawals'
      const root = () => fetch(`${url}/v1/health`).then(async (res) => ((await res.json()) as { stateRoot: string }).stateRoot)
      const rootBefore = await root()
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r.body) })
      const body = (await res.json()) as { code?: string }
      if (res.status !== 409) fail(`${what} died in flight and is journaled, but a resend was answered ${res.status} ${canonicalJSON(body)} instead of a 409 replay refusal`)
      if ((await root()) !== rootBefore) fail(`resending ${what} changed the state root`)
    }

    const audit = async (url: string) => {
      const { view, entries } = await comparedView(url)
      await auditLog(url)
      if (before) {
        // A quiescent kill: the node must serve what it served before it died.
        const between = journal.read().slice(before.entries)
        // Market inputs and the start lines of new segments change nothing the view shows.
        if (between.every((e: JournalEntry) => e.t === 'market' || e.t === 'start')) {
          if (canonicalJSON(view) !== canonicalJSON(before.view)) fail(`after a quiescent kill the node serves\n${canonicalJSON(view)}\ninstead of what it served before\n${canonicalJSON(before.view)}`)
          exactMatches++
        }
        before = undefined
      }
      return entries
    }

    node = spawnNode()
    let incarnation = 0
    for (let kill = 1; kill <= options.kills; kill++) {
      // One kill in five lands during start-up: the replay or the first L1 poll.
      const moment = kill % 5 === 3 ? 'start' : kill % 3 === 0 ? 'quiescent' : 'load'
      if (moment === 'start') {
        const typical = restarts.at(-1)?.readyMs ?? 1_500
        await sleep(random() * typical)
        await node.kill()
        kills.atStart++
        log(`kill ${kill}: during start-up`)
      } else {
        const url = await node.ready
        const entries = journal.read().length
        restarts.push(await restartOf(url, node.readyMs!, entries))
        await audit(url)
        await load.resync(url)
        if (kill % 4 === 1) {
          const key = keys[Math.floor(random() * keys.length)]!
          await deposit(funder, deployment.rollup, deployment.token, 1_000_000n, key.pubKey)
          deposits++
        }
        let stop = false
        const running = load.run(url, incarnation, concurrency, () => stop)
        await sleep(loadMin + random() * (loadMax - loadMin))
        stop = true
        if (moment === 'quiescent') {
          await running
          before = await comparedView(url)
          // With a prover, L1 first catches up with every batch cut: the restart can then
          // begin at the journal's newest checkpoint rather than replay from the start.
          if (prover) await l1Verified(funder.publicClient, deployment.rollup, reference.batches.count, fail)
          await node.kill()
          kills.quiescent++
        } else {
          await node.kill()
          await running
          kills.midLoad++
        }
        log(`kill ${kill}: ${moment}, ${load.sent.length} requests so far, journal ${journal.read().length} entries, last restart ${restarts.at(-1)!.readyMs} ms`)
      }
      node = spawnNode()
      incarnation++
    }
    const url = await node.ready
    restarts.push(await restartOf(url, node.readyMs!, journal.read().length))
    await audit(url)
    // Nothing from L1 is lost either: every deposit is applied once the node polls.
    for (let i = 0; i < 100; i++) {
      const { queueProcessed } = (await (await fetch(`${url}/v1/health`)).json()) as { queueProcessed: string }
      if (BigInt(queueProcessed) === BigInt(deposits)) break
      if (i === 99) fail(`the node applied ${queueProcessed} of the ${deposits} deposits on L1`)
      await sleep(100)
    }
    const entries = await audit(url)
    const verifiedOnL1 = prover ? await everyBatchOnL1(url, funder.publicClient, deployment.rollup, reference.batches, fail) : undefined
    const count = (fate: string) => load.sent.filter((r) => r.fate === fate).length
    const refusedCodes: Record<string, number> = {}
    for (const r of load.sent) if (r.fate === 'refused') refusedCodes[String(r.response?.code)] = (refusedCodes[String(r.response?.code)] ?? 0) + 1
    return {
      seed,
      kills,
      requests: {
        acked: count('acked'),
        refused: count('refused'),
        undelivered: count('undelivered'),
        unknownPresent: [...fates.values()].filter((f) => f === 'present').length,
        unknownAbsent: [...fates.values()].filter((f) => f === 'absent').length,
      },
      refusedCodes,
      journalEntries: entries,
      journalSegments: journalSegments(journal.path).length,
      journaledRequests: [...reference.requests.values()].length,
      restarts,
      exactMatches,
      ...(verifiedOnL1 !== undefined ? { verifiedOnL1 } : {}),
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    await node?.kill()
    await prover?.close()
    compiled?.remove()
    await anvil.stop()
    const queue = new Queue(proofQueueName(DEFAULT_PARAMS), { connection: redisConnection(redisUrl) })
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
    await redis.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
