/**
 * Soundness (issue 4): the batch circuit agrees with the pure core on random histories.
 *
 * fast-check draws short sequences of candidate transactions, valid and invalid: deposits
 * (new accounts, credits, account 0, another key's credit), trades (random sizes, fills,
 * prices and limits, order ids that share order slots, self trades, unknown accounts,
 * orders signed by a stranger's key), withdrawals (right and wrong nonces, amounts above
 * the collateral, a stranger's signature) and cancels (order id 0, a stranger's signature,
 * ids that an order slot has already moved past). For every candidate `checkTx` decides:
 *
 * - Accepted ones are applied; each `batchSize` of them (and the remainder, padded with
 *   noops) is assembled, and the circuit's witness calculator must accept
 *   `buildWitnessInput(trace)` and give exactly `trace.inputHash` (so the same new root,
 *   queue range and data).
 * - Refused ones must leave the state untouched, and for the kinds below the circuit must
 *   refuse them too, in a batch made of the slots accepted so far plus the refused one:
 *   - BAD_SIGNATURE (trade buy or sell side, withdraw, cancel): the tx forced through the
 *     core with `verifySignatures: false`, when no other rule refuses it.
 *   - PRICE_BEYOND_LIMIT: the same trade at a price inside both limits is built by the
 *     core, then the witness's `price` is set back to the out-of-limit price.
 *   - ORDER_OVERFILLED: the same trade with the largest fill both orders still allow is
 *     built, then the witness's `fill` is set back to the over-fill.
 *   - NONCE_MISMATCH (withdraw): the withdrawal with the right nonce is built, then its
 *     signature is replaced by the owner's signature over the wrong nonce.
 *   - INSUFFICIENT_COLLATERAL and INSUFFICIENT_MARGIN (withdraw): a withdrawal of the free
 *     collateral (the most margin allows) is built, then `amount` and the signature are
 *     replaced by the owner-signed larger amount.
 *   - SELF_TRADE: the same buy order against another account's valid sell order is built,
 *     then the witness's `accountB` is set to the buyer.
 *   - INSUFFICIENT_MARGIN (trade) and NOT_LIQUIDATABLE: the tx forced through the core with
 *     `checkMargin: false`; the circuit must refuse its witness at a margin check.
 *   Each circuit refusal must come from the rule that states it (the EdDSA verifier, the
 *   limit or self-trade line of slot.circom, OrderSlotFill's size check, a 64-bit range
 *   check of the new collateral, a margin range check), not merely from some failed assert.
 *   The other refusals (unknown accounts, reused order ids, deposits' key and reserved
 *   account rules, collateral of trades, cancelled orders, bad order ids, initial margin of trades,
 *   series without a table row, a second slot for one series) are checked on the core side
 *   only here; circuits/batch.test.ts attacks each of them by hand.
 *
 * Batches run under `testMarketTable` (series 1 to 3) until a market op switches the next
 * batches to a stressed or extreme table, so accepted trades, withdrawals and forced
 * withdrawals (by the owner: its free collateral; by a stranger: nothing) agree on margin and
 * on the amount paid, and liquidations (of accounts below maintenance, by a share of a
 * position, sometimes with the wrong sign or more than held) and settlements (at random
 * prices, calls and puts, sometimes of positions not held) agree on what moves.
 *
 * Needs the artifacts of TEST_PARAMS in build/test/ (`npm run build`).
 */
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import * as snarkjs from 'snarkjs'
import { afterAll, describe, expect, it } from 'vitest'
import { TEST_PARAMS, TxType } from '../state/params.js'
import { applyTx, assembleBatch, checkTx } from '../state/batch.js'
import { buildWitnessInput, type WitnessInput } from '../state/witness.js'
import { filledBefore } from '../state/tx/trade.js'
import { cancelTx, depositTx, fundedState, order, signedOrder, testKey, testMarketTable, withdrawTx, type TestKey } from '../state/testing.js'
import { forcedWithdrawalEntry } from '../state/queue.js'
import { freeCollateral } from '../state/margin.js'
import type { RollupState } from '../state/rollupState.js'
import type { RejectionCode } from '../state/rejections.js'
import type { SlotTrace, Tx } from '../state/types.js'
import { circuitPaths } from '../prover/paths.js'
import { terminateCurves } from '../prover/curves.js'
import { failureFrames, readWire, sourceLine, withSignal, type WitnessOutcome } from './testing.js'

