/**
 * The settlement keeper: on every L1 poll, fixes the settlement price of each listed series
 * whose expiry has passed on L1 (the latest block's timestamp, not the wall clock) and whose
 * price is not fixed yet, with `Rollup.fixSettlementPrice` (l1/settlement.ts). A refusal
 * (`QuorumNotReached`, `FeedsDisagree`, ...) is logged with its decoded reason (once per
 * distinct reason, not at every poll) and retried at the next poll; nothing it does can fail the poll. Fixed prices are remembered (also those
 * fixed by someone else), so a series is never sent twice once fixed (no `AlreadyFixed`).
 */
import type { Address } from 'viem'
import type { L1Context } from '../l1/clients.js'
import { fixSettlementPrice, readSettlementPrice } from '../l1/settlement.js'
import type { Series } from '../risk/index.js'

/** Runs `fn`s one at a time, in call order: L1 sends from one account must not race for a nonce. */
export type Serializer = <T>(fn: () => Promise<T>) => Promise<T>

/** A fresh `Serializer`. */
export function serialized(): Serializer {
  let tail: Promise<unknown> = Promise.resolve()
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn)
    tail = run.catch(() => undefined)
    return run
  }
}

export type SettlementKeeperOptions = {
  readonly l1: L1Context
  readonly rollup: Address
  /** The listed series (the node's market). */
  readonly series: () => readonly Series[]
  readonly log?: (s: string) => void
  /** Wraps each L1 transaction (the node shares one with the batch submitter). */
  readonly send?: Serializer
}

/** What one poll of the keeper did. */
export type KeeperPoll = {
  /** Series whose price this poll fixed. */
  readonly fixed: readonly bigint[]
  /** Series whose fixing this poll tried and that failed, with why. */
  readonly failed: readonly { readonly seriesId: bigint; readonly reason: string }[]
}

export class SettlementKeeper {
  readonly #l1: L1Context
  readonly #rollup: Address
  readonly #series: () => readonly Series[]
  readonly #log: (s: string) => void
  readonly #send: Serializer
  readonly #prices = new Map<bigint, bigint>()
  /** The last refusal logged per series: a repeat is not logged again at every poll. */
  readonly #lastReason = new Map<bigint, string>()
  #running: Promise<KeeperPoll> | undefined
  #attempts = 0

  constructor(options: SettlementKeeperOptions) {
    this.#l1 = options.l1
    this.#rollup = options.rollup
    this.#series = options.series
    this.#log = options.log ?? (() => {})
    this.#send = options.send ?? serialized()
  }

  /** Fixed settlement prices by series id (collateral base units per unit of underlying). */
  get prices(): ReadonlyMap<bigint, bigint> {
    return this.#prices
  }

  /** How many `fixSettlementPrice` transactions the keeper has tried so far. */
  get attempts(): number {
    return this.#attempts
  }

  /** One pass over the expired series; never throws. Concurrent calls share the pass in progress. */
  poll(): Promise<KeeperPoll> {
    this.#running ??= this.#poll().finally(() => (this.#running = undefined))
    return this.#running
  }

  async #poll(): Promise<KeeperPoll> {
    const fixed: bigint[] = []
    const failed: { seriesId: bigint; reason: string }[] = []
    let now: bigint
    try {
      now = (await this.#l1.publicClient.getBlock({ blockTag: 'latest' })).timestamp
    } catch (error) {
      this.#log(`settlement keeper: cannot read the latest block (will retry): ${message(error)}`)
      return { fixed, failed }
    }
    for (const s of this.#series()) {
      if (this.#prices.has(s.id) || s.expiry > now) continue
      try {
        const stored = await readSettlementPrice(this.#l1.publicClient, this.#rollup, s.id)
        if (stored.fixed) {
          this.#prices.set(s.id, stored.price)
          this.#log(`series ${s.id}: settlement price ${stored.price} already fixed on L1`)
          continue
        }
        this.#attempts++
        const result = await this.#send(() => fixSettlementPrice(this.#l1, this.#rollup, s.id))
        this.#prices.set(s.id, result.price)
        this.#lastReason.delete(s.id)
        fixed.push(s.id)
        this.#log(`series ${s.id}: settlement price fixed at ${result.price} from ${result.feedsUsed.length} feeds (${result.hash})`)
      } catch (error) {
        const reason = message(error)
        failed.push({ seriesId: s.id, reason })
        if (this.#lastReason.get(s.id) !== reason) this.#log(`series ${s.id}: settlement price not fixed (will retry at each poll): ${reason}`)
        this.#lastReason.set(s.id, reason)
      }
    }
    return { fixed, failed }
  }
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? 'unknown error'
}
