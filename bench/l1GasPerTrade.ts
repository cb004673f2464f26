/**
 * `l1.gas_per_trade.*`: L1 gas of `submitBatch` per trade, for batches whose every slot is a
 * trade, measured from transaction receipts on a fresh anvil (docs/cost.md).
 *
 * The realistic circuit (accounts depth 24) has no Groth16 setup here (it needs a power-20
 * powers of tau), so it cannot prove a 16-slot batch. The Rollup is therefore deployed for a
 * batch of B slots with the realistic depths, and its verifier's code is replaced
 * (`anvil_setCode`) by a **gas twin**: the same snarkjs Groth16 verifier template, with one
 * public input, for a one-constraint circuit that can prove any public input. The Rollup then
 * verifies a real Groth16 proof of the batch's real input hash, so every gas unit of the
 * transaction is the real one (calldata, data hash, input hash, precompiles, storage, event);
 * only the verification key's constants differ from a production key, and the verifier's gas
 * does not depend on them (the benchmark checks this: both verifiers' `verifyProof` gas on a
 * valid proof, the real one on a proof of the test batch, must agree within 100 gas).
 *
 * Scenario, for B = 16 and then B = 32, each on a fresh deployment: 2B deposits (one L1
 * account, 2B L2 keys) proven as two batches of deposits, then one batch of B trades
 * (account 2i+1 buys 2.5 contracts from account 2i+2 at 2.5 collateral units each), whose
 * `gasUsed` (21,000 base and calldata included) is measured. The market table that prices
 * the traded series is posted by the first deposit batch, so the trade batch reuses it (no
 * table in its calldata): the figures are for batches that keep the table in force; a batch
 * that posts a new table costs its calldata and one on-chain PoseidonT6 per 4 words more
 * (contracts/test/analysis/GasBreakdown.t.sol, `tableHash.*`).
 *
 * - `l1.gas_per_trade.batch16` = gasUsed(B = 16) / 16.
 * - `l1.gas_per_trade.projected256`: per-slot part = (gasUsed(32) - gasUsed(16)) / 16, fixed
 *   part = gasUsed(16) - 16 * per-slot; (fixed + 256 * per-slot) / 256. The per-slot part is
 *   linear (one on-chain Poseidon and 64 calldata bytes a slot), so two sizes determine it.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { promisify } from 'node:util'
import * as snarkjs from 'snarkjs'
import { createTestClient, encodeFunctionData, http, maxUint256, parseAbi, type Address, type Hex } from 'viem'
import { rollupAbi, collateralTokenAbi } from '../l1/abi.js'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1, withAccount, type L1Context } from '../l1/clients.js'
import { deployRollup } from '../l1/deploy.js'
import { submitBatch } from '../l1/rollupCalls.js'
import { DEV_PTAU, ROOT } from '../prover/paths.js'
import { proveBatch, toSolidityProof, type SolidityProof } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import { applyBatch } from '../state/batch.js'
import { REALISTIC_PARAMS, TEST_PARAMS, TxType, type ParamSet } from '../state/params.js'
import { depositEntry } from '../state/queue.js'
import { RollupState } from '../state/rollupState.js'
import { order, signedOrder, testKey, testMarketTable } from '../state/testing.js'
import type { Tx } from '../state/types.js'
import type { Benchmark, Figure } from './figure.js'
import { BenchError, builtArtifacts, progress, round, tradeAndWithdrawBatch } from './support.js'

const run = promisify(execFile)
const require = createRequire(import.meta.url)

/** 10,000 units of the 6-decimal collateral per account. */
const COLLATERAL = 10_000_000_000n
/** Each trade: 250 size units (2.5 contracts) at 2,500,000 base units (2.5 USDC) per unit. */
const FILL = 250n
const PRICE = 2_500_000n

const TWIN_DIR = join(ROOT, 'build', 'analysis', 'gas-twin')

/** The gas twin: a verifier of the snarkjs template for a circuit that proves any input. */
type Twin = { readonly runtime: Hex; readonly prove: (input: bigint) => Promise<SolidityProof> }