const P = TEST_PARAMS
const paths = circuitPaths(P)

afterAll(async () => {
  // snarkjs's bn128 worker threads would otherwise keep the test process alive.
  await terminateCurves()
})

// ---------------------------------------------------------------------------------------
// Keys and accounts
// ---------------------------------------------------------------------------------------

/** Keys 1..6 may own accounts; key 9 never does (the stranger who forges signatures). */
const KEYS = new Map<number, TestKey>([1, 2, 3, 4, 5, 6, 9].map((n) => [n, testKey(n)]))
const key = (n: number): TestKey => KEYS.get(n)!
const STRANGER = 9

/** The test key that owns `account` (by its public key), else the account's own-numbered key. */
function ownerKey(state: RollupState, account: number): TestKey {
  const { pubKey } = state.account(BigInt(account))
  for (const n of [1, 2, 3, 4, 5, 6]) {
    const k = key(n)
    if (k.pubKey.x === pubKey.x && k.pubKey.y === pubKey.y) return k
  }
  return key(Math.min(Math.max(account, 1), 6))
}

// ---------------------------------------------------------------------------------------
// Candidate operations (descriptions; the tx is built against the state when it is tried)
// ---------------------------------------------------------------------------------------

type DepositOp = { kind: 'deposit'; account: number; keyOf: number | 'own'; amount: bigint }
type TradeOp = {
  kind: 'trade'
  buyer: number
  seller: number
  buyId: bigint
  sellId: bigint
  seriesId: bigint
  buySize: bigint
  sellSize: bigint
  buyLimit: bigint
  sellLimit: bigint
  price: bigint
  fill: bigint
  forgeBuy: boolean
  forgeSell: boolean
}
type WithdrawOp = { kind: 'withdraw'; account: number; nonceDelta: bigint; amount: bigint; forge: boolean }
type CancelOp = { kind: 'cancel'; account: number; orderId: bigint; forge: boolean }
/** A forced withdrawal from the L1 queue, requested by the account's owner or by the stranger. */
type ForcedOp = { kind: 'forced'; account: number; byStranger: boolean }
/** A liquidation of `percent` % of the account's position in the series (`flip`: the wrong sign). */
type LiquidateOp = { kind: 'liquidate'; account: number; seriesId: bigint; percent: number; flip: boolean }
/** A settlement of the account's position in the series at `price` (strike 100). */
type SettleOp = { kind: 'settle'; account: number; seriesId: bigint; price: bigint; isCall: boolean }
/**
 * From the next batch on, the market table is calm (0), stressed (1: four times the spread),
 * extreme (2: marks of 1000) or a crash for shorts (3: marks of 5000).
 */
type MarketOp = { kind: 'market'; level: 0 | 1 | 2 | 3 }
type Op = DepositOp | TradeOp | WithdrawOp | CancelOp | ForcedOp | LiquidateOp | SettleOp | MarketOp

/** Accounts 1..3 exist at the start; 4 and 5 exist only after a deposit creates them; 0 is the fee account. */
const accountArb = fc.integer({ min: 0, max: 5 })
const userArb = fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }) })
const orderIdArb = fc.bigInt({ min: 1n, max: 6n }) // 1 and 5, 2 and 6 share an order slot (4 slots)

const depositArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('deposit' as const),
  account: accountArb,
  keyOf: fc.oneof({ weight: 4, arbitrary: fc.constant('own' as const) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }) }),
  amount: fc.bigInt({ min: 0n, max: 3_000n }),
})

