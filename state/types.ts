/**
 * Domain types shared by the pure core, the services and the tests.
 * All money, sizes and field elements are bigint; see docs/protocol.md for bounds.
 */
import type { QueueKind, TxType } from './params.js'
import type { BatchMarketTable } from './marketTable.js'
import type { QuadProof } from './quadMerkle.js'

/** A BabyJubJub point (an L2 public key, or the R8 part of a signature). */
export type Point = { readonly x: bigint; readonly y: bigint }

/** An EdDSA-Poseidon signature. */
export type Signature = { readonly R8: Point; readonly S: bigint }

/** The fields of an account leaf. */
export type Account = {
  readonly pubKey: Point
  readonly l1Address: bigint
  readonly nonce: bigint
  readonly collateral: bigint
  readonly positionsHash: bigint
  readonly orderSlotsRoot: bigint
}

/** A position leaf; `size` is signed (negative = short). */
export type Position = { readonly seriesId: bigint; readonly size: bigint }

/** An order-slot leaf. */
export type OrderSlot = { readonly orderId: bigint; readonly filled: bigint }

/** The fields of an order that its owner signs. */
export type Order = {
  readonly accountIndex: bigint
  readonly orderId: bigint
  readonly seriesId: bigint
  /** 0 = buy, 1 = sell (`Side`). */
  readonly side: 0 | 1
  readonly size: bigint
  /** Collateral base units per size unit. */
  readonly limitPrice: bigint
  /** Unix seconds. */
  readonly validUntil: bigint
}

export type SignedOrder = { readonly order: Order; readonly signature: Signature }

/** An entry of the L1 priority queue, as the contract hashes it. */
export type QueueEntry = {
  readonly kind: QueueKind
  readonly accountIndex: bigint
  readonly amount: bigint
  readonly l1Address: bigint
  readonly pubKey: Point
}

/** Transactions the sequencer puts in a batch. */
export type Tx =
  | { readonly type: typeof TxType.noop }
  | {
      readonly type: typeof TxType.deposit
      /** The account the sequencer credits (new accounts: the next free index). */
      readonly accountIndex: bigint
      readonly entry: QueueEntry
    }
  | {
      readonly type: typeof TxType.trade
      readonly buy: SignedOrder
      readonly sell: SignedOrder
      readonly fill: bigint
      readonly price: bigint
      /**
       * Position indices to use; by default the index already holding the series, else the
       * lowest empty one. Set when replaying published data, which names them.
       */
      readonly positions?: { readonly buyer: bigint; readonly seller: bigint }
    }
  | {
      readonly type: typeof TxType.withdraw
      readonly accountIndex: bigint
      readonly amount: bigint
      readonly nonce: bigint
      readonly signature: Signature
    }
  | { readonly type: typeof TxType.forcedWithdrawal; readonly entry: QueueEntry }
  | {
      readonly type: typeof TxType.cancel
      readonly accountIndex: bigint
      /** The order to cancel (uint32, >= 1); it need not have been filled, or even seen, before. */
      readonly orderId: bigint
      /** Over `cancelMessage(accountIndex, orderId)`, by the account's L2 key. */
      readonly signature: Signature
    }
  | LiquidationTx
  | SettlementTx

/**
 * A liquidation (docs/protocol.md, "Liquidation"): the insurance fund takes over `size` of
 * the account's position in `seriesId` at the batch table's mark, with a penalty. `size` has
 * the position's sign (negative: the account is short and the fund takes over a short).
 */
export type LiquidationTx = {
  readonly type: typeof TxType.liquidation
  readonly accountIndex: bigint
  readonly seriesId: bigint
  readonly size: bigint
  /** Position indices; by default the account's slot of the series and the fund's (or its lowest empty one). */
  readonly positions?: { readonly account: bigint; readonly fund: bigint }
}

/** What the L1 contract fixed for an expired series, and checks a settlement against. */
export type SeriesSettlement = {
  /** Settlement price, collateral base units per unit of underlying (> 0, uint64). */
  readonly price: bigint
  /** Strike, same unit (uint64). */
  readonly strike: bigint
  readonly isCall: boolean
}

/**
 * A settlement (docs/protocol.md, "Settlement"): closes the account's whole position in an
 * expired series at its payoff under the settlement price, against the insurance fund.
 */
