/**
 * The whole L2 state: the 4-ary accounts tree and, per account, its position slots (hashed flat)
 * and order-slot subtree, plus how far the L1 priority queue has been consumed. Every write goes through
 * one journal, so `checkpoint`/`rollback` restore the state exactly.
 */
import { MerkleTree } from './merkle.js'
import { QuadMerkleTree, type QuadProof, type QuadSiblings } from './quadMerkle.js'
import { Journal } from './journal.js'
import { accountLeaf, EMPTY_LEAF, EMPTY_ORDER_SLOT, EMPTY_POSITION, emptyAccount, orderSlotLeaf, positionsHash as positionsHashOf } from './leaves.js'
import { INSURANCE_ACCOUNT_INDEX, type ParamSet, accountLevels, assertParamSet } from './params.js'
import type { Account, OrderSlot, Point, Position } from './types.js'
import { EMPTY_MARKET_TABLE, validateMarketTable, type BatchMarketTable } from './marketTable.js'
import { StateError } from './rejections.js'

/**
 * Everything a state holds besides its trees (which these records determine): what
 * `RollupState.fromRecords` rebuilds a state from. Structured-cloneable, so it can be handed
 * to a worker thread.
 */
export type StateRecords = {
  readonly accounts: ReadonlyMap<bigint, Account>
  readonly positions: ReadonlyMap<bigint, ReadonlyMap<bigint, Position>>
  readonly orderSlots: ReadonlyMap<bigint, ReadonlyMap<bigint, OrderSlot>>
  readonly queueHash: bigint
  readonly queueCount: bigint
  readonly pendingFees: bigint
  readonly marketTable: BatchMarketTable
  readonly openSlots: number
  /** The root the open batch started from (`openBatchRoot`); unknown to a state without trees. */
  readonly openBatchRoot: bigint | undefined
}

type Subtrees = {
  readonly orderSlots: MerkleTree
  readonly positionRecords: Map<bigint, Position>
  readonly orderSlotRecords: Map<bigint, OrderSlot>
}

export class RollupState {
  readonly params: ParamSet
  readonly #journal = new Journal()
  readonly #accounts: QuadMerkleTree
  readonly #records = new Map<bigint, Account>()
  readonly #subtrees = new Map<bigint, Subtrees>()
  readonly #empty: Account
  #queueHash = 0n
  #queueCount = 0n
  #pendingFees = 0n
  #marketTable: BatchMarketTable = EMPTY_MARKET_TABLE
  #openSlots = 0
  #openBatchRoot: bigint
  /** False once `dropTrees` was called: records only, no hashing. */
  #hashing = true

  constructor(params: ParamSet) {
    assertParamSet(params)
    this.params = params
    this.#empty = emptyAccount(params)
    this.#accounts = new QuadMerkleTree(accountLevels(params), accountLeaf(this.#empty), this.#journal)
    this.#openBatchRoot = this.#accounts.root
  }

  /** Root of the accounts tree: the state root (0 once the trees were dropped). */
  get root(): bigint {
    return this.#hashing ? this.#accounts.root : 0n
  }

  /** False once `dropTrees` was called: every root, proof and hash this state reports is then 0. */
  get hashing(): boolean {
    return this.#hashing
  }

  /**
   * From now on this state keeps records only and hashes nothing: every check and every
   * record a transaction writes stays exact, but `root`, the proofs, and the positions hash
   * and order-slots root of accounts written afterwards are 0, and so are the siblings of the
   * slot traces applied to it. For the sequencer's engine, whose trees a
   * follower thread keeps instead (sequencer/stateHasher.ts): the records go there
   * (`records()`) before this is called, and every transaction after.
   */
  dropTrees(): void {
    this.#hashing = false
  }

