/**
 * The whole loop on a local L1, every part real: L1 deposits, L2 keys derived from Ethereum
 * signatures, signed orders and a signed cancel through the sequencer's HTTP API, trading
 * fees, Groth16 proofs verified by the Rollup on anvil, an L1 withdrawal payout; then the
 * sequencer stops and a user exits through the escape hatch using L1 data alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestClient, http, type Address } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../l1/anvil.js'
import { connectL1, type L1Context } from '../l1/clients.js'
import { collateralTokenAbi } from '../l1/abi.js'
import { deposit, mintTestTokens, submitBatch, withdrawPending } from '../l1/rollupCalls.js'
import { readRollupStatus } from '../l1/rollupReaders.js'
import { TransactionError } from '../l1/errors.js'
import { AlreadyExitedError, NotOverdueError, exitAccount, freezeIfOverdue, rebuildStateFromL1, requestForced } from '../escape/index.js'
import { proveBatch } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import { SequencerClient, buildOrder, deriveL2Key, signCancel, signOrder, signWithdrawal, type L2Key } from '../sdk/index.js'
import { newestBatch, waitForWithdrawalCredit, type CreditWaitProgress } from '../sdk/l1Waits.js'
import { WaitTimeoutError } from '../sdk/l1Errors.js'
import { applyBatch, CANCELLED_FILLED, FEE_ACCOUNT_INDEX, TEST_PARAMS, tradeFee, TxType } from '../state/index.js'
import { startEmbedded, type EmbeddedNode } from '../sequencer/embedded.js'

const USDC = 1_000_000n
const DEPOSIT = 5_000n * USDC
const PRICE = 2_100_000n
const SIZE = 100n
const WITHDRAWAL = 1_000n * USDC
/** The trading fee each side pays on the trade below. */
const FEE = tradeFee(TEST_PARAMS, PRICE, SIZE)

type Trader = { address: Address; l1: L1Context; l2: L2Key; index: bigint }

let embedded: EmbeddedNode
let client: SequencerClient
let alice: Trader
let bob: Trader

async function balanceOf(who: Address): Promise<bigint> {
  return embedded.node.l1.publicClient.readContract({ address: embedded.deployment.token, abi: collateralTokenAbi, functionName: 'balanceOf', args: [who] })
}

async function trader(key: `0x${string}`): Promise<Trader> {
  const account = privateKeyToAccount(key)
  const l1 = await connectL1(embedded.anvil.rpcUrl, key)
  const l2 = await deriveL2Key(account, embedded.anvil.chainId, embedded.deployment.rollup)
  await mintTestTokens(l1, embedded.deployment.token, account.address, DEPOSIT)
  await deposit(l1, embedded.deployment.rollup, embedded.deployment.token, DEPOSIT, l2.publicKey)
  return { address: account.address, l1, l2, index: 0n }
}

beforeAll(async () => {
  // Batches are cut when full or on settle(); the poll only brings L1 entries in.
  embedded = await startEmbedded({ node: { batchTimeoutMs: 3_600_000, pollIntervalMs: 200 } })
  client = new SequencerClient({ baseUrl: embedded.node.url })
  alice = await trader(ANVIL_KEYS[1])
  bob = await trader(ANVIL_KEYS[2])
  await embedded.node.sync()
  alice.index = BigInt((await client.getAccountByL1Address(alice.address)).index)
  bob.index = BigInt((await client.getAccountByL1Address(bob.address)).index)
})

afterAll(async () => {
  await embedded?.stop()
  await terminateCurves()
})

