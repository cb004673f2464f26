/**
 * The trader CLI without a node: argument parsing and its exit codes, configuration and key
 * loading, units, order ids, and the human formatting. The commands against a real node are in
 * cli/trader.e2e.test.ts.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { ANVIL_KEYS } from '../l1/anvil.js'
import { ApiError, SdkValidationError } from '../sdk/errors.js'
import { deriveL2Key } from '../sdk/keys.js'
import { L1RefusedError, L1UnreachableError, NothingToClaimError, WaitTimeoutError } from '../sdk/l1Errors.js'
import { renderAccount, type AccountView } from './accountCommands.js'
import { CliUsageError, describeFailure, TraderExit } from './errors.js'
import { creditFraction, renderEscapeState } from './fundsCommands.js'
import { findSeries, renderBatches, renderBook, renderSeries, type SeriesRow } from './marketCommands.js'
import { chooseOrderId } from './orderId.js'
import { orderValidUntil, parseSide } from './orderCommands.js'
import { runCli } from './program.js'
import { renderPairs, renderTable } from './table.js'
import { DEFAULT_RPC_URL, DEFAULT_SEQUENCER_URL, loadEthereumKey, resolveTraderConfig } from './traderConfig.js'
import { COLLATERAL, CONTRACTS, formatUnits, parseDuration, parseIndex, parseTime, parseUnits, PRICE } from './units.js'

const KEY = ANVIL_KEYS[3]
const ROLLUP = '0x0165878a594ca255338adfa4d48449f69242eb8f'

type Ran = { readonly code: number; readonly out: string; readonly err: string }

/** Runs the CLI in-process with captured streams and only the given environment. */
async function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  let out = ''
  const err: string[] = []
  const code = await runCli(args, {
    input: async function* () {},
    write: async (t) => void (out += t),
    err: (l) => void err.push(l),
    env,
  })
  return { code, out, err: err.join('\n') }
}

async function closedPortUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
  return `http://127.0.0.1:${port}`
}

describe('units', () => {
  it('converts decimals exactly and refuses what a unit cannot hold', () => {
    expect(parseUnits('1.5', CONTRACTS)).toBe(150n)
    expect(parseUnits('0.01', CONTRACTS)).toBe(1n)
    expect(parseUnits('210', PRICE)).toBe(2_100_000n)
    expect(parseUnits('0.0001', PRICE)).toBe(1n)
    expect(parseUnits('0', PRICE, 0n)).toBe(0n)
    expect(parseUnits(' 5000.25 ', COLLATERAL)).toBe(5_000_250_000n)
    for (const bad of ['1.234', '0', '0.00', '-1', '1e3', '', '.5', '5.', '0x10', '1,5', 'ten'])
      expect(() => parseUnits(bad, CONTRACTS), bad).toThrow(InvalidArgumentError)
    expect(() => parseUnits('1.234', CONTRACTS)).toThrow('more than 2 decimals (contracts)')
  })

  it('formats without trailing zeros and round-trips', () => {
    expect(formatUnits(150n, CONTRACTS)).toBe('1.5')
    expect(formatUnits(-100n, CONTRACTS)).toBe('-1')
    expect(formatUnits(2_100_000n, PRICE)).toBe('210')
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), (v) => parseUnits(formatUnits(v, COLLATERAL), COLLATERAL) === v))
  })

  it('reads durations, times and indices', () => {
    expect([parseDuration('30s'), parseDuration('15m'), parseDuration('12h'), parseDuration('7d')]).toEqual([30, 900, 43_200, 604_800])
    for (const bad of ['0s', '1w', '10', 'm', '-1h']) expect(() => parseDuration(bad), bad).toThrow(InvalidArgumentError)
    expect(parseTime('1790000000')).toBe(1_790_000_000n)
    expect(parseTime('2026-12-31T08:00:00Z')).toBe(BigInt(Date.UTC(2026, 11, 31, 8) / 1000))
    expect(() => parseTime('tomorrow')).toThrow(InvalidArgumentError)
    expect(parseIndex('7', 'x')).toBe(7n)
    expect(() => parseIndex('0', 'orderId', 1n)).toThrow('orderId must be at least 1')
    expect(() => parseIndex('1.5', 'x')).toThrow(InvalidArgumentError)
  })

  it('validity: from --valid-for (one day by default) or --valid-until, never in the past', () => {
    expect(orderValidUntil({}, 1_000n)).toBe(87_400n)
    expect(orderValidUntil({ validFor: 60 }, 1_000n)).toBe(1_060n)
    expect(orderValidUntil({ validUntil: 5_000n }, 1_000n)).toBe(5_000n)
    expect(() => orderValidUntil({ validUntil: 1_000n }, 1_000n)).toThrow(CliUsageError)
    expect(() => orderValidUntil({ validFor: 60, validUntil: 5_000n }, 1_000n)).toThrow('not both')
    expect(parseSide('SELL')).toBe('sell')
    expect(() => parseSide('hold')).toThrow(CliUsageError)
  })
})

