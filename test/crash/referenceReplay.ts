/**
 * The crash tests' reference: a fresh engine in the test process, fed the node's journal
 * entry by entry (incrementally, as the journal grows), which records the state root after
 * every order, cancel and withdrawal. An acknowledged request's answer must match the
 * reference at its entry (its state root, its fills), and the restarted node must equal the
 * reference in everything it serves: state root, books, accounts, open orders.
 */
import type { Address, PublicClient } from 'viem'
import { readListedSeries } from '../../l1/rollupReaders.js'
import { validateSeries, type Series } from '../../risk/index.js'
import { RollupState, Side, type ParamSet } from '../../state/index.js'
import { Engine } from '../../sequencer/engine.js'
import type { JournalEntry } from '../../sequencer/journal.js'
import { Market, type MarketInputsConfig } from '../../sequencer/market.js'
import { replayJournal } from '../../sequencer/recorder.js'
import { canonicalJSON } from './loadGenerator.js'
import { signedStreamAuthToJSON, signStreamAuth } from '../../sdk/streamAuth.js'

/** What the reference knows of one journaled request. */
export type JournaledRequest = {
  /** Position in the journal. */
  readonly index: number
  /** State root right after the request was applied. */
  readonly rootAfter: bigint
  /** The order's recorded outcome (orders only). */
  readonly outcome?: string
}

/** Everything the API serves that a crash must not change (margin figures move with the marks, so they are left out). */
export type NodeView = {
  readonly stateRoot: string
  readonly pendingSlots: number
  readonly queueProcessed: string
  readonly book: { readonly bids: readonly unknown[]; readonly asks: readonly unknown[] }
  readonly accounts: readonly AccountView[]
}

/** What a missing account shows (the insurance fund exists only once fees reach it). */
function missing(index: bigint): AccountView {
  return { index: index.toString(), collateral: 'missing', nonce: 'missing', positions: [], openOrders: [] }
}

export type AccountView = {
  readonly index: string
  readonly collateral: string
  readonly nonce: string
  readonly positions: readonly { readonly seriesId: string; readonly size: string }[]
  readonly openOrders: readonly { readonly orderId: string; readonly side: number; readonly limitPrice: string; readonly remaining: string }[]
}

export type ReferenceOptions = {
  readonly params: ParamSet
  readonly market: MarketInputsConfig
  /** The series whose book is compared. */
  readonly seriesId: bigint
  /** The accounts compared. */
  readonly accounts: readonly bigint[]
}

/** The journal no longer starts with what the reference was fed: the node rewrote its history. */
export class HistoryRewrittenError extends Error {
  override readonly name = 'HistoryRewrittenError'
}

export class ReferenceReplay {
  readonly engine: Engine
  readonly market: Market
  readonly seriesId: bigint
  readonly accounts: readonly bigint[]
  /** Journaled requests by `canonicalJSON` of their signed payload; a payload seen twice is kept twice. */
  readonly requests = new Map<string, JournaledRequest[]>()
  readonly #fed: string[] = []
  readonly #clock = { now: 0n }
  readonly #cut: { count: number; lastRoot: bigint }

  private constructor(engine: Engine, market: Market, clock: { now: bigint }, seriesId: bigint, accounts: readonly bigint[], cut: { count: number; lastRoot: bigint }) {
    this.#cut = cut
    this.engine = engine
    this.market = market
    this.#clock = clock
    this.seriesId = seriesId
    this.accounts = accounts
  }

  /** A reference for the journal of a node on `rollup`, with the series listed there (the journal must start on an empty Rollup). */
  static async create(options: ReferenceOptions & { readonly client: PublicClient; readonly rollup: Address; readonly deployBlock: bigint }): Promise<ReferenceReplay> {
    return ReferenceReplay.withSeries(options, await readListedSeries(options.client, options.rollup, { fromBlock: options.deployBlock }))
  }

  /** A reference for a node that has `series` listed. */
  static withSeries(options: ReferenceOptions, series: readonly Series[]): ReferenceReplay {
    const market = new Market(options.market)
    for (const s of series) {
      validateSeries(s)
      market.addSeries(s)
    }
    const clock = { now: 0n }
    const cut = { count: 0, lastRoot: 0n }
    const onBatch = (b: { readonly newRoot: bigint }) => {
      cut.count++
      cut.lastRoot = b.newRoot
    }
    const engine = new Engine(new RollupState(options.params), { market, now: () => clock.now, onBatch })
    return new ReferenceReplay(engine, market, clock, options.seriesId, options.accounts, cut)
  }

