/**
 * What a trader does on L1, against the Rollup contract, with viem: deposit collateral for an
 * L2 key (the first deposit of a key creates its account), read its position in the L1 queue,
 * request a forced withdrawal, claim what verified batches credited, and read the escape
 * hatch's state (frozen or not, forced requests and their deadlines). Waiting until the
 * sequencer has credited a deposit, or a batch a withdrawal: sdk/l1Waits.ts. Transactions go
 * through l1/'s calls; failures become the named errors of sdk/l1Errors.ts (a revert is
 * `L1RefusedError` with the contract's reason).
 *
 * Money is in collateral base units (6 decimals), like everywhere in the protocol.
 *
 * @example
 * import { privateKeyToAccount } from 'viem/accounts'
 * const wallet = await connectWallet('http://127.0.0.1:8545', pk)
 * const key = await deriveL2Key(privateKeyToAccount(pk), await wallet.publicClient.getChainId(), rollup)
 * const { queueIndex } = await depositCollateral(wallet, { rollup, amount: 5_000_000_000n, pubKey: key.publicKey })
 * const account = await waitForDepositAccount(new SequencerClient({ baseUrl }), { l1Address: wallet.account.address, pubKey: key.publicKey, queueIndex })
 */
import { createPublicClient, http, parseEventLogs, type Address, type Hash, type PublicClient } from 'viem'
import { collateralTokenAbi, rollupAbi } from '../l1/abi.js'
import { connectL1, type L1Context } from '../l1/clients.js'
import { sending } from '../l1/errors.js'
import { mined, mintTestTokens, requestForcedWithdrawal, withdrawPending } from '../l1/rollupCalls.js'
import { readRollupStatus } from '../l1/rollupReaders.js'
import { Bits } from '../state/params.js'
import type { Point } from '../state/types.js'
import { SdkValidationError } from './errors.js'
import { callL1 as l1Call, InsufficientTokenBalanceError, L1RefusedError, NothingToClaimError, RollupFrozenError } from './l1Errors.js'

/** A chain connection that signs with the trader's Ethereum key (l1/'s `L1Context`). */
export type TraderWallet = L1Context

/** One step of an L1 action, for progress displays: `sending` then `mined`, per transaction. */
export type L1Step = {
  /** The transaction: `approve`, `deposit`, `requestForcedWithdrawal`, `withdraw`, `mint`. */
  readonly action: string
  readonly phase: 'sending' | 'mined'
  /** 1-based position of this transaction among `steps`. */
  readonly step: number
  readonly steps: number
  readonly hash?: Hash
}

/** A callback that receives each `L1Step`. */
export type OnL1Step = (step: L1Step) => void

const MAX_AMOUNT = (1n << BigInt(Bits.amount)) - 1n

/** Runs one transaction of `steps`, reporting it to `onStep` before it is sent and once mined. */
async function step<T extends { hash: Hash }>(action: string, n: number, steps: number, onStep: OnL1Step | undefined, send: () => Promise<T>): Promise<T> {
  onStep?.({ action, phase: 'sending', step: n, steps })
  const result = await l1Call(action, send)
  onStep?.({ action, phase: 'mined', step: n, steps, hash: result.hash })
  return result
}

function checkAmount(amount: bigint, path: string): void {
  if (amount < 1n || amount > MAX_AMOUNT) throw new SdkValidationError(path, `must be in [1, ${MAX_AMOUNT}] base units, got ${amount}`)
}

/**
 * Connects to an L1 JSON-RPC endpoint with the trader's Ethereum private key (the chain id is
 * read from the node). Throws `L1UnreachableError` when the node does not answer.
 *
 * @example const wallet = await connectWallet('http://127.0.0.1:8545', process.env.TRADER_KEY as `0x${string}`)
 */
export async function connectWallet(rpcUrl: string, privateKey: `0x${string}`): Promise<TraderWallet> {
  return l1Call('connect', () => connectL1(rpcUrl, privateKey))
}

/**
 * A read-only client of an L1 JSON-RPC endpoint, for the readers below.
 *
 * @example const status = await readEscapeHatch(l1Reader('http://127.0.0.1:8545'), rollup)
 */
export function l1Reader(rpcUrl: string): PublicClient {
  return createPublicClient({ transport: http(rpcUrl), pollingInterval: 250 }) as PublicClient
}

