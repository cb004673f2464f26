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
  /** Depth of the accounts tree: 2^depth accounts. */
  readonly accountsDepth: number
  /** Depth of each account's positions subtree. */
  readonly positionsDepth: number
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
}

/** Small set: the default for tests, `npm start` and the demo (proves in seconds on 2 cores). */
export const TEST_PARAMS: ParamSet = {
  name: 'test',
  accountsDepth: 4,
  positionsDepth: 2,
  orderSlotsDepth: 2,
  batchSize: 2,
  forcedTimeoutSeconds: 7 * 24 * 3600,
  feeBps: 30,
}

/** Deployment-sized set: compiled and measured by the benchmarks, too large to set up in tests. */
export const REALISTIC_PARAMS: ParamSet = {
  name: 'realistic',
  accountsDepth: 24,
  positionsDepth: 3,
  orderSlotsDepth: 4,
  batchSize: 16,
  forcedTimeoutSeconds: 7 * 24 * 3600,
  feeBps: 30,
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
} as const

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

/** Checks the invariants the circuits rely on (asserted again in circom). */
export function assertParamSet(p: ParamSet): void {
  if (p.accountsDepth < 2 || p.accountsDepth > Bits.accountIndex)
    throw new Error(`accountsDepth ${p.accountsDepth} outside [2, ${Bits.accountIndex}]`)
  if (p.positionsDepth < 1 || p.positionsDepth > Bits.positionIndex)
    throw new Error(`positionsDepth ${p.positionsDepth} outside [1, ${Bits.positionIndex}]`)
  if (p.orderSlotsDepth < 1 || p.orderSlotsDepth > Bits.orderId)
    throw new Error(`orderSlotsDepth ${p.orderSlotsDepth} outside [1, ${Bits.orderId}]`)
  if (p.batchSize < 1) throw new Error('batchSize must be positive')
  if (!Number.isInteger(p.feeBps) || p.feeBps < 0 || p.feeBps > FEE_BPS_DENOMINATOR)
    throw new Error(`feeBps ${p.feeBps} outside [0, ${FEE_BPS_DENOMINATOR}]`)
}