  /** A copy of every record (accounts, positions, order slots, queue, fees, table, open slots, the open batch's old root). */
  records(): StateRecords {
    const copy = <V>(select: (s: Subtrees) => Map<bigint, V>) => new Map([...this.#subtrees].map(([index, sub]) => [index, new Map(select(sub))] as const))
    return {
      accounts: new Map(this.#records),
      positions: copy((s) => s.positionRecords),
      orderSlots: copy((s) => s.orderSlotRecords),
      queueHash: this.#queueHash,
      queueCount: this.#queueCount,
      pendingFees: this.#pendingFees,
      marketTable: this.#marketTable,
      openSlots: this.#openSlots,
      openBatchRoot: this.#hashing ? this.#openBatchRoot : undefined,
    }
  }

  /**
   * The state these records describe, its trees rebuilt (every account's positions hash,
   * order-slot tree and leaf recomputed: a record's stored hashes are not trusted). Committed:
   * nothing to roll back. Throws `StateError` for records taken in the middle of a batch from
   * a state without trees: the root that batch started from is not in them.
   */
  static fromRecords(params: ParamSet, records: StateRecords): RollupState {
    if (records.openSlots > 0 && records.openBatchRoot === undefined)
      throw new StateError(`these records have ${records.openSlots} slots in an open batch but not the root it started from (a state without trees cannot tell it)`)
    const state = new RollupState(params)
    for (const [index, account] of records.accounts) {
      for (const [i, position] of records.positions.get(index) ?? []) state.setPosition(index, i, position)
      for (const [i, slot] of records.orderSlots.get(index) ?? []) state.setOrderSlot(index, i, slot)
      const positionsHash = positionsHashOf(state.positionSlots(index))
      const orderSlotsRoot = state.#subtree(index).orderSlots.root
      state.setAccount(index, { ...account, positionsHash, orderSlotsRoot })
    }
    state.#queueHash = records.queueHash
    state.#queueCount = records.queueCount
    state.#pendingFees = records.pendingFees
    state.#marketTable = records.marketTable
    state.#openSlots = records.openSlots
    // A batch that has slots started from an earlier root, which only the records can tell.
    state.#openBatchRoot = records.openSlots > 0 ? records.openBatchRoot! : state.root
    state.commit()
    return state
  }

  /** Value of the L1 queue hash chain after the last consumed entry. */
  get queueHash(): bigint {
    return this.#queueHash
  }

  /** Number of L1 queue entries consumed so far. */
  get queueCount(): bigint {
    return this.#queueCount
  }

  /**
   * Fees paid by the trades applied since the last batch was assembled, not yet credited to
   * the fee account: the circuit credits them once, after the batch's last slot.
   */
  get pendingFees(): bigint {
    return this.#pendingFees
  }

  /** Adds to `pendingFees` (a trade's two sides). */
  addPendingFees(amount: bigint): void {
    this.#setPendingFees(this.#pendingFees + amount)
  }

  /** Returns `pendingFees` and resets it to zero (the batch is credited them). */
  takePendingFees(): bigint {
    const fees = this.#pendingFees
    this.#setPendingFees(0n)
    return fees
  }

  #setPendingFees(value: bigint): void {
    const previous = this.#pendingFees
    this.#journal.record(() => {
      this.#pendingFees = previous
    })
    this.#pendingFees = value
  }

  /** The market table of the open batch: margin rules of its slots value positions with it. */
  get marketTable(): BatchMarketTable {
    return this.#marketTable
  }

