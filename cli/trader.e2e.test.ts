/**
 * The trader CLI against the real embedded node (anvil, the deployed contracts, the
 * sequencer's HTTP API): derive a key, get test collateral, deposit and wait until the
 * sequencer credits it, place orders, read the book and the account; refusals exit 1 with the
 * exchange's code and reason, once through the real `options-rollup` executable.
 *
 * Batches hold two slots and a cut batch is proven before the node can stop, so the test
 * makes one slot only (the deposit): resting orders and refusals make none.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../l1/anvil.js'
import { terminateCurves } from '../prover/curves.js'
import { startEmbedded, type EmbeddedNode } from '../sequencer/embedded.js'
import { SequencerClient } from '../sdk/client.js'
import { deriveL2Key } from '../sdk/keys.js'
import { waitForDepositAccount } from '../sdk/l1Waits.js'
import { AccountKeyMismatchError, WaitTimeoutError } from '../sdk/l1Errors.js'
import { testKey } from '../state/testing.js'
import { runCli } from './program.js'
import { TraderExit } from './errors.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ALICE = ANVIL_KEYS[3]
const BOB = ANVIL_KEYS[4]

let embedded: EmbeddedNode
let env: Record<string, string>
let bobKeyFile: string
let seriesName: string
let nodeStopped = false

type Ran = { readonly code: number; readonly out: string; readonly err: string }

async function cli(...args: string[]): Promise<Ran> {
  let out = ''
  const err: string[] = []
  const code = await runCli(args, { input: async function* () {}, write: async (t) => void (out += t), err: (l) => void err.push(l), env })
  return { code, out, err: err.join('\n') }
}

async function json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await cli('--json', ...args)
  expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0)
  return JSON.parse(r.out) as T
}

/** The CLI as a child process, through the package's bin launcher. */
function spawnCli(args: readonly string[], extraEnv: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/bin.mjs', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out, err }))
  })
}

beforeAll(async () => {
  embedded = await startEmbedded({ node: { batchTimeoutMs: 3_600_000, pollIntervalMs: 100 } })
  env = { SEQUENCER_URL: embedded.node.url, RPC_URL: embedded.anvil.rpcUrl, TRADER_KEY: ALICE }
  bobKeyFile = join(mkdtempSync(join(tmpdir(), 'trader-e2e-')), 'bob.key')
  writeFileSync(bobKeyFile, BOB)
  chmodSync(bobKeyFile, 0o600)
  seriesName = embedded.node.market.name(embedded.node.market.series()[0]!)
})

afterAll(async () => {
  if (nodeStopped) await embedded?.anvil.stop()
  else await embedded?.stop()
  await terminateCurves()
})

