/**
 * `npm run demo`: a scripted session on the embedded node, end to end.
 *
 * Two traders deposit collateral on L1, derive L2 keys from signatures of their Ethereum
 * accounts, and trade one ETH call through the sequencer's API (Black-Scholes initial margin
 * checked); each batch is proven (Groth16) and verified by the Rollup on anvil; one trader
 * withdraws and is paid on L1. Ends with a one-screen summary.
 */
import { privateKeyToAccount } from 'viem/accounts'
import { formatUnits, type Address } from 'viem'
import { ANVIL_KEYS } from '../l1/anvil.js'
import { connectL1 } from '../l1/clients.js'
import { collateralTokenAbi } from '../l1/abi.js'
import { deposit, mintTestTokens, withdrawPending } from '../l1/rollupCalls.js'
import { ensureArtifacts } from '../prover/artifacts.js'
import { terminateCurves } from '../prover/curves.js'
import { ApiError, SequencerClient, buildOrder, deriveL2Key, signOrder, signWithdrawal, type AccountResponse } from '../sdk/index.js'
import { COLLATERAL_DECIMALS } from '../state/params.js'
import { DEFAULT_PARAMS } from '../sequencer/defaults.js'
import { startEmbedded } from '../sequencer/embedded.js'

const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s`
const step = (s: string) => console.log(`${elapsed()}  ${s}`)
const usdc = (v: bigint | string) => `${formatUnits(BigInt(v), COLLATERAL_DECIMALS)} USDC`

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

async function main(): Promise<void> {
  step('preparing circuit artifacts (cached after the first run)')
  await ensureArtifacts(DEFAULT_PARAMS)
  step('starting anvil, deploying the collateral token, Groth16 verifier and Rollup, starting the sequencer')
  const embedded = await startEmbedded({ node: { batchTimeoutMs: 1_000, pollIntervalMs: 250, port: 0 } })
  const { node, deployment, anvil } = embedded
  try {
    const client = new SequencerClient({ baseUrl: node.url })
    step(`L1 ${anvil.rpcUrl}  Rollup ${deployment.rollup}  API ${node.url}/v1`)
    const series = (await client.getSeries()).series[0]!
    step(`listed series ${series.id}: ${(series as { name?: string }).name}, mark ${usdc(String((series as { mark?: string }).mark))} per 0.01 contract`)

    const traders = await Promise.all(
      [
        { name: 'alice', key: ANVIL_KEYS[1] },
        { name: 'bob', key: ANVIL_KEYS[2] },
      ].map(async ({ name, key }) => {
        const account = privateKeyToAccount(key)
        const l1 = await connectL1(anvil.rpcUrl, key)
        const l2 = await deriveL2Key(account, anvil.chainId, deployment.rollup)
        return { name, address: account.address as Address, l1, l2 }
      }),
    )
    for (const t of traders) step(`${t.name} derived an L2 key from a signature of ${t.address}: pubKey.x ${t.l2.publicKey.x.toString().slice(0, 12)}…`)

    const depositAmount = 5_000n * 10n ** BigInt(COLLATERAL_DECIMALS)
    for (const t of traders) {
      await mintTestTokens(t.l1, deployment.token, t.address, depositAmount)
      const d = await deposit(t.l1, deployment.rollup, deployment.token, depositAmount, t.l2.publicKey)
      step(`${t.name} deposited ${usdc(depositAmount)} on L1 (queue entry ${d.queueIndex}, ${d.gasUsed} gas)`)
    }
    const accounts = new Map<string, AccountResponse>()
    for (const t of traders) {
      const a = await until(`${t.name}'s account`, () => client.getAccountByL1Address(t.address).catch(() => undefined))
      accounts.set(t.name, a)
      step(`sequencer credited ${t.name}: account ${a.index}, collateral ${usdc(a.collateral)}`)
    }
    const alice = { ...traders[0]!, index: BigInt(accounts.get('alice')!.index) }
    const bob = { ...traders[1]!, index: BigInt(accounts.get('bob')!.index) }

    const validUntil = BigInt(Math.floor(Date.now() / 1000) + 3600)
    const seriesId = BigInt(series.id)
    const sell = buildOrder({ accountIndex: bob.index, orderId: 1n, seriesId, side: 'sell', size: 100n, limitPrice: 2_100_000n, validUntil })
    const rest = await client.placeOrder(signOrder(sell, bob.l2.privateKey))
    step(`bob offers 1 call (100 x 0.01) at ${usdc(sell.limitPrice)} per 0.01: ${rest.status}`)

    const greedy = buildOrder({ accountIndex: alice.index, orderId: 1n, seriesId, side: 'sell', size: 5_000n, limitPrice: 2_300_000n, validUntil })
    try {
      await client.placeOrder(signOrder(greedy, alice.l2.privateKey))
      throw new Error('an order far beyond margin was accepted')
    } catch (e) {
      if (!(e instanceof ApiError)) throw e
      step(`alice tries to sell 50 naked calls: refused, ${e.code} (${e.reason})`)
    }

    const buy = buildOrder({ accountIndex: alice.index, orderId: 2n, seriesId, side: 'buy', size: 100n, limitPrice: 2_200_000n, validUntil })
    const filled = await client.placeOrder(signOrder(buy, alice.l2.privateKey))
    const fill = (filled as { fills?: { size: string; price: string }[] }).fills?.[0]
    step(`alice buys 1 call: ${filled.status}, ${fill?.size} x ${usdc(fill?.price ?? '0')}`)
    const bobAfter = await client.getAccount(bob.index)
    const margin = (bobAfter as { margin?: { initialMargin: string; equity: string } }).margin
    step(`bob is short 1 call: initial margin ${usdc(margin?.initialMargin ?? '0')}, equity ${usdc(margin?.equity ?? '0')} (Black-Scholes scenario margin)`)

    const aliceNow = await client.getAccount(alice.index)
    const withdrawAmount = 1_000n * 10n ** BigInt(COLLATERAL_DECIMALS)
    await client.requestWithdrawal(signWithdrawal({ accountIndex: alice.index, nonce: BigInt(aliceNow.nonce), amount: withdrawAmount }, alice.l2.privateKey))
    step(`alice asks to withdraw ${usdc(withdrawAmount)}`)

    step('proving and verifying the batches on L1 …')
    await node.settle()
    const { batches } = await client.getBatches()
    for (const b of [...batches].reverse()) {
      const r = b as { number: number; status: string; txCounts: Record<string, number>; provingMs?: number; gasUsed?: string }
      const txs = Object.entries(r.txCounts).filter(([k, n]) => k !== 'noop' && n > 0).map(([k, n]) => `${n} ${k}`).join(', ')
      step(`batch ${r.number}: ${txs} — proof ${((r.provingMs ?? 0) / 1000).toFixed(1)} s, verified on L1 with ${r.gasUsed} gas (${r.status})`)
    }
    if (batches.some((b) => b.status !== 'verified')) throw new Error('a batch was not verified')

    const balance = () => alice.l1.publicClient.readContract({ address: deployment.token, abi: collateralTokenAbi, functionName: 'balanceOf', args: [alice.address] })
    const before = await balance()
    const paid = await withdrawPending(alice.l1, deployment.rollup)
    const after = await balance()
    step(`alice withdrew on L1: +${usdc(after - before)} (${paid.gasUsed} gas)`)
    if (after - before !== withdrawAmount) throw new Error(`expected ${withdrawAmount}, received ${after - before}`)

    const records = node.pipeline.records
    const proveSeconds = records.map((r) => (r.provingMs ?? 0) / 1000)
    console.log('\n──────── summary ────────')
    console.log(`batches verified on L1   ${records.filter((r) => r.status === 'verified').length} (batch size ${DEFAULT_PARAMS.batchSize}, accounts depth ${DEFAULT_PARAMS.accountsDepth})`)
    console.log(`proof time per batch     ${proveSeconds.map((s) => `${s.toFixed(1)} s`).join(', ')}`)
    console.log(`L1 gas per batch         ${records.map((r) => r.gasUsed?.toString()).join(', ')}`)
    console.log(`state root on L1         ${(await node.stateRoot()).toString().slice(0, 20)}…`)
    console.log(`total                    ${elapsed().trim()}`)
  } finally {
    await embedded.stop()
    await terminateCurves()
  }
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`demo failed: ${error.stack ?? error.message}`)
    process.exit(1)
  },
)
