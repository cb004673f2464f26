/**
 * The escape hatch end to end on a fresh anvil with real Groth16 proofs: two users deposit,
 * the operator proves and submits one batch, then disappears; a forced withdrawal is not
 * served, the rollup is frozen, the state is rebuilt from L1 alone and accounts exit.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestClient, http, type Address } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1, withAccount, type L1Context } from '../l1/clients.js'
import { deployRollup, type Deployment } from '../l1/deploy.js'
import { collateralTokenAbi } from '../l1/abi.js'
import { TransactionError } from '../l1/errors.js'
import { deposit, escapeExit, mintTestTokens, submitBatch } from '../l1/rollupCalls.js'
import { readQueueEntries, readRollupStatus } from '../l1/rollupReaders.js'
import { proveBatch } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import { applyBatch } from '../state/batch.js'
import { REALISTIC_PARAMS, TEST_PARAMS, TxType } from '../state/params.js'
import { RollupState } from '../state/rollupState.js'
import { testKey } from '../state/testing.js'
import type { Tx } from '../state/types.js'
import {
  AlreadyExitedError,
  AlreadyFrozenError,
  NoSuchAccountError,
  NotFrozenError,
  NotOverdueError,
  ParamsMismatchError,
  RebuildError,
  exitAccount,
  exitProof,
  freezeIfOverdue,
  readEscapeStatus,
  readL1History,
  rebuildStateFromL1,
  refundMyDeposits,
  replayHistory,
  requestForced,
  runCli,
  sending,
  type L1History,
} from './index.js'

const params = TEST_PARAMS
const DEPOSIT_1 = 250_000_000n
const DEPOSIT_2 = 100_000_000n
const LATE_DEPOSIT_2 = 5_000_000n

let anvil: Anvil
let operator: L1Context
let user1: L1Context
let user2: L1Context
let deployment: Deployment
let rollup: Address
/** The operator's own state: the sequencer's database, which the escape path never reads. */
let operatorState: RollupState