async function gasTwin(): Promise<Twin> {
  mkdirSync(TWIN_DIR, { recursive: true })
  const circuit = join(TWIN_DIR, 'twin.circom')
  // One public input x and one constraint (x * x): the verifier has exactly the production
  // verifier's shape (one IC multiplication, four pairings).
  writeFileSync(circuit, 'pragma circom 2.1.0;\ntemplate Twin() { signal input x; signal sq; sq <== x * x; }\ncomponent main {public [x]} = Twin();\n')
  await run(join(ROOT, 'node_modules', '.bin', 'circom2'), [circuit, '--r1cs', '--wasm', '--O0', '-o', TWIN_DIR], { cwd: ROOT })
  const zkey = join(TWIN_DIR, 'twin.zkey')
  // No phase-2 contribution: this key only has to have the production key's shape.
  await snarkjs.zKey.newZKey(join(TWIN_DIR, 'twin.r1cs'), DEV_PTAU, zkey, undefined)
  const template = readFileSync(join(ROOT, 'node_modules', 'snarkjs', 'templates', 'verifier_groth16.sol.ejs'), 'utf8')
  const source = (await snarkjs.zKey.exportSolidityVerifier(zkey, { groth16: template }, undefined)) as string
  // Compiled as forge compiles contracts/ (foundry.toml: optimizer 200 runs, cancun).
  const solc = require('solc') as { compile: (input: string) => string }
  const output = JSON.parse(
    solc.compile(
      JSON.stringify({
        language: 'Solidity',
        sources: { 'Twin.sol': { content: source } },
        settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'cancun', outputSelection: { '*': { '*': ['evm.deployedBytecode.object'] } } },
      }),
    ),
  ) as { contracts?: Record<string, Record<string, { evm: { deployedBytecode: { object: string } } }>>; errors?: { severity: string; message: string }[] }
  const compiled = output.contracts?.['Twin.sol']?.['Groth16Verifier']
  if (!compiled) throw new BenchError(`solc failed on the gas-twin verifier: ${output.errors?.map((e) => e.message).join('; ')}`)
  const wasm = join(TWIN_DIR, 'twin_js', 'twin.wasm')
  return {
    runtime: `0x${compiled.evm.deployedBytecode.object}`,
    prove: async (input) => {
      const { proof } = await snarkjs.groth16.fullProve({ x: input.toString() }, wasm, zkey, undefined, undefined, { singleThread: false })
      return toSolidityProof(proof)
    },
  }
}

const verifierAbi = parseAbi(['function verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[1] input) view returns (bool)'])

function verifyCall(proof: SolidityProof, input: bigint): Hex {
  return encodeFunctionData({
    abi: verifierAbi,
    functionName: 'verifyProof',
    args: [[...proof.a], [[...proof.b[0]], [...proof.b[1]]], [...proof.c], [input]],
  })
}

/** Calldata gas of a transaction's input (EIP-2028: 4 a zero byte, 16 another). */
function calldataGas(input: Hex): number {
  let gas = 0
  for (let i = 2; i < input.length; i += 2) gas += input.slice(i, i + 2) === '00' ? 4 : 16
  return gas
}

type Measured = { readonly gasUsed: bigint; readonly calldataGas: number }

/** Deploys for batches of `batchSize`, fills 2 * batchSize accounts, submits one batch of trades. */
async function tradeBatchGas(anvil: Anvil, twin: Twin, batchSize: number): Promise<Measured> {
  const params: ParamSet = { ...REALISTIC_PARAMS, batchSize }
  const operator = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  const user: L1Context = withAccount(operator, ANVIL_KEYS[1])
  const { token, rollup, verifier } = await deployRollup(operator, params)
  await createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) }).setCode({ address: verifier, bytecode: twin.runtime })

  const accounts = 2 * batchSize
  const keys = Array.from({ length: accounts }, (_, i) => testKey(i + 1))
  const wait = async (hash: Hex) => {
    const receipt = await user.publicClient.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success') throw new BenchError(`transaction ${hash} reverted`)
    return receipt
  }
  await wait(await user.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'mint', args: [user.account.address, COLLATERAL * BigInt(accounts)] }))
  await wait(await user.walletClient.writeContract({ address: token, abi: collateralTokenAbi, functionName: 'approve', args: [rollup, maxUint256] }))
  const deposits: Tx[] = []
  for (const [i, key] of keys.entries()) {
    await wait(await user.walletClient.writeContract({ address: rollup, abi: rollupAbi, functionName: 'deposit', args: [COLLATERAL, key.pubKey.x, key.pubKey.y] }))
    deposits.push({ type: TxType.deposit, accountIndex: BigInt(i + 1), entry: depositEntry(BigInt(user.account.address), key.pubKey, COLLATERAL) })
  }

  const state = new RollupState(params)
  // Prices series 1, which every trade is in; posted once, by the first deposit batch.
  state.setMarketTable(testMarketTable(params, [1n]))
  const submit = async (txs: readonly Tx[]) => {
    const trace = applyBatch(state, txs)
    state.commit()
    const mined = await submitBatch(operator, rollup, trace, await twin.prove(trace.inputHash))
    const tx = await operator.publicClient.getTransaction({ hash: mined.hash })
    return { gasUsed: mined.gasUsed, calldataGas: calldataGas(tx.input) }
  }
  for (let b = 0; b < 2; b++) await submit(deposits.slice(b * batchSize, (b + 1) * batchSize))

  const trades: Tx[] = Array.from({ length: batchSize }, (_, i) => {
    const buyer = 2 * i
    const seller = 2 * i + 1
    return {
      type: TxType.trade,
      buy: signedOrder(keys[buyer]!, order({ accountIndex: BigInt(buyer + 1), orderId: BigInt(1000 + i), side: 0, size: FILL, limitPrice: PRICE })),
      sell: signedOrder(keys[seller]!, order({ accountIndex: BigInt(seller + 1), orderId: BigInt(2000 + i), side: 1, size: FILL, limitPrice: PRICE })),
      fill: FILL,
      price: PRICE,
    }
  })
  return submit(trades)
}

