/**
 * The one source of truth for every protocol parameter.
 *
 * Circom `main` files and Solidity constants are generated from this module by
 * `scripts/generate.ts` (`npm run generate`); a test fails when regenerating would change
 * a committed file. Nothing else may restate these numbers.
 */

/** BN254 scalar field modulus: every circuit signal and Poseidon input lives below it. */
export const SNARK_FIELD =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n as const

/** A named set of circuit and protocol sizes. */
export type ParamSet = {
  /** Name used in file names: `batch_<name>.circom`, `build/<name>/`. */
  readonly name: 'test' | 'realistic'
  /**
   * Bits of an account index: 2^accountsDepth accounts. Even: the accounts tree is 4-ary
   * (docs/protocol.md, "Trees"), of `accountsDepth / 2` levels (`accountLevels`).
   */
  readonly accountsDepth: number
  /**
   * Position slots per account, P in [1, 8]: the positions are hashed flat,
   * `positionsHash = H(seriesId_0, size_0, ..., seriesId_{P-1}, size_{P-1})` (one Poseidon(2P)),
   * so that the margin rule sees every position of an account for one hash.
   */
  readonly positionSlots: number
  /** Depth of each account's order-slot subtree. */
  readonly orderSlotsDepth: number
  /** Number of transaction slots in one batch. */
  readonly batchSize: number
  /** Seconds a forced withdrawal may wait in the L1 queue before anyone may freeze the rollup. */
  readonly forcedTimeoutSeconds: number
  /**
   * Trading fee, in basis points of the premium, that each side of a trade pays to the fee
   * account (`FEE_ACCOUNT_INDEX`): `fee = ceil(price * fill * feeBps / FEE_BPS_DENOMINATOR)`.
   * An integer in `[0, FEE_BPS_DENOMINATOR]`, so a fee never exceeds the premium.
   */
  readonly feeBps: number
  /**
   * Rows of the market table every batch carries (docs/protocol.md, "Market table"): the
   * series that margin can value in that batch. Even, so that the table fills whole hash calls.
   */
  readonly marketRows: number
  /** K, the risk scenarios of every table row (risk/scenarios.ts: 9 spot x 3 vol shocks). */
  readonly scenarioCount: number
  /**
   * Initial margin, in basis points of the margin base B (docs/risk.md): a trade or a
   * withdrawal must leave `10000 * equity >= initialMarginBps * B`.
   */
  readonly initialMarginBps: number
  /** Maintenance margin, bps of B: below `10000 * equity >= maintenanceMarginBps * B`, an account may be liquidated. */
  readonly maintenanceMarginBps: number
  /**
   * Liquidation penalty, bps of the mark value a liquidation moves: the liquidated account
   * pays `ceil(|t| * mark * liquidationPenaltyBps / 10000)` to the insurance fund. In [0, 10000].
   */
  readonly liquidationPenaltyBps: number
}

/** Small set: the default for tests, `npm start` and the demo (proves in seconds on 2 cores). */
export const TEST_PARAMS: ParamSet = {
  name: 'test',
  accountsDepth: 4,
  positionSlots: 4,
  orderSlotsDepth: 2,
  batchSize: 2,
  forcedTimeoutSeconds: 7 * 24 * 3600,
  feeBps: 30,
  marketRows: 4,
  scenarioCount: 27,
  initialMarginBps: 12_500,
  maintenanceMarginBps: 10_000,
  liquidationPenaltyBps: 500,
}

/** Deployment-sized set: compiled and measured by the benchmarks, too large to set up in tests. */
export const REALISTIC_PARAMS: ParamSet = {
  name: 'realistic',
  accountsDepth: 24,
  positionSlots: 8,
  orderSlotsDepth: 4,
  batchSize: 16,
  forcedTimeoutSeconds: 7 * 24 * 3600,
  feeBps: 30,
  marketRows: 16,
  scenarioCount: 27,
  initialMarginBps: 12_500,
  maintenanceMarginBps: 10_000,
  liquidationPenaltyBps: 500,
}

export const PARAM_SETS = { test: TEST_PARAMS, realistic: REALISTIC_PARAMS } as const

