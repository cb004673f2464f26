/**
 * Waiting on the sequencer and on L1 after a trader's action: until the sequencer has credited
 * a deposit (and the account index is known), and until a verified batch has credited a
 * withdrawal on L1. Each wait polls, reports progress, and gives up with `WaitTimeoutError`.
 *
 * @example
 * const { queueIndex } = await depositCollateral(wallet, { rollup, amount, pubKey: key.publicKey })
 * const account = await waitForDepositAccount(client, { l1Address: wallet.account.address, pubKey: key.publicKey, queueIndex })
 */
import type { Address, PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import type { Point } from '../state/types.js'
import type { AccountResponse, BatchResponse, SequencerClient } from './client.js'
import { ApiError, SdkValidationError } from './errors.js'
import { AccountKeyMismatchError, callL1, WaitTimeoutError } from './l1Errors.js'

/** Options of the waits: how long, how often, and a progress callback. */
export type WaitOptions<P> = {
  /** Give up after this long (`WaitTimeoutError`); default 300 000. */
  readonly timeoutMs?: number
  /** Poll interval; default 500. */
  readonly pollMs?: number
  readonly onProgress?: (progress: P) => void
}

const DEFAULT_TIMEOUT_MS = 300_000
const DEFAULT_POLL_MS = 500

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Progress of `waitForDepositAccount`. */
export type DepositWaitProgress = {
  readonly queueIndex: bigint
  /** Queue entries the sequencer has applied (its `queueProcessed`). */
  readonly sequencerProcessed: bigint
  /** `sequencerProcessed` when the wait began. */
  readonly startProcessed: bigint
}

/** Parameters of `waitForDepositAccount`. */
export type WaitForDepositAccountParameters = WaitOptions<DepositWaitProgress> & {
  readonly l1Address: Address
  readonly pubKey: Point
  readonly queueIndex: bigint
}

function uintField(value: unknown, what: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value)) throw new SdkValidationError(what, `expected a decimal string from the sequencer, got ${JSON.stringify(value)}`)
  return BigInt(value)
}

/**
 * Waits until the sequencer has applied queue entry `queueIndex` (its `GET /v1/health`
 * `queueProcessed` passes it), then returns the account of `l1Address`
 * (`GET /v1/accounts?l1Address=`), checking that it holds `pubKey`. Throws
 * `WaitTimeoutError`, `AccountKeyMismatchError`, or the client's `ApiError`.
 *
 * @example const account = await waitForDepositAccount(client, { l1Address, pubKey: key.publicKey, queueIndex })
 */
export async function waitForDepositAccount(sequencer: SequencerClient, p: WaitForDepositAccountParameters): Promise<AccountResponse> {
  const timeoutMs = p.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  let startProcessed: bigint | undefined
  for (;;) {
    const processed = uintField((await sequencer.health()).queueProcessed, 'health.queueProcessed')
    startProcessed ??= processed
    p.onProgress?.({ queueIndex: p.queueIndex, sequencerProcessed: processed, startProcessed })
    if (processed > p.queueIndex) break
    if (Date.now() >= deadline)
      throw new WaitTimeoutError(`waiting for the sequencer to credit deposit #${p.queueIndex}`, timeoutMs, `it has applied ${processed} queue entries`)
    await sleep(p.pollMs ?? DEFAULT_POLL_MS)
  }
  const account = await sequencer.getAccountByL1Address(p.l1Address)
  if (account.pubKey.x !== p.pubKey.x.toString() || account.pubKey.y !== p.pubKey.y.toString()) throw new AccountKeyMismatchError(uintField(account.index, 'account.index'), p.l1Address)
  return account
}

/** Where a withdrawal stands while `waitForWithdrawalCredit` waits. */
export type CreditWaitProgress = {
  /**
   * `batching`: not in a batch yet; `proving`, `submitting`: its batch is (by the sequencer's
   * `GET /v1/batches`); `verified`: credited on L1. Without a sequencer, `waiting` until credited.
   */
  readonly stage: 'waiting' | 'batching' | 'proving' | 'submitting' | 'verified'
  /** The batch, once the sequencer has cut it. */
  readonly batch?: number
}

/** Parameters of `waitForWithdrawalCredit`. */
export type WaitForWithdrawalCreditParameters = WaitOptions<CreditWaitProgress> & {
  readonly rollup: Address
  readonly recipient: Address
  readonly amount: bigint
  /** The L1 block before the withdrawal was sent: credits from earlier blocks do not count. */
  readonly fromBlock: bigint
  /** For the stage display only: the sequencer, and the newest batch number before the withdrawal was sent. */
  readonly sequencer?: { readonly client: SequencerClient; readonly afterBatch: number }
}

/**
 * The newest batch number the sequencer lists (-1 when none): pass it as
 * `sequencer.afterBatch` to `waitForWithdrawalCredit` before sending a withdrawal.
 *
 * @example const afterBatch = await newestBatch(client)
 */
export async function newestBatch(sequencer: SequencerClient): Promise<number> {
  return (await sequencer.getBatches({ limit: 1 })).batches[0]?.number ?? -1
}

/** The first batch cut after `after`, if the sequencer has cut it. */
async function batchAfter(sequencer: SequencerClient, after: number): Promise<BatchResponse | undefined> {
  try {
    return await sequencer.getBatch(after + 1)
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNKNOWN_BATCH') return undefined
    throw error
  }
}

/**
 * Waits until a verified batch credits `amount` to `recipient` on L1 (a `WithdrawalCredited`
 * event at or after `fromBlock`), then returns the batch number. Given the sequencer, it
 * reports the stage of the first batch cut after `afterBatch` meanwhile. Throws `WaitTimeoutError`.
 *
 * @example
 * const fromBlock = await client.getBlockNumber()
 * await sequencer.requestWithdrawal(signed)
 * await waitForWithdrawalCredit(client, { rollup, recipient, amount, fromBlock })
 * await claimWithdrawals(wallet, { rollup })
 */
export async function waitForWithdrawalCredit(client: PublicClient, p: WaitForWithdrawalCreditParameters): Promise<{ readonly batchNumber: bigint }> {
  const timeoutMs = p.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const deadline = Date.now() + timeoutMs
  let stage: CreditWaitProgress = { stage: p.sequencer ? 'batching' : 'waiting' }
  for (;;) {
    const logs = await callL1('WithdrawalCredited', () =>
      client.getContractEvents({ address: p.rollup, abi: rollupAbi, eventName: 'WithdrawalCredited', args: { recipient: p.recipient }, fromBlock: p.fromBlock }),
    )
    const credit = logs.find((l) => l.args.amount === p.amount)
    if (credit) {
      p.onProgress?.({ stage: 'verified', batch: Number(credit.args.batchNumber) })
      return { batchNumber: credit.args.batchNumber! }
    }
    if (p.sequencer) {
      // Display only: the credit event above is what counts.
      const next = await batchAfter(p.sequencer.client, p.sequencer.afterBatch)
      stage = next ? { stage: next.status === 'submitting' || next.status === 'verified' ? 'submitting' : 'proving', batch: next.number } : { stage: 'batching' }
    }
    p.onProgress?.(stage)
    if (Date.now() >= deadline) throw new WaitTimeoutError(`waiting for a batch to credit ${p.amount} to ${p.recipient} on L1`, timeoutMs, `last stage: ${stage.stage}`)
    await sleep(p.pollMs ?? DEFAULT_POLL_MS)
  }
}