describe('a trader on the embedded node, through the CLI', () => {
  it('derives the L2 key of the deployment the sequencer serves', async () => {
    const r = await cli('--json', 'key', 'derive')
    expect(r.code).toBe(0)
    expect(r.err).toBe('')
    const key = await deriveL2Key(privateKeyToAccount(ALICE), embedded.anvil.chainId, embedded.deployment.rollup)
    expect(JSON.parse(r.out)).toEqual({
      l1Address: privateKeyToAccount(ALICE).address,
      chainId: embedded.anvil.chainId,
      rollup: embedded.deployment.rollup,
      l2PublicKey: { x: key.publicKey.x.toString(), y: key.publicKey.y.toString() },
    })
    expect((await cli('key', 'derive')).err).toBe('no account yet: the first deposit creates it')
  })

  it('deposits on L1 and waits until the sequencer has credited the new account', async () => {
    await json('faucet', '10000')
    const d = await json<{ queueIndex: string; account: { index: string; collateral: string } }>('deposit', '5000')
    expect(d).toMatchObject({ queueIndex: '0', account: { index: '1', collateral: '5000000000' } })
    const human = await cli('account')
    expect(human.code).toBe(0)
    expect(human.out).toContain('account 1 (L1 0x90f79bf6eb2c4f870365e785982e1f101e93b906)')
    expect(human.out).toContain('margin available (free)  5000')
    expect(human.out).toContain('positions: none')
  })

  it('places orders that rest in the book and shows them in the account', async () => {
    const placed = await json<{ orderId: string; status: string; resting: string }>('order', 'place', 'sell', seriesName, '--size', '1', '--price', '210', '--valid-for', '1h')
    expect(placed).toMatchObject({ status: 'resting', resting: '100' })
    const second = await json<{ orderId: string }>('order', 'place', 'sell', '1', '--size', '0.5', '--price', '220.5')
    expect(second.orderId).not.toBe(placed.orderId)
    const book = await cli('book', seriesName.toLowerCase())
    expect(book.out.trimEnd().split('\n').slice(1)).toEqual(['side  price  size  orders', 'ask   220.5   0.5       1', 'ask     210     1       1'])
    const account = await json<{ openOrders: { orderId: string; limitPrice: string; remaining: string }[]; margin: { freeCollateral: string } }>('account')
    expect(account.openOrders).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ orderId: placed.orderId, limitPrice: '2100000', remaining: '100' }),
        expect.objectContaining({ orderId: second.orderId, limitPrice: '2205000', remaining: '50' }),
      ]),
    )
    expect((await json<{ series: { name: string }[] }>('series')).series.map((s) => s.name)).toEqual([seriesName])
    // No batch yet: the deposit's slot waits for a second slot (the batch timeout is an hour here).
    expect(await json('batches', '--limit', '5')).toEqual({ batches: [] })
    expect((await cli('batches')).out.trim()).toBe('no batches yet')

    // An immediate-or-cancel order that crosses nothing rests nothing (and uses no batch slot).
    const ioc = await json<{ orderId: string; status: string; resting: string }>('order', 'place', 'sell', seriesName, '--size', '1', '--price', '230', '--type', 'ioc')
    expect(ioc).toMatchObject({ status: 'cancelled_remainder', resting: '0' })
    const open = await json<{ orders: { orderId: string; status: string }[] }>('orders')
    expect(open.orders.map((o) => o.orderId).sort()).toEqual([placed.orderId, second.orderId].sort())
    const closed = await json<{ orders: { orderId: string; status: string; options: { type: string } }[] }>('orders', '--status', 'closed')
    expect(closed.orders).toEqual([expect.objectContaining({ orderId: ioc.orderId, status: 'cancelled', options: expect.objectContaining({ type: 'ioc' }) })])
    const status = await cli('order', 'status', placed.orderId)
    expect(status.code).toBe(0)
    expect(status.out).toMatch(/sell +1 +210 +limit +resting/)
  })

  it('exits 1 with the exchange code and reason when an order is refused (as a real process too)', async () => {
    const big = await cli('order', 'place', 'sell', '1', '--size', '100', '--price', '0.0001')
    expect(big.code).toBe(TraderExit.refused)
    expect(big.out).toBe('')
    expect(big.err).toMatch(/^error: refused by the exchange: INSUFFICIENT_MARGIN \(HTTP 422\): .+/)

    // Bob has no account: refused by the sequencer, through the executable and a key file.
    const bob = await spawnCli(['order', 'place', 'buy', seriesName, '--size', '1', '--price', '210'], { SEQUENCER_URL: embedded.node.url, TRADER_KEY_FILE: bobKeyFile })
    expect(bob.code).toBe(TraderExit.refused)
    expect(bob.out).toBe('')
    expect(bob.err.trim()).toBe(`error: refused by the exchange: UNKNOWN_ACCOUNT (HTTP 404): no account belongs to ${privateKeyToAccount(BOB).address.toLowerCase()}`)
  })

  it('shows the L1 side: nothing frozen, the deposit queued, nothing to claim yet', async () => {
    const status = await json<{ frozen: boolean; queueLength: string; forcedRequests: unknown[]; pendingWithdrawal: string }>('status')
    expect(status).toMatchObject({ frozen: false, queueLength: '1', forcedRequests: [], pendingWithdrawal: '0' })
    const claim = await cli('claim')
    expect(claim.code).toBe(TraderExit.refused)
    expect(claim.err).toContain('nothing is waiting to be paid to')
  })
})

describe('the SDK waits against the node', () => {
  it('refuses an account that holds another key, and times out on an entry not yet queued', async () => {
    const client = new SequencerClient({ baseUrl: embedded.node.url })
    const l1Address = privateKeyToAccount(ALICE).address
    await expect(waitForDepositAccount(client, { l1Address, pubKey: testKey(9).pubKey, queueIndex: 0n })).rejects.toThrow(AccountKeyMismatchError)
    const err = await waitForDepositAccount(client, { l1Address, pubKey: testKey(9).pubKey, queueIndex: 5n, timeoutMs: 300, pollMs: 100 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WaitTimeoutError)
    expect((err as Error).message).toContain('it has applied 1 queue entries')
  })
})

describe('a forced withdrawal once the sequencer is gone', () => {
  it('is requested on L1 alone, and the L1 status shows it with its deadline', async () => {
    await embedded.node.stop()
    nodeStopped = true
    const down = await cli('withdraw', '--forced')
    expect(down.code).toBe(TraderExit.usage)
    expect(down.err).toContain('give --rollup (or ROLLUP_ADDRESS) and --account <index>')
    const rollup = embedded.deployment.rollup
    const forced = await json<{ accountIndex: string; queueIndex: string; deadline: string }>('--rollup', rollup, 'withdraw', '--forced', '--account', '1')
    expect(forced).toMatchObject({ accountIndex: '1', queueIndex: '1' })
    const status = await json<{ forcedRequests: { queueIndex: string; deadline: string; served: boolean; overdue: boolean }[] }>('--rollup', rollup, 'status')
    expect(status.forcedRequests).toEqual([{ queueIndex: '1', accountIndex: '1', requester: privateKeyToAccount(ALICE).address, deadline: forced.deadline, served: false, overdue: false }])
    const human = await cli('--rollup', rollup, 'status')
    expect(human.out).toMatch(/1 {8}1 {2}waiting \(6d 23h 59m \d+s left\)|1 {8}1 {2}waiting \(7d left\)/)
  })
})