/**
 * The Rollup's collateral token.
 *
 * @example const token = await readCollateralToken(wallet.publicClient, rollup)
 */
export async function readCollateralToken(client: PublicClient, rollup: Address): Promise<Address> {
  return l1Call('token', () => client.readContract({ address: rollup, abi: rollupAbi, functionName: 'token' }))
}

/**
 * Collateral tokens held by `owner` on L1, in base units.
 *
 * @example const balance = await readTokenBalance(wallet.publicClient, rollup, wallet.account.address)
 */
export async function readTokenBalance(client: PublicClient, rollup: Address, owner: Address): Promise<bigint> {
  const token = await readCollateralToken(client, rollup)
  return l1Call('balanceOf', () => client.readContract({ address: token, abi: collateralTokenAbi, functionName: 'balanceOf', args: [owner] }))
}

/** Parameters of `depositCollateral`. */
export type DepositParameters = {
  readonly rollup: Address
  /** Base units, in [1, 2^64). */
  readonly amount: bigint
  /** The L2 key to credit: its account is created by its first deposit. */
  readonly pubKey: Point
  readonly onStep?: OnL1Step
}

/** What `depositCollateral` did. */
export type DepositReturnType = {
  /** Position of the deposit in the L1 queue; the sequencer credits entries in queue order. */
  readonly queueIndex: bigint
  readonly hash: Hash
  /** The approval sent first, when the allowance was short. */
  readonly approveHash?: Hash
  readonly gasUsed: bigint
}

/**
 * Deposits `amount` collateral for the L2 key `pubKey`: checks that the Rollup is not frozen
 * and that the wallet holds the tokens, approves the Rollup when its allowance is short, then
 * calls `Rollup.deposit`. The first deposit of a key creates its account (the sequencer
 * assigns the index; `waitForDepositAccount` finds it), later ones top it up. Throws
 * `RollupFrozenError`, `InsufficientTokenBalanceError`, `L1RefusedError`, `L1UnreachableError`.
 *
 * @example const { queueIndex } = await depositCollateral(wallet, { rollup, amount: 5_000_000_000n, pubKey: key.publicKey })
 */
export async function depositCollateral(wallet: TraderWallet, p: DepositParameters): Promise<DepositReturnType> {
  checkAmount(p.amount, 'amount')
  const client = wallet.publicClient
  const owner = wallet.account.address
  const [token, frozen] = await Promise.all([
    readCollateralToken(client, p.rollup),
    l1Call('frozen', () => client.readContract({ address: p.rollup, abi: rollupAbi, functionName: 'frozen' })),
  ])
  if (frozen) throw new RollupFrozenError(p.rollup)
  const [balance, allowance] = await l1Call('balanceOf', () =>
    Promise.all([
      client.readContract({ address: token, abi: collateralTokenAbi, functionName: 'balanceOf', args: [owner] }),
      client.readContract({ address: token, abi: collateralTokenAbi, functionName: 'allowance', args: [owner, p.rollup] }),
    ]),
  )
  if (balance < p.amount) throw new InsufficientTokenBalanceError(balance, p.amount, token)
  const needsApproval = allowance < p.amount
  const steps = needsApproval ? 2 : 1
  let approveHash: Hash | undefined
  if (needsApproval) {
    // Approve exactly the amount: no allowance is left behind for the contract to pull later.
    const approval = await step('approve', 1, steps, p.onStep, async () => {
      const hash = await sending('approve', () => wallet.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'approve', args: [p.rollup, p.amount] }))
      return mined(wallet, hash, 'approve')
    })
    approveHash = approval.hash
  }
  const result = await step('deposit', steps, steps, p.onStep, async () => {
    const hash = await sending('deposit', () => wallet.walletClient.writeContract({ address: p.rollup, abi: rollupAbi, functionName: 'deposit', args: [p.amount, p.pubKey.x, p.pubKey.y] }))
    return mined(wallet, hash, 'deposit')
  })
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'Deposited', logs: result.receipt.logs })
  if (!log) throw new L1RefusedError('deposit', `transaction ${result.hash} emitted no Deposited event`)
  return { queueIndex: log.args.queueIndex, hash: result.hash, gasUsed: result.gasUsed, ...(approveHash ? { approveHash } : {}) }
}

