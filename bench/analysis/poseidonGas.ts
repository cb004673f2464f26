/**
 * Gas of one on-chain Poseidon hash (poseidon-solidity T3, T4, T6) as this project compiles
 * it and as it could (docs/cost.md): the library source compiled by solc-js 0.8.28 for
 * cancun with the optimizer at 200 runs (foundry.toml's setting, what `npm run build`
 * deploys), with the optimizer off, and the package's own precompiled bytecode
 * (`poseidon-solidity`'s deploy data, the code at its deterministic addresses).
 *
 * `npx tsx bench/analysis/poseidonGas.ts`: one fresh anvil; for each build, a transaction
 * calling `hash` with a fixed gas limit; prints execution gas = receipt gasUsed - 21,000 -
 * calldata (an external call from a contract costs this plus the call's own overhead) and the
 * runtime code size.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { encodeFunctionData, parseAbi, type Hex } from 'viem'
import { ANVIL_KEYS, startAnvil } from '../../l1/anvil.js'
import { connectL1 } from '../../l1/clients.js'
import { ROOT } from '../../prover/paths.js'

const require = createRequire(import.meta.url)
const solc = require('solc') as { compile: (input: string) => string; version: () => string }
const pkg = require('poseidon-solidity') as Record<string, { bytecode: Hex }>

function compile(name: string, optimizer: boolean): Hex {
  const source = readFileSync(join(ROOT, 'node_modules', 'poseidon-solidity', `${name}.sol`), 'utf8')
  const settings = { optimizer: { enabled: optimizer, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['evm.bytecode.object'] } } }
  const out = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources: { [`${name}.sol`]: { content: source } }, settings }))) as {
    contracts?: Record<string, Record<string, { evm: { bytecode: { object: string } } }>>
  }
  const object = out.contracts?.[`${name}.sol`]?.[name]?.evm.bytecode.object
  if (!object) throw new Error(`solc failed on ${name}`)
  return `0x${object}`
}

function calldataGas(input: Hex): number {
  let gas = 0
  for (let i = 2; i < input.length; i += 2) gas += input.slice(i, i + 2) === '00' ? 4 : 16
  return gas
}

const anvil = await startAnvil()
try {
  const ctx = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  console.log(`solc ${solc.version()}`)
  console.log('| hash | optimizer 200 (as built) | optimizer off | package bytecode |\n|---|---:|---:|---:|')
  for (const [name, n] of [['PoseidonT3', 2], ['PoseidonT4', 3], ['PoseidonT6', 5]] as const) {
    const abi = parseAbi([`function hash(uint256[${n}]) pure returns (uint256)`])
    const data = encodeFunctionData({ abi, functionName: 'hash', args: [Array.from({ length: n }, (_, i) => 1_000_000_007n * BigInt(i + 1)) as never] })
    const row: string[] = []
    const outputs = new Set<string>()
    for (const bytecode of [compile(name, true), compile(name, false), pkg[name]!.bytecode]) {
      // Deployed with a gas limit, not estimated: an oversized runtime (EIP-170) fails the create.
      const deployed = await ctx.publicClient.waitForTransactionReceipt({ hash: await ctx.walletClient.sendTransaction({ data: bytecode, gas: 25_000_000n }) })
      if (deployed.status !== 'success' || !deployed.contractAddress) {
        row.push('not deployable (runtime over 24,576 bytes, EIP-170)')
        continue
      }
      const to = deployed.contractAddress
      const size = ((await ctx.publicClient.getCode({ address: to })) ?? '0x').length / 2 - 1
      outputs.add((await ctx.publicClient.call({ to, data })).data ?? '')
      const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash: await ctx.walletClient.sendTransaction({ to, data, gas: 1_000_000n }) })
      row.push(`${Number(receipt.gasUsed) - 21_000 - calldataGas(data)} (${size} B)`)
    }
    if (outputs.size !== 1) throw new Error(`${name}: the builds disagree on the hash`)
    console.log(`| ${name} | ${row.join(' | ')} |`)
  }
} finally {
  await anvil.stop()
}