const tradeArb: fc.Arbitrary<Op> = fc
  .record({
    buyer: userArb,
    seller: userArb,
    buyId: orderIdArb,
    sellId: orderIdArb,
    // Series 1 and 2 have rows in the market table; 4 has none (UNPRICED_POSITION).
    seriesId: fc.oneof({ weight: 8, arbitrary: fc.bigInt({ min: 1n, max: 2n }) }, { weight: 1, arbitrary: fc.constant(4n) }),
    buySize: fc.bigInt({ min: 1n, max: 10n }),
    sellSize: fc.bigInt({ min: 1n, max: 10n }),
    sellLimit: fc.bigInt({ min: 50n, max: 110n }),
    spread: fc.bigInt({ min: 0n, max: 50n }),
    priceMode: fc.constantFrom('inside', 'inside', 'inside', 'inside', 'inside', 'inside', 'aboveBuy', 'belowSell'),
    priceFraction: fc.integer({ min: 0, max: 100 }),
    fill: fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: 1n, max: 4n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 12n }) }),
    // One self trade in eight at most (a drawn seller equal to the buyer is kept only then).
    keepSelf: fc.integer({ min: 0, max: 7 }).map((n) => n === 0),
    // One trade in five has a side signed by the stranger.
    forge: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ priceMode, priceFraction, forge, keepSelf, spread, ...r }): Op => {
    const buyLimit = r.sellLimit + spread
    const seller = r.seller === r.buyer && !keepSelf ? (r.buyer % 3) + 1 : r.seller
    const lo = r.sellLimit
    const hi = buyLimit
    const price =
      priceMode === 'aboveBuy'
        ? hi + 1n + BigInt(priceFraction % 10)
        : priceMode === 'belowSell'
          ? lo - 1n - BigInt(priceFraction % 10)
          : lo + ((hi - lo) * BigInt(priceFraction)) / 100n
    return { kind: 'trade', ...r, buyLimit, seller, price, forgeBuy: forge === 0, forgeSell: forge === 1 }
  })

const withdrawArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('withdraw' as const),
  account: userArb,
  nonceDelta: fc.constantFrom(0n, 0n, 0n, 1n, 2n),
  amount: fc.oneof({ weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 3_000n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 3_000n, max: 20_000n }) }),
  forge: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
})

const cancelArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('cancel' as const),
  account: userArb,
  orderId: fc.bigInt({ min: 0n, max: 6n }),
  forge: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
})

const forcedArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('forced' as const),
  account: userArb,
  byStranger: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
})

const liquidateArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('liquidate' as const),
  account: userArb,
  seriesId: fc.bigInt({ min: 1n, max: 2n }),
  percent: fc.integer({ min: 1, max: 120 }),
  flip: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
})

const settleArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('settle' as const),
  account: accountArb,
  seriesId: fc.bigInt({ min: 1n, max: 2n }),
  price: fc.oneof(fc.bigInt({ min: 0n, max: 200n }), fc.bigInt({ min: 10_000n, max: 1_000_000n })),
  isCall: fc.boolean(),
})

const marketArb: fc.Arbitrary<Op> = fc.record({ kind: fc.constant('market' as const), level: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const) })

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: depositArb },
  { weight: 5, arbitrary: tradeArb },
  { weight: 3, arbitrary: withdrawArb },
  { weight: 2, arbitrary: cancelArb },
  { weight: 2, arbitrary: forcedArb },
  { weight: 2, arbitrary: liquidateArb },
  { weight: 1, arbitrary: settleArb },
  { weight: 1, arbitrary: marketArb },
)

