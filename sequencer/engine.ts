/**
 * The sequencer's deterministic core: it admits orders, withdrawals and L1 queue entries,
 * matches orders, checks initial margin and applies every accepted change to the L2 state
 * through the shared state-transition function, cutting the applied slots into batches.
 *
 * No I/O: the node feeds it requests and L1 entries and takes the batches it cuts. A refusal
 * throws `SequencerError` before anything is written, so a refused request changes nothing.
 *
 * Margin: the core checks every trade and withdrawal against the market table of the open
 * batch (`state.marketTable`, fixed when the batch's first slot is applied). The engine opens
 * that table itself, from the market at `now()`, for live series and every series any account
 * holds, as soon as a request needs it while no slot is open; its own margin checks (order
 * admission, each maker and taker fill, withdrawals) then run on that same table, so that it
 * never matches a fill the core would refuse. The public `marketTable()` and `margin()` views
 * stay on live marks. The tables each request opened (`openedTables`) are journaled, and a
 * replay supplies them back (`supplyTables`), so a replayed batch carries the original table.
 */
import {
  applyTx,
  assembleBatch,
  Bits,
  CANCELLED_FILLED,
  cancelMessage,
  INSURANCE_ACCOUNT_INDEX,
  checkTx,
  orderMessage,
  positionIndexFor,
  QueueKind,
  Side,
  StateError,
  TxType,
  tradeFee,
  verifyField,
  withdrawMessage,
  type BatchTrace,
  type QueueEntry,
  type RollupState,
  type SignedOrder,
  type SlotTrace,
  type Tx,
} from '../state/index.js'
import { accountMargin, checkInitialMargin, DEFAULT_LIQUIDATION_PARAMS, liquidate, planLiquidation, type LiquidationRound, type MarginParams, type MarketTable } from '../risk/index.js'
import type { BatchMarketTable } from '../state/marketTable.js'
import { fromBatchMarketTable, toBatchMarketTable } from './batchTable.js'
import { OrderBook, type RestingOrder } from './orderBook.js'
import { SequencerError, fromRejection } from './errors.js'
import { executeOrder, reducibleSize, type FillCheck, type OrderOutcome } from './matcher.js'
import { OrderHistory, type OrderHistoryCheckpoint, type OrderHistoryLimits } from './orderHistory.js'
import { tradingRulesFor, tradingRulesRefusal, type TradingRules, type TradingRulesConfig } from './tradingRules.js'
import { DEFAULT_ORDER_OPTIONS, type OrderOptions } from '../sdk/orderRequest.js'
import { badOrderCancels, verifyCancelAll, type SignedCancelAll } from '../sdk/cancelAll.js'
import type { Market } from './market.js'
import type { Signature } from '../state/types.js'
import type { StateRecords } from '../state/rollupState.js'
import type { StateFollower } from './stateHasher.js'

export type { Fill, OrderOutcome } from './matcher.js'

/** A withdrawal request with its owner's signature. */
export type SignedWithdrawal = { readonly accountIndex: bigint; readonly nonce: bigint; readonly amount: bigint; readonly signature: Signature }

/** A cancel request with its owner's signature (over `cancelMessage(accountIndex, orderId)`). */
export type SignedCancel = { readonly accountIndex: bigint; readonly orderId: bigint; readonly signature: Signature }

/** What an accepted cancel did. */
export type CancelOutcome = {
  readonly status: 'cancelled'
  /** Size of the order that was resting in the book and is now removed (0 when it was not resting). */
  readonly removedFromBook: bigint
}

/** One order a cancel-all took off the book, and whether the circuit can still fill it. */
export type CancelAllRemoval = {
  readonly orderId: bigint
  readonly seriesId: bigint
  /** Size that was resting. */
  readonly removedFromBook: bigint
  /** True when its order slot now retires it (no batch can fill it); false: removed from the book only. */
  readonly inCircuit: boolean
}

/** What an accepted cancel-all did. */
export type CancelAllOutcome = {
  readonly status: 'cancelled'
  readonly removed: readonly CancelAllRemoval[]
  /** Order ids whose cancel transaction was applied (one slot each). */
  readonly cancelTxs: readonly bigint[]
  /** Per-order cancels not applied, and why (already retired, or they would retire an order outside the request). */
  readonly skipped: readonly { readonly orderId: bigint; readonly reason: string }[]
}

/** A maker order removed from the book, and why. */
export type CancelledOrder = { readonly accountIndex: bigint; readonly orderId: bigint; readonly reason: string }

export type EngineOptions = {
  readonly market: Market
  /** Unix seconds; the clock orders expire against. */
  readonly now: () => bigint
  /**
   * Margin factors of the engine's checks; default the parameter set's (`initialMarginBps`,
   * `maintenanceMarginBps`), the core's rule. Stricter factors are allowed, looser are refused:
   * the core would refuse fills the engine matched.
   */
  readonly margin?: MarginParams
  /** Called with every batch the engine cuts, in order. */
  readonly onBatch: (batch: BatchTrace) => void
  /** Called when a resting order is removed without its owner asking. */
  readonly onCancel?: (c: CancelledOrder) => void
  /**
   * Table reuse: a new batch keeps the previous batch's market table (so L1 hashes no new
   * one) while it is younger than this many seconds (default 60) ...
   */
  readonly tableMaxAgeSeconds?: bigint
  /** ... and no mark of it is further than this from the market's (bps of the mark, default 100). */
  readonly tableMaxMoveBps?: bigint
  /** Tick size and size increment per series (default: every price and size). */
  readonly tradingRules?: TradingRulesConfig
  /** Number of the first batch this engine cuts (the batches its starting state already includes); default 0. */
  readonly firstBatchNumber?: number
  /** Retention of the order history (default `DEFAULT_HISTORY_LIMITS`). */
  readonly historyLimits?: OrderHistoryLimits
}

/**
 * Everything an engine decides from besides its options, at a batch boundary (no open slot):
 * what a journal checkpoint stores (sequencer/checkpoint.ts) so that a restart replays only
 * the journal written after it. Caches (the risk view, the last priced table) are left out:
 * an engine restored from it prices its next table anew, as one rebuilt by a full replay does.
 */
export type EngineCheckpoint = {
  readonly records: StateRecords
  /** Number of the batch the next slot goes into. */
  readonly openBatchNumber: number
  /** The next arrival sequence number (time priority). */
  readonly sequence: number
  /** Every resting order of every book, in arrival order. */
  readonly resting: readonly RestingOrder[]
  readonly cancelAllNonces: ReadonlyMap<bigint, bigint>
  readonly history: OrderHistoryCheckpoint
}

/** The engine cannot take a checkpoint now (a batch is open). */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError'
}

/** How a request reaches the engine: `replay` when the journal hands back an input it already accepted. */
export type RequestContext = { readonly replay?: boolean }