describe('a signed option trade, proven and verified on L1', () => {
  it('credits both L1 deposits to new accounts', async () => {
    expect([alice.index, bob.index]).toEqual([1n, 2n])
    expect((await client.getAccount(alice.index)).collateral).toBe(DEPOSIT.toString())
  })

  it('matches a call trade at the maker price and applies a withdrawal', async () => {
    const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)
    const sell = buildOrder({ accountIndex: bob.index, orderId: 1n, seriesId: embedded.seriesId, side: 'sell', size: SIZE, limitPrice: PRICE, validUntil })
    expect((await client.placeOrder(signOrder(sell, bob.l2.privateKey))).status).toBe('resting')
    const buy = buildOrder({ accountIndex: alice.index, orderId: 1n, seriesId: embedded.seriesId, side: 'buy', size: SIZE, limitPrice: PRICE + 50_000n, validUntil })
    const outcome = await client.placeOrder(signOrder(buy, alice.l2.privateKey))
    expect(outcome).toMatchObject({ status: 'filled', fills: [{ makerAccount: bob.index.toString(), size: SIZE.toString(), price: PRICE.toString() }] })
    await client.requestWithdrawal(signWithdrawal({ accountIndex: alice.index, nonce: 0n, amount: WITHDRAWAL }, alice.l2.privateKey))
    const a = await client.getAccount(alice.index)
    expect(a.collateral).toBe((DEPOSIT - SIZE * PRICE - FEE - WITHDRAWAL).toString())
    expect(a.positions).toMatchObject([{ seriesId: embedded.seriesId.toString(), size: SIZE.toString() }])
    const bobView = (await client.getAccount(bob.index)) as { positions: unknown; greeks?: { byUnderlying: { underlying: string; delta: number; vegaPerVolPoint: number }[] } }
    expect(bobView.positions).toMatchObject([{ size: (-SIZE).toString() }])
    // Short one call: negative delta (between -1 and 0 per contract) and negative vega.
    const eth = bobView.greeks!.byUnderlying.find((g) => g.underlying === 'ETH')!
    expect(eth.delta).toBeLessThan(0)
    expect(eth.delta).toBeGreaterThan(-1)
    expect(eth.vegaPerVolPoint).toBeLessThan(0)
  })

  it('cancels a resting order: it leaves the book and its slot is bumped in the next batch', async () => {
    const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)
    const sell = buildOrder({ accountIndex: bob.index, orderId: 2n, seriesId: embedded.seriesId, side: 'sell', size: SIZE, limitPrice: 2n * PRICE, validUntil })
    expect((await client.placeOrder(signOrder(sell, bob.l2.privateKey))).status).toBe('resting')
    expect(await client.cancelOrder(signCancel({ accountIndex: bob.index, orderId: 2n }, bob.l2.privateKey))).toMatchObject({ status: 'cancelled', removedFromBook: SIZE.toString() })
    expect(await client.request('GET', `/v1/book/${embedded.seriesId}`)).toMatchObject({ asks: [] })
  })

  it('proves every batch and the Rollup verifies each one and moves its root', async () => {
    await embedded.node.settle()
    const records = embedded.node.pipeline.records
    expect(records.map((r) => r.status)).toEqual(['verified', 'verified', 'verified'])
    expect(records.map((r) => r.txCounts)).toMatchObject([{ deposit: 2 }, { trade: 1, withdraw: 1 }, { cancel: 1, noop: 1 }])
    const status = await readRollupStatus(embedded.node.l1.publicClient, embedded.deployment.rollup)
    expect(status.batchCount).toBe(3n)
    expect(status.queueProcessed).toBe(2n)
    expect(status.stateRoot).toBe(await embedded.node.stateRoot())
  })

  it('lists the batches newest first a page at a time, one by number, and refuses an unknown number', async () => {
    const newest = await client.getBatches({ limit: 2 })
    expect(newest.batches.map((b) => [b.number, b.status])).toEqual([[2, 'verified'], [1, 'verified']])
    expect(newest.next).toBe('1')
    const older = await client.getBatches({ cursor: newest.next! })
    expect(older.batches.map((b) => b.number)).toEqual([0])
    expect(older.next).toBeUndefined()
    const second = await client.getBatch(1)
    expect(second).toMatchObject({ number: 1, status: 'verified', txCounts: { trade: 1, withdraw: 1 } })
    expect(second.l1TxHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(second.oldRoot).toBe((await client.getBatch(0)).newRoot)
    expect((await client.getBatch(2)).newRoot).toBe((await readRollupStatus(embedded.node.l1.publicClient, embedded.deployment.rollup)).stateRoot.toString())
    await expect(client.getBatch(3)).rejects.toMatchObject({ status: 404, code: 'UNKNOWN_BATCH' })
    for (const query of ['limit=0', 'limit=1001', 'cursor=-1', 'cursor=x', 'page=2']) {
      const res = await fetch(`${embedded.node.url}/v1/batches?${query}`)
      expect([query, res.status, ((await res.json()) as { code: string }).code]).toEqual([query, 400, 'MALFORMED_REQUEST'])
    }
    expect((await fetch(`${embedded.node.url}/v1/batches/first`)).status).toBe(400)
    expect(await client.health()).toMatchObject({ batches: 3, verifiedBatches: 3 })
  })

  it("reports a withdrawal's stage from the first batch after the one it was sent after", async () => {
    expect(await newestBatch(client)).toBe(2)
    const stagesAfter = async (afterBatch: number) => {
      const stages: CreditWaitProgress[] = []
      const wait = waitForWithdrawalCredit(alice.l1.publicClient, {
        rollup: embedded.deployment.rollup,
        recipient: alice.address,
        amount: 1n, // never credited: the wait times out after reporting stages
        fromBlock: 0n,
        timeoutMs: 200,
        pollMs: 100,
        sequencer: { client, afterBatch },
        onProgress: (p) => stages.push(p),
      })
      await expect(wait).rejects.toThrow(WaitTimeoutError)
      return stages
    }
    expect(await stagesAfter(1)).toContainEqual({ stage: 'submitting', batch: 2 })
    expect(new Set((await stagesAfter(2)).map((s) => s.stage))).toEqual(new Set(['batching']))
  })

  it('pays the withdrawal on L1', async () => {
    const before = await balanceOf(alice.address)
    await withdrawPending(alice.l1, embedded.deployment.rollup)
    expect((await balanceOf(alice.address)) - before).toBe(WITHDRAWAL)
    await expect(withdrawPending(alice.l1, embedded.deployment.rollup)).rejects.toThrow(/NothingToWithdraw/)
  })
})