describe('chooseOrderId', () => {
  it('takes the clock when no order rests, else the next id clear of the resting ones', () => {
    expect(chooseOrderId([], 1_790_000_000n)).toBe(1_790_000_000n)
    expect(chooseOrderId([1_790_000_000n], 1_790_000_000n)).toBe(1_790_000_001n)
    // Both parities rest: it must differ in the two low bits from 8 (00) and 13 (01).
    expect(chooseOrderId([8n, 13n], 5n)).toBe(14n)
    // Ids above the clock push the floor.
    expect(chooseOrderId([2_000_000_001n], 1_790_000_000n)).toBe(2_000_000_002n)
  })

  it('never lands in a busy slot, whatever the slot depth, while a slot is free', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.bigInt({ min: 1n, max: 1n << 31n }), fc.array(fc.bigInt({ min: 1n, max: 1n << 31n }), { maxLength: 40 }), (depth, floor, candidates) => {
        const modulus = 1n << BigInt(depth)
        // Resting orders occupy distinct slots, and at least one slot stays free.
        const resting: bigint[] = []
        for (const id of candidates) if (resting.length < Number(modulus) - 1 && !resting.some((r) => r % modulus === id % modulus)) resting.push(id)
        const id = chooseOrderId(resting, floor)
        return id >= floor && resting.every((r) => id > r && id % modulus !== r % modulus)
      }),
    )
  })
})

describe('configuration and keys', () => {
  it('defaults to the local npm start node; flags beat the environment', () => {
    expect(resolveTraderConfig({}, {})).toEqual({ sequencerUrl: DEFAULT_SEQUENCER_URL, rpcUrl: DEFAULT_RPC_URL, fromBlock: 0n, keySource: { kind: 'env', name: 'TRADER_KEY' }, json: false })
    const env = { SEQUENCER_URL: 'http://seq:1/', RPC_URL: 'https://rpc.example', ROLLUP_ADDRESS: ROLLUP, CHAIN_ID: '10', DEPLOY_BLOCK: '5', TRADER_KEY_FILE: '/k' }
    expect(resolveTraderConfig({ json: true }, env)).toEqual({
      sequencerUrl: 'http://seq:1',
      rpcUrl: 'https://rpc.example',
      rollup: ROLLUP,
      chainId: 10,
      fromBlock: 5n,
      keySource: { kind: 'file', path: '/k' },
      json: true,
    })
    expect(resolveTraderConfig({ sequencer: 'http://other:2', chainId: '31337' }, env)).toMatchObject({ sequencerUrl: 'http://other:2', chainId: 31337 })
  })

  it('refuses malformed settings with the flag and variable to fix', () => {
    expect(() => resolveTraderConfig({ sequencer: 'localhost:8080' }, {})).toThrow('--sequencer / SEQUENCER_URL')
    expect(() => resolveTraderConfig({}, { RPC_URL: 'ftp://x' })).toThrow('--rpc / RPC_URL')
    expect(() => resolveTraderConfig({ rollup: '0x1234' }, {})).toThrow('not an address')
    expect(() => resolveTraderConfig({ chainId: '0' }, {})).toThrow(CliUsageError)
    expect(() => resolveTraderConfig({ fromBlock: '-1' }, {})).toThrow(CliUsageError)
  })

  it('reads the key from the environment or a file, warns about a readable file, and refuses a key given as a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trader-key-'))
    expect(loadEthereumKey({ kind: 'env', name: 'TRADER_KEY' }, { TRADER_KEY: KEY.slice(2).toUpperCase() })).toEqual({ privateKey: KEY })
    expect(() => loadEthereumKey({ kind: 'env', name: 'TRADER_KEY' }, {})).toThrow(/set TRADER_KEY .* --key-file/)
    expect(() => loadEthereumKey({ kind: 'env', name: 'TRADER_KEY' }, { TRADER_KEY: '0x1234' })).toThrow('does not hold an Ethereum private key')
    const file = join(dir, 'key')
    writeFileSync(file, `${KEY}\n`)
    chmodSync(file, 0o600)
    expect(loadEthereumKey({ kind: 'file', path: file }, {})).toEqual({ privateKey: KEY })
    chmodSync(file, 0o644)
    expect(loadEthereumKey({ kind: 'file', path: file }, {}).warning).toMatch(/readable by other users/)
    expect(() => loadEthereumKey({ kind: 'file', path: KEY }, {})).toThrow('takes a path, not the key itself')
    expect(() => loadEthereumKey({ kind: 'file', path: join(dir, 'missing') }, {})).toThrow('cannot read the key file')
  })
})