/**
 * verifyProof execution gas (receipt gasUsed less 21,000 and calldata) of the real test
 * verifier on a proof of the test batch, and of the twin on a proof of its own. Sent as
 * transactions with a fixed gas limit: eth_estimateGas would find the least gas at which the
 * call does not revert, and the template returns false without reverting when the pairing
 * precompile runs out of gas.
 */
async function verifierGasCheck(anvil: Anvil, twin: Twin): Promise<{ readonly real: number; readonly twin: number }> {
  builtArtifacts(TEST_PARAMS)
  const ctx = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
  const { verifier } = await deployRollup(ctx, TEST_PARAMS)
  const twinAddress: Address = '0x00000000000000000000000000000000000c0575'
  await createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) }).setCode({ address: twinAddress, bytecode: twin.runtime })
  const { trace } = tradeAndWithdrawBatch(TEST_PARAMS)
  const real = await proveBatch(trace, TEST_PARAMS)
  const twinInput = 123456789n
  const executionGas = async (to: Address, data: Hex): Promise<number> => {
    const answer = await ctx.publicClient.call({ to, data })
    if (answer.data !== `0x${'1'.padStart(64, '0')}`) throw new BenchError(`the verifier at ${to} rejected a valid proof`)
    const hash = await ctx.walletClient.sendTransaction({ to, data, gas: 1_000_000n })
    const receipt = await ctx.publicClient.waitForTransactionReceipt({ hash })
    return Number(receipt.gasUsed) - 21_000 - calldataGas(data)
  }
  return {
    real: await executionGas(verifier, verifyCall(real.proof, real.inputHash)),
    twin: await executionGas(twinAddress, verifyCall(await twin.prove(twinInput), twinInput)),
  }
}

export const l1GasPerTrade: Benchmark = {
  figures: ['l1.gas_per_trade.batch16', 'l1.gas_per_trade.projected256'],
  run: async () => {
    let anvil: Anvil | undefined
    try {
      const twin = await gasTwin()
      anvil = await startAnvil()
      const check = await verifierGasCheck(anvil, twin)
      progress(`verifyProof execution gas (no base, no calldata): real test verifier ${check.real}, gas twin ${check.twin}`)
      const diff = Math.abs(check.real - check.twin)
      if (diff > 100) throw new BenchError(`the gas twin's verifyProof differs from the real verifier's by ${diff} gas`)
      const g16 = await tradeBatchGas(anvil, twin, 16)
      progress(`submitBatch of 16 trades: ${g16.gasUsed} gas (calldata ${g16.calldataGas})`)
      const g32 = await tradeBatchGas(anvil, twin, 32)
      progress(`submitBatch of 32 trades: ${g32.gasUsed} gas (calldata ${g32.calldataGas})`)
      const perSlot = Number(g32.gasUsed - g16.gasUsed) / 16
      const fixed = Number(g16.gasUsed) - 16 * perSlot
      progress(`fixed part ${fixed} gas, per trade slot ${perSlot} gas (calldata ${(g32.calldataGas - g16.calldataGas) / 16})`)
      const figures: Figure[] = [
        { name: 'l1.gas_per_trade.batch16', value: round(Number(g16.gasUsed) / 16, 1), unit: 'gas' },
        { name: 'l1.gas_per_trade.projected256', value: round((fixed + 256 * perSlot) / 256, 1), unit: 'gas' },
      ]
      return figures
    } finally {
      await anvil?.stop()
      await terminateCurves()
    }
  },
}
