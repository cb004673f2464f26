/**
 * The SDK's L1 helpers (sdk/l1.ts, sdk/l1Waits.ts) against the real contracts on a fresh anvil
 * (no sequencer: the waits that need one are covered by cli/trader.e2e.test.ts against the
 * embedded node).
 */
import { createServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestClient, http, type Address } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { collateralTokenAbi } from '../l1/abi.js'
import { connectL1 } from '../l1/clients.js'
import { deployRollup, type Deployment } from '../l1/deploy.js'
import { freeze } from '../l1/rollupCalls.js'
import { TEST_PARAMS } from '../state/params.js'
import { testKey } from '../state/testing.js'
import { SdkValidationError } from './errors.js'
import {
  claimWithdrawals,
  connectWallet,
  depositCollateral,
  forceWithdrawal,
  l1Reader,
  mintTestCollateral,
  readEscapeHatch,
  readPendingWithdrawal,
  readQueuePosition,
  readTokenBalance,
  type L1Step,
  type TraderWallet,
} from './l1.js'
import { waitForWithdrawalCredit } from './l1Waits.js'
import { InsufficientTokenBalanceError, L1RefusedError, L1UnreachableError, NothingToClaimError, RollupFrozenError, WaitTimeoutError } from './l1Errors.js'

const USDC = 1_000_000n
let anvil: Anvil
let deployment: Deployment
let rollup: Address
let alice: TraderWallet
let bob: TraderWallet

beforeAll(async () => {
  anvil = await startAnvil()
  deployment = await deployRollup(await connectL1(anvil.rpcUrl, ANVIL_KEYS[0]), TEST_PARAMS)
  rollup = deployment.rollup
  alice = await connectWallet(anvil.rpcUrl, ANVIL_KEYS[1])
  bob = await connectWallet(anvil.rpcUrl, ANVIL_KEYS[2])
})

afterAll(async () => {
  await anvil?.stop()
})

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

describe('deposits', () => {
  it('refuses a deposit the wallet cannot pay before sending anything, then deposits after the faucet', async () => {
    const key = testKey(1)
    const err = await depositCollateral(alice, { rollup, amount: 100n * USDC, pubKey: key.pubKey }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(InsufficientTokenBalanceError)
    expect(err).toMatchObject({ balance: 0n, needed: 100n * USDC })
    expect(await alice.publicClient.getTransactionCount({ address: alice.account.address })).toBe(0)

    await mintTestCollateral(alice, { rollup, amount: 1_000n * USDC })
    expect(await readTokenBalance(alice.publicClient, rollup, alice.account.address)).toBe(1_000n * USDC)
    const steps: L1Step[] = []
    const first = await depositCollateral(alice, { rollup, amount: 100n * USDC, pubKey: key.pubKey, onStep: (s) => steps.push(s) })
    expect(steps.map((s) => `${s.action} ${s.phase} ${s.step}/${s.steps}`)).toEqual(['approve sending 1/2', 'approve mined 1/2', 'deposit sending 2/2', 'deposit mined 2/2'])
    expect(first.queueIndex).toBe(0n)
    expect(first.approveHash).toMatch(/^0x[0-9a-f]{64}$/)
    expect(await readTokenBalance(alice.publicClient, rollup, alice.account.address)).toBe(900n * USDC)
  })

  it('skips the approval when the allowance covers the deposit', async () => {
    const token = deployment.token
    const hash = await alice.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'approve', args: [rollup, 500n * USDC] })
    await alice.publicClient.waitForTransactionReceipt({ hash })
    const steps: L1Step[] = []
    const second = await depositCollateral(alice, { rollup, amount: 200n * USDC, pubKey: testKey(1).pubKey, onStep: (s) => steps.push(s) })
    expect(steps.map((s) => `${s.action} ${s.phase} ${s.step}/${s.steps}`)).toEqual(['deposit sending 1/1', 'deposit mined 1/1'])
    expect(second.approveHash).toBeUndefined()
    expect(second.queueIndex).toBe(1n)
  })

  it('reads queue positions, and refuses an index past the queue', async () => {
    expect(await readQueuePosition(alice.publicClient, rollup, 1n)).toEqual({ queueIndex: 1n, queueLength: 2n, queueProcessed: 0n, verified: false, ahead: 1n })
    await expect(readQueuePosition(alice.publicClient, rollup, 2n)).rejects.toThrow(SdkValidationError)
  })

  it('checks amounts against the protocol range before touching L1', async () => {
    await expect(depositCollateral(alice, { rollup, amount: 0n, pubKey: testKey(1).pubKey })).rejects.toThrow(/amount: must be in \[1, /)
    await expect(depositCollateral(alice, { rollup, amount: 1n << 64n, pubKey: testKey(1).pubKey })).rejects.toThrow(SdkValidationError)
  })
})