describe('exit codes', () => {
  it('maps each failure to its code', () => {
    expect(describeFailure(new ApiError(422, 'INSUFFICIENT_MARGIN', 'needs 10, has 5'))).toMatchObject({ code: TraderExit.refused, message: 'refused by the exchange: INSUFFICIENT_MARGIN (HTTP 422): needs 10, has 5' })
    expect(describeFailure(new ApiError(503, 'HALTED', 'proof failed')).code).toBe(TraderExit.refused)
    expect(describeFailure(new L1RefusedError('withdraw', 'NothingToWithdraw()')).code).toBe(TraderExit.refused)
    expect(describeFailure(new NothingToClaimError('0xabc')).code).toBe(TraderExit.refused)
    expect(describeFailure(new ApiError(0, 'NETWORK_ERROR', 'fetch failed')).code).toBe(TraderExit.unavailable)
    expect(describeFailure(new ApiError(200, 'INVALID_RESPONSE', 'not JSON')).code).toBe(TraderExit.unavailable)
    expect(describeFailure(new ApiError(429, 'RATE_LIMITED', 'retry in 200 ms')).code).toBe(TraderExit.unavailable)
    const backlog = describeFailure(new ApiError(503, 'PROVING_BACKLOG', '9000 batches wait', { retryAfterS: 5 }))
    expect(backlog).toEqual({ code: TraderExit.unavailable, message: 'sequencer unavailable: 9000 batches wait; try again in 5 s', json: { kind: 'unavailable', code: 'PROVING_BACKLOG', reason: '9000 batches wait', retryAfterS: 5 } })
    expect(describeFailure(new L1UnreachableError('down')).code).toBe(TraderExit.unavailable)
    expect(describeFailure(new WaitTimeoutError('waiting', 1000, 'x')).code).toBe(TraderExit.unavailable)
    expect(describeFailure(new CliUsageError('bad')).code).toBe(TraderExit.usage)
    expect(describeFailure(new SdkValidationError('order.size', 'too big')).code).toBe(TraderExit.usage)
    expect(describeFailure(new TypeError('x is undefined'))).toMatchObject({ code: TraderExit.internal, message: expect.stringContaining('internal error: TypeError: x is undefined') })
  })

  it('exits 2 on bad arguments before any network call', async () => {
    const env = { TRADER_KEY: KEY, SEQUENCER_URL: await closedPortUrl() }
    for (const args of [
      ['order', 'place', 'buy', '1', '--size', '1.234', '--price', '2'],
      ['order', 'place', 'buy', '1', '--price', '2'],
      ['order', 'place', 'hold', '1', '--size', '1', '--price', '2'],
      ['order', 'place', 'buy', '1', '--size', '1', '--price', '2', '--valid-for', '1h', '--valid-until', '2099-01-01'],
      ['order', 'cancel', '0'],
      ['order', 'cancel'],
      ['order', 'cancel', '5', '--all'],
      ['order', 'cancel', '--series', '1'],
      ['order', 'place', 'buy', '1', '--size', '1', '--price', '2', '--type', 'market'],
      ['order', 'place', 'buy', '1', '--size', '1', '--price', '2', '--stp', 'both'],
      ['order', 'status'],
      ['orders', '--status', 'some'],
      ['orders', '--limit', '0'],
      ['orders', '--limit', '501'],
      ['deposit', 'lots'],
      ['withdraw', '5', '--forced'],
      ['withdraw'],
      ['account', '--account', '1', '--address', ROLLUP],
      ['frobnicate'],
      ['--sequencer', 'nope', 'series'],
    ]) {
      const r = await cli(args, env)
      expect(r.code, args.join(' ')).toBe(TraderExit.usage)
      expect(r.out, args.join(' ')).toBe('')
      expect(r.err, args.join(' ')).toMatch(/error/)
    }
  })

  it('refuses a key on the command line, pointing at the variable', async () => {
    const r = await cli(['key', 'derive', '--rollup', ROLLUP, '--chain-id', '31337', '--key-file', KEY])
    expect(r.code).toBe(TraderExit.usage)
    expect(r.err).toContain('--key-file takes a path, not the key itself')
  })

  it('exits 3 with a hint when the sequencer does not answer, and says so in JSON with --json', async () => {
    const url = await closedPortUrl()
    const r = await cli(['series'], { SEQUENCER_URL: url })
    expect(r.code).toBe(TraderExit.unavailable)
    expect(r.err).toMatch(new RegExp(`^error: sequencer unavailable: GET /v1/series: .*\\n  \\(sequencer ${url}: is the node running`))
    const j = await cli(['--json', 'series'], { SEQUENCER_URL: url })
    expect(j.code).toBe(TraderExit.unavailable)
    expect(JSON.parse(j.err)).toMatchObject({ error: { kind: 'unavailable', code: 'NETWORK_ERROR' } })
  })

  it('derives the key offline given the rollup and chain id (the account stays unknown)', async () => {
    const r = await cli(['--json', 'key', 'derive', '--rollup', ROLLUP, '--chain-id', '31337'], { TRADER_KEY: KEY, SEQUENCER_URL: await closedPortUrl() })
    expect(r.code).toBe(0)
    const key = await deriveL2Key(privateKeyToAccount(KEY), 31337, ROLLUP)
    expect(JSON.parse(r.out)).toEqual({
      l1Address: privateKeyToAccount(KEY).address,
      chainId: 31337,
      rollup: ROLLUP,
      l2PublicKey: { x: key.publicKey.x.toString(), y: key.publicKey.y.toString() },
    })
  })
})

