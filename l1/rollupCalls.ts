/**
 * Transactions to the Rollup contract, one function per action. Each waits for its receipt
 * and throws `TransactionError` when it reverts.
 */
import { parseEventLogs, stringToHex, type Address, type Hash, type TransactionReceipt } from 'viem'
import { collateralTokenAbi, rollupAbi } from './abi.js'
import { sending, TransactionError } from './errors.js'
import type { L1Context } from './clients.js'
import type { Account, BatchTrace, Point } from '../state/types.js'
import type { QuadProof } from '../state/quadMerkle.js'
import type { SolidityProof } from '../prover/prove.js'

/** The outcome of a mined transaction. */
export type Mined = { readonly hash: Hash; readonly gasUsed: bigint; readonly receipt: TransactionReceipt }

/** Waits for `hash` and throws `TransactionError` when it reverted. */
export async function mined(ctx: L1Context, hash: Hash, what: string): Promise<Mined> {
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success') throw new TransactionError(`${what} reverted (${hash})`)
  return { hash, gasUsed: receipt.gasUsed, receipt }
}

/** Mints test collateral (the local CollateralToken's open faucet). */
export async function mintTestTokens(ctx: L1Context, token: Address, to: Address, amount: bigint): Promise<Mined> {
  const hash = await sending('mint', () => ctx.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'mint', args: [to, amount] }))
  return mined(ctx, hash, 'mint')
}

/** Approves and deposits `amount` for the L2 key `pubKey`; returns the deposit's queue index. */
export async function deposit(ctx: L1Context, rollup: Address, token: Address, amount: bigint, pubKey: Point): Promise<Mined & { queueIndex: bigint }> {
  const approve = await sending('approve', () => ctx.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'approve', args: [rollup, amount] }))
  await mined(ctx, approve, 'approve')
  const hash = await sending('deposit', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'deposit', args: [amount, pubKey.x, pubKey.y] }))
  const result = await mined(ctx, hash, 'deposit')
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'Deposited', logs: result.receipt.logs })
  if (!log) throw new TransactionError(`deposit ${hash} emitted no Deposited event`)
  return { ...result, queueIndex: log.args.queueIndex }
}

/** Requests a forced withdrawal of `accountIndex` to the caller; returns its queue index. */
export async function requestForcedWithdrawal(ctx: L1Context, rollup: Address, accountIndex: bigint): Promise<Mined & { queueIndex: bigint }> {
  const hash = await sending('requestForcedWithdrawal', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'requestForcedWithdrawal', args: [accountIndex] }))
  const result = await mined(ctx, hash, 'requestForcedWithdrawal')
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'ForcedWithdrawalRequested', logs: result.receipt.logs })
  if (!log) throw new TransactionError(`request ${hash} emitted no ForcedWithdrawalRequested event`)
  return { ...result, queueIndex: log.args.queueIndex }
}

/**
 * The `table` argument of `submitBatch` for `trace`: no words when the batch's market table
 * is the one the contract has in force (`marketTableHash`), which saves the calldata and the
 * on-chain hashing; else the table's packed words, which become the table in force.
 */
export async function tableToPost(ctx: L1Context, rollup: Address, trace: BatchTrace): Promise<bigint[]> {
  const inForce = await ctx.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'marketTableHash' })
  return inForce === trace.marketTableHash ? [] : [...trace.marketTableWords]
}

/**
 * Submits a proven batch (operator only), posting its market table only when it differs
 * from the table in force on the contract (`tableToPost`).
 */
export async function submitBatch(ctx: L1Context, rollup: Address, trace: BatchTrace, proof: SolidityProof): Promise<Mined> {
  const table = await tableToPost(ctx, rollup, trace)
  const hash = await sending('submitBatch', () =>
    ctx.walletClient.writeContract({
      address: rollup,
      abi: rollupAbi,
      functionName: 'submitBatch',
      args: [[...trace.data], table, trace.newRoot, BigInt(trace.queueCount), [...proof.a], [[...proof.b[0]], [...proof.b[1]]], [...proof.c]],
    }),
  )
  return mined(ctx, hash, 'submitBatch')
}

/**
 * The verification of batch `batchNumber` on L1, if there is one: the transaction that
 * verified it and the new root it verified.
 */
export async function verifiedBatch(ctx: L1Context, rollup: Address, batchNumber: bigint, fromBlock = 0n): Promise<(Mined & { readonly newRoot: bigint }) | undefined> {
  const [log] = await ctx.publicClient.getContractEvents({ address: rollup, abi: rollupAbi, eventName: 'BatchVerified', args: { batchNumber }, fromBlock })
  if (!log) return undefined
  const receipt = await ctx.publicClient.getTransactionReceipt({ hash: log.transactionHash })
  return { hash: log.transactionHash, gasUsed: receipt.gasUsed, receipt, newRoot: log.args.newRoot! }
}

