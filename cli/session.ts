/**
 * What one trader command needs, resolved lazily and at most once: the sequencer client and
 * its health, the Rollup address and chain id, the Ethereum key, the L2 key derived from it,
 * the L1 wallet, and the trader's account index. A command that talks only to L1 (a forced
 * withdrawal while the sequencer is down) never touches the sequencer, given the rollup address.
 */
import type { Address, Hex, PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { SequencerClient, type AccountResponse, type HealthResponse } from '../sdk/client.js'
import { deriveL2Key, type L2Key } from '../sdk/keys.js'
import { AccountKeyMismatchError } from '../sdk/l1Errors.js'
import { connectWallet, l1Reader, type TraderWallet } from '../sdk/l1.js'
import { CliUsageError } from './errors.js'
import { loadEthereumKey, TRADER_ENV, type Env, type TraderConfig } from './traderConfig.js'

/** Injected for tests: the `fetch` of the sequencer client. */
export type SessionDeps = { readonly fetch?: typeof fetch; readonly warn?: (line: string) => void }

/** Lazily resolved context of one CLI invocation. */
export class TraderSession {
  readonly config: TraderConfig
  readonly client: SequencerClient
  readonly #env: Env
  readonly #warn: (line: string) => void
  #health: Promise<HealthResponse> | undefined
  #privateKey: Hex | undefined
  #l2Key: Promise<L2Key> | undefined
  #wallet: Promise<TraderWallet> | undefined
  #reader: PublicClient | undefined
  readonly #holds = new Map<bigint, Promise<boolean>>()

  constructor(config: TraderConfig, env: Env, deps: SessionDeps = {}) {
    this.config = config
    this.#env = env
    this.#warn = deps.warn ?? (() => {})
    this.client = new SequencerClient({
      baseUrl: config.sequencerUrl,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      // An account's orders are private: reads of them are signed with the trader's L2 key,
      // for the accounts that hold it (another account's are read without, as anyone may).
      readAuth: async (index) => ((await this.#holdsKey(index)) ? (await this.l2Key()).privateKey : undefined),
    })
  }

  /** Whether account `index` holds this trader's L2 key (its public view, read once). */
  #holdsKey(index: bigint): Promise<boolean> {
    let known = this.#holds.get(index)
    if (!known) {
      known = (async () => {
        if (!this.hasKey()) return false
        const [view, key] = await Promise.all([this.client.request<AccountResponse>('GET', `/v1/accounts/${index}`), this.l2Key()])
        return view.pubKey.x === key.publicKey.x.toString() && view.pubKey.y === key.publicKey.y.toString()
      })().catch(() => false)
      this.#holds.set(index, known)
    }
    return known
  }

  /** The sequencer's `GET /v1/health`, fetched once. */
  health(): Promise<HealthResponse> {
    this.#health ??= this.client.health()
    return this.#health
  }

  /**
   * The sequencer's health, checked against the configured rollup and chain id: a sequencer
   * of another deployment would be sent orders signed for nothing it can verify.
   */
  async checkedHealth(): Promise<HealthResponse & { rollup: Address; chainId: number }> {
    const h = await this.health()
    if (typeof h.rollup !== 'string' || typeof h.chainId !== 'number') throw new CliUsageError(`the sequencer at ${this.config.sequencerUrl} does not report its rollup and chain id (GET /v1/health)`)
    if (this.config.rollup && this.config.rollup.toLowerCase() !== h.rollup.toLowerCase())
      throw new CliUsageError(`the sequencer at ${this.config.sequencerUrl} serves the Rollup ${h.rollup}, not ${this.config.rollup} (--rollup / ${TRADER_ENV.rollup})`)
    if (this.config.chainId !== undefined && this.config.chainId !== h.chainId)
      throw new CliUsageError(`the sequencer at ${this.config.sequencerUrl} is on chain ${h.chainId}, not ${this.config.chainId} (--chain-id / ${TRADER_ENV.chainId})`)
    return h as HealthResponse & { rollup: Address; chainId: number }
  }

  /** The Rollup's address: configured, else the sequencer's. */
  async rollup(): Promise<Address> {
    return this.config.rollup ?? (await this.checkedHealth()).rollup
  }

  /** The chain id: configured, else the sequencer's once asked, else the L1 node's. */
  async chainId(): Promise<number> {
    if (this.config.chainId !== undefined) return this.config.chainId
    if (this.#health || !this.config.rollup) return (await this.checkedHealth()).chainId
    return this.reader().getChainId()
  }

  /** The trader's Ethereum private key (env or file). */
  privateKey(): Hex {
    if (!this.#privateKey) {
      const loaded = loadEthereumKey(this.config.keySource, this.#env)
      if (loaded.warning) this.#warn(loaded.warning)
      this.#privateKey = loaded.privateKey
    }
    return this.#privateKey
  }

  /** Whether a key is configured (a key file, or the key variable set); `privateKey()` may still refuse a malformed one. */
  hasKey(): boolean {
    const source = this.config.keySource
    return source.kind === 'file' || (this.#env[source.name] ?? '').trim() !== ''
  }

  /** The trader's L1 address. */
  address(): Address {
    return privateKeyToAccount(this.privateKey()).address
  }

  /** The L2 key of this deployment, derived from the Ethereum key (sdk/keys.ts). */
  l2Key(): Promise<L2Key> {
    this.#l2Key ??= (async () => deriveL2Key(privateKeyToAccount(this.privateKey()), await this.chainId(), await this.rollup()))()
    return this.#l2Key
  }

  /** A read-only L1 client. */
  reader(): PublicClient {
    this.#reader ??= l1Reader(this.config.rpcUrl)
    return this.#reader
  }

  /** The L1 wallet of the key; its chain must be the deployment's. */
  wallet(): Promise<TraderWallet> {
    this.#wallet ??= (async () => {
      const wallet = await connectWallet(this.config.rpcUrl, this.privateKey())
      const want = await this.chainId()
      const got = wallet.walletClient.chain.id
      if (got !== want) throw new CliUsageError(`the L1 node at ${this.config.rpcUrl} is chain ${got}, the deployment is on chain ${want} (--rpc / ${TRADER_ENV.rpc})`)
      return wallet
    })()
    return this.#wallet
  }

  /**
   * The account the trader acts on: `explicit` (from `--account`), else the sequencer's account
   * of the key's L1 address, which must hold the derived L2 key.
   */
  async accountIndex(explicit: bigint | undefined): Promise<bigint> {
    if (explicit !== undefined) return explicit
    return BigInt((await this.ownAccount()).index)
  }

  /**
   * The sequencer's view of the key's account, checked against the derived L2 key: found by
   * the key's L1 address (`GET /v1/accounts?l1Address=`), then read by index with the
   * account's read authorization, so that it includes the open orders.
   */
  async ownAccount(): Promise<AccountResponse> {
    await this.checkedHealth()
    const [account, key] = await Promise.all([this.client.getAccountByL1Address(this.address()), this.l2Key()])
    if (account.pubKey.x !== key.publicKey.x.toString() || account.pubKey.y !== key.publicKey.y.toString()) throw new AccountKeyMismatchError(BigInt(account.index), this.address())
    return this.client.getAccount(BigInt(account.index))
  }
}