/** The market tables of `MarketOp`: series 1 to 3 marked at 100 (spread 26 or 100), or at 1000. */
const MARKET_TABLES = [
  testMarketTable(P),
  testMarketTable(P, [1n, 2n, 3n], 100n, 100n),
  testMarketTable(P, [1n, 2n, 3n], 1_000n, 100n),
  testMarketTable(P, [1n, 2n, 3n], 5_000n, 100n),
] as const

function tradeOf(state: RollupState, op: TradeOp, patch: Partial<Pick<TradeOp, 'seller' | 'price' | 'fill'>> = {}): Tx {
  const t = { ...op, ...patch }
  const seller = t.seller
  return {
    type: TxType.trade,
    buy: signedOrder(op.forgeBuy ? key(STRANGER) : ownerKey(state, t.buyer), order({ accountIndex: BigInt(t.buyer), orderId: t.buyId, side: 0, seriesId: t.seriesId, size: t.buySize, limitPrice: t.buyLimit })),
    sell: signedOrder(op.forgeSell ? key(STRANGER) : ownerKey(state, seller), order({ accountIndex: BigInt(seller), orderId: t.sellId, side: 1, seriesId: t.seriesId, size: t.sellSize, limitPrice: t.sellLimit })),
    fill: t.fill,
    price: t.price,
  }
}

/** The candidate transaction an op describes, against the current state (nonces, owners). */
function txOf(state: RollupState, op: Op): Tx {
  switch (op.kind) {
    case 'deposit':
      return depositTx(op.keyOf === 'own' ? ownerKey(state, op.account) : key(op.keyOf), BigInt(op.account), op.amount)
    case 'trade':
      return tradeOf(state, op)
    case 'withdraw': {
      const account = BigInt(op.account)
      const signer = op.forge ? key(STRANGER) : ownerKey(state, op.account)
      return withdrawTx(signer, account, state.account(account).nonce + op.nonceDelta, op.amount)
    }
    case 'cancel':
      return cancelTx(op.forge ? key(STRANGER) : ownerKey(state, op.account), BigInt(op.account), op.orderId)
    case 'forced': {
      const requester = op.byStranger ? key(STRANGER) : ownerKey(state, op.account)
      return { type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(requester.l1Address, BigInt(op.account)) }
    }
    case 'liquidate': {
      const account = BigInt(op.account)
      const held = state.positionSlots(account).find((p) => p.seriesId === op.seriesId)?.size ?? 1n
      const magnitude = (held < 0n ? -held : held) * BigInt(op.percent) / 100n
      const size = (held < 0n) !== op.flip ? -(magnitude > 0n ? magnitude : 1n) : magnitude > 0n ? magnitude : 1n
      return { type: TxType.liquidation, accountIndex: account, seriesId: op.seriesId, size }
    }
    case 'settle':
      return { type: TxType.settlement, accountIndex: BigInt(op.account), seriesId: op.seriesId, settlement: { price: op.price, strike: 100n, isCall: op.isCall } }
    case 'market':
      return { type: TxType.noop }
  }
}

// ---------------------------------------------------------------------------------------
// The circuit's verdicts
// ---------------------------------------------------------------------------------------

/**
 * `witnessOutcome` of circuits/testing.ts, with the wasm read once and handed to snarkjs in
 * memory (about twice as fast per call as re-reading the file; the verdicts are the same).
 */
let wasm: Uint8Array | undefined
async function calculate(input: WitnessInput): Promise<WitnessOutcome> {
  wasm ??= new Uint8Array(readFileSync(paths.wasm))
  const out: { type: 'mem'; data?: Uint8Array } = { type: 'mem' }
  const consoleError = console.error
  console.error = () => {}
  try {
    await snarkjs.wtns.calculate(input, { type: 'mem', data: wasm }, out)
  } catch (error) {
    const message = (error as Error).message
    return { ok: false, message, frames: failureFrames(message) }
  } finally {
    console.error = consoleError
  }
  return { ok: true, wtns: out.data!, inputHash: readWire(out.data!, 1) }
}