/**
 * Mints test collateral to the wallet from the local CollateralToken's open faucet (the
 * `npm start` chain only: a real token refuses, `L1RefusedError`).
 *
 * @example await mintTestCollateral(wallet, { rollup, amount: 10_000_000_000n })
 */
export async function mintTestCollateral(wallet: TraderWallet, p: { readonly rollup: Address; readonly amount: bigint; readonly onStep?: OnL1Step }): Promise<{ readonly hash: Hash }> {
  checkAmount(p.amount, 'amount')
  const token = await readCollateralToken(wallet.publicClient, p.rollup)
  const { hash } = await step('mint', 1, 1, p.onStep, () => mintTestTokens(wallet, token, wallet.account.address, p.amount))
  return { hash }
}

/** Where a queue entry stands on L1. */
export type QueuePosition = {
  readonly queueIndex: bigint
  /** Entries ever queued. */
  readonly queueLength: bigint
  /** Entries consumed by verified batches. */
  readonly queueProcessed: bigint
  /** True once a verified batch consumed the entry. */
  readonly verified: boolean
  /** Entries before this one that no verified batch consumed yet. */
  readonly ahead: bigint
}

/**
 * Where queue entry `queueIndex` (a deposit or a forced request) stands on L1: consumed by a
 * verified batch or not, and how many entries wait before it. The sequencer credits deposits
 * before their batch verifies; `waitForDepositAccount` waits for that.
 *
 * @example const { verified, ahead } = await readQueuePosition(client, rollup, queueIndex)
 */
export async function readQueuePosition(client: PublicClient, rollup: Address, queueIndex: bigint): Promise<QueuePosition> {
  const status = await l1Call('read', () => readRollupStatus(client, rollup))
  if (queueIndex >= status.queueLength) throw new SdkValidationError('queueIndex', `the queue holds ${status.queueLength} entries, there is no entry ${queueIndex}`)
  const verified = queueIndex < status.queueProcessed
  return { queueIndex, queueLength: status.queueLength, queueProcessed: status.queueProcessed, verified, ahead: verified ? 0n : queueIndex - status.queueProcessed }
}

/** Parameters of `forceWithdrawal`. */
export type ForceWithdrawalParameters = { readonly rollup: Address; readonly accountIndex: bigint; readonly onStep?: OnL1Step }

/** What `forceWithdrawal` did. */
export type ForceWithdrawalReturnType = {
  readonly queueIndex: bigint
  /** Unix seconds after which (strictly) anyone may freeze the Rollup if no batch served the request. */
  readonly deadline: bigint
  readonly hash: Hash
}

/**
 * Asks L1 to force the withdrawal of `accountIndex`'s free collateral to the caller, who must
 * be the account's L1 address to be paid. The sequencer must serve it (queue order); if it
 * does not before `deadline`, anyone may freeze the Rollup (docs/escape.md). Throws
 * `RollupFrozenError`, `L1RefusedError` (e.g. `AccountOutOfRange`), `L1UnreachableError`.
 *
 * @example const { queueIndex, deadline } = await forceWithdrawal(wallet, { rollup, accountIndex: 1n })
 */
export async function forceWithdrawal(wallet: TraderWallet, p: ForceWithdrawalParameters): Promise<ForceWithdrawalReturnType> {
  const frozen = await l1Call('frozen', () => wallet.publicClient.readContract({ address: p.rollup, abi: rollupAbi, functionName: 'frozen' }))
  if (frozen) throw new RollupFrozenError(p.rollup)
  const result = await step('requestForcedWithdrawal', 1, 1, p.onStep, () => requestForcedWithdrawal(wallet, p.rollup, p.accountIndex))
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'ForcedWithdrawalRequested', logs: result.receipt.logs })
  if (!log) throw new L1RefusedError('requestForcedWithdrawal', `transaction ${result.hash} emitted no ForcedWithdrawalRequested event`)
  return { queueIndex: result.queueIndex, deadline: log.args.deadline, hash: result.hash }
}

/**
 * Collateral that verified batches credited to `address` and that `claimWithdrawals` would pay now.
 *
 * @example const pending = await readPendingWithdrawal(client, rollup, address)
 */