describe('formatting', () => {
  const series: SeriesRow[] = [{ id: '1', name: 'ETH-25DEC26-3000-C', underlying: 'ETH', expiry: '1798185600', strike: '3000000000', isCall: true, mark: '2014111', live: true }]

  it('aligns tables: text left, numbers right', () => {
    expect(renderTable([{ header: 'id' }, { header: 'size', align: 'right' }], [['1', '2.5'], ['12', '10']])).toBe('id  size\n1    2.5\n12    10')
    expect(renderPairs([['collateral', '5000'], ['free', '']])).toBe('collateral  5000\nfree')
  })

  it('shows series, books and batches in trader units', () => {
    expect(renderSeries(series)).toBe(
      'id  name                expiry                strike  type      mark  state\n' + ' 1  ETH-25DEC26-3000-C  2026-12-25T08:00:00Z    3000  call  201.4111  live',
    )
    expect(findSeries(series, 'eth-25dec26-3000-c').id).toBe('1')
    expect(findSeries(series, '01').id).toBe('1')
    expect(() => findSeries(series, '2')).toThrow('no listed series "2" (listed: 1 ETH-25DEC26-3000-C)')
    const book = { seriesId: '1', bids: [{ price: '2000000', size: '150', orders: 2 }], asks: [{ price: '2100000', size: '100', orders: 1 }, { price: '2200000', size: '50', orders: 1 }] }
    expect(renderBook('ETH-25DEC26-3000-C', book).split('\n').slice(1)).toEqual(['side  price  size  orders', 'ask     220   0.5       1', 'ask     210     1       1', 'bid     200   1.5       2'])
    expect(renderBatches([{ number: 0, status: 'verified', txCounts: { deposit: 1, trade: 0, cancel: 1 }, provingMs: 62_200, l1TxHash: `0x${'ab'.repeat(32)}`, gasUsed: '877706' }])).toBe(
      `batch  status    transactions         proving  L1 tx${' '.repeat(15)}gas  error\n` + '    0  verified  deposit 1, cancel 1    62.2s  0xababab…ababab  877706',
    )
  })

  it('shows an account with margin used and available, positions, orders and Greeks', () => {
    const view: AccountView = {
      index: '1',
      pubKey: { x: '1', y: '2' },
      l1Address: '0x90f79bf6eb2c4f870365e785982e1f101e93b906',
      nonce: '0',
      collateral: '5000000000',
      positions: [{ seriesId: '1', size: '-150' }],
      openOrders: [{ orderId: '7', seriesId: '1', side: 1, limitPrice: '2100000', remaining: '50' }],
      margin: { equity: '4800000000', initialMargin: '1234500000', maintenanceMargin: '987600000', freeCollateral: '3565500000' },
      greeks: { byUnderlying: [{ underlying: 'ETH', spot: 3000, delta: -0.81234, gamma: -0.0001234, vegaPerVolPoint: -5.5, thetaPerDay: 1.25, rhoPerRatePoint: -0.5, value: -302.1 }] },
    }
    const text = renderAccount(view, series)
    expect(text).toContain('margin used (initial)    1234.5')
    expect(text).toContain('margin available (free)  3565.5')
    expect(text).toContain('ETH-25DEC26-3000-C  -1.5')
    expect(text).toContain('7  ETH-25DEC26-3000-C  sell    210        0.5')
    expect(text).toContain('ETH         3000  -0.8123  -0.000123  -5.5   1.25  -0.5  -302.1')
    // Another account's view comes without its orders (private): said so, not shown as none.
    const { openOrders: _private, ...anothers } = view
    expect(renderAccount(anothers, series)).toContain("open orders: private (shown to the holder of the account's key)")
    expect(renderAccount({ ...view, openOrders: [] }, series)).toContain('open orders: none')
  })

  it('shows the escape hatch with deadlines, and stages of a withdrawal as fractions', () => {
    const text = renderEscapeState(
      {
        frozen: false,
        forcedTimeoutSeconds: 604_800n,
        chainTime: 1_000_000n,
        batchCount: 3n,
        queueLength: 4n,
        queueProcessed: 2n,
        forcedRequests: [
          { queueIndex: 1n, accountIndex: 1n, requester: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', deadline: 900_000n, served: true, overdue: false },
          { queueIndex: 3n, accountIndex: 1n, requester: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', deadline: 1_090_061n, served: false, overdue: false },
        ],
        canFreeze: false,
      },
      5_000_000n,
    )
    expect(text).toContain('your payout to claim  5')
    expect(text).toContain('L1 queue              2 of 4 entries consumed by verified batches')
    expect(text).toContain('3        1  waiting (1d 1h 1m 1s left)')
    expect(text).toContain('1        1  served')
    expect([creditFraction({ stage: 'waiting' }), creditFraction({ stage: 'batching' }), creditFraction({ stage: 'verified' })]).toEqual([undefined, 0.2, 1])
  })
})