  /** Batches the journal fed so far cut, and the root after the last of them (0 before any). */
  get batches(): { readonly count: number; readonly lastRoot: bigint } {
    return { ...this.#cut }
  }

  /** Entries fed so far. */
  get length(): number {
    return this.#fed.length
  }

  /** Feeds the entries the reference has not seen; the ones it has seen must be unchanged. */
  feed(entries: readonly JournalEntry[]): void {
    if (entries.length < this.#fed.length) throw new HistoryRewrittenError(`the journal has ${entries.length} entries, fewer than the ${this.#fed.length} seen before: acknowledged entries vanished`)
    for (let i = 0; i < this.#fed.length; i++)
      if (canonicalJSON(entries[i]) !== this.#fed[i]) throw new HistoryRewrittenError(`journal entry ${i} changed since it was first read`)
    for (let i = this.#fed.length; i < entries.length; i++) {
      const entry = entries[i]!
      if (i === 0 && (entry.t !== 'start' || entry.baseBatches !== 0)) throw new HistoryRewrittenError('the journal must start on an empty Rollup')
      replayJournal(this.engine, this.market, [entry], this.#clock)
      this.#fed.push(canonicalJSON(entry))
      if (entry.t === 'order' || entry.t === 'cancel' || entry.t === 'withdrawal') {
        const key = canonicalJSON(entry.signed)
        const seen = this.requests.get(key) ?? []
        seen.push({ index: i, rootAfter: this.engine.state.root, ...(entry.t === 'order' ? { outcome: entry.outcome } : {}) })
        this.requests.set(key, seen)
      }
    }
  }

  /** The reference's view, shaped as the API serves it. */
  view(): NodeView {
    const { engine } = this
    const level = (l: { price: bigint; size: bigint; orders: number }) => ({ price: l.price.toString(), size: l.size.toString(), orders: l.orders })
    const book = engine.book(this.seriesId)
    return {
      stateRoot: engine.state.root.toString(),
      pendingSlots: engine.pendingSlots,
      queueProcessed: engine.nextQueueIndex.toString(),
      book: { bids: book.levels(Side.buy).map(level), asks: book.levels(Side.sell).map(level) },
      accounts: this.accounts.map((index) => {
        if (!engine.state.exists(index)) return missing(index)
        const a = engine.state.account(index)
        return {
          index: index.toString(),
          collateral: a.collateral.toString(),
          nonce: a.nonce.toString(),
          positions: engine.state.positions(index).map((p) => ({ seriesId: p.position.seriesId.toString(), size: p.position.size.toString() })),
          openOrders: engine.restingOrders(index).map((o) => ({
            orderId: o.signed.order.orderId.toString(),
            side: o.signed.order.side,
            limitPrice: o.signed.order.limitPrice.toString(),
            remaining: o.remaining.toString(),
          })),
        }
      }),
    }
  }
}

/**
 * The same view, read from a node over HTTP; each account's view is read as its owner
 * (`keyOf`: its L2 private key), so that it includes the open orders. An account without a
 * key (the insurance fund, account 0, which cannot place orders) is read without.
 */
export async function readNodeView(url: string, seriesId: bigint, accounts: readonly bigint[], keyOf: (index: bigint) => Uint8Array | undefined): Promise<NodeView> {
  const get = async <T>(path: string, index?: bigint): Promise<T | undefined> => {
    const validUntil = BigInt(Math.floor(Date.now() / 1000) + 300)
    const key = index === undefined ? undefined : keyOf(index)
    const auth = key === undefined ? {} : { 'x-read-auth': JSON.stringify(signedStreamAuthToJSON(signStreamAuth({ accountIndex: index!, validUntil }, key))) }
    const res = await fetch(`${url}${path}`, { headers: auth })
    if (res.status === 404 && path.startsWith('/v1/accounts/')) return undefined
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }
  const health = (await get<{ stateRoot: string; pendingSlots: number; queueProcessed: string }>('/v1/health'))!
  const book = (await get<{ bids: unknown[]; asks: unknown[] }>(`/v1/book/${seriesId}`))!
  const views: AccountView[] = []
  for (const index of accounts) {
    const a = await get<AccountView>(`/v1/accounts/${index}`, index)
    if (!a) {
      views.push(missing(index))
      continue
    }
    views.push({
      index: a.index,
      collateral: a.collateral,
      nonce: a.nonce,
      positions: a.positions.map((p) => ({ seriesId: p.seriesId, size: p.size })),
      openOrders: (a.openOrders ?? []).map((o) => ({ orderId: o.orderId, side: o.side, limitPrice: o.limitPrice, remaining: o.remaining })),
    })
  }
  return { stateRoot: health.stateRoot, pendingSlots: health.pendingSlots, queueProcessed: health.queueProcessed, book: { bids: book.bids, asks: book.asks }, accounts: views }
}