export type SettlementTx = {
  readonly type: typeof TxType.settlement
  readonly accountIndex: bigint
  readonly seriesId: bigint
  readonly settlement: SeriesSettlement
  /** The account's slot of the series; by default the one holding it. */
  readonly position?: bigint
}

/**
 * A leaf replaced in a tree: the siblings prove `before` against the root before the change.
 * `S` is the tree's proof shape: sibling hashes of a binary tree (order slots, the default),
 * or `QuadProof` sibling triples of the 4-ary accounts tree (`AccountUpdate`).
 */
export type LeafUpdate<T, S = readonly bigint[]> = {
  readonly index: bigint
  readonly before: T
  readonly after: T
  /** Siblings from the leaf level upwards. */
  readonly siblings: S
}

/** An account leaf replaced in the 4-ary accounts tree. */
export type AccountUpdate = LeafUpdate<Account, QuadProof>

/** An account's position slots before and after a slot; `index` is the slot a trade moved. */
export type PositionsUpdate = {
  readonly index?: bigint
  readonly before: readonly Position[]
  readonly after: readonly Position[]
}

/**
 * Everything one applied slot did, with the Merkle paths the circuit needs.
 * Produced by the state-transition function; consumed by the witness builder, persistence
 * and the tests. Fields a transaction kind does not use are absent. It holds no state root:
 * the circuit computes the roots between slots from the paths, and reading one per slot
 * would hash every account path to the top (the tree hashes lazily, state/quadMerkle.ts).
 */
export type SlotTrace = {
  readonly tx: Tx
  readonly queueHashBefore: bigint
  readonly queueHashAfter: bigint
  /** The first account updated (deposit, withdraw, forced withdrawal, cancel; trade: the buyer). */
  readonly accountA?: AccountUpdate
  /** Trade only: the seller, proven against the root after `accountA`'s update. */
  readonly accountB?: AccountUpdate
  /**
   * Every position slot of account A (trade, withdraw, forced withdrawal: what margin values)
   * and of account B (trade), before and after the slot.
   */
  readonly positionsA?: PositionsUpdate
  readonly positionsB?: PositionsUpdate
  /**
   * The order slots, proven against each account's old orderSlotsRoot: trade (A the buyer's,
   * B the seller's) and cancel (A only).
   */
  readonly orderSlotA?: LeafUpdate<OrderSlot>
  readonly orderSlotB?: LeafUpdate<OrderSlot>
  /** Trade only: the fee each side paid (credited to the fee account at the end of the batch). */
  readonly fee?: bigint
  /** Liquidation: what the account paid the fund (negative: the fund paid it), and whether it could not pay all it owed. */
  readonly liquidation?: { readonly paid: bigint; readonly bankrupt: boolean; readonly penalty: bigint; readonly mark: bigint }
  /**
   * Settlement: the payoff of the position (what a long is owed or a short owes), what the
   * account paid the fund (negative: was paid), and whether the account or the fund could not pay it all.
   */
  readonly settlement?: { readonly payoff: bigint; readonly paid: bigint; readonly bankrupt: boolean; readonly fundShort: boolean }
  /** Withdraw and forced withdrawal: the amount paid out on L1. */
  readonly amountOut?: bigint
  /** The two published field elements of this slot. */
  readonly data: readonly [bigint, bigint]
}

/** The result of applying a whole batch. */
export type BatchTrace = {
  readonly oldRoot: bigint
  readonly newRoot: bigint
  readonly queueHashBefore: bigint
  readonly queueHashAfter: bigint
  /** Number of queue entries consumed. */
  readonly queueCount: number
  /** `2 * batchSize` field elements, the calldata of `submitBatch`. */
  readonly data: readonly bigint[]
  /** The market table every margin rule of the batch used, its packed words and their hash (`d[0]`). */
  readonly marketTable: BatchMarketTable
  readonly marketTableWords: readonly bigint[]
  readonly marketTableHash: bigint
  readonly dataHash: bigint
  readonly inputHash: bigint
  readonly slots: readonly SlotTrace[]
  /**
   * The batch's last step, after every slot: the fee account (`FEE_ACCOUNT_INDEX`) is
   * credited the sum of the slots' fees (twice each trade's `fee`, one per side), proven
   * against the root after the last slot. `newRoot` is the root after it.
   */
  readonly feeCredit: { readonly amount: bigint; readonly account: AccountUpdate }
}