  /**
   * Sets the market table of the open batch. Only between batches: every slot of a batch
   * is checked against the one table its proof binds. Throws `MarketTableError` for a table
   * the circuit cannot take, `StateError` when slots were applied since the last batch.
   */
  setMarketTable(table: BatchMarketTable): void {
    if (this.#openSlots > 0) throw new StateError(`the market table cannot change inside a batch (${this.#openSlots} slots applied)`)
    validateMarketTable(table, this.params)
    const previous = this.#marketTable
    this.#journal.record(() => {
      this.#marketTable = previous
    })
    this.#marketTable = table
  }

  /** Slots applied since the last batch was assembled. */
  get openSlots(): number {
    return this.#openSlots
  }

  /** Counts one applied slot (`applyTx`); `closeBatch` resets the count (`assembleBatch`). */
  noteSlot(): void {
    this.#setOpenSlots(this.#openSlots + 1)
  }

  /** Ends the open batch (`assembleBatch`): the next one starts from the current root. */
  closeBatch(): void {
    this.#setOpenSlots(0)
    const previous = this.#openBatchRoot
    this.#journal.record(() => {
      this.#openBatchRoot = previous
    })
    this.#openBatchRoot = this.root
  }

  /** The root the open batch started from: the old root of the batch its slots will form (0 once the trees were dropped). */
  get openBatchRoot(): bigint {
    return this.#hashing ? this.#openBatchRoot : 0n
  }

  #setOpenSlots(value: number): void {
    const previous = this.#openSlots
    this.#journal.record(() => {
      this.#openSlots = previous
    })
    this.#openSlots = value
  }

  /** True when `index` addresses a leaf of the accounts tree. */
  inRange(index: bigint): boolean {
    return index >= 0n && index < 1n << BigInt(this.params.accountsDepth)
  }

  /** The account at `index` (the empty account when none was created there). */
  account(index: bigint): Account {
    return this.#records.get(index) ?? this.#empty
  }

  /** True when an account was created at `index`. */
  exists(index: bigint): boolean {
    return this.#records.has(index)
  }

  /** Indices of every created account, ascending. */
  accountIndices(): bigint[] {
    return [...this.#records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /** Sibling triples of account `index` against the current root, leaf level first (state/quadMerkle.ts); zeros once the trees were dropped. */
  accountProof(index: bigint): QuadProof {
    if (!this.#hashing) return Array.from({ length: accountLevels(this.params) }, (): QuadSiblings => [0n, 0n, 0n])
    return this.#accounts.proof(index)
  }

  /** The account holding this key and L1 address, if any. */
  findAccount(pubKey: Point, l1Address: bigint): bigint | undefined {
    for (const [index, a] of this.#records) {
      if (a.pubKey.x === pubKey.x && a.pubKey.y === pubKey.y && a.l1Address === l1Address) return index
    }
    return undefined
  }

  /** The lowest user index (>= 1) with no account, or undefined when the tree is full. */
  nextFreeIndex(): bigint | undefined {
    const size = 1n << BigInt(this.params.accountsDepth)
    for (let i = BigInt(INSURANCE_ACCOUNT_INDEX) + 1n; i < size; i++) if (!this.#records.has(i)) return i
    return undefined
  }

  /** Writes an account record and its leaf. */
  setAccount(index: bigint, account: Account): void {
    this.#journaledSet(this.#records, index, account)
    if (this.#hashing) this.#accounts.set(index, accountLeaf(account))
  }

  /** The position at `positionIndex` of account `index`. */
  position(index: bigint, positionIndex: bigint): Position {
    return this.#subtrees.get(index)?.positionRecords.get(positionIndex) ?? EMPTY_POSITION
  }

  /** Every non-empty position of an account with its index. */
  positions(index: bigint): { readonly index: bigint; readonly position: Position }[] {
    const records = this.#subtrees.get(index)?.positionRecords
    if (!records) return []
    return [...records.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([i, position]) => ({ index: i, position }))
  }

  /** Every position slot of an account, empty ones `(0, 0)`: what its `positionsHash` hashes. */
  positionSlots(index: bigint): Position[] {
    return Array.from({ length: this.params.positionSlots }, (_, i) => this.position(index, BigInt(i)))
  }

  /** Writes a position slot; returns the account's new positions hash (the account leaf is not touched). */
  setPosition(index: bigint, positionIndex: bigint, position: Position): bigint {
    if (positionIndex < 0n || positionIndex >= BigInt(this.params.positionSlots)) throw new RangeError(`position index ${positionIndex} outside [0, ${this.params.positionSlots})`)
    const sub = this.#subtree(index)
    const empty = position.seriesId === 0n && position.size === 0n
    this.#journaledSet(sub.positionRecords, positionIndex, empty ? undefined : position)
    return this.#hashing ? positionsHashOf(this.positionSlots(index)) : 0n
  }

  /** The order slot `slotIndex` of account `index`. */
  orderSlot(index: bigint, slotIndex: bigint): OrderSlot {
    return this.#subtrees.get(index)?.orderSlotRecords.get(slotIndex) ?? EMPTY_ORDER_SLOT
  }

  /** Siblings of an order-slot leaf against the account's order-slots root. */
  orderSlotProof(index: bigint, slotIndex: bigint): bigint[] {
    if (!this.#hashing) return Array<bigint>(this.params.orderSlotsDepth).fill(0n)
    return this.#subtree(index).orderSlots.proof(slotIndex)
  }

  /** Writes an order-slot leaf; returns the account's new order-slots root. */
  setOrderSlot(index: bigint, slotIndex: bigint, slot: OrderSlot): bigint {
    const sub = this.#subtree(index)
    this.#journaledSet(sub.orderSlotRecords, slotIndex, slot)
    if (!this.#hashing) return 0n
    sub.orderSlots.set(slotIndex, orderSlotLeaf(slot))
    return sub.orderSlots.root
  }

  /** The order slot an order id lives in. */
  slotIndexOf(orderId: bigint): bigint {
    return orderId % (1n << BigInt(this.params.orderSlotsDepth))
  }

  /** Records the consumption of one queue entry. */
  consumeQueueEntry(nextHash: bigint): void {
    const [hash, count] = [this.#queueHash, this.#queueCount]
    this.#journal.record(() => {
      this.#queueHash = hash
      this.#queueCount = count
    })
    this.#queueHash = nextHash
    this.#queueCount = count + 1n
  }

  /** A point to roll back to. */
  checkpoint(): number {
    return this.#journal.mark()
  }

  /** Restores the state as it was at `checkpoint`. */
  rollback(checkpoint: number): void {
    this.#journal.rollback(checkpoint)
  }

  /** Makes every write so far permanent (frees the undo log). */
  commit(): void {
    this.#journal.commit()
  }

  #subtree(index: bigint): Subtrees {
    let sub = this.#subtrees.get(index)
    if (!sub) {
      sub = {
        orderSlots: new MerkleTree(this.params.orderSlotsDepth, EMPTY_LEAF, this.#journal),
        positionRecords: new Map(),
        orderSlotRecords: new Map(),
      }
      // Creating an empty subtree changes no root, so it needs no undo entry.
      this.#subtrees.set(index, sub)
    }
    return sub
  }

  #journaledSet<K, V>(map: Map<K, V>, key: K, value: V | undefined): void {
    const previous = map.get(key)
    const had = map.has(key)
    if (value === undefined) map.delete(key)
    else map.set(key, value)
    this.#journal.record(() => {
      if (had) map.set(key, previous as V)
      else map.delete(key)
    })
  }
}