async function balanceOf(who: Address): Promise<bigint> {
  return operator.publicClient.readContract({ address: deployment.token, abi: collateralTokenAbi, functionName: 'balanceOf', args: [who] })
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(['--rpc', anvil.rpcUrl, '--rollup', rollup, ...args], { out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

beforeAll(async () => {
  anvil = await startAnvil()
  operator = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  user1 = withAccount(operator, ANVIL_KEYS[1])
  user2 = withAccount(operator, ANVIL_KEYS[2])
  deployment = await deployRollup(operator, params)
  rollup = deployment.rollup
  for (const u of [user1, user2]) await mintTestTokens(u, deployment.token, u.account.address, 1_000_000_000n)

  await deposit(user1, rollup, deployment.token, DEPOSIT_1, testKey(1).pubKey)
  await deposit(user2, rollup, deployment.token, DEPOSIT_2, testKey(2).pubKey)

  // The operator batches both deposits from the L1 queue and proves the batch.
  operatorState = new RollupState(params)
  const entries = await readQueueEntries(operator.publicClient, rollup)
  const txs: Tx[] = entries.map((e, i) => ({ type: TxType.deposit, accountIndex: BigInt(i + 1), entry: e.entry }))
  const trace = applyBatch(operatorState, txs)
  operatorState.commit()
  const { proof } = await proveBatch(trace, params)
  await submitBatch(operator, rollup, trace, proof)
}, 300_000)

afterAll(async () => {
  await anvil?.stop()
  await terminateCurves()
})

describe('escape hatch from L1 data alone', () => {
  it('rebuilds the verified state without the sequencer', async () => {
    const state = await rebuildStateFromL1(user1.publicClient, rollup, params)
    expect(state.root).toBe((await readRollupStatus(user1.publicClient, rollup)).stateRoot)
    expect(state.root).toBe(operatorState.root)
    expect(state.account(1n).collateral).toBe(DEPOSIT_1)
    expect(state.account(1n).l1Address).toBe(BigInt(user1.account.address))
    expect(state.account(2n).collateral).toBe(DEPOSIT_2)
    expect(state.accountIndices()).toEqual([1n, 2n])
  })

  it('refuses exits, refunds and freezing while nothing is overdue', async () => {
    await expect(exitAccount(user1, rollup, params, 1n)).rejects.toThrow(NotFrozenError)
    await expect(refundMyDeposits(user2, rollup)).rejects.toThrow(NotFrozenError)
    await expect(freezeIfOverdue(user2, rollup)).rejects.toThrow(/no forced withdrawal is waiting/)
  })

  it('freezes only once the forced withdrawal is overdue', async () => {
    // A deposit no batch will process, then the forced request the sequencer never serves.
    await deposit(user2, rollup, deployment.token, LATE_DEPOSIT_2, testKey(2).pubKey)
    const request = await requestForced(user1, rollup, 1n)
    expect(request.queueIndex).toBe(3n)

    const early = freezeIfOverdue(user2, rollup)
    await expect(early).rejects.toThrow(NotOverdueError)
    await expect(early).rejects.toThrow(/not overdue: freezing is possible after/)
    const viaCli = await cli('--key', ANVIL_KEYS[2], 'freeze')
    expect(viaCli.code).toBe(1)
    expect(viaCli.err).toMatch(/not overdue/)

    const before = await cli('status')
    expect(before.code).toBe(0)
    expect(before.out).toMatch(/forced request  #3: account 1/)
    expect(before.out).toMatch(/\(overdue in (7d|6d 23h[^)]*)\)/)
    expect(before.out).toMatch(/root matches the contract/)

    const test = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
    await test.increaseTime({ seconds: params.forcedTimeoutSeconds + 60 })
    await test.mine({ blocks: 1 })
    expect((await readEscapeStatus(user2.publicClient, rollup)).canFreeze).toBe(true)

    const frozen = await freezeIfOverdue(user2, rollup)
    expect(frozen.request).toMatchObject({ queueIndex: 3n, accountIndex: 1n, deadline: request.deadline })
    expect((await readRollupStatus(user2.publicClient, rollup)).frozen).toBe(true)
    await expect(freezeIfOverdue(user2, rollup)).rejects.toThrow(AlreadyFrozenError)
    await expect(requestForced(user2, rollup, 2n)).rejects.toThrow(AlreadyFrozenError)
  })

  it('refuses a batch submitted after the freeze, even a valid one', async () => {
    const entries = await readQueueEntries(operator.publicClient, rollup, { fromIndex: 2n })
    const txs: Tx[] = [
      { type: TxType.deposit, accountIndex: 2n, entry: entries[0]!.entry },
      { type: TxType.forcedWithdrawal, entry: entries[1]!.entry },
    ]
    const trace = applyBatch(operatorState, txs)
    const { proof } = await proveBatch(trace, params)
    await expect(sending('submitBatch', () => submitBatch(operator, rollup, trace, proof))).rejects.toThrow(/submitBatch reverted: Frozen\(\)/)
    await expect(submitBatch(operator, rollup, trace, proof)).rejects.toThrow(/Frozen/)
  })

  it('pays each account exactly its collateral once', async () => {
    const state = await rebuildStateFromL1(user1.publicClient, rollup, params)
    expect(state.root).toBe((await readRollupStatus(user1.publicClient, rollup)).stateRoot)
    expect(() => exitProof(state, 5n)).toThrow(NoSuchAccountError)

    const balance1 = await balanceOf(user1.account.address)
    const exit1 = await exitAccount(user1, rollup, params, 1n)
    expect(exit1).toMatchObject({ accountIndex: 1n, recipient: user1.account.address, amount: DEPOSIT_1 })
    expect((await balanceOf(user1.account.address)) - balance1).toBe(DEPOSIT_1)

    // Again: the tool says so before sending, and the contract refuses the same proof.
    await expect(exitAccount(user1, rollup, params, 1n)).rejects.toThrow(AlreadyExitedError)
    const { account, siblings } = exitProof(state, 1n)
    await expect(sending('escapeExit', () => escapeExit(user1, rollup, 1n, account, siblings))).rejects.toThrow(TransactionError)
    await expect(sending('escapeExit', () => escapeExit(user1, rollup, 1n, account, siblings))).rejects.toThrow(/AlreadyExited\(1\)/)
    expect((await balanceOf(user1.account.address)) - balance1).toBe(DEPOSIT_1)

    // Account 2 through the CLI, sent by user 1: the contract pays the owner, user 2.
    const balance2 = await balanceOf(user2.account.address)
    const viaCli = await cli('--key', ANVIL_KEYS[1], 'exit', '2')
    expect(viaCli.err).toBe('')
    expect(viaCli.code).toBe(0)
    expect(viaCli.out).toMatch(/account 2 exited: 100 \(100000000 base units\) paid to/)
    expect((await balanceOf(user2.account.address)) - balance2).toBe(DEPOSIT_2)
    const again = await cli('--key', ANVIL_KEYS[2], 'exit', '2')
    expect(again.code).toBe(1)
    expect(again.err).toMatch(/already exited/)
  })

  it('refunds the deposit no batch processed, once', async () => {
    expect(await refundMyDeposits(user1, rollup)).toEqual([])
    const balance2 = await balanceOf(user2.account.address)
    const viaCli = await cli('--key', ANVIL_KEYS[2], 'refund')
    expect(viaCli.code).toBe(0)
    expect(viaCli.out).toMatch(/deposit #2 refunded: 5 \(5000000 base units\)/)
    expect((await balanceOf(user2.account.address)) - balance2).toBe(LATE_DEPOSIT_2)
    expect(await refundMyDeposits(user2, rollup)).toEqual([])
    const status = await cli('--key', ANVIL_KEYS[1], 'status')
    expect(status.code).toBe(0)
    expect(status.out).toMatch(/frozen {10}YES/)
    expect(status.out).toMatch(/#2: 5 .* \(refunded\)/)
  })

  it('runs as an executable with a non-zero exit code on errors', async () => {
    const run = promisify(execFile)
    const base = ['tsx', 'escape/cli.ts', '--rpc', anvil.rpcUrl, '--rollup', rollup]
    const ok = await run('npx', [...base, 'status'])
    expect(ok.stdout).toMatch(/rebuilt state   2 accounts from L1 data; root matches the contract/)
    const failed = await run('npx', [...base, '--key', ANVIL_KEYS[1], 'exit', '1']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/error: account 1 has already exited/)
    const usage = await run('npx', [...base, 'exit', 'one']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(usage.code).not.toBe(0)
    expect(usage.stderr).toMatch(/account index must be a non-negative integer/)
  })
})

describe('rebuild detects L1 data that does not reproduce the root', () => {
  let history: L1History

  beforeAll(async () => {
    history = await readL1History(user1.publicClient, rollup, params)
    expect(replayHistory(history, params).root).toBe(history.status.stateRoot)
  })

  const batch0 = () => history.batches[0]!

  it('a wrong verified root of a batch', () => {
    const tampered = { ...history, batches: [{ ...batch0(), newRoot: batch0().newRoot + 1n }] }
    expect(() => replayHistory(tampered, params)).toThrow(RebuildError)
    expect(() => replayHistory(tampered, params)).toThrow(/batch 0 .* does not replay from L1 data: replayed root \d+ differs from the verified root/)
    try {
      replayHistory(tampered, params)
    } catch (e) {
      expect((e as RebuildError).batchNumber).toBe(0n)
    }
  })

  it('altered batch data', () => {
    const data = [...batch0().data]
    data[0] = data[0]! + (1n << 36n) // one more base unit deposited than the queue holds
    const tampered = { ...history, batches: [{ ...batch0(), data }] }
    expect(() => replayHistory(tampered, params)).toThrow(/batch 0 .* deposit does not match the queue/)
  })

  it('altered or missing queue events', () => {
    const [first, ...rest] = history.queue
    const altered = { ...history, queue: [{ ...first!, entry: { ...first!.entry, amount: first!.entry.amount + 1n } }, ...rest] }
    expect(() => replayHistory(altered, params)).toThrow(/the queue events hash to \d+, the contract's queue chain is/)
    const missing = { ...history, queue: history.queue.slice(0, -1) }
    expect(() => replayHistory(missing, params)).toThrow(RebuildError)
  })

  it('a contract root that the batches do not reach, or a missing batch', () => {
    const wrongRoot = { ...history, status: { ...history.status, stateRoot: 1n } }
    expect(() => replayHistory(wrongRoot, params)).toThrow(/is not the contract's stateRoot 1/)
    const noBatch = { ...history, batches: [] }
    expect(() => replayHistory(noBatch, params)).toThrow(/found 0 BatchVerified events, the contract counts 1/)
  })

  it('parameters that do not match the deployment', async () => {
    await expect(rebuildStateFromL1(user1.publicClient, rollup, REALISTIC_PARAMS)).rejects.toThrow(ParamsMismatchError)
    expect(() => replayHistory(history, { ...params, orderSlotsDepth: params.orderSlotsDepth + 1 })).toThrow(/genesis root of parameter set "test" differs/)
  })

  it('event scans that start after the deployment', async () => {
    const latest = await user1.publicClient.getBlockNumber()
    await expect(rebuildStateFromL1(user1.publicClient, rollup, params, { fromBlock: latest })).rejects.toThrow(RebuildError)
  })
})
