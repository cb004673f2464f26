/**
 * Deploys the collateral token, the Poseidon libraries, the generated Groth16 verifier and
 * the Rollup, from forge's build output (`npm run build` first).
 */
import { readFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { ROOT } from '../prover/paths.js'
import { RollupState } from '../state/rollupState.js'
import type { ParamSet } from '../state/params.js'
import { ArtifactError, TransactionError } from './errors.js'
import type { L1Context } from './clients.js'

type LinkReferences = Record<string, Record<string, { start: number; length: number }[]>>
type Artifact = { abi: unknown[]; bytecode: { object: Hex; linkReferences: LinkReferences } }

/** Addresses of a deployment. */
export type Deployment = {
  readonly token: Address
  readonly verifier: Address
  readonly rollup: Address
  readonly deployBlock: bigint
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
 * Deploys everything for `params` with `ctx`'s account as operator. `token` reuses an
 * existing collateral token instead of deploying the test one.
 */
export async function deployRollup(ctx: L1Context, params: ParamSet, options: { token?: Address; operator?: Address } = {}): Promise<Deployment> {
  const deployBlock = await ctx.publicClient.getBlockNumber()
  const token = options.token ?? (await deployContract(ctx, 'CollateralToken'))
  const libraries: Record<string, Address> = {}
  for (const lib of ['PoseidonT3', 'PoseidonT4', 'PoseidonT6']) libraries[lib] = await deployContract(ctx, lib)
  const verifier = await deployContract(ctx, 'Groth16Verifier')
  const genesisRoot = new RollupState(params).root
  const rollup = await deployContract(
    ctx,
    'Rollup',
    [token, verifier, options.operator ?? ctx.account.address, BigInt(params.batchSize), BigInt(params.accountsDepth), BigInt(params.forcedTimeoutSeconds), genesisRoot],
    libraries,
  )
  return { token, verifier, rollup, deployBlock }
}
