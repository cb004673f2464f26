/**
 * `submitBatchOnce` on anvil: a batch L1 already verified with the same root is answered
 * with that verification instead of being sent again (a node killed after sending its
 * transaction proves the batch again after its restart), before sending and after a send that
 * failed because the earlier transaction was mined first; a batch verified with another root
 * is refused. The verifier's code accepts every proof (as l1/marketTable.test.ts does): what
 * is tested is the bookkeeping, proofs are tested end to end elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Address, TestClient } from 'viem'
import { rollupAbi } from './abi.js'
import { ANVIL_KEYS, startAnvil, type Anvil } from './anvil.js'
import { connectL1, withAccount, type L1Context } from './clients.js'
import { deployRollup } from './deploy.js'
import { deposit, mintTestTokens, ownTransactionsSettled, submitBatchOnce } from './rollupCalls.js'
import { readQueueEntries } from './rollupReaders.js'
import { applyBatch } from '../state/batch.js'
import { TEST_PARAMS, TxType } from '../state/params.js'
import { RollupState } from '../state/rollupState.js'
import { testKey, testMarketTable } from '../state/testing.js'
import type { BatchTrace, Tx } from '../state/types.js'
import { acceptEveryProof, NO_PROOF } from './testing.js'

const params = TEST_PARAMS

let anvil: Anvil
let operator: L1Context
let testClient: TestClient
let rollup: Address
const state = new RollupState(params)
let deposits: Tx[] = []

const batchCount = () => operator.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'batchCount' })

beforeAll(async () => {
  anvil = await startAnvil()
  operator = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  const deployment = await deployRollup(operator, params)
  rollup = deployment.rollup
  testClient = await acceptEveryProof(anvil.rpcUrl, deployment.verifier)
  const user = withAccount(operator, ANVIL_KEYS[1])
  await mintTestTokens(user, deployment.token, user.account.address, 10_000_000n)
  for (const n of [1, 2, 3]) await deposit(user, rollup, deployment.token, 1_000_000n, testKey(n).pubKey)
  deposits = (await readQueueEntries(operator.publicClient, rollup)).map((e, i) => ({ type: TxType.deposit, accountIndex: BigInt(i + 1), entry: e.entry }))
  state.setMarketTable(testMarketTable(params))
}, 120_000)

afterAll(async () => {
  await anvil?.stop()
})

function batchOf(txs: readonly Tx[], on = state): BatchTrace {
  const trace = applyBatch(on, txs)
  on.commit()
  return trace
}

describe('submitBatchOnce', () => {
  it('sends a batch L1 has not verified, and answers a resend with the verification L1 has', async () => {
    const trace = batchOf(deposits.slice(0, 1))
    const first = await submitBatchOnce(operator, rollup, 0, trace, NO_PROOF)
    expect(first.alreadyVerified).toBe(false)
    expect(await batchCount()).toBe(1n)
    const again = await submitBatchOnce(operator, rollup, 0, trace, NO_PROOF)
    expect(again).toMatchObject({ alreadyVerified: true, hash: first.hash, gasUsed: first.gasUsed })
    expect(await batchCount()).toBe(1n)
  })

  it('refuses a batch number L1 verified with another root', async () => {
    const other = RollupState.fromRecords(params, { ...new RollupState(params).records(), marketTable: testMarketTable(params) })
    const foreign = batchOf(deposits.slice(0, 1).map((d) => ({ ...d, accountIndex: 2n })), other)
    await expect(submitBatchOnce(operator, rollup, 0, foreign, NO_PROOF)).rejects.toThrow(/batch 0 is verified on L1 with root \d+, not this node's \d+/)
    expect(await batchCount()).toBe(1n)
  })

  it('waits for a pending submission of the batch (a killed predecessor\'s) and takes its verification instead of sending again', async () => {
    // It consumes the last queue entries, so a second transaction would revert once the first
    // is mined (this test's verifier accepts any proof; a real one refuses it for its old root).
    const trace = batchOf(deposits.slice(1, 3))
    await testClient.setAutomine(false)
    try {
      const first = submitBatchOnce(operator, rollup, 1, trace, NO_PROOF)
      await new Promise((r) => setTimeout(r, 300))
      // The restarted node finds the first transaction pending, and waits for it.
      let settled = false
      const second = submitBatchOnce(operator, rollup, 1, trace, NO_PROOF, { pendingWaitMs: 30_000 }).finally(() => (settled = true))
      await new Promise((r) => setTimeout(r, 1_000))
      expect(settled).toBe(false)
      await testClient.mine({ blocks: 1 })
      const [a, b] = await Promise.all([first, second])
      expect([a.alreadyVerified, b.alreadyVerified]).toEqual([false, true])
      expect(b.hash).toBe(a.hash)
    } finally {
      await testClient.setAutomine(true)
    }
    expect(await batchCount()).toBe(2n)
  })

  it('reports a transaction still pending when the wait ends, and none once it is mined', async () => {
    await testClient.setAutomine(false)
    try {
      const stuck = operator.walletClient.sendTransaction({ to: operator.account.address, value: 0n })
      await stuck
      expect(await ownTransactionsSettled(operator, 600, 100)).toBe(false)
      await testClient.mine({ blocks: 1 })
      expect(await ownTransactionsSettled(operator, 600, 100)).toBe(true)
    } finally {
      await testClient.setAutomine(true)
    }
  })
})
