/**
 * Market tables on anvil: `submitBatch` posts a batch's table only when it differs from the
 * one the Rollup has in force, and `readVerifiedBatches` resolves the table of every batch
 * from calldata (the empty table before any is posted), so that each batch replays through
 * the core. The verifier's code is replaced by one that accepts every proof: the tables'
 * encoding and hashing are what is tested here, proofs are tested end to end elsewhere
 * (test/e2e.test.ts, escape/escape.test.ts). Needs forge's build output (`npx forge build`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEventLogs, type Address } from 'viem'
import { rollupAbi } from './abi.js'
import { ANVIL_KEYS, startAnvil, type Anvil } from './anvil.js'
import { connectL1, withAccount, type L1Context } from './clients.js'
import { deployRollup, type Deployment } from './deploy.js'
import { deposit, mintTestTokens, submitBatch, tableToPost, type Mined } from './rollupCalls.js'
import { readQueueEntries, readVerifiedBatches } from './rollupReaders.js'
import { applyBatch, replayBatch } from '../state/batch.js'
import { EMPTY_MARKET_TABLE, marketTableFromWords, marketTableHash, marketTableWords } from '../state/marketTable.js'
import { marketTableWordCount, TEST_PARAMS, TxType } from '../state/params.js'
import { RollupState } from '../state/rollupState.js'
import { testKey, testMarketTable } from '../state/testing.js'
import type { BatchTrace, Tx } from '../state/types.js'
import { acceptEveryProof, NO_PROOF } from './testing.js'

const params = TEST_PARAMS

let anvil: Anvil
let operator: L1Context
let deployment: Deployment
let rollup: Address
const state = new RollupState(params)
const traces: BatchTrace[] = []
const mined: Mined[] = []

async function contractTableHash(): Promise<bigint> {
  return operator.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'marketTableHash' })
}

async function submit(txs: readonly Tx[]): Promise<{ trace: BatchTrace; posted: readonly bigint[]; result: Mined }> {
  const trace = applyBatch(state, txs)
  state.commit()
  const posted = await tableToPost(operator, rollup, trace)
  const result = await submitBatch(operator, rollup, trace, NO_PROOF)
  traces.push(trace)
  mined.push(result)
  return { trace, posted, result }
}

function tableEvents(result: Mined) {
  return parseEventLogs({ abi: rollupAbi, eventName: 'MarketTableUpdated', logs: result.receipt.logs })
}

beforeAll(async () => {
  anvil = await startAnvil()
  operator = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  deployment = await deployRollup(operator, params)
  rollup = deployment.rollup
  await acceptEveryProof(anvil.rpcUrl, deployment.verifier)
  const user = withAccount(operator, ANVIL_KEYS[1])
  await mintTestTokens(user, deployment.token, user.account.address, 10_000_000n)
  await deposit(user, rollup, deployment.token, 6_000_000n, testKey(1).pubKey)
  await deposit(user, rollup, deployment.token, 4_000_000n, testKey(2).pubKey)
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
})

describe('market tables on L1', () => {
  it('deploys with the empty table in force and the parameter set\'s table size', async () => {
    expect(await contractTableHash()).toBe(marketTableHash(EMPTY_MARKET_TABLE, params))
    expect(await operator.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'marketTableWords' })).toBe(BigInt(marketTableWordCount(params)))
  })

  it('posts no table for a batch proven against the table in force', async () => {
    const entries = await readQueueEntries(operator.publicClient, rollup)
    const txs: Tx[] = entries.map((e, i) => ({ type: TxType.deposit, accountIndex: BigInt(i + 1), entry: e.entry }))
    const { posted, result } = await submit(txs)
    expect(posted).toEqual([])
    expect(tableEvents(result)).toEqual([])
    expect(await contractTableHash()).toBe(marketTableHash(EMPTY_MARKET_TABLE, params))
  })

  it('posts a new table, which becomes the table in force', async () => {
    const table = testMarketTable(params)
    state.setMarketTable(table)
    const { trace, posted, result } = await submit([])
    expect(posted).toEqual(marketTableWords(table, params))
    const [event] = tableEvents(result)
    expect(event?.args).toEqual({ batchNumber: 1n, tableHash: trace.marketTableHash })
    expect(await contractTableHash()).toBe(trace.marketTableHash)
  })

  it('reuses the posted table for the next batch, which costs less gas', async () => {
    const { posted, result } = await submit([])
    expect(posted).toEqual([])
    expect(tableEvents(result)).toEqual([])
    expect(await contractTableHash()).toBe(traces[1]!.marketTableHash)
    // Same empty batch, with and without posting the table.
    expect(result.gasUsed).toBeLessThan(mined[1]!.gasUsed)
  })

  it('reads every batch with the table in force for it, and they replay to the verified roots', async () => {
    const batches = await readVerifiedBatches(operator.publicClient, rollup, params, { fromBlock: deployment.deployBlock })
    expect(batches.map((b) => b.postedTable)).toEqual([false, true, false])
    expect(batches.map((b) => b.marketTableWords)).toEqual(traces.map((t) => t.marketTableWords))
    expect(marketTableFromWords(batches[0]!.marketTableWords, params)).toEqual(EMPTY_MARKET_TABLE)
    expect(marketTableFromWords(batches[2]!.marketTableWords, params)).toEqual(testMarketTable(params))

    const queue = (await readQueueEntries(operator.publicClient, rollup)).map((e) => e.entry)
    const replayed = new RollupState(params)
    let processed = 0
    for (const batch of batches) {
      const end = processed + Number(batch.queueCount)
      const trace = replayBatch(replayed, batch.data, queue.slice(processed, end), marketTableFromWords(batch.marketTableWords, params), batch.newRoot)
      expect(trace.inputHash).toBe(traces[Number(batch.batchNumber)]!.inputHash)
      replayed.commit()
      processed = end
    }
    expect(replayed.root).toBe(state.root)
  })
})