/** Counters over all runs: what was accepted, refused, and refused by the circuit too. */
const stats = {
  batches: 0,
  accepted: new Map<string, number>(),
  refused: new Map<string, number>(),
  circuitRefused: new Map<string, number>(),
}
const bump = (m: Map<string, number>, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1)

/** Assembles the pending slots into a batch; the circuit must reproduce its public input. */
async function proveAgreement(state: RollupState, slots: readonly SlotTrace[]): Promise<void> {
  const trace = assembleBatch(state, slots)
  const input = buildWitnessInput(trace, P)
  const outcome = await calculate(input)
  if (!outcome.ok) {
    throw new Error(`the circuit refused a batch the core accepted: ${outcome.message}\nslots: ${slots.map((s) => s.tx.type).join(',')}`)
  }
  expect(outcome.inputHash, 'witness input hash vs trace.inputHash').toBe(trace.inputHash)
  stats.batches++
}

type Forced = {
  /** The tx the core applies (the refused one, or a valid neighbour of it). */
  readonly tx: Tx
  readonly verifySignatures: boolean
  /** False: the core applies it without its margin rules (how a refused margin is forced into a witness). */
  readonly checkMargin?: boolean
  /** Turns the neighbour's witness into the refused tx's (at `slot`). */
  readonly tamper: (input: WitnessInput, slot: number) => WitnessInput
}

function withSignatureA(input: WitnessInput, slot: number, sig: { R8: { x: bigint; y: bigint }; S: bigint }): WitnessInput {
  let out = withSignal(input, 'sigAR8x', slot, sig.R8.x)
  out = withSignal(out, 'sigAR8y', slot, sig.R8.y)
  return withSignal(out, 'sigAS', slot, sig.S)
}

/** How to present a refused tx to the circuit, or undefined where this test does not. */
function forcedFor(state: RollupState, op: Op, tx: Tx, code: RejectionCode): Forced | undefined {
  const none = (input: WitnessInput) => input
  const accepts = (t: Tx, verifySignatures = true) => checkTx(state, t, { verifySignatures }) === undefined
  if (code === 'BAD_SIGNATURE') return accepts(tx, false) ? { tx, verifySignatures: false, tamper: none } : undefined
  // Margin refusals of trades and of liquidations: the core applies the tx without its margin
  // rules (as it skips signatures above) and the circuit must refuse the very same witness.
  if ((code === 'INSUFFICIENT_MARGIN' && tx.type === TxType.trade) || code === 'NOT_LIQUIDATABLE')
    return checkTx(state, tx, { checkMargin: false }) === undefined ? { tx, verifySignatures: true, checkMargin: false, tamper: none } : undefined
  if (op.kind === 'trade' && tx.type === TxType.trade) {
    if (code === 'PRICE_BEYOND_LIMIT' && op.sellLimit <= op.buyLimit) {
      const valid = tradeOf(state, op, { price: op.sellLimit })
      if (accepts(valid)) return { tx: valid, verifySignatures: true, tamper: (input, slot) => withSignal(input, 'price', slot, op.price) }
    }
    if (code === 'ORDER_OVERFILLED') {
      const left = [tx.buy.order, tx.sell.order].map((o) => {
        const filled = filledBefore(state, o)
        return typeof filled === 'bigint' ? o.size - filled : -1n
      })
      const most = left[0]! < left[1]! ? left[0]! : left[1]!
      if (most >= 1n) {
        const valid = tradeOf(state, op, { fill: most })
        if (accepts(valid)) return { tx: valid, verifySignatures: true, tamper: (input, slot) => withSignal(input, 'fill', slot, op.fill) }
      }
    }
    if (code === 'SELF_TRADE') {
      for (const other of [1, 2, 3, 4, 5]) {
        if (other === op.buyer) continue
        const valid = tradeOf(state, op, { seller: other })
        if (accepts(valid)) return { tx: valid, verifySignatures: true, tamper: (input, slot) => withSignal(input, 'accountB', slot, BigInt(op.buyer)) }
      }
    }
  }
  if (op.kind === 'withdraw' && tx.type === TxType.withdraw && !op.forge) {
    const account = BigInt(op.account)
    const owner = ownerKey(state, op.account)
    const { nonce, collateral } = state.account(account)
    if (code === 'NONCE_MISMATCH') {
      const valid = withdrawTx(owner, account, nonce, op.amount)
      if (accepts(valid)) return { tx: valid, verifySignatures: true, tamper: (input, slot) => withSignatureA(input, slot, tx.signature) }
    }
    if (code === 'INSUFFICIENT_COLLATERAL' || code === 'INSUFFICIENT_MARGIN') {
      // The largest withdrawal the account may make (its free collateral), then the refused amount.
      const { initialMarginBps, scenarioCount } = state.params
      const free = freeCollateral(collateral, state.positionSlots(account), state.marketTable, initialMarginBps, scenarioCount)
      const valid = withdrawTx(owner, account, nonce, free)
      if (accepts(valid))
        return { tx: valid, verifySignatures: true, tamper: (input, slot) => withSignatureA(withSignal(input, 'amount', slot, tx.amount), slot, tx.signature) }
    }
  }
  return undefined
}

