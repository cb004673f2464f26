/**
 * Configuration of the trader CLI from its global flags and the environment, flags first.
 * Defaults fit the local `npm start` node (sequencer/main.ts, sequencer/embedded.ts): the API
 * on http://127.0.0.1:8080, anvil on http://127.0.0.1:8545, and the Rollup address and chain id
 * as the sequencer reports them (`GET /v1/health`).
 *
 * The Ethereum private key is read from an environment variable or a file, never from the
 * command line (where `ps` and the shell history would show it).
 */
import { readFileSync, statSync } from 'node:fs'
import { isAddress, type Address, type Hex } from 'viem'
import { CliUsageError } from './errors.js'

/** Environment variables of the trader CLI. */
export const TRADER_ENV = {
  sequencer: 'SEQUENCER_URL',
  rpc: 'RPC_URL',
  rollup: 'ROLLUP_ADDRESS',
  chainId: 'CHAIN_ID',
  fromBlock: 'DEPLOY_BLOCK',
  key: 'TRADER_KEY',
  keyFile: 'TRADER_KEY_FILE',
} as const

export const DEFAULT_SEQUENCER_URL = 'http://127.0.0.1:8080'
export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545'

/** The global flags, as commander parsed them. */
export type TraderFlags = {
  readonly sequencer?: string
  readonly rpc?: string
  readonly rollup?: string
  readonly chainId?: string
  readonly fromBlock?: string
  readonly keyFile?: string
  readonly json?: boolean
}

/** The environment the CLI reads (process.env in production). */
export type Env = Readonly<Record<string, string | undefined>>

/** Resolved configuration. */
export type TraderConfig = {
  readonly sequencerUrl: string
  readonly rpcUrl: string
  /** Given by flag or env; else asked from the sequencer. */
  readonly rollup?: Address
  readonly chainId?: number
  /** First block of event scans (the Rollup's deployment block). */
  readonly fromBlock: bigint
  /** Where the key comes from: a file, or the variable named. */
  readonly keySource: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'env'; readonly name: string }
  readonly json: boolean
}

function url(value: string, what: string): string {
  try {
    const u = new URL(value)
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http')
    return value.replace(/\/+$/, '')
  } catch {
    throw new CliUsageError(`${what} must be an http(s) URL, got "${value}"`)
  }
}

function pick(flag: string | undefined, env: Env, name: string): string | undefined {
  const v = flag ?? env[name]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

/**
 * Flags and environment -> configuration. Throws `CliUsageError` for a malformed value.
 *
 * @example resolveTraderConfig({ json: true }, { SEQUENCER_URL: 'http://10.0.0.5:8080' }).sequencerUrl // 'http://10.0.0.5:8080'
 */
export function resolveTraderConfig(flags: TraderFlags, env: Env): TraderConfig {
  const rollup = pick(flags.rollup, env, TRADER_ENV.rollup)
  if (rollup !== undefined && !isAddress(rollup, { strict: false })) throw new CliUsageError(`the rollup address (--rollup / ${TRADER_ENV.rollup}) is not an address: "${rollup}"`)
  const chainId = pick(flags.chainId, env, TRADER_ENV.chainId)
  if (chainId !== undefined && !/^[1-9]\d{0,15}$/.test(chainId)) throw new CliUsageError(`the chain id (--chain-id / ${TRADER_ENV.chainId}) must be a positive integer, got "${chainId}"`)
  const fromBlock = pick(flags.fromBlock, env, TRADER_ENV.fromBlock)
  if (fromBlock !== undefined && !/^\d+$/.test(fromBlock)) throw new CliUsageError(`the deployment block (--from-block / ${TRADER_ENV.fromBlock}) must be a block number, got "${fromBlock}"`)
  const keyFile = pick(flags.keyFile, env, TRADER_ENV.keyFile)
  return {
    sequencerUrl: url(pick(flags.sequencer, env, TRADER_ENV.sequencer) ?? DEFAULT_SEQUENCER_URL, `the sequencer URL (--sequencer / ${TRADER_ENV.sequencer})`),
    rpcUrl: url(pick(flags.rpc, env, TRADER_ENV.rpc) ?? DEFAULT_RPC_URL, `the L1 RPC URL (--rpc / ${TRADER_ENV.rpc})`),
    ...(rollup !== undefined ? { rollup: rollup as Address } : {}),
    ...(chainId !== undefined ? { chainId: Number(chainId) } : {}),
    fromBlock: fromBlock !== undefined ? BigInt(fromBlock) : 0n,
    keySource: keyFile !== undefined ? { kind: 'file', path: keyFile } : { kind: 'env', name: TRADER_ENV.key },
    json: flags.json === true,
  }
}

const HEX_KEY = /^(0x)?[0-9a-fA-F]{64}$/

function normalizeKey(text: string, where: string): Hex {
  const t = text.trim()
  if (!HEX_KEY.test(t)) throw new CliUsageError(`${where} does not hold an Ethereum private key (64 hex digits, optionally 0x-prefixed)`)
  return (t.startsWith('0x') ? t : `0x${t}`).toLowerCase() as Hex
}

/** What `loadEthereumKey` found, and a warning to print when the key file is readable by others. */
export type LoadedKey = { readonly privateKey: Hex; readonly warning?: string }

/**
 * Reads the trader's Ethereum private key from `source`. A path that looks like a key itself
 * is refused with a hint: the key must not be typed on the command line. Throws `CliUsageError`.
 *
 * @example loadEthereumKey({ kind: 'env', name: 'TRADER_KEY' }, process.env).privateKey
 */
export function loadEthereumKey(source: TraderConfig['keySource'], env: Env): LoadedKey {
  if (source.kind === 'env') {
    const value = env[source.name]
    if (value === undefined || value.trim() === '')
      throw new CliUsageError(`no Ethereum key: set ${source.name} to the private key, or pass --key-file <path> (or ${TRADER_ENV.keyFile}) naming a file that holds it`)
    return { privateKey: normalizeKey(value, source.name) }
  }
  let text: string
  let mode: number
  try {
    text = readFileSync(source.path, 'utf8')
    mode = statSync(source.path).mode
  } catch (e) {
    if (HEX_KEY.test(source.path.trim())) throw new CliUsageError(`--key-file takes a path, not the key itself: keys on the command line end up in shell histories; put it in ${TRADER_ENV.key} or a file`)
    throw new CliUsageError(`cannot read the key file ${source.path}: ${(e as Error).message}`)
  }
  const privateKey = normalizeKey(text, `the key file ${source.path}`)
  // Group- or world-readable key files are a common leak; say so, do not refuse (some setups mount secrets 0644).
  const warning = (mode & 0o077) !== 0 ? `warning: ${source.path} is readable by other users (chmod 600 it)` : undefined
  return warning ? { privateKey, warning } : { privateKey }
}