/** One liquidation the engine executed (the fund took `size` of a position), or why it stopped. */
export type LiquidationExecution = {
  readonly accountIndex: bigint
  readonly seriesId: bigint
  readonly size: bigint
  /** What the account paid the fund (negative: the fund paid it). */
  readonly paid: bigint
  readonly bankrupt: boolean
}
export type LiquidationSkip = { readonly accountIndex: bigint; readonly reason: string }

/** One position the engine settled at the series' fixed price. */
export type SettlementExecution = {
  readonly accountIndex: bigint
  readonly seriesId: bigint
  /** The size closed (signed as held). */
  readonly size: bigint
  /** What the account paid the fund (negative: was paid). */
  readonly paid: bigint
  readonly bankrupt: boolean
  readonly fundShort: boolean
}

export class Engine {
  readonly state: RollupState
  readonly #books = new Map<bigint, OrderBook>()
  readonly #options: EngineOptions
  readonly #marginParams: MarginParams
  #pending: SlotTrace[] = []
  #sequence = 0
  /** True once the current request opened a table while no slot was open (reset per request and at each cut). */
  #tableOpened = false
  /** The last table `#freshTable` priced, with what it was priced from. */
  #lastPriced: { readonly key: string; readonly previous: BatchMarketTable; readonly table: BatchMarketTable } | undefined
  #openedTables: BatchMarketTable[] = []
  /** Replay: the tables the original run opened, taken in order instead of pricing anew. */
  #supplied: BatchMarketTable[] | undefined
  #riskView: { readonly source: BatchMarketTable; readonly table: MarketTable } | undefined
  /** When the table in force was priced (undefined after a replay: the next batch prices anew). */
  #tablePricedAt: bigint | undefined
  #batchesCut = 0
  readonly #history: OrderHistory
  /** Last accepted cancel-all nonce per account (replay protection of `cancelAll`). */
  readonly #cancelAllNonces = new Map<bigint, bigint>()
  /** Keeps the trees once `followWith` handed them over; batches then come from it, not `onBatch`. */
  #follower: StateFollower | undefined

  constructor(state: RollupState, options: EngineOptions) {
    this.state = state
    this.#options = options
    const core: MarginParams = { initialFactorBps: BigInt(state.params.initialMarginBps), maintenanceFactorBps: BigInt(state.params.maintenanceMarginBps) }
    if (options.margin && options.margin.initialFactorBps < core.initialFactorBps)
      throw new RangeError(`initial margin factor ${options.margin.initialFactorBps} bps is looser than the core's ${core.initialFactorBps} bps`)
    this.#marginParams = options.margin ?? core
    this.#history = new OrderHistory(options.historyLimits)
  }

