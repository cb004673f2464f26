/**
 * Deploys any contract of forge's build output (`build/forge/<Name>.sol/<Name>.json`) by
 * name: mocks, test feeds, tools. The Rollup and its libraries have `deployRollup`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Abi, Address, Hex } from 'viem'
import { ROOT } from '../prover/paths.js'
import { ArtifactError, TransactionError } from './errors.js'
import { linkBytecode } from './deploy.js'
import type { L1Context } from './clients.js'

/** The parts of a forge artifact that deploying needs. */
export type ForgeArtifact = {
  readonly abi: Abi
  readonly bytecode: { readonly object: Hex; readonly linkReferences: Record<string, Record<string, { start: number; length: number }[]>> }
}

/**
 * Reads contract `name`'s artifact from forge's build output (`npx forge build` or
 * `npm run build` first); `file` names the source file when it differs from the contract.
 * Throws `ArtifactError` if it is missing.
 */
export function readArtifact(name: string, file: string = `${name}.sol`): ForgeArtifact {
  const path = join(ROOT, 'build', 'forge', file, `${name}.json`)
  if (!existsSync(path)) throw new ArtifactError(`${path} is missing: run npx forge build`)
  return JSON.parse(readFileSync(path, 'utf8')) as ForgeArtifact
}

/**
 * Deploys contract `name` with constructor `args` from `ctx`'s account, linking
 * `libraries` (name -> address) if it uses any; returns its address once mined. Throws
 * `ArtifactError` when the artifact is missing, `TransactionError` when the deployment fails.
 *
 * @example
 * const feed = await deployArtifact(ctx, 'MockAggregatorV3', [8, 'ETH / USD'])
 */
export async function deployArtifact(ctx: L1Context, name: string, args: readonly unknown[] = [], options: { libraries?: Readonly<Record<string, Address>>; file?: string } = {}): Promise<Address> {
  const a = readArtifact(name, options.file)
  let hash: Hex
  try {
    hash = await ctx.walletClient.deployContract({ abi: a.abi, bytecode: linkBytecode(a as Parameters<typeof linkBytecode>[0], options.libraries ?? {}), args: args as unknown[] })
  } catch (error) {
    throw new TransactionError(`deploying ${name} failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { cause: error })
  }
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new TransactionError(`deploying ${name} failed (${hash})`)
  return receipt.contractAddress
}