describe('forced withdrawals and the escape hatch', () => {
  it('requests a forced withdrawal and reads it back with its deadline, per requester', async () => {
    const before = await alice.publicClient.getBlock()
    const r = await forceWithdrawal(bob, { rollup, accountIndex: 1n })
    expect(r.queueIndex).toBe(2n)
    const mined = await alice.publicClient.getTransactionReceipt({ hash: r.hash })
    const block = await alice.publicClient.getBlock({ blockNumber: mined.blockNumber })
    expect(r.deadline).toBe(block.timestamp + BigInt(TEST_PARAMS.forcedTimeoutSeconds))
    expect(block.timestamp).toBeGreaterThanOrEqual(before.timestamp)

    const mine = await readEscapeHatch(l1Reader(anvil.rpcUrl), rollup, { requester: bob.account.address })
    expect(mine).toMatchObject({ frozen: false, forcedTimeoutSeconds: BigInt(TEST_PARAMS.forcedTimeoutSeconds), queueLength: 3n, queueProcessed: 0n, canFreeze: false })
    expect(mine.forcedRequests).toEqual([{ queueIndex: 2n, accountIndex: 1n, requester: bob.account.address, deadline: r.deadline, served: false, overdue: false }])
    expect((await readEscapeHatch(alice.publicClient, rollup, { requester: alice.account.address })).forcedRequests).toEqual([])
  })

  it('reports the contract refusal by name', async () => {
    const err = await forceWithdrawal(bob, { rollup, accountIndex: 1n << BigInt(TEST_PARAMS.accountsDepth) }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(L1RefusedError)
    expect(err).toMatchObject({ action: 'requestForcedWithdrawal', reason: `AccountOutOfRange(${1n << BigInt(TEST_PARAMS.accountsDepth)})` })
  })

  it('has nothing to claim, and a wait for a credit that never comes times out', async () => {
    expect(await readPendingWithdrawal(bob.publicClient, rollup, bob.account.address)).toBe(0n)
    await expect(claimWithdrawals(bob, { rollup })).rejects.toThrow(NothingToClaimError)
    const stages: string[] = []
    const err = await waitForWithdrawalCredit(bob.publicClient, {
      rollup,
      recipient: bob.account.address,
      amount: 1n,
      fromBlock: 0n,
      timeoutMs: 300,
      pollMs: 100,
      onProgress: (p) => stages.push(p.stage),
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WaitTimeoutError)
    expect(stages.length).toBeGreaterThan(0)
    expect(new Set(stages)).toEqual(new Set(['waiting']))
  })

  it('marks the request overdue after the timeout; once frozen, deposits and requests are refused before sending', async () => {
    const chain = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    await chain.increaseTime({ seconds: TEST_PARAMS.forcedTimeoutSeconds + 1 })
    await chain.mine({ blocks: 1 })
    const overdue = await readEscapeHatch(alice.publicClient, rollup)
    expect(overdue.canFreeze).toBe(true)
    expect(overdue.forcedRequests.map((r) => r.overdue)).toEqual([true])

    await freeze(alice, rollup, 2n)
    const frozen = await readEscapeHatch(alice.publicClient, rollup)
    expect(frozen).toMatchObject({ frozen: true, canFreeze: false })
    const nonce = await alice.publicClient.getTransactionCount({ address: alice.account.address })
    await expect(depositCollateral(alice, { rollup, amount: USDC, pubKey: testKey(1).pubKey })).rejects.toThrow(RollupFrozenError)
    await expect(forceWithdrawal(alice, { rollup, accountIndex: 1n })).rejects.toThrow(RollupFrozenError)
    expect(await alice.publicClient.getTransactionCount({ address: alice.account.address })).toBe(nonce)
  })
})

describe('an L1 node that does not answer', () => {
  it('is L1UnreachableError, for a wallet and for a reader', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    await expect(connectWallet(url, ANVIL_KEYS[1])).rejects.toThrow(L1UnreachableError)
    await expect(readEscapeHatch(l1Reader(url), rollup)).rejects.toThrow(L1UnreachableError)
  })
})