export async function readPendingWithdrawal(client: PublicClient, rollup: Address, address: Address): Promise<bigint> {
  return l1Call('pendingWithdrawal', () => client.readContract({ address: rollup, abi: rollupAbi, functionName: 'pendingWithdrawal', args: [address] }))
}

/**
 * Pays the wallet everything verified batches credited to it (`Rollup.withdraw`): signed
 * withdrawals and served forced withdrawals are paid in two steps, credit then claim.
 * Throws `NothingToClaimError` when nothing is credited.
 *
 * @example const { amount } = await claimWithdrawals(wallet, { rollup })
 */
export async function claimWithdrawals(wallet: TraderWallet, p: { readonly rollup: Address; readonly onStep?: OnL1Step }): Promise<{ readonly amount: bigint; readonly hash: Hash }> {
  const pending = await readPendingWithdrawal(wallet.publicClient, p.rollup, wallet.account.address)
  if (pending === 0n) throw new NothingToClaimError(wallet.account.address)
  const result = await step('withdraw', 1, 1, p.onStep, () => withdrawPending(wallet, p.rollup))
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'Withdrawn', logs: result.receipt.logs })
  return { amount: log?.args.amount ?? pending, hash: result.hash }
}

/** A forced withdrawal request as the escape hatch sees it. */
export type ForcedRequestState = {
  readonly queueIndex: bigint
  readonly accountIndex: bigint
  readonly requester: Address
  /** Unix seconds; once a block is later than this and the request is unserved, anyone may freeze. */
  readonly deadline: bigint
  /** A verified batch consumed it (the account's free collateral was credited to the requester). */
  readonly served: boolean
  /** Unserved and past its deadline: the Rollup can be frozen over it. */
  readonly overdue: boolean
}

/** The escape hatch's state. */
export type EscapeHatchState = {
  readonly frozen: boolean
  /** Seconds a forced request may wait before the Rollup can be frozen over it. */
  readonly forcedTimeoutSeconds: bigint
  /** The latest block's timestamp: the contract's "now". */
  readonly chainTime: bigint
  readonly batchCount: bigint
  readonly queueLength: bigint
  readonly queueProcessed: bigint
  /** Forced requests (of `requester` when given), oldest first. */
  readonly forcedRequests: readonly ForcedRequestState[]
  /**
   * Not frozen and some listed request is overdue (with `requester`, among that address's
   * requests only: another's overdue request also lets anyone freeze).
   */
  readonly canFreeze: boolean
}

/**
 * Reads the escape hatch's state: frozen or not, the forced timeout, the chain's time, and
 * every forced withdrawal request (only `requester`'s when given) with its deadline, served
 * or not and overdue or not. `fromBlock` (the deployment block) bounds the event scan.
 *
 * @example const { frozen, forcedRequests } = await readEscapeHatch(client, rollup, { requester: address })
 */
export async function readEscapeHatch(client: PublicClient, rollup: Address, options: { readonly requester?: Address; readonly fromBlock?: bigint } = {}): Promise<EscapeHatchState> {
  return l1Call('read', async () => {
    const [status, forcedTimeoutSeconds, block, logs] = await Promise.all([
      readRollupStatus(client, rollup),
      client.readContract({ address: rollup, abi: rollupAbi, functionName: 'forcedTimeout' }),
      client.getBlock({ blockTag: 'latest' }),
      client.getContractEvents({
        address: rollup,
        abi: rollupAbi,
        eventName: 'ForcedWithdrawalRequested',
        fromBlock: options.fromBlock ?? 0n,
        ...(options.requester ? { args: { requester: options.requester } } : {}),
      }),
    ])
    const now = block.timestamp
    const forcedRequests = logs
      .map((l) => {
        const queueIndex = l.args.queueIndex!
        const served = queueIndex < status.queueProcessed
        const deadline = l.args.deadline!
        return { queueIndex, accountIndex: l.args.accountIndex!, requester: l.args.requester!, deadline, served, overdue: !served && now > deadline }
      })
      .sort((a, b) => (a.queueIndex < b.queueIndex ? -1 : 1))
    return {
      frozen: status.frozen,
      forcedTimeoutSeconds,
      chainTime: now,
      batchCount: status.batchCount,
      queueLength: status.queueLength,
      queueProcessed: status.queueProcessed,
      forcedRequests,
      canFreeze: !status.frozen && forcedRequests.some((r) => r.overdue),
    }
  })
}
