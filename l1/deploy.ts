/**
 * Deploys the collateral token, the Poseidon libraries, the generated Groth16 verifier, the
 * settlement oracle and the Rollup, from forge's build output (`npm run build` first).
 */
import { readFileSync, existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { parseAbi, type Address, type Hex } from 'viem'
import { ROOT } from '../prover/paths.js'
import { RollupState } from '../state/rollupState.js'
import { COLLATERAL_DECIMALS, marketTableWordCount, type ParamSet } from '../state/params.js'
import { EMPTY_MARKET_TABLE, marketTableHash } from '../state/marketTable.js'
import { ArtifactError, L1Error, TransactionError } from './errors.js'
import type { L1Context } from './clients.js'

type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>
type Artifact = { abi: unknown[]; bytecode: { object: Hex; linkReferences: LinkReferences } }

/** Addresses of a deployment. */
export type Deployment = {
  readonly token: Address
  readonly verifier: Address
  readonly rollup: Address
  /** The SettlementOracle the Rollup fixes settlement prices from (feeds: l1/settlement.ts). */
  readonly settlementOracle: Address
  readonly deployBlock: bigint
}

/** Options of `deployRollup`. */
export type DeployRollupOptions = {
  /** An existing collateral token (must have COLLATERAL_DECIMALS decimals) instead of the test one. */
  readonly token?: Address
  /** The sequencer's address; defaults to `ctx`'s account. */
  readonly operator?: Address
  /** Who configures the settlement feeds; defaults to `ctx`'s account. */
  readonly oracleOwner?: Address
}

function artifact(name: string): Artifact {
  const path = join(ROOT, 'build', 'forge', `${name}.sol`, `${name}.json`)
  if (!existsSync(path)) throw new ArtifactError(`${path} is missing: run npm run build`)
  return JSON.parse(readFileSync(path, 'utf8')) as Artifact
}

/** Bytecode with every library placeholder replaced by its deployed address. */
export function linkBytecode(a: Artifact, libraries: Readonly<Record<string, Address>>): Hex {
  let code = a.bytecode.object.slice(2)
  for (const refs of Object.values(a.bytecode.linkReferences)) {
    for (const [lib, positions] of Object.entries(refs)) {
      const address = libraries[lib]
      if (!address) throw new ArtifactError(`library ${lib} is not deployed`)
      for (const { start, length } of positions) {
        code = code.slice(0, start * 2) + address.slice(2).toLowerCase() + code.slice((start + length) * 2)
      }
    }
  }
  return `0x${code}`
}

async function deployContract(ctx: L1Context, name: string, args: readonly unknown[] = [], libraries: Record<string, Address> = {}): Promise<Address> {
  const a = artifact(name)
  const hash = await ctx.walletClient.deployContract({ abi: a.abi, bytecode: linkBytecode(a, libraries), args: args as unknown[] })
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new TransactionError(`deploying ${name} failed (${hash})`)
  return receipt.contractAddress
}

/**
 * Deploys a Poseidon library from poseidon-solidity's own build (the bytecode its package ships
 * for its deterministic deployments): the same source compiled as its authors tuned it costs
 * about half the gas of our optimizer-200 build (docs/cost.md: T4 34k instead of 77k).
 */
async function deployPoseidon(ctx: L1Context, name: 'PoseidonT4' | 'PoseidonT5' | 'PoseidonT6'): Promise<Address> {
  const { bytecode } = (createRequire(import.meta.url)('poseidon-solidity') as Record<string, { bytecode: Hex }>)[name]!
  const hash = await ctx.walletClient.sendTransaction({ data: bytecode, to: null })
  const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new TransactionError(`deploying ${name} failed (${hash})`)
  return receipt.contractAddress
}

/**
 * Deploys everything for `params` with `ctx`'s account as operator. `token` reuses an
 * existing collateral token instead of deploying the test one. The settlement oracle starts
 * with no feeds: its owner configures them per underlying (`configureSettlementFeeds`)
 * before the first expiry. The Rollup starts with the empty market table in force
 * (`marketTableHash(EMPTY_MARKET_TABLE, params)`) and takes tables of
 * `marketTableWordCount(params)` words.
 */
export async function deployRollup(ctx: L1Context, params: ParamSet, options: DeployRollupOptions = {}): Promise<Deployment> {
  const deployBlock = await ctx.publicClient.getBlockNumber()
  if (options.token) {
    const decimals = await ctx.publicClient.readContract({ address: options.token, abi: parseAbi(['function decimals() view returns (uint8)']), functionName: 'decimals' })
    if (decimals !== COLLATERAL_DECIMALS) throw new L1Error(`collateral token ${options.token} has ${decimals} decimals, the protocol expects ${COLLATERAL_DECIMALS}`)
  }
  const token = options.token ?? (await deployContract(ctx, 'CollateralToken'))
  const libraries: Record<string, Address> = {}
  // T4 and T6: leaf and batch hashes; T5: the 4-ary accounts tree of escapeExit (QuadMerkle.sol).
  for (const lib of ['PoseidonT4', 'PoseidonT5', 'PoseidonT6'] as const) libraries[lib] = await deployPoseidon(ctx, lib)
  const verifier = await deployContract(ctx, 'Groth16Verifier')
  const settlementOracle = await deployContract(ctx, 'SettlementOracle', [options.oracleOwner ?? ctx.account.address, COLLATERAL_DECIMALS])
  const genesisRoot = new RollupState(params).root
  const rollup = await deployContract(
    ctx,
    'Rollup',
    [
      token,
      verifier,
      options.operator ?? ctx.account.address,
      BigInt(params.batchSize),
      BigInt(params.accountsDepth),
      BigInt(params.forcedTimeoutSeconds),
      genesisRoot,
      BigInt(marketTableWordCount(params)),
      marketTableHash(EMPTY_MARKET_TABLE, params),
      settlementOracle,
    ],
    libraries,
  )
  return { token, verifier, rollup, settlementOracle, deployBlock }
}
