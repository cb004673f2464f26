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