describe('the escape hatch, once the sequencer is gone', () => {
  const bobCollateral = DEPOSIT + SIZE * PRICE - FEE

  it('lets a user freeze the rollup only after the forced-withdrawal timeout', async () => {
    await embedded.node.stop()
    const request = await requestForced(bob.l1, embedded.deployment.rollup, bob.index)
    expect(request.queueIndex).toBe(2n)
    const anyone = await connectL1(embedded.anvil.rpcUrl, ANVIL_KEYS[3])
    await expect(freezeIfOverdue(anyone, embedded.deployment.rollup)).rejects.toThrow(NotOverdueError)
    const chain = createTestClient({ mode: 'anvil', transport: http(embedded.anvil.rpcUrl) })
    await chain.increaseTime({ seconds: TEST_PARAMS.forcedTimeoutSeconds + 1 })
    await chain.mine({ blocks: 1 })
    await freezeIfOverdue(anyone, embedded.deployment.rollup)
    expect((await readRollupStatus(anyone.publicClient, embedded.deployment.rollup)).frozen).toBe(true)
  })

  it('rebuilds the state from L1 calldata alone and pays exactly the balance, once', async () => {
    const state = await rebuildStateFromL1(bob.l1.publicClient, embedded.deployment.rollup, TEST_PARAMS, { fromBlock: embedded.deployment.deployBlock })
    expect(state.account(bob.index).collateral).toBe(bobCollateral)
    // The fees went to the insurance fund; bob's cancelled order 2 is dead in the rebuilt state too.
    expect(state.account(BigInt(FEE_ACCOUNT_INDEX)).collateral).toBe(2n * FEE)
    expect(state.orderSlot(bob.index, state.slotIndexOf(2n))).toEqual({ orderId: 2n, filled: CANCELLED_FILLED })
    const before = await balanceOf(bob.address)
    const exit = await exitAccount(bob.l1, embedded.deployment.rollup, TEST_PARAMS, bob.index, { state })
    expect(exit.amount).toBe(bobCollateral)
    expect((await balanceOf(bob.address)) - before).toBe(bobCollateral)
    await expect(exitAccount(bob.l1, embedded.deployment.rollup, TEST_PARAMS, bob.index, { state })).rejects.toThrow(AlreadyExitedError)
  })

  it('refuses a valid, proven batch after the freeze', async () => {
    const state = await rebuildStateFromL1(bob.l1.publicClient, embedded.deployment.rollup, TEST_PARAMS)
    const trace = applyBatch(state, [{ type: TxType.noop }])
    const { proof } = await proveBatch(trace, TEST_PARAMS)
    const operator = await connectL1(embedded.anvil.rpcUrl, embedded.operatorKey)
    await expect(submitBatch(operator, embedded.deployment.rollup, trace, proof)).rejects.toThrow(TransactionError)
    await expect(submitBatch(operator, embedded.deployment.rollup, trace, proof)).rejects.toThrow(/Frozen/)
  })
})