const slotLine = (snippet: string) => ({ template: 'Slot', line: sourceLine('slot.circom', snippet) })

/** The rule the circuit must refuse each kind at: a template (a circomlib one) or a line of ours. */
function refusedAt(label: string, op: Op): { template: string; line?: number } {
  const [, code] = label.split(':')
  switch (code) {
    case 'BAD_SIGNATURE':
    case 'NONCE_MISMATCH': // the owner's signature is over another nonce than the leaf's
      return { template: 'EdDSAPoseidonVerifier' }
    case 'PRICE_BEYOND_LIMIT':
      return op.kind === 'trade' && op.price > op.buyLimit
        ? slotLine('isTrade * (1 - buyLimitOk.out) === 0;')
        : slotLine('isTrade * (1 - sellLimitOk.out) === 0;')
    case 'ORDER_OVERFILLED':
      return { template: 'OrderSlotFill', line: sourceLine('lib/subtreeUpdates.circom', '(enabled - cancel) * (1 - withinSize.out) === 0;') }
    case 'SELF_TRADE':
      return slotLine('isTrade * sameAccount.out === 0;')
    case 'INSUFFICIENT_COLLATERAL': // the new collateral is range-checked to 64 bits
      return { template: 'Num2Bits' }
    case 'INSUFFICIENT_MARGIN': // a margin check after the withdrawal or trade is negative
      return { template: 'NonNegativeWhen' }
    case 'NOT_LIQUIDATABLE': // no margin check at the maintenance factor is negative
      return slotLine('selectedNegative.in <== (belowGate + isLiquidation) * (-1 - selected);')
    default:
      throw new Error(`no circuit rule named for ${label}`)
  }
}

/** Builds the batch `pending + the refused tx` and asserts that the circuit refuses it; the state is restored. */
async function expectCircuitRefuses(state: RollupState, pending: readonly SlotTrace[], forced: Forced, label: string, op: Op): Promise<void> {
  const checkpoint = state.checkpoint()
  try {
    const slot = applyTx(state, forced.tx, { verifySignatures: forced.verifySignatures, checkMargin: forced.checkMargin ?? true })
    const trace = assembleBatch(state, [...pending, slot])
    const input = forced.tamper(buildWitnessInput(trace, P), pending.length)
    const outcome = await calculate(input)
    if (outcome.ok) throw new Error(`the circuit accepted a transaction the core refuses (${label})`)
    expect(outcome.message).toMatch(/Assert Failed/)
    const where = refusedAt(label, op)
    expect(
      outcome.frames.some((f) => f.template === where.template && (where.line === undefined || f.line === where.line)),
      `${label}: expected a failure at ${JSON.stringify(where)}; got ${JSON.stringify(outcome.frames)}`,
    ).toBe(true)
    bump(stats.circuitRefused, label)
  } finally {
    state.rollback(checkpoint)
  }
}