  /**
   * Hands the state's trees to a follower (sequencer/stateHasher.ts): `start` gets the
   * state's records and the slots of the open batch, then this engine's state drops its
   * trees (`RollupState.dropTrees`) and hashes nothing more. From then on the follower hears
   * of every table, slot and cut, in order, and delivers the batches; `onBatch` is no longer
   * called. Its roots are then the follower's to tell: `state.root` reads 0.
   */
  followWith(start: (seed: { readonly records: StateRecords; readonly pending: readonly SlotTrace[] }) => StateFollower): void {
    if (this.#follower) throw new Error('the engine already has a state follower')
    const follower = start({ records: this.state.records(), pending: [...this.#pending] })
    this.state.dropTrees()
    this.#follower = follower
  }

  /**
   * The engine as data, at a batch boundary; throws `CheckpointError` while a batch is open
   * (its slots' traces are the hasher's, not the records'): flush first.
   */
  checkpoint(): EngineCheckpoint {
    if (this.#pending.length > 0) throw new CheckpointError(`a batch is open (${this.#pending.length} slots): a checkpoint is taken only between batches`)
    const resting = [...this.#books.values()].flatMap((book) => [...book.orders(Side.buy), ...book.orders(Side.sell)]).sort((a, b) => a.sequence - b.sequence)
    return {
      records: this.state.records(),
      openBatchNumber: this.openBatchNumber,
      sequence: this.#sequence,
      resting: resting.map((o) => ({ ...o })),
      cancelAllNonces: new Map(this.#cancelAllNonces),
      history: this.#history.checkpoint(),
    }
  }

  /**
   * An engine as it was when `checkpoint` was taken: `state` is the state rebuilt from its
   * records; `options.firstBatchNumber` is the checkpoint's.
   */
  static fromCheckpoint(state: RollupState, checkpoint: EngineCheckpoint, options: Omit<EngineOptions, 'firstBatchNumber'>): Engine {
    const engine = new Engine(state, { ...options, firstBatchNumber: checkpoint.openBatchNumber })
    engine.#sequence = checkpoint.sequence
    for (const o of checkpoint.resting) engine.book(o.signed.order.seriesId).add({ ...o })
    for (const [account, nonce] of checkpoint.cancelAllNonces) engine.#cancelAllNonces.set(account, nonce)
    engine.#history.restore(checkpoint.history)
    return engine
  }

  /** Status and history of the orders this engine decided (rebuilt by a journal replay). */
  get orders(): OrderHistory {
    return this.#history
  }

  /** Number of the batch the next slot goes into. */
  get openBatchNumber(): number {
    return (this.#options.firstBatchNumber ?? 0) + this.#batchesCut
  }

  /** Tick size and size increment of a listed series (undefined when not listed). */
  tradingRules(seriesId: bigint): TradingRules | undefined {
    const series = this.#options.market.seriesById(seriesId)
    return series && tradingRulesFor(this.#options.tradingRules, series)
  }

  /** The last cancel-all nonce accepted for an account (undefined: none yet). */
  lastCancelAllNonce(accountIndex: bigint): bigint | undefined {
    return this.#cancelAllNonces.get(accountIndex)
  }

  /** The market tables the last request opened batches with, in order: what the recorder journals. */
  get openedTables(): readonly BatchMarketTable[] {
    return this.#openedTables
  }

  /**
   * Replay: the batches the next requests open take these tables (the ones the original run
   * journaled) instead of being priced again; `undefined` goes back to pricing. Returns how
   * many of the tables supplied before were left unused (a replay that diverged).
   */
  supplyTables(tables: readonly BatchMarketTable[] | undefined): number {
    const left = this.#supplied?.length ?? 0
    this.#supplied = tables ? [...tables] : undefined
    return left
  }

  /** Every public write starts here: tables opened by an earlier request are not this one's. */
  #beginRequest(): void {
    this.#openedTables = []
    this.#tableOpened = false
  }

  /**
   * The open batch's market table as the risk engine takes it. While no slot is open, the first
   * call of a request opens the table: priced now from the market (live series and every series
   * held), or the next supplied one when replaying; the core then checks the batch's slots on it.
   */
  #batchTable(): MarketTable {
    if (this.state.openSlots === 0 && !this.#tableOpened) {
      const table = this.#supplied ? this.#supplied.shift() : this.#priceBatchTable()
      if (!table) throw new SequencerError(500, 'INTERNAL', 'the replay opens more batches than the journal recorded market tables for')
      if (table !== this.state.marketTable && !this.#supplied) this.#tablePricedAt = this.#options.now()
      this.state.setMarketTable(table)
      // No slot is open, so the undo log holds only earlier tables: drop them rather than let
      // every request between two batches add one.
      this.state.commit()
      this.#follower?.table(table)
      this.#tableOpened = true
      this.#openedTables.push(table)
    }
    const source = this.state.marketTable
    if (this.#riskView?.source !== source) this.#riskView = { source, table: fromBatchMarketTable(source, this.#options.now(), this.state.params.scenarioCount) }
    return this.#riskView.table
  }

  #priceBatchTable(): BatchMarketTable {
    const held = new Set<bigint>()
    for (const index of this.state.accountIndices()) for (const { position } of this.state.positions(index)) if (position.size !== 0n) held.add(position.seriesId)
    const now = this.#options.now()
    const fresh = this.#freshTable(now, held)
    return this.#tableStillGood(this.state.marketTable, fresh, now) ? this.state.marketTable : fresh
  }

  /**
   * The table the market gives now: priced afresh only when the market's inputs, the second,
   * the held series or the table in force changed since the last pricing. Under load a batch
   * closes every few milliseconds, and pricing every series at each would cost more than the
   * batch's matching.
   */
  #freshTable(now: bigint, held: ReadonlySet<bigint>): BatchMarketTable {
    const market = this.#options.market
    const key = `${market.version}:${now}:${[...held].sort((a, b) => (a < b ? -1 : 1)).join(',')}`
    const cached = this.#lastPriced
    if (cached?.key === key && cached.previous === this.state.marketTable) return cached.table
    const table = toBatchMarketTable(market.table(now, held), this.state.params, held, this.state.marketTable)
    this.#lastPriced = { key, previous: this.state.marketTable, table }
    return table
  }

  /**
   * The table the next slot would be checked against, without opening it: the open one, or
   * the one a new batch would open now (the next supplied one when replaying).
   */
  #peekTable(): MarketTable {
    if (this.state.openSlots > 0 || this.#tableOpened) return this.#batchTable()
    const table = this.#supplied ? this.#supplied[0] : this.#priceBatchTable()
    if (!table) throw new SequencerError(500, 'INTERNAL', 'the replay opens more batches than the journal recorded market tables for')
    return fromBatchMarketTable(table, this.#options.now(), this.state.params.scenarioCount)
  }

  /**
   * Whether a new batch may keep the table in force instead of `fresh`: same series, priced
   * recently, every mark within `tableMaxMoveBps` of the market's. Posting a table costs its
   * hashing on L1 (docs/cost.md), reusing one an SLOAD; margin then lags the market by at most
   * the age and move bounds.
   */
  #tableStillGood(current: BatchMarketTable, fresh: BatchMarketTable, now: bigint): boolean {
    if (this.#tablePricedAt === undefined || now - this.#tablePricedAt > (this.#options.tableMaxAgeSeconds ?? 60n)) return false
    if (current.rows.length !== fresh.rows.length) return false
    const maxMove = this.#options.tableMaxMoveBps ?? 100n
    return current.rows.every((row, i) => {
      const other = fresh.rows[i]!
      if (other.seriesId !== row.seriesId) return false
      const move = other.mark > row.mark ? other.mark - row.mark : row.mark - other.mark
      return move * 10_000n <= maxMove * (row.mark > 0n ? row.mark : 1n)
    })
  }

  /**
   * Settles every position in `seriesId` at the settlement price L1 fixed (`price`, collateral
   * base units per unit of underlying): shorts first, so that the fund holds what they pay
   * before it pays the longs, then longs, then the fund's own position (docs/protocol.md,
   * "Settlement"). Resting orders on the series are cancelled. Idempotent: a series nobody
   * holds settles nothing (and opens no table).
   */
  settleSeries(seriesId: bigint, price: bigint): readonly SettlementExecution[] {
    this.#beginRequest()
    const series = this.#options.market.seriesById(seriesId)
    if (!series) throw new SequencerError(404, 'UNKNOWN_SERIES', `series ${seriesId} is not listed`)
    const fund = BigInt(INSURANCE_ACCOUNT_INDEX)
    const holders = this.state.accountIndices().flatMap((index) => {
      const held = this.state.positionSlots(index).find((p) => p.seriesId === seriesId && p.size !== 0n)
      return held ? [{ index, size: held.size }] : []
    })
    const rank = (h: { index: bigint; size: bigint }) => (h.index === fund ? 2 : h.size < 0n ? 0 : 1)
    holders.sort((a, b) => rank(a) - rank(b) || (a.index < b.index ? -1 : a.index > b.index ? 1 : 0))
    const txOf = (h: { index: bigint }): Tx => ({ type: TxType.settlement, accountIndex: h.index, seriesId, settlement: { price, strike: series.strike, isCall: series.isCall } })
    // Refused before anything changes: a price or strike the protocol cannot carry refuses
    // every holder alike (it is the same for all of them).
    const first = holders[0]
    const refusal = first ? checkTx(this.state, txOf(first)) : undefined
    if (refusal) throw fromRejection(refusal)
    if (holders.length > 0) this.#cancelWhere((o) => o.signed.order.seriesId === seriesId, `series ${seriesId} expired and settles at ${price}`)
    const executed: SettlementExecution[] = []
    for (const h of holders) {
      const slot = this.#apply(txOf(h))
      const s = slot.settlement!
      executed.push({ accountIndex: h.index, seriesId, size: h.size, paid: s.paid, bankrupt: s.bankrupt, fundShort: s.fundShort })
    }
    return executed
  }

  /**
   * Takes every resting order whose `validUntil` has passed out of the books, as `expired`.
   * The matcher drops an expired maker only when an order reaches it; until then it would
   * still show in `GET /v1/book/:seriesId` and the book stream, quoting liquidity nobody can take.
   * Changes no L2 state (an expired order can never fill) and applies no slot. Returns the
   * orders removed, in book order.
   */
  expireOrders(): readonly { readonly accountIndex: bigint; readonly orderId: bigint }[] {
    this.#beginRequest()
    const now = this.#options.now()
    return this.#cancelWhere((o) => o.signed.order.validUntil <= now, 'order expired', 'expired')
  }

  /**
   * Liquidates, through the insurance fund, every account below maintenance margin under the
   * open batch's market table: the risk engine plans what to move (`planLiquidation`, penalty
   * on the mark value as the protocol charges it), shorts first so that the fund is paid before
   * it buys longs, and each move is a liquidation transaction the core checks. An account's
   * resting orders are cancelled first. Accounts exposed to an underlying whose prices are not
   * trusted now are skipped (never liquidated on stale prices), as are those the table cannot
   * value. Stops with an account when the core refuses a move (it is no longer below
   * maintenance, or the fund cannot pay for a long).
   */
  liquidateUnderwater(): { readonly executed: readonly LiquidationExecution[]; readonly skipped: readonly LiquidationSkip[] } {
    this.#beginRequest()
    const executed: LiquidationExecution[] = []
    const skipped: LiquidationSkip[] = []
    const fund = BigInt(INSURANCE_ACCOUNT_INDEX)
    const params = { ...DEFAULT_LIQUIDATION_PARAMS, penaltyBase: 'markValue' as const, penaltyBps: BigInt(this.state.params.liquidationPenaltyBps) }
    // Nothing is opened (nor journaled) unless some account is below maintenance.
    const peek = this.#peekTable()
    const underwater = (index: bigint) => {
      const positions = this.#positionSizes(index).filter((p) => p.size !== 0n)
      if (positions.length === 0 || this.#unpriced(peek, index)) return false
      const m = accountMargin(this.state.account(index).collateral, positions, peek, this.#marginParams)
      return m.equity < m.maintenanceMargin
    }
    if (!this.state.accountIndices().some((i) => i !== fund && underwater(i))) return { executed, skipped }
    for (const index of this.state.accountIndices()) {
      if (index === fund || !underwater(index)) continue
      const positions = this.#positionSizes(index).filter((p) => p.size !== 0n)
      const market = this.#options.market
      const untrusted = positions.map((p) => market.seriesById(p.seriesId)?.underlying).find((u) => u !== undefined && !market.status(u).liquidationsAllowed)
      if (untrusted) {
        skipped.push({ accountIndex: index, reason: `${untrusted} prices are not trusted now` })
        continue
      }
      const table = this.#batchTable()
      if (this.#unpriced(table, index)) {
        skipped.push({ accountIndex: index, reason: 'the market table cannot value its positions' })
        continue
      }
      const plan = planLiquidation({ collateral: this.state.account(index).collateral, positions }, table, this.#marginParams, params)
      if (!plan) continue
      this.#cancelWhere((o) => o.signed.order.accountIndex === index, 'the account is being liquidated')
      const moves = [...plan.transfers].sort((a, b) => (a.size < 0n === b.size < 0n ? 0 : a.size < 0n ? -1 : 1))
      for (const move of moves) {
        const tx: Tx = { type: TxType.liquidation, accountIndex: index, seriesId: move.seriesId, size: move.size }
        this.#batchTable()
        const rejection = checkTx(this.state, tx)
        if (rejection) {
          skipped.push({ accountIndex: index, reason: `${rejection.code}: ${rejection.reason}` })
          break
        }
        const slot = this.#apply(tx)
        executed.push({ accountIndex: index, seriesId: move.seriesId, size: move.size, paid: slot.liquidation!.paid, bankrupt: slot.liquidation!.bankrupt })
      }
    }
    return { executed, skipped }
  }

  /**
   * The refusal when margin cannot value `accountIndex` (plus `seriesId`, when trading it) under
   * the open batch's table: the core would refuse with `UNPRICED_POSITION`.
   */
  #unpriced(table: MarketTable, accountIndex: bigint, seriesId?: bigint): SequencerError | undefined {
    if (seriesId !== undefined && !table.rows.has(seriesId))
      return new SequencerError(422, 'UNPRICED_POSITION', `series ${seriesId} has no row in the market table of the open batch (listed after it opened, or the table is full); it trades once a batch opens with it`)
    const missing = this.#positionSizes(accountIndex).find((p) => p.size !== 0n && !table.rows.has(p.seriesId))
    if (missing) return new SequencerError(422, 'UNPRICED_POSITION', `account ${accountIndex} holds series ${missing.seriesId}, which the market table of the open batch cannot value`)
    return undefined
  }

  /** Slots applied but not yet cut into a batch. */
  get pendingSlots(): number {
    return this.#pending.length
  }

  /** Index of the next L1 queue entry the engine expects. */
  get nextQueueIndex(): bigint {
    return this.state.queueCount
  }

  /** The book of a series (created on first use). */
  book(seriesId: bigint): OrderBook {
    let book = this.#books.get(seriesId)
    if (!book) this.#books.set(seriesId, (book = new OrderBook(seriesId)))
    return book
  }

  /** Resting orders of an account, across books, in arrival order. */
  restingOrders(accountIndex: bigint): RestingOrder[] {
    const mine: RestingOrder[] = []
    for (const book of this.#books.values()) for (const o of book.ordersOf(accountIndex)) mine.push(o)
    return mine.sort((a, b) => a.sequence - b.sequence)
  }

  /** The market table covering every series `accounts` hold plus the live ones. */
  marketTable(...accounts: bigint[]): MarketTable {
    const held = accounts.flatMap((a) => this.state.positions(a).map((p) => p.position.seriesId))
    return this.#options.market.table(this.#options.now(), held)
  }

  /** Margin figures of an account at the current marks. */
  margin(accountIndex: bigint) {
    const a = this.state.account(accountIndex)
    return accountMargin(a.collateral, this.#positionSizes(accountIndex), this.marketTable(accountIndex), this.#marginParams)
  }

  #positionSizes(accountIndex: bigint) {
    return this.state.positions(accountIndex).map((p) => p.position)
  }

  /**
   * The liquidation round the risk engine would run now (a preview: executing it needs the
   * circuit's liquidation transaction). Accounts exposed to an underlying whose prices are not
   * trusted are deferred, never liquidated on stale prices.
   */
  liquidationPreview(liquidators: readonly bigint[] = []): { readonly round: LiquidationRound; readonly deferred: readonly { readonly accountIndex: bigint; readonly reason: string }[] } {
    const market = this.#options.market
    const users = this.state.accountIndices().filter((i) => i !== BigInt(INSURANCE_ACCOUNT_INDEX))
    const table = this.marketTable(...this.state.accountIndices())
    const deferred: { accountIndex: bigint; reason: string }[] = []
    const accounts = users.flatMap((index) => {
      const positions = this.#positionSizes(index)
      const untrusted = positions
        .map((p) => market.seriesById(p.seriesId)?.underlying)
        .find((u) => u !== undefined && !market.status(u).liquidationsAllowed)
      const collateral = this.state.account(index).collateral
      if (untrusted) {
        const m = accountMargin(collateral, positions, table, this.#marginParams)
        if (m.equity < m.maintenanceMargin) deferred.push({ accountIndex: index, reason: `${untrusted} prices are not trusted now: no liquidation on them` })
        return []
      }
      return [{ index, collateral, positions }]
    })
    const fund = BigInt(INSURANCE_ACCOUNT_INDEX)
    const round = liquidate({ accounts, insuranceFund: { collateral: this.state.account(fund).collateral, positions: this.#positionSizes(fund) }, table, margin: this.#marginParams, liquidators: liquidators.filter((l) => accounts.some((a) => a.index === l)) })
    return { round, deferred }
  }

  /** Applies a checked transaction; the slot joins the pending batch. */
  #apply(tx: Tx): SlotTrace {
    this.#batchTable() // the batch's first slot fixes its table
    // applyTx checks before it writes and throws the rejection: a separate checkTx would run every rule twice.
    const checkpoint = this.state.checkpoint()
    let slot: SlotTrace
    try {
      slot = applyTx(this.state, tx)
    } catch (error) {
      this.state.rollback(checkpoint)
      if (error instanceof StateError && error.rejection) throw fromRejection(error.rejection)
      throw error
    }
    this.#pending.push(slot)
    this.#follower?.apply(tx)
    if (this.#pending.length >= this.state.params.batchSize) this.#cut()
    return slot
  }

  #cut(): void {
    const slots = this.#pending.splice(0, this.state.params.batchSize)
    const batch = assembleBatch(this.state, slots)
    this.#batchesCut++
    this.#tableOpened = false // the next slot opens the next batch's table
    this.state.commit()
    if (this.#follower) this.#follower.cut()
    else this.#options.onBatch(batch)
  }

  /** Cuts the pending slots into a batch padded with no-ops; returns whether there were any. */
  flush(): boolean {
    this.#beginRequest()
    if (this.#pending.length === 0) return false
    this.#cut()
    return true
  }

  /**
   * Applies the L1 queue entry at `queueIndex` (entries must come in queue order): a deposit
   * credits the account holding its key and L1 address, or opens the next free one.
   */
  applyQueueEntry(queueIndex: bigint, entry: QueueEntry): { accountIndex: bigint } {
    this.#beginRequest()
    if (queueIndex !== this.nextQueueIndex) throw new SequencerError(500, 'INTERNAL', `queue entry ${queueIndex} applied out of order (expected ${this.nextQueueIndex})`)
    if (entry.kind === QueueKind.deposit) {
      const accountIndex = this.state.findAccount(entry.pubKey, entry.l1Address) ?? this.state.nextFreeIndex()
      if (accountIndex === undefined) throw new SequencerError(500, 'INTERNAL', 'the accounts tree is full: the deposit cannot be credited')
      this.#apply({ type: TxType.deposit, accountIndex, entry })
      return { accountIndex }
    }
    // Only the owner's request pays (its free collateral under the batch table); anyone else's pays nothing.
    const byOwner = this.state.exists(entry.accountIndex) && this.state.account(entry.accountIndex).l1Address === entry.l1Address
    const slot = this.#apply({ type: TxType.forcedWithdrawal, entry })
    // The owner left through L1, and what backed its orders is paid out: the account is left at
    // initial margin, so its resting orders are dropped rather than failing one by one at a fill.
    if (byOwner) this.#cancelWhere((o) => o.signed.order.accountIndex === entry.accountIndex, `account force-withdrawn on L1 (${slot.amountOut} paid out)`)
    return { accountIndex: entry.accountIndex }
  }

  /**
   * Admits a signed order with its execution options: checks it, matches it against the book
   * at the makers' prices (matcher.ts), applies each fill as a trade, and rests what is left
   * unless the order is immediate-or-cancel. Throws `SequencerError` when the order is
   * refused; nothing is then changed (a refusal whose signature verified is kept in the order
   * history). `context.replay` skips the admission rules that only refuse and that an older
   * journal may predate (tick grid, ids remembered by the history): a journaled order was
   * accepted, and the rules that decide how it executes all run as they did.
   */
  placeOrder(signed: SignedOrder, options: OrderOptions = DEFAULT_ORDER_OPTIONS, context: RequestContext = {}): OrderOutcome {
    this.#beginRequest()
    const order = signed.order
    const now = this.#options.now()
    let verified = false
    let accepted = false
    const accept = () => {
      if (!accepted) this.#history.accepted(signed, options, now)
      accepted = true
    }
    try {
      const size = this.#admitOrder(signed, options, context.replay ?? false, () => (verified = true))
      const book = this.book(order.seriesId)
      const outcome = executeOrder(book, { signed, options, size, sequence: this.#sequence++ }, {
        now,
        admit: (tradable) => this.#admitSize(order, tradable),
        check: (maker, fill, price) => this.#checkFill(signed, maker, fill, price),
        trade: (maker, fill, price) => {
          accept()
          this.#trade(signed, maker, fill, price, now)
        },
        afterTrade: (maker) => {
          if (maker.remaining === 0n) this.#history.closed(maker.signed.order.accountIndex, maker.signed.order.orderId, 'filled', undefined, now)
          else this.#history.resting(maker.signed.order.accountIndex, maker.signed.order.orderId, maker.remaining, now)
          this.#trimReduceOnly(book, maker.signed.order.accountIndex)
          this.#trimReduceOnly(book, order.accountIndex)
        },
        dropMaker: (maker, status, reason) => this.#cancel(book, maker, reason, status),
      })
      accept()
      if (outcome.resting > 0n) this.#history.resting(order.accountIndex, order.orderId, outcome.resting, now)
      else if (outcome.status === 'filled') this.#history.closed(order.accountIndex, order.orderId, 'filled', undefined, now)
      else this.#history.closed(order.accountIndex, order.orderId, 'cancelled', outcome.note, now)
      return outcome
    } catch (error) {
      if (verified && !accepted && error instanceof SequencerError) this.#history.rejected(signed, options, error.code, error.reason, now)
      throw error
    }
  }

  /**
   * Every check of an incoming order that does not depend on the book or a counterparty;
   * returns the size it may trade (reduce-only caps it to the position it shrinks).
   */
  #admitOrder(signed: SignedOrder, options: OrderOptions, replay: boolean, verified: () => void): bigint {
    const { order, signature } = signed
    const now = this.#options.now()
    if (!this.state.inRange(order.accountIndex) || !this.state.exists(order.accountIndex))
      throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${order.accountIndex} does not exist`)
    const account = this.state.account(order.accountIndex)
    if (!verifyField(orderMessage(order), signature, account.pubKey))
      throw new SequencerError(401, 'BAD_SIGNATURE', `the order signature does not verify under the key of account ${order.accountIndex}`)
    verified()
    const rules = this.tradingRules(order.seriesId)
    const offGrid = !replay && rules ? tradingRulesRefusal(order, rules) : undefined
    if (offGrid) throw offGrid
    if (order.validUntil <= now)
      throw new SequencerError(422, 'ORDER_EXPIRED', `order expired at ${order.validUntil} (the sequencer's clock reads ${now}; GET /v1/time)`, { validUntil: order.validUntil.toString(), now: now.toString() })
    if (!this.#options.market.liveSeries(now).some((s) => s.id === order.seriesId))
      throw new SequencerError(422, 'UNKNOWN_SERIES', `series ${order.seriesId} is not listed or has expired`)
    let size = order.size
    if (options.reduceOnly) {
      const held = this.#sizeIn(order.accountIndex, order.seriesId)
      const reducible = reducibleSize(held, order.side)
      if (reducible === 0n)
        throw new SequencerError(422, 'REDUCE_ONLY_REJECTED', `reduce-only ${order.side === Side.buy ? 'buy' : 'sell'}: account ${order.accountIndex} holds ${held} of series ${order.seriesId}, which it would not reduce`)
      if (size > reducible) size = reducible
    }
    const refusal = this.#modeRefusal(order.accountIndex, order.seriesId, order.side, size)
    if (refusal) throw refusal
    const slotIndex = this.state.slotIndexOf(order.orderId)
    const slot = this.state.orderSlot(order.accountIndex, slotIndex)
    const resting = this.restingOrders(order.accountIndex)
    if (slot.orderId === order.orderId || resting.some((o) => o.signed.order.orderId === order.orderId) || (!replay && this.#history.wasAccepted(order.accountIndex, order.orderId)))
      throw new SequencerError(409, 'ORDER_REPLAYED', `order ${order.orderId} of account ${order.accountIndex} was already received`)
    if (slot.orderId > order.orderId)
      throw new SequencerError(409, 'ORDER_ID_REUSED', `order slot ${slotIndex} already holds the newer order id ${slot.orderId}; use a higher order id`)
    if (resting.some((o) => this.state.slotIndexOf(o.signed.order.orderId) === slotIndex))
      throw new SequencerError(409, 'ORDER_SLOT_BUSY', `order slot ${slotIndex} is used by a resting order of account ${order.accountIndex}; wait for it to fill or pick another order id`)
    return size
  }

  /** The admission checks at the size the order may trade: a position slot, initial margin at its limit price. */
  #admitSize(order: SignedOrder['order'], size: bigint): void {
    if (positionIndexFor(this.state, order.accountIndex, order.seriesId) === undefined)
      throw fromRejection({ ok: false, code: 'POSITION_SLOTS_FULL', reason: 'account has no free position slot for this series' })
    const risk = this.#marginAfterTrade(order.accountIndex, order.seriesId, order.side, size, order.limitPrice)
    if (risk) throw risk
  }

  /**
   * Both sides of a proposed fill, against the state of this moment: a reduce-only maker must
   * still shrink its position, then trading states, margin (makers first) and the core's rules.
   */
  #checkFill(taker: SignedOrder, maker: RestingOrder, fill: bigint, price: bigint): FillCheck {
    const order = taker.order
    const made = maker.signed.order
    if (maker.options?.reduceOnly && fill > reducibleSize(this.#sizeIn(made.accountIndex, made.seriesId), made.side))
      return { ok: false, drop: 'maker', reason: 'reduce-only: the fill would grow or flip the position' }
    const makerMode = this.#modeRefusal(made.accountIndex, order.seriesId, made.side, fill)
    if (makerMode) return { ok: false, drop: 'maker', reason: makerMode.reason }
    const takerMode = this.#modeRefusal(order.accountIndex, order.seriesId, order.side, fill)
    if (takerMode) return { ok: false, drop: 'taker', error: takerMode }
    const makerRisk = this.#marginAfterTrade(made.accountIndex, order.seriesId, made.side, fill, price)
    if (makerRisk) return { ok: false, drop: 'maker', reason: makerRisk.reason }
    const takerRisk = this.#marginAfterTrade(order.accountIndex, order.seriesId, order.side, fill, price)
    if (takerRisk) return { ok: false, drop: 'taker', error: takerRisk }
    // The taker passed every check above, so a refused trade is the maker's doing.
    const rejection = checkTx(this.state, this.#tradeTx(taker, maker.signed, fill, price))
    if (rejection) return { ok: false, drop: 'maker', reason: rejection.reason }
    return { ok: true }
  }

  /** Applies a checked fill as a trade slot and records it in both orders' history. */
  #trade(taker: SignedOrder, maker: RestingOrder, fill: bigint, price: bigint, now: bigint): void {
    const batch = this.openBatchNumber
    this.#apply(this.#tradeTx(taker, maker.signed, fill, price))
    const t = taker.order
    const m = maker.signed.order
    this.#history.filled(m.accountIndex, m.orderId, { size: fill, price, role: 'maker', counterpartyAccount: t.accountIndex, counterpartyOrderId: t.orderId, batch, at: now })
    this.#history.filled(t.accountIndex, t.orderId, { size: fill, price, role: 'taker', counterpartyAccount: m.accountIndex, counterpartyOrderId: m.orderId, batch, at: now })
  }

  /**
   * Keeps every resting reduce-only order of `accountIndex` in `book` within the position it
   * may still shrink: trimmed to it, or cancelled when nothing is left to shrink (the
   * position closed or flipped). Run after each fill that moves the account's position, so a
   * resting reduce-only order can never grow a position, whatever filled before it.
   */
  #trimReduceOnly(book: OrderBook, accountIndex: bigint): void {
    const held = this.#sizeIn(accountIndex, book.seriesId)
    for (const o of book.ordersOf(accountIndex)) {
      if (!o.options?.reduceOnly) continue
      const reducible = reducibleSize(held, o.signed.order.side)
      if (reducible === 0n) this.#cancel(book, o, `reduce-only: account holds ${held}, nothing left to reduce`)
      else if (o.remaining > reducible) {
        o.remaining = reducible
        this.#history.resting(accountIndex, o.signed.order.orderId, reducible, this.#options.now())
      }
    }
  }

  /** Net size of an account in a series. */
  #sizeIn(accountIndex: bigint, seriesId: bigint): bigint {
    return this.state.positions(accountIndex).reduce((sum, p) => (p.position.seriesId === seriesId ? sum + p.position.size : sum), 0n)
  }

  /**
   * The refusal when the underlying's trading state forbids this fill: nothing trades while
   * halted; in reduce-only, a fill may only shrink the account's position, never open, grow
   * or flip it.
   */
  #modeRefusal(accountIndex: bigint, seriesId: bigint, side: Side, size: bigint): SequencerError | undefined {
    const series = this.#options.market.seriesById(seriesId)
    if (!series) return undefined
    const status = this.#options.market.status(series.underlying)
    if (status.mode === 'halted') return new SequencerError(503, 'MARKET_HALTED', `trading on ${series.underlying} is halted${status.reason ? `: ${status.reason}` : ''}`)
    if (status.mode === 'reduce-only') {
      const held = this.#sizeIn(accountIndex, seriesId)
      const after = held + (side === Side.buy ? size : -size)
      const reduces = held !== 0n && (held > 0n ? after >= 0n && after < held : after <= 0n && after > held)
      if (!reduces)
        return new SequencerError(422, 'REDUCE_ONLY', `${series.underlying} is reduce-only${status.reason ? ` (${status.reason})` : ''}: account ${accountIndex} holds ${held} of series ${seriesId}, so this order may not open or grow a position`)
    }
    return undefined
  }

  /**
   * The refusal when `accountIndex` would fall below initial margin after a fill (its fee paid)
   * under the open batch's table (the core's verdict on the same numbers), else undefined.
   */
  #marginAfterTrade(accountIndex: bigint, seriesId: bigint, side: Side, size: bigint, price: bigint): SequencerError | undefined {
    const table = this.#batchTable()
    const unpriced = this.#unpriced(table, accountIndex, seriesId)
    if (unpriced) return unpriced
    const a = this.state.account(accountIndex)
    const check = checkInitialMargin(
      { collateral: a.collateral, positions: this.#positionSizes(accountIndex) },
      { seriesId, size: side === Side.buy ? size : -size, price, fee: tradeFee(this.state.params, price, size) },
      table,
      this.#marginParams,
    )
    if (check.ok) return undefined
    return new SequencerError(422, check.code, `account ${accountIndex}: ${check.reason}`, { required: check.required.toString(), available: check.available.toString() })
  }

  #tradeTx(a: SignedOrder, b: SignedOrder, fill: bigint, price: bigint): Tx {
    const [buy, sell] = a.order.side === Side.buy ? [a, b] : [b, a]
    return { type: TxType.trade, buy, sell, fill, price }
  }

  /** Removes a resting order from the book (cancelled, or expired), says so, and closes it in the history. */
  #cancel(book: OrderBook, o: RestingOrder, reason: string, status: 'cancelled' | 'expired' = 'cancelled'): void {
    book.remove(o)
    const { accountIndex, orderId } = o.signed.order
    this.#history.closed(accountIndex, orderId, status, reason, this.#options.now())
    this.#options.onCancel?.({ accountIndex, orderId, reason })
  }

  #cancelWhere(predicate: (o: RestingOrder) => boolean, reason: string, status: 'cancelled' | 'expired' = 'cancelled'): { readonly accountIndex: bigint; readonly orderId: bigint }[] {
    const removed: { readonly accountIndex: bigint; readonly orderId: bigint }[] = []
    for (const book of this.#books.values()) {
      for (const o of book.removeWhere(predicate)) {
        const { accountIndex, orderId } = o.signed.order
        this.#history.closed(accountIndex, orderId, status, reason, this.#options.now())
        this.#options.onCancel?.({ accountIndex, orderId, reason })
        removed.push({ accountIndex, orderId })
      }
    }
    return removed
  }

  /**
   * Admits a signed cancel: the order can never fill afterwards (its slot is bumped in the
   * next batch) and, if it rests in the book, it leaves the book now. An order id the
   * account never sent may be cancelled too. Allowed in every trading state. Refused when
   * there is nothing left to cancel (already cancelled, or retired by a newer id in its slot)
   * and when it would also retire another resting order of the account (one sharing the slot
   * with a lower id: cancel that one first).
   */
  cancelOrder(c: SignedCancel): CancelOutcome {
    this.#beginRequest()
    if (!this.state.inRange(c.accountIndex) || !this.state.exists(c.accountIndex))
      throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${c.accountIndex} does not exist`)
    if (c.orderId < 1n || c.orderId >= 1n << BigInt(Bits.orderId)) throw new SequencerError(400, 'BAD_ORDER_ID', `order id ${c.orderId} is outside [1, 2^32)`)
    const account = this.state.account(c.accountIndex)
    if (!verifyField(cancelMessage(c.accountIndex, c.orderId), c.signature, account.pubKey))
      throw new SequencerError(401, 'BAD_SIGNATURE', `the cancel signature does not verify under the key of account ${c.accountIndex}`)
    const slotIndex = this.state.slotIndexOf(c.orderId)
    const slot = this.state.orderSlot(c.accountIndex, slotIndex)
    if (slot.orderId === c.orderId && slot.filled === CANCELLED_FILLED)
      throw new SequencerError(409, 'ALREADY_CANCELLED', `order ${c.orderId} of account ${c.accountIndex} is already cancelled`)
    if (slot.orderId > c.orderId)
      throw new SequencerError(409, 'ORDER_ID_REUSED', `order ${c.orderId} can no longer fill: order slot ${slotIndex} holds the newer order id ${slot.orderId}`)
    const resting = this.restingOrders(c.accountIndex)
    const retired = resting.find((o) => o.signed.order.orderId < c.orderId && this.state.slotIndexOf(o.signed.order.orderId) === slotIndex)
    if (retired)
      throw new SequencerError(409, 'ORDER_SLOT_BUSY', `cancelling order ${c.orderId} would also retire the resting order ${retired.signed.order.orderId} in order slot ${slotIndex}; cancel that one first`)
    this.#apply({ type: TxType.cancel, accountIndex: c.accountIndex, orderId: c.orderId, signature: c.signature })
    const target = resting.find((o) => o.signed.order.orderId === c.orderId)
    if (!target) return { status: 'cancelled', removedFromBook: 0n }
    this.#cancel(this.book(target.signed.order.seriesId), target, 'cancelled by its owner')
    return { status: 'cancelled', removedFromBook: target.remaining }
  }

  /**
   * Admits a signed cancel-all: every resting order of the account (in `seriesId`, or in
   * every series when it is 0) leaves the book at once, and each per-order cancel it carries
   * becomes a cancel transaction that retires its order slot for good, one slot per distinct
   * order slot (the highest id of a slot retires the lower ones). A per-order cancel is
   * skipped, not refused, when its order is already retired or when it would retire a
   * resting order the request does not cover. Refused, changing nothing: an unknown account,
   * a signature (its own or a per-order one) that does not verify, an expired request, a
   * nonce not above the account's last accepted one, the same order id twice.
   */
  cancelAll(c: SignedCancelAll): CancelAllOutcome {
    this.#beginRequest()
    const now = this.#options.now()
    if (!this.state.inRange(c.accountIndex) || !this.state.exists(c.accountIndex))
      throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${c.accountIndex} does not exist`)
    const account = this.state.account(c.accountIndex)
    if (!verifyCancelAll(c, account.pubKey)) throw new SequencerError(401, 'BAD_SIGNATURE', `the cancel-all signature does not verify under the key of account ${c.accountIndex}`)
    if (c.validUntil <= now) throw new SequencerError(422, 'REQUEST_EXPIRED', `the cancel-all expired at ${c.validUntil} (now ${now})`)
    const last = this.#cancelAllNonces.get(c.accountIndex)
    if (last !== undefined && c.nonce <= last)
      throw new SequencerError(409, 'CANCEL_ALL_REPLAYED', `cancel-all nonce ${c.nonce} is not above the last one accepted for account ${c.accountIndex} (${last})`, { lastNonce: last.toString() })
    // An account rests at most one order per order slot, so more cancels than slots retire
    // nothing more; refusing them bounds the signatures one request makes the engine verify.
    const slotCount = 1 << this.state.params.orderSlotsDepth
    if (c.cancels.length > slotCount)
      throw new SequencerError(400, 'TOO_MANY_CANCELS', `a cancel-all carries at most one cancel per order slot (${slotCount}), got ${c.cancels.length}`)
    const ids = new Set<bigint>()
    for (const { orderId } of c.cancels) {
      if (orderId < 1n || orderId >= 1n << BigInt(Bits.orderId)) throw new SequencerError(400, 'BAD_ORDER_ID', `order id ${orderId} is outside [1, 2^32)`)
      if (ids.has(orderId)) throw new SequencerError(400, 'BAD_ORDER_ID', `order ${orderId} is cancelled twice in one cancel-all`)
      ids.add(orderId)
    }
    const bad = badOrderCancels(c, account.pubKey)
    if (bad.length > 0) throw new SequencerError(401, 'BAD_SIGNATURE', `the cancel of order ${bad[0]} does not verify under the key of account ${c.accountIndex}`)

    const inScope = (o: RestingOrder) => c.seriesId === 0n || o.signed.order.seriesId === c.seriesId
    const taken = this.restingOrders(c.accountIndex).filter(inScope)
    for (const o of taken) this.#cancel(this.book(o.signed.order.seriesId), o, 'cancelled by its owner (cancel-all)')
    const left = this.restingOrders(c.accountIndex)
    // The highest id of each order slot retires every lower one: one cancel slot per order slot.
    const highest = new Map<number, bigint>()
    for (const id of ids) {
      const slotIndex = Number(this.state.slotIndexOf(id))
      if ((highest.get(slotIndex) ?? 0n) < id) highest.set(slotIndex, id)
    }
    const skipped: { orderId: bigint; reason: string }[] = []
    const planned: bigint[] = []
    for (const id of [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const slotIndex = this.state.slotIndexOf(id)
      if (highest.get(Number(slotIndex)) !== id) {
        skipped.push({ orderId: id, reason: `order ${highest.get(Number(slotIndex))} in the same order slot retires it` })
        continue
      }
      const slot = this.state.orderSlot(c.accountIndex, slotIndex)
      const kept = left.find((o) => o.signed.order.orderId <= id && this.state.slotIndexOf(o.signed.order.orderId) === slotIndex)
      // Signatures were verified above: the core's check need not pay for them again.
      const rejection = checkTx(this.state, { type: TxType.cancel, accountIndex: c.accountIndex, orderId: id, signature: c.cancels.find((x) => x.orderId === id)!.signature }, { verifySignatures: false })
      if (slot.orderId === id && slot.filled === CANCELLED_FILLED) skipped.push({ orderId: id, reason: 'already cancelled' })
      else if (slot.orderId > id) skipped.push({ orderId: id, reason: `order slot ${slotIndex} already holds the newer order id ${slot.orderId}` })
      else if (kept) skipped.push({ orderId: id, reason: `it would retire the resting order ${kept.signed.order.orderId}, which this cancel-all does not cover` })
      else if (rejection) skipped.push({ orderId: id, reason: `${rejection.code}: ${rejection.reason}` })
      else planned.push(id)
    }
    for (const id of planned) this.#apply({ type: TxType.cancel, accountIndex: c.accountIndex, orderId: id, signature: c.cancels.find((x) => x.orderId === id)!.signature })
    this.#cancelAllNonces.set(c.accountIndex, c.nonce)
    const removed = taken.map((o) => {
      const { orderId, seriesId } = o.signed.order
      const slot = this.state.orderSlot(c.accountIndex, this.state.slotIndexOf(orderId))
      return { orderId, seriesId, removedFromBook: o.remaining, inCircuit: slot.orderId > orderId || (slot.orderId === orderId && slot.filled === CANCELLED_FILLED) }
    })
    return { status: 'cancelled', removed, cancelTxs: planned, skipped }
  }

  /**
   * Admits a signed withdrawal of collateral: the nonce must be the account's, the signature
   * valid, and the account must stay above initial margin without the amount, under the
   * open batch's market table.
   */
  requestWithdrawal(w: SignedWithdrawal): SlotTrace {
    this.#beginRequest()
    if (!this.state.inRange(w.accountIndex) || !this.state.exists(w.accountIndex))
      throw new SequencerError(404, 'UNKNOWN_ACCOUNT', `account ${w.accountIndex} does not exist`)
    const account = this.state.account(w.accountIndex)
    if (!verifyField(withdrawMessage(w.accountIndex, w.nonce, w.amount), w.signature, account.pubKey))
      throw new SequencerError(401, 'BAD_SIGNATURE', `the withdrawal signature does not verify under the key of account ${w.accountIndex}`)
    if (w.nonce !== account.nonce)
      throw new SequencerError(409, 'NONCE_MISMATCH', `withdrawal nonce ${w.nonce} is not the account nonce ${account.nonce} (replayed or out of order)`)
    if (w.amount > account.collateral)
      throw new SequencerError(422, 'INSUFFICIENT_COLLATERAL', `amount ${w.amount} exceeds collateral ${account.collateral}`, {
        required: w.amount.toString(),
        available: account.collateral.toString(),
      })
    for (const { position } of this.state.positions(w.accountIndex)) {
      const series = this.#options.market.seriesById(position.seriesId)
      const status = series && this.#options.market.status(series.underlying)
      if (status && (status.mode !== 'normal' || !status.liquidationsAllowed))
        throw new SequencerError(503, 'MARKET_DEGRADED', `account ${w.accountIndex} holds ${series.underlying} options, whose prices are not trusted now${status.reason ? ` (${status.reason})` : ''}; withdraw once trading is normal`)
    }
    const table = this.#batchTable()
    const unpriced = this.#unpriced(table, w.accountIndex)
    if (unpriced) throw unpriced
    const after = accountMargin(account.collateral - w.amount, this.#positionSizes(w.accountIndex), table, this.#marginParams)
    if (after.equity < after.initialMargin)
      throw new SequencerError(422, 'INSUFFICIENT_MARGIN', `initial margin ${after.initialMargin} would exceed equity ${after.equity} after the withdrawal`, {
        required: after.initialMargin.toString(),
        available: after.equity.toString(),
      })
    return this.#apply({ type: TxType.withdraw, accountIndex: w.accountIndex, amount: w.amount, nonce: w.nonce, signature: w.signature })
  }
}
