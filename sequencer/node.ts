/**
 * A running rollup node: the engine, the batch pipeline (prover + L1 submitter), the L1
 * watcher (queue entries, listed series) and the HTTP API, wired together.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import type { Address, Hex } from 'viem'
import { connectL1, type L1Context } from '../l1/clients.js'
import { submitBatch } from '../l1/rollupCalls.js'
import { readListedSeries, readQueueEntries, readRollupStatus } from '../l1/rollupReaders.js'
import { RollupState, type ParamSet } from '../state/index.js'
import { validateSeries } from '../risk/index.js'
import { inProcessProver, queueProver, type Prover } from '../prover/queue.js'
import { rebuildStateFromL1 } from '../escape/rebuild.js'
import { Engine } from './engine.js'
import { Market, type MarketInputsConfig } from './market.js'
import { BatchPipeline } from './pipeline.js'
import { buildApi } from './api/app.js'

export type NodeConfig = {
  readonly params: ParamSet
  readonly rpcUrl: string
  /** Key of the Rollup's operator account (submits batches). */
  readonly operatorKey: Hex
  readonly rollup: Address
  /** Block of the Rollup's deployment: where log scans start. */
  readonly deployBlock?: bigint
  readonly host?: string
  /** 0 picks a free port. */
  readonly port?: number
  /** A partly filled batch is cut (padded with no-ops) once its first slot is this old. */
  readonly batchTimeoutMs?: number
  /** How often L1 is polled for queue entries and series. */
  readonly pollIntervalMs?: number
  readonly market: MarketInputsConfig
  readonly prover?: { readonly kind: 'in-process' } | { readonly kind: 'bullmq'; readonly redisUrl: string }
  /** Unix seconds; defaults to the wall clock. */
  readonly now?: () => bigint
  readonly logger?: FastifyServerOptions['logger']
  readonly log?: (s: string) => void
}

export type RollupNode = {
  readonly url: string
  readonly engine: Engine
  readonly pipeline: BatchPipeline
  readonly market: Market
  readonly api: FastifyInstance
  readonly l1: L1Context
  /** Polls L1 once now (queue entries, series) and cuts an overdue batch. */
  readonly sync: () => Promise<void>
  /** Cuts the pending slots into a batch now and waits until every batch is on L1. */
  readonly settle: () => Promise<void>
  readonly stop: () => Promise<void>
}

const wallClock = () => BigInt(Math.floor(Date.now() / 1000))

/** Starts a node against a deployed Rollup; the state is rebuilt from L1 first. */
export async function startNode(config: NodeConfig): Promise<RollupNode> {
  const log = config.log ?? (() => {})
  const now = config.now ?? wallClock
  const l1 = await connectL1(config.rpcUrl, config.operatorKey)
  const fromBlock = config.deployBlock ?? 0n
  const status = await readRollupStatus(l1.publicClient, config.rollup)
  const state = status.batchCount > 0n ? await rebuildStateFromL1(l1.publicClient, config.rollup, config.params, { fromBlock }) : new RollupState(config.params)
  if (status.batchCount > 0n) log(`state rebuilt from ${status.batchCount} verified batches on L1`)

  const prover: Prover = config.prover?.kind === 'bullmq' ? await queueProver(config.params, config.prover.redisUrl) : inProcessProver(config.params)
  const pipeline = new BatchPipeline(prover, (trace, proof) => submitBatch(l1, config.rollup, trace, proof), { firstNumber: Number(status.batchCount) + 1, log })
  const market = new Market(config.market)
  const engine = new Engine(state, {
    market,
    now,
    onBatch: (batch) => pipeline.enqueue(batch),
    onCancel: (c) => log(`cancelled order ${c.orderId} of account ${c.accountIndex}: ${c.reason}`),
  })

  const batchTimeoutMs = config.batchTimeoutMs ?? 5_000
  let pendingSince: number | undefined
  const sync = async () => {
    for (const s of await readListedSeries(l1.publicClient, config.rollup, { fromBlock })) {
      try {
        validateSeries(s)
        market.addSeries(s)
      } catch (e) {
        log(`ignoring series ${s.id}: ${(e as Error).message}`)
      }
    }
    for (const { queueIndex, entry } of await readQueueEntries(l1.publicClient, config.rollup, { fromBlock, fromIndex: engine.nextQueueIndex })) {
      const { accountIndex } = engine.applyQueueEntry(queueIndex, entry)
      log(`L1 queue entry ${queueIndex} applied to account ${accountIndex}`)
    }
    if (engine.pendingSlots === 0) pendingSince = undefined
    else if (pendingSince === undefined) pendingSince = Date.now()
    else if (Date.now() - pendingSince >= batchTimeoutMs) {
      engine.flush()
      pendingSince = undefined
    }
  }
  await sync()

  const api = await buildApi({ engine, pipeline, market, now, info: { rollup: config.rollup, chainId: l1.walletClient.chain.id, prover: prover.kind } }, { logger: config.logger ?? false })
  const url = await api.listen({ host: config.host ?? '127.0.0.1', port: config.port ?? 0 })

  let running = true
  let wake: (() => void) | undefined
  let timer: NodeJS.Timeout | undefined
  const pollIntervalMs = config.pollIntervalMs ?? 1_000
  const loop = (async () => {
    while (running) {
      await new Promise<void>((r) => {
        wake = r
        timer = setTimeout(r, pollIntervalMs)
      })
      if (!running) break
      await sync().catch((e: Error) => log(`L1 sync failed (will retry): ${e.message}`))
    }
  })()

  return {
    url,
    engine,
    pipeline,
    market,
    api,
    l1,
    sync,
    settle: async () => {
      engine.flush()
      pendingSince = undefined
      await pipeline.idle()
    },
    stop: async () => {
      running = false
      clearTimeout(timer)
      wake?.()
      await loop
      await api.close()
      await pipeline.idle()
      await prover.close()
    },
  }
}
