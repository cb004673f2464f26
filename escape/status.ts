/**
 * Where the escape hatch stands, from L1 alone: the Rollup's counters, the chain's time, the
 * forced withdrawals still waiting (and whether the rollup can be frozen over one), and the
 * deposits no batch consumed.
 */
import type { Address, PublicClient } from 'viem'
import { readRollupStatus, type RollupStatus } from '../l1/rollupReaders.js'
import { chainTime, unservedForcedRequests, type ForcedRequest, type ScanOptions } from './freeze.js'
import { readContractParams, type ContractParams } from './params.js'
import { unprocessedDeposits, type UnprocessedDeposit } from './refund.js'

/** The escape-relevant state of a Rollup. */
export type EscapeStatus = {
  readonly rollup: RollupStatus
  readonly contractParams: ContractParams
  /** Latest block timestamp. */
  readonly now: bigint
  /** Unserved forced withdrawals, oldest first. */
  readonly forced: readonly ForcedRequest[]
  /** True when the rollup is not frozen and the oldest unserved request is past its deadline. */
  readonly canFreeze: boolean
  /** Deposits no verified batch consumed (refundable after the freeze). */
  readonly unprocessedDeposits: readonly UnprocessedDeposit[]
}

/** Reads the escape status of the Rollup at `rollup`. */
export async function readEscapeStatus(client: PublicClient, rollup: Address, options: ScanOptions = {}): Promise<EscapeStatus> {
  const [rollupStatus, contractParams, now, forced, deposits] = await Promise.all([
    readRollupStatus(client, rollup),
    readContractParams(client, rollup),
    chainTime(client),
    unservedForcedRequests(client, rollup, options),
    unprocessedDeposits(client, rollup, options),
  ])
  const oldest = forced[0]
  return {
    rollup: rollupStatus,
    contractParams,
    now,
    forced,
    canFreeze: !rollupStatus.frozen && oldest !== undefined && now >= oldest.deadline,
    unprocessedDeposits: deposits,
  }
}