/** Transaction kinds, as the 4-bit `type` field of a slot. */
export const TxType = {
  noop: 0,
  deposit: 1,
  trade: 2,
  withdraw: 3,
  forcedWithdrawal: 4,
  cancel: 5,
  liquidation: 6,
  settlement: 7,
} as const
export type TxType = (typeof TxType)[keyof typeof TxType]
/** Number of transaction kinds: the circuit's one-hot `typeFlags` has one flag per kind, in `TxType` order. */
export const TX_KINDS: number = Object.keys(TxType).length

/** Kinds of L1 priority-queue entries (8-bit field of the packed entry). */
export const QueueKind = { deposit: 1, forcedWithdrawal: 2 } as const
export type QueueKind = (typeof QueueKind)[keyof typeof QueueKind]

/** Domain tags that separate the messages an L2 key signs. */
export const Tag = { order: 1n, withdraw: 2n, cancel: 3n } as const

/** Order sides. */
export const Side = { buy: 0, sell: 1 } as const
export type Side = (typeof Side)[keyof typeof Side]

/** Bit widths of bounded quantities; the circuit range-checks each one. */
export const Bits = {
  type: 4,
  accountIndex: 32,
  seriesId: 32,
  orderId: 32,
  amount: 64,
  size: 64,
  price: 64,
  validUntil: 32,
  positionIndex: 8,
  l1Address: 160,
  queueKind: 8,
  /** Every market-table value (series id, mark, short minimum, scenario values): a 48-bit lane. */
  tableValue: 48,
  /** Position sizes: magnitude below 2^positionMagnitude (so -2^63 itself is refused). */
  positionMagnitude: 63,
  /**
   * Width of the margin range checks. Each margin check value is
   * `10000 * E + c * P_k` or `10000 * E - c * F` with c <= 2^16 bps, E = C + sum n_i m_i,
   * |n_i| < 2^63, table values < 2^48, at most 8 positions: |sum n_i v_i| < 2^114,
   * |E|, |P_k|, F < 2^115, so every value a solvent account can reach is below
   * 2^14 * 2^115 + 2^16 * 2^115 < 2^132, and a negative value, as a field element, is above
   * SNARK_FIELD - 2^132 > 2^132: the check `value in [0, 2^132)` is exactly `value >= 0`.
   */
  marginCheck: 132,
} as const

/** Largest margin factor in bps the `Bits.marginCheck` bound allows. */
export const MAX_MARGIN_BPS = 1 << 16
/** Largest `positionSlots`: one Poseidon takes at most 16 inputs. */
export const MAX_POSITION_SLOTS = 8

/**
 * How a market table is laid out for hashing and for L1 (docs/protocol.md, "Market table").
 * A row is `[seriesId, mark, shortMinimum, v_0 .. v_{K-1}]`, 48-bit lanes; the rows'
 * lanes, row after row, are packed 5 to a word from the least significant bits; the words
 * are hashed 4 at a time.
 */
export const MarketTableLayout = {
  /** Lanes of a row before the K scenario values. */
  rowHeaderLanes: 3,
  lanesPerWord: 5,
  wordsPerHash: 4,
} as const

/** Lanes of one table row: series id, mark, short minimum and K scenario values. */
export function marketRowLanes(p: ParamSet): number {
  return MarketTableLayout.rowHeaderLanes + p.scenarioCount
}

/** Words of the packed market table, a multiple of `wordsPerHash`. */
export function marketTableWordCount(p: ParamSet): number {
  const words = Math.ceil((p.marketRows * marketRowLanes(p)) / MarketTableLayout.lanesPerWord)
  return Math.ceil(words / MarketTableLayout.wordsPerHash) * MarketTableLayout.wordsPerHash
}

/**
 * Bit offsets inside the two field elements (e1, e2) that every slot publishes as batch data.
 * Fields are packed from the least significant bit.
 */
export const SlotLayout = {
  /** e1 of every kind: type at bit 0. */
  type: 0,
  /** e1 of deposit, withdraw, forced withdrawal, cancel: account index, then amount (cancel: order id). */
  account: 4,
  amount: 36,
  cancelOrderId: 36,
  /** e1 of trade: buyer account, seller account, series, fill size, price. */
  tradeBuyer: 4,
  tradeSeller: 36,
  tradeSeries: 68,
  tradeSize: 100,
  tradePrice: 164,
  /** e2 of trade: buyer order id, seller order id, buyer position index, seller position index. */
  tradeBuyerOrderId: 0,
  tradeSellerOrderId: 32,
  tradeBuyerPosition: 64,
  tradeSellerPosition: 72,
  /** e1 of liquidation (trade's layout, seller = the fund, no price): 1 when the liquidated position is short. */
  liquidationShort: 164,
  /**
   * Settlement: e1 as a liquidation's (account, series, size, short); e2 carries what the L1
   * contract checks against its storage: the settlement price, the strike, call or put, and
   * the account's position index.
   */
  settlementPrice: 0,
  settlementStrike: 64,
  settlementIsCall: 128,
  settlementPosition: 136,
} as const