/** Runs one history: every op is checked, applied or refused; every batch is witnessed. */
async function runHistory(ops: readonly Op[]): Promise<void> {
  // Accounts 1..3 hold 5000 each (their deposits are part of the committed starting state).
  const { state } = fundedState(P, 3, 5_000n)
  let pending: SlotTrace[] = []
  for (const op of ops) {
    if (op.kind === 'market') {
      // A new table only between batches: close the open one first.
      if (pending.length > 0) await proveAgreement(state, pending)
      state.commit()
      pending = []
      state.setMarketTable(MARKET_TABLES[op.level])
      continue
    }
    const tx = txOf(state, op)
    const rootBefore = state.root
    const rejection = checkTx(state, tx)
    if (rejection) {
      expect(state.root).toBe(rootBefore)
      const label = `${op.kind}:${rejection.code}`
      bump(stats.refused, label)
      // applyTx must throw for it as well, leaving the state as it was.
      const checkpoint = state.checkpoint()
      expect(() => applyTx(state, tx)).toThrow()
      state.rollback(checkpoint)
      expect(state.root).toBe(rootBefore)
      const forced = forcedFor(state, op, tx, rejection.code)
      if (forced) await expectCircuitRefuses(state, pending, forced, label, op)
      continue
    }
    pending.push(applyTx(state, tx))
    bump(stats.accepted, op.kind)
    if (pending.length === P.batchSize) {
      await proveAgreement(state, pending)
      state.commit()
      pending = []
    }
  }
  if (pending.length > 0) await proveAgreement(state, pending)
}

// ---------------------------------------------------------------------------------------
// A fixed history that hits every kind the circuit side checks (run before the random ones)
// ---------------------------------------------------------------------------------------

const trade = (t: Partial<TradeOp> = {}): Op => ({
  kind: 'trade',
  buyer: 1,
  seller: 2,
  buyId: 1n,
  sellId: 1n,
  seriesId: 1n,
  buySize: 10n,
  sellSize: 10n,
  buyLimit: 120n,
  sellLimit: 100n,
  price: 110n,
  fill: 4n,
  forgeBuy: false,
  forgeSell: false,
  ...t,
})

