/**
 * `l1.gas.*`: gas used by the Rollup's user and operator transactions on a fresh anvil, one
 * scenario for all three figures:
 *
 * 1. Deploy for the test parameters; mint each of two users twice what they deposit.
 * 2. Users A then B deposit. `l1.gas.deposit` is B's deposit, the second the contract sees:
 *    the first also pays for first writes (the Rollup's token balance and the queue length
 *    go from zero), which every later deposit skips. The approve before it is not counted.
 * 3. The operator proves the two deposits as one full test batch and submits it:
 *    `l1.gas.submit_batch.test` (calldata, Poseidon data hash and input hash, the pairing
 *    check, storage updates; no withdrawal is credited by this batch).
 * 4. A asks for the forced withdrawal of account 1; time passes beyond the timeout; anyone
 *    freezes; A's account exits with a Merkle proof against the last verified root:
 *    `l1.gas.escape_exit` (leaf hash, accountsDepth / 2 levels of the 4-ary accounts tree at
 *    one PoseidonT5 each, the token transfer to an address that still holds tokens).
 */
import { createTestClient, http } from 'viem'
import { ANVIL_KEYS, startAnvil, type Anvil } from '../l1/anvil.js'
import { connectL1, withAccount, type L1Context } from '../l1/clients.js'
import { deployRollup } from '../l1/deploy.js'
import { deposit, escapeExit, freeze, mintTestTokens, requestForcedWithdrawal, submitBatch } from '../l1/rollupCalls.js'
import { proveBatch } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import { applyBatch } from '../state/batch.js'
import { TEST_PARAMS, TxType } from '../state/params.js'
import { depositEntry } from '../state/queue.js'
import { RollupState } from '../state/rollupState.js'
import { testKey } from '../state/testing.js'
import type { Tx } from '../state/types.js'
import type { Benchmark, Figure } from './figure.js'
import { BenchError, builtArtifacts, progress } from './support.js'

/** 1,000 units of the 6-decimal collateral. */
const AMOUNT = 1_000_000_000n

const gas = (name: string, value: bigint): Figure => ({ name, value: Number(value), unit: 'gas' })

export const l1Gas: Benchmark = {
  figures: ['l1.gas.deposit', 'l1.gas.submit_batch.test', 'l1.gas.escape_exit'],
  run: async () => {
    const params = TEST_PARAMS
    builtArtifacts(params)
    let anvil: Anvil | undefined
    try {
      anvil = await startAnvil()
      const operator = await connectL1(anvil.rpcUrl, ANVIL_KEYS[0])
      const users: L1Context[] = [withAccount(operator, ANVIL_KEYS[1]), withAccount(operator, ANVIL_KEYS[2])]
      const { token, rollup } = await deployRollup(operator, params)
      progress(`deployed the Rollup at ${rollup} on ${anvil.rpcUrl}`)

      // Deposits: user i holds L2 key testKey(i + 1) and gets account i + 1.
      const state = new RollupState(params)
      const txs: Tx[] = []
      const depositGas: bigint[] = []
      for (const [i, user] of users.entries()) {
        const key = testKey(i + 1)
        await mintTestTokens(user, token, user.account.address, 2n * AMOUNT)
        depositGas.push((await deposit(user, rollup, token, AMOUNT, key.pubKey)).gasUsed)
        txs.push({ type: TxType.deposit, accountIndex: BigInt(i + 1), entry: depositEntry(BigInt(user.account.address), key.pubKey, AMOUNT) })
      }
      progress(`deposit gas: first ${depositGas[0]}, second ${depositGas[1]}`)

      // One full batch of the two deposits, proven and submitted.
      const trace = applyBatch(state, txs)
      state.commit()
      const { proof } = await proveBatch(trace, params)
      const submitted = await submitBatch(operator, rollup, trace, proof)

      // Escape hatch for account 1.
      const owner = users[0]!
      const { queueIndex } = await requestForcedWithdrawal(owner, rollup, 1n)
      const testClient = createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) })
      await testClient.increaseTime({ seconds: params.forcedTimeoutSeconds + 1 })
      await testClient.mine({ blocks: 1 })
      await freeze(operator, rollup, queueIndex)
      const account = state.account(1n)
      if (account.l1Address !== BigInt(owner.account.address)) throw new BenchError('account 1 does not pay its depositor')
      const exited = await escapeExit(owner, rollup, 1n, account, state.accountProof(1n))

      return [gas('l1.gas.deposit', depositGas[1]!), gas('l1.gas.submit_batch.test', submitted.gasUsed), gas('l1.gas.escape_exit', exited.gasUsed)]
    } finally {
      await anvil?.stop()
      await terminateCurves()
    }
  },
}