/** Packed L1 queue entry: kind at bit 0, account index at 8 (forced only), amount at 40 (deposit only). */
export const QueueLayout = { kind: 0, accountIndex: 8, amount: 40 } as const

/** Collateral token decimals (a USDC-like ERC-20). */
export const COLLATERAL_DECIMALS = 6
/** One size unit is 10^-SIZE_DECIMALS of one option contract on one unit of the underlying. */
export const SIZE_DECIMALS = 2
/** Account 0 is reserved for the insurance fund; users are assigned indices from 1. */
export const INSURANCE_ACCOUNT_INDEX = 0
/** The account credited with every trading fee, once per batch: the insurance fund. */
export const FEE_ACCOUNT_INDEX = INSURANCE_ACCOUNT_INDEX
/** `feeBps` is in units of 1 / FEE_BPS_DENOMINATOR of the premium. */
export const FEE_BPS_DENOMINATOR = 10_000
/**
 * The `filled` value a cancel writes into an order's slot: the largest uint64, so that any
 * fill (>= 1) of that order would exceed its size (< 2^64) and the trade rule refuses it.
 */
export const CANCELLED_FILLED = (1n << BigInt(Bits.size)) - 1n

/** Levels of the 4-ary accounts tree: `accountsDepth / 2` (4^levels = 2^accountsDepth leaves). */
export function accountLevels(p: ParamSet): number {
  return p.accountsDepth / 2
}

/** Checks the invariants the circuits rely on (asserted again in circom). */
export function assertParamSet(p: ParamSet): void {
  if (!Number.isInteger(p.accountsDepth) || p.accountsDepth < 2 || p.accountsDepth > Bits.accountIndex || p.accountsDepth % 2 !== 0)
    throw new Error(`accountsDepth ${p.accountsDepth} must be even and in [2, ${Bits.accountIndex}]`)
  if (!Number.isInteger(p.positionSlots) || p.positionSlots < 1 || p.positionSlots > MAX_POSITION_SLOTS)
    throw new Error(`positionSlots ${p.positionSlots} outside [1, ${MAX_POSITION_SLOTS}]`)
  if (p.orderSlotsDepth < 1 || p.orderSlotsDepth > Bits.orderId)
    throw new Error(`orderSlotsDepth ${p.orderSlotsDepth} outside [1, ${Bits.orderId}]`)
  if (p.batchSize < 1) throw new Error('batchSize must be positive')
  if (!Number.isInteger(p.feeBps) || p.feeBps < 0 || p.feeBps > FEE_BPS_DENOMINATOR)
    throw new Error(`feeBps ${p.feeBps} outside [0, ${FEE_BPS_DENOMINATOR}]`)
  if (!Number.isInteger(p.marketRows) || p.marketRows < 2 || p.marketRows % 2 !== 0) throw new Error(`marketRows ${p.marketRows} must be even and >= 2`)
  if (!Number.isInteger(p.scenarioCount) || p.scenarioCount < 1) throw new Error(`scenarioCount ${p.scenarioCount} must be >= 1`)
  if (!Number.isInteger(p.maintenanceMarginBps) || !Number.isInteger(p.initialMarginBps) || p.maintenanceMarginBps < 0 || p.initialMarginBps < p.maintenanceMarginBps || p.initialMarginBps > MAX_MARGIN_BPS)
    throw new Error(`need 0 <= maintenanceMarginBps <= initialMarginBps <= ${MAX_MARGIN_BPS}`)
  if (!Number.isInteger(p.liquidationPenaltyBps) || p.liquidationPenaltyBps < 0 || p.liquidationPenaltyBps > FEE_BPS_DENOMINATOR)
    throw new Error(`liquidationPenaltyBps ${p.liquidationPenaltyBps} outside [0, ${FEE_BPS_DENOMINATOR}]`)
}