const EVERY_KIND: Op[] = [
  trade(),
  trade({ fill: 7n }), // over-fill: 4 of 10 filled
  trade({ price: 121n }), // above the buy limit
  trade({ price: 99n }), // below the sell limit
  trade({ seller: 1, buyId: 2n }), // self trade
  trade({ buyer: 4 }), // unknown account
  trade({ forgeBuy: true, buyId: 3n, sellId: 3n }),
  trade({ forgeSell: true, buyId: 3n, sellId: 3n }),
  { kind: 'withdraw', account: 2, nonceDelta: 1n, amount: 100n, forge: false },
  { kind: 'withdraw', account: 2, nonceDelta: 0n, amount: 100_000n, forge: false },
  // Account 2 is short 4 (collateral about 5 440, free about 4 900): more than its free collateral.
  { kind: 'withdraw', account: 2, nonceDelta: 0n, amount: 5_200n, forge: false },
  { kind: 'withdraw', account: 2, nonceDelta: 0n, amount: 100n, forge: true },
  { kind: 'withdraw', account: 2, nonceDelta: 0n, amount: 100n, forge: false },
  { kind: 'liquidate', account: 2, seriesId: 1n, percent: 50, flip: false }, // account 2 (short 4) meets maintenance
  { kind: 'cancel', account: 1, orderId: 2n, forge: true },
  { kind: 'cancel', account: 1, orderId: 1n, forge: false },
  trade({ buyId: 1n, sellId: 2n, fill: 1n }), // order 1 of account 1 is cancelled
  { kind: 'deposit', account: 4, keyOf: 'own', amount: 1_000n },
  { kind: 'deposit', account: 0, keyOf: 'own', amount: 1_000n },
  { kind: 'deposit', account: 1, keyOf: 2, amount: 1_000n },
  trade({ buyer: 4, seller: 3, buyId: 1n, sellId: 1n, fill: 2n }),
  // Under marks of 1000 a naked short of 10 at 100 owes 10 000 against 5 000 of collateral.
  { kind: 'market', level: 2 },
  trade({ buyer: 1, seller: 3, buyId: 5n, sellId: 5n, fill: 10n, price: 100n, buyLimit: 100n, sellLimit: 100n }),
  // At marks of 5000 account 2's short of 4 is under water: a quarter of it goes to the fund;
  // then series 1 settles at 150 (strike 100): the short pays, the long is paid, the fund closes its own.
  { kind: 'market', level: 3 },
  { kind: 'liquidate', account: 2, seriesId: 1n, percent: 25, flip: false },
  { kind: 'market', level: 0 },
  { kind: 'settle', account: 2, seriesId: 1n, price: 150n, isCall: true },
  { kind: 'settle', account: 1, seriesId: 1n, price: 150n, isCall: true },
  { kind: 'settle', account: 0, seriesId: 1n, price: 150n, isCall: true },
  // Account 0 (the fee account, credited by now) has no key: no order of it verifies. (It buys
  // one unit at 1, which its fees pay and margin allows, so that the signature is what fails.)
  trade({ buyer: 0, seller: 3, buyId: 4n, sellId: 4n, fill: 1n, price: 1n, buyLimit: 1n, sellLimit: 1n }),
]

describe('circuit and core agree on random histories', () => {
  it('a fixed history with every refusal kind the circuit side checks', async () => {
    await runHistory(EVERY_KIND)
    for (const label of [
      'trade:BAD_SIGNATURE',
      'trade:PRICE_BEYOND_LIMIT',
      'trade:ORDER_OVERFILLED',
      'trade:SELF_TRADE',
      'withdraw:NONCE_MISMATCH',
      'withdraw:INSUFFICIENT_COLLATERAL',
      'withdraw:INSUFFICIENT_MARGIN',
      'trade:INSUFFICIENT_MARGIN',
      'liquidate:NOT_LIQUIDATABLE',
      'withdraw:BAD_SIGNATURE',
      'cancel:BAD_SIGNATURE',
    ]) {
      expect(stats.circuitRefused.get(label) ?? 0, label).toBeGreaterThanOrEqual(1)
    }
    expect(stats.circuitRefused.get('trade:BAD_SIGNATURE')).toBe(3)
    for (const kind of ['liquidate', 'settle']) expect(stats.accepted.get(kind) ?? 0, kind).toBeGreaterThanOrEqual(1)
    for (const label of ['trade:UNKNOWN_ACCOUNT', 'trade:ORDER_CANCELLED', 'deposit:ACCOUNT_RESERVED', 'deposit:KEY_MISMATCH']) {
      expect(stats.refused.get(label) ?? 0, label).toBeGreaterThanOrEqual(1)
    }
  })

  it('random sequences of valid and invalid transactions (fast-check)', async () => {
    stats.batches = 0
    for (const m of [stats.accepted, stats.refused, stats.circuitRefused]) m.clear()
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 8 }), async (ops) => {
        await runHistory(ops)
      }),
      { numRuns: 25 },
    )
    const show = (m: Map<string, number>) => Object.fromEntries([...m].sort())
    console.log(
      `agreement (random runs): ${stats.batches} batches witnessed; accepted ${JSON.stringify(show(stats.accepted))}; ` +
        `refused ${JSON.stringify(show(stats.refused))}; refused by the circuit too ${JSON.stringify(show(stats.circuitRefused))}`,
    )
  })
})
