/**
 * Exiting through the escape hatch: the account's leaf and its path in the 4-ary accounts
 * tree (one sibling triple per level) against the last verified root, taken from the state rebuilt from L1, sent to `Rollup.escapeExit`, which pays
 * the account's collateral to its L1 address.
 */
import { getAddress, type Address, type Hash, type PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import { escapeExit } from '../l1/rollupCalls.js'
import { readRollupStatus } from '../l1/rollupReaders.js'
import type { L1Context } from '../l1/clients.js'
import type { ParamSet } from '../state/params.js'
import type { RollupState } from '../state/rollupState.js'
import type { Account } from '../state/types.js'
import type { QuadProof } from '../state/quadMerkle.js'
import { AlreadyExitedError, NoSuchAccountError, NotFrozenError, RebuildError, sending } from './errors.js'
import { rebuildStateFromL1, type RebuildOptions } from './rebuild.js'

/**
 * An account leaf and its path against `state.root`: per level of the 4-ary accounts tree,
 * leaf level first, the three siblings in child order (state/quadMerkle.ts).
 */
export type ExitProof = { readonly account: Account; readonly siblings: QuadProof }

/** The exit proof of `accountIndex`; throws `NoSuchAccountError` when no account is there. */
export function exitProof(state: RollupState, accountIndex: bigint): ExitProof {
  if (!state.inRange(accountIndex)) throw new NoSuchAccountError(`account index ${accountIndex} is outside the accounts tree (depth ${state.params.accountsDepth})`)
  if (!state.exists(accountIndex)) throw new NoSuchAccountError(`account ${accountIndex} does not exist in the last verified state (root ${state.root})`)
  return { account: state.account(accountIndex), siblings: state.accountProof(accountIndex) }
}

/** Throws `NotFrozenError` unless the rollup is frozen. */
export async function assertFrozen(client: PublicClient, rollup: Address, action: string): Promise<void> {
  const { frozen } = await readRollupStatus(client, rollup)
  if (!frozen) throw new NotFrozenError(`the Rollup at ${rollup} is not frozen, so ${action} is not possible yet: request a forced withdrawal, wait for its deadline, then run "freeze"`)
}

/** What `exitAccount` did. */
export type ExitResult = {
  readonly accountIndex: bigint
  /** The account's L1 address, which the contract pays. */
  readonly recipient: Address
  /** Collateral paid, in base units. */
  readonly amount: bigint
  readonly hash: Hash
}

/**
 * Exits `accountIndex` after the freeze: rebuilds the state from L1 alone (or uses `state`
 * when given, which must be at the contract's root), builds the Merkle proof and calls
 * `escapeExit`. Anyone may send it; the collateral goes to the account's L1 address.
 * Throws `NotFrozenError`, `AlreadyExitedError`, `NoSuchAccountError`, `RebuildError`, or
 * l1's `TransactionError` when the contract refuses.
 */
export async function exitAccount(
  ctx: L1Context,
  rollup: Address,
  params: ParamSet,
  accountIndex: bigint,
  options: RebuildOptions & { readonly state?: RollupState } = {},
): Promise<ExitResult> {
  await assertFrozen(ctx.publicClient, rollup, 'an escape exit')
  const done = await ctx.publicClient.readContract({ address: rollup, abi: rollupAbi, functionName: 'exited', args: [accountIndex] })
  if (done) throw new AlreadyExitedError(`account ${accountIndex} has already exited through the escape hatch`)
  const state = options.state ?? (await rebuildStateFromL1(ctx.publicClient, rollup, params, options))
  const { stateRoot } = await readRollupStatus(ctx.publicClient, rollup)
  if (state.root !== stateRoot) throw new RebuildError(`the given state is at root ${state.root}, the contract's last verified root is ${stateRoot}: rebuild it from L1`)
  const { account, siblings } = exitProof(state, accountIndex)
  const mined = await sending('escapeExit', () => escapeExit(ctx, rollup, accountIndex, account, siblings))
  return { accountIndex, recipient: getAddress(`0x${account.l1Address.toString(16).padStart(40, '0')}`), amount: account.collateral, hash: mined.hash }
}