/**
 * Waits (at most `timeoutMs`) until no transaction of the caller's account is pending: a node
 * restarted after a kill may find its predecessor's submission still in the pool, which would
 * verify the batch it is about to send again. True when none is pending any more.
 */
export async function ownTransactionsSettled(ctx: L1Context, timeoutMs: number, pollMs = 500): Promise<boolean> {
  const address = ctx.account.address
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [pending, latest] = await Promise.all([
      ctx.publicClient.getTransactionCount({ address, blockTag: 'pending' }),
      ctx.publicClient.getTransactionCount({ address, blockTag: 'latest' }),
    ])
    if (pending <= latest) return true
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

/** How long `submitBatchOnce` waits for the account's pending transactions before it sends anyway. */
export const PENDING_WAIT_MS = 60_000

/**
 * Submits `trace` as batch `batchNumber` once. When L1 already verified that batch with the
 * same new root, that verification is the answer: a node killed after sending its
 * transaction proves the batch again after its restart. It waits first for the account's
 * pending transactions to be mined (`ownTransactionsSettled`, up to `pendingWaitMs`), then
 * checks L1, and checks again after a submission that failed (an earlier transaction may have
 * been mined meanwhile). A batch `batchNumber` verified with another root throws: it is not
 * this node's.
 */
export async function submitBatchOnce(
  ctx: L1Context,
  rollup: Address,
  batchNumber: number,
  trace: BatchTrace,
  proof: SolidityProof,
  options: { readonly fromBlock?: bigint; readonly pendingWaitMs?: number } = {},
): Promise<Mined & { readonly alreadyVerified: boolean }> {
  const existing = async () => {
    const found = await verifiedBatch(ctx, rollup, BigInt(batchNumber), options.fromBlock ?? 0n)
    if (found && found.newRoot !== trace.newRoot) throw new TransactionError(`batch ${batchNumber} is verified on L1 with root ${found.newRoot}, not this node's ${trace.newRoot}`)
    return found ? { hash: found.hash, gasUsed: found.gasUsed, receipt: found.receipt, alreadyVerified: true } : undefined
  }
  await ownTransactionsSettled(ctx, options.pendingWaitMs ?? PENDING_WAIT_MS)
  const before = await existing()
  if (before) return before
  try {
    return { ...(await submitBatch(ctx, rollup, trace, proof)), alreadyVerified: false }
  } catch (error) {
    const after = await existing()
    if (after) return after
    throw error
  }
}

/** Pays the caller's pending withdrawals. */
export async function withdrawPending(ctx: L1Context, rollup: Address): Promise<Mined> {
  const hash = await sending('withdraw', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'withdraw' }))
  return mined(ctx, hash, 'withdraw')
}

/** Freezes the rollup over an unserved forced request. */
export async function freeze(ctx: L1Context, rollup: Address, queueIndex: bigint): Promise<Mined> {
  const hash = await sending('freeze', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'freeze', args: [queueIndex] }))
  return mined(ctx, hash, 'freeze')
}

/**
 * Exits an account through the escape hatch with its leaf fields and its path in the 4-ary
 * accounts tree: `RollupState.accountProof`'s sibling triples, leaf level first.
 */
export async function escapeExit(ctx: L1Context, rollup: Address, accountIndex: bigint, account: Account, siblings: QuadProof): Promise<Mined> {
  const fields = [account.pubKey.x, account.pubKey.y, account.l1Address, account.nonce, account.collateral, account.positionsHash, account.orderSlotsRoot] as const
  const hash = await sending('escapeExit', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'escapeExit', args: [accountIndex, fields, siblings] }))
  return mined(ctx, hash, 'escapeExit')
}

/** Refunds an unprocessed deposit after the freeze. */
export async function refundDeposit(ctx: L1Context, rollup: Address, queueIndex: bigint, depositor: Address, pubKey: Point, amount: bigint): Promise<Mined> {
  const hash = await sending('refundDeposit', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'refundDeposit', args: [queueIndex, depositor, pubKey.x, pubKey.y, amount] }))
  return mined(ctx, hash, 'refundDeposit')
}

/** Lists an option series (operator only); returns its id. */
export async function listSeries(ctx: L1Context, rollup: Address, s: { underlying: `0x${string}`; expiry: bigint; strike: bigint; isCall: boolean }): Promise<Mined & { seriesId: bigint }> {
  const hash = await sending('listSeries', () => ctx.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'listSeries', args: [s.underlying, s.expiry, s.strike, s.isCall] }))
  const result = await mined(ctx, hash, 'listSeries')
  const [log] = parseEventLogs({ abi: rollupAbi, eventName: 'SeriesListed', logs: result.receipt.logs })
  if (!log) throw new TransactionError(`listSeries ${hash} emitted no SeriesListed event`)
  return { ...result, seriesId: log.args.seriesId }
}

/** A series symbol ('ETH') as the contract's bytes32. */
export function underlyingToBytes32(symbol: string): `0x${string}` {
  return stringToHex(symbol, { size: 32 })
}
