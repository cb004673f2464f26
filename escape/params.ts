/**
 * The parameter set of a deployed Rollup: the contract records `batchSize`, `accountsDepth`,
 * `forcedTimeout` and `marketTableWords`; the subtree depths are not on L1, so they come from the known sets
 * (state/params.ts) and are confirmed by the genesis root when the state is rebuilt.
 */
import type { Address, PublicClient } from 'viem'
import { rollupAbi } from '../l1/abi.js'
import { marketTableWordCount, PARAM_SETS, type ParamSet } from '../state/params.js'
import { ParamsMismatchError } from './errors.js'

/** The sizes a Rollup contract was deployed with. */
export type ContractParams = {
  readonly batchSize: bigint
  readonly accountsDepth: bigint
  readonly forcedTimeout: bigint
  /** Words of a posted market table. */
  readonly marketTableWords: bigint
}

/** Reads the sizes the Rollup was deployed with. */
export async function readContractParams(client: PublicClient, rollup: Address): Promise<ContractParams> {
  const [batchSize, accountsDepth, forcedTimeout, marketTableWords] = await Promise.all([
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'batchSize' }),
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'accountsDepth' }),
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'forcedTimeout' }),
    client.readContract({ address: rollup, abi: rollupAbi, functionName: 'marketTableWords' }),
  ])
  return { batchSize, accountsDepth, forcedTimeout, marketTableWords }
}

function mismatches(params: ParamSet, c: ContractParams): string[] {
  const out: string[] = []
  if (BigInt(params.batchSize) !== c.batchSize) out.push(`batchSize ${params.batchSize} != ${c.batchSize}`)
  if (BigInt(params.accountsDepth) !== c.accountsDepth) out.push(`accountsDepth ${params.accountsDepth} != ${c.accountsDepth}`)
  if (BigInt(params.forcedTimeoutSeconds) !== c.forcedTimeout) out.push(`forcedTimeoutSeconds ${params.forcedTimeoutSeconds} != ${c.forcedTimeout}`)
  if (BigInt(marketTableWordCount(params)) !== c.marketTableWords) out.push(`market table words ${marketTableWordCount(params)} != ${c.marketTableWords}`)
  return out
}

/** Throws `ParamsMismatchError` unless `params` matches what the contract was deployed with. */
export async function assertParamsMatch(client: PublicClient, rollup: Address, params: ParamSet): Promise<void> {
  const wrong = mismatches(params, await readContractParams(client, rollup))
  if (wrong.length > 0) throw new ParamsMismatchError(`parameter set "${params.name}" does not match the Rollup at ${rollup}: ${wrong.join(', ')}`)
}

/** The known parameter set (test or realistic) the Rollup at `rollup` was deployed with. */
export async function detectParams(client: PublicClient, rollup: Address): Promise<ParamSet> {
  const c = await readContractParams(client, rollup)
  const found = Object.values(PARAM_SETS).find((p) => mismatches(p, c).length === 0)
  if (!found)
    throw new ParamsMismatchError(
      `no known parameter set matches the Rollup at ${rollup} (batchSize ${c.batchSize}, accountsDepth ${c.accountsDepth}, forcedTimeout ${c.forcedTimeout}, marketTableWords ${c.marketTableWords}); pass --params`,
    )
  return found
}
