/**
 * The batch circuit (circuits/batch.circom, slot.circom, lib/) against the pure core.
 *
 * - Valid batches, built by `state/` exactly as the sequencer builds them, prove with real
 *   Groth16 proofs whose public signal is the core's `inputHash`.
 * - Every rule of docs/protocol.md is attacked by tampering a valid witness input (what a
 *   malicious prover controls) and the witness calculator must refuse it, at the constraint
 *   that states the rule; or, for values the circuit only binds through the public input
 *   (queue entries, the old root, published data), the tampered witness must produce an
 *   input hash other than the one L1 computes, so no proof of it can verify on L1.
 * - The r1cs itself (not only circom's compiled asserts) pins the witness: snarkjs
 *   `wtns.check` refuses flipped intermediate signals, and a scan finds no wire a prover
 *   could change alone except IsZero inverse hints and inputs that a slot's kind ignores.
 *
 * Needs the artifacts of TEST_PARAMS in build/test/ (`npm run build`).
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as snarkjs from 'snarkjs'
import { CANCELLED_FILLED, FEE_ACCOUNT_INDEX, TEST_PARAMS, TxType } from '../state/params.js'
import { RollupState } from '../state/rollupState.js'
import { applyBatch, applyTx, checkTx, type ApplyOptions } from '../state/batch.js'
import { buildWitnessInput, type WitnessInput } from '../state/witness.js'
import { dataHash, inputHash } from '../state/batchData.js'
import { emptyPositionsHash, emptySubtreeRoot } from '../state/leaves.js'
import type { BatchMarketTable } from '../state/marketTable.js'
import type { QuadProof } from '../state/quadMerkle.js'
import { freeCollateral } from '../state/margin.js'
import { depositEntry, forcedWithdrawalEntry } from '../state/queue.js'
import { signField } from '../state/eddsa.js'
import { cancelMessage, withdrawMessage } from '../state/messages.js'
import { tradeFee } from '../state/fees.js'
import { cancelTx, depositTx, order, signedOrder, testKey, testMarketTable, withdrawTx, type TestKey } from '../state/testing.js'
import type { BatchTrace, Signature, Tx } from '../state/types.js'
import { circuitPaths } from '../prover/paths.js'
import { proveBatch, type BatchProof, type SolidityProof } from '../prover/prove.js'
import { terminateCurves } from '../prover/curves.js'
import {
  checkWitness,
  readR1cs,
  readSymbols,
  readWire,
  readWitness,
  signalOf,
  sourceLine,
  unpinnedWires,
  withSignal,
  withWire,
  witnessOutcome,
  type FailureFrame,
  type R1cs,
  type Symbols,
  type WitnessOutcome,
} from './testing.js'

const P = TEST_PARAMS
const paths = circuitPaths(P)
const MAX_U64 = (1n << 64n) - 1n

afterAll(async () => {
  // snarkjs's bn128 worker threads would otherwise keep the test process alive.
  await terminateCurves()
})

// ---------------------------------------------------------------------------------------
// Building valid batches with the core
// ---------------------------------------------------------------------------------------

const key = (n: number): TestKey => testKey(n)

/**
 * A committed state whose accounts 1..n hold `collateral[i - 1]`, keys `testKey(i)`, with
 * `testMarketTable` (series 1 to 3 marked at 100) for the next batches.
 */
function stateWith(...collateral: bigint[]): RollupState {
  return stateUnder(testMarketTable(P), ...collateral)
}

/** As `stateWith`, under another market table. */
function stateUnder(table: BatchMarketTable, ...collateral: bigint[]): RollupState {
  const state = new RollupState(P)
  state.setMarketTable(table)
  collateral.forEach((c, i) => applyTx(state, depositTx(key(i + 1), BigInt(i + 1), c)))
  state.closeBatch()
  state.commit()
  return state
}

/** The input with its market table replaced (rows as the core lays them out). */
function withTable(input: WitnessInput, table: BatchMarketTable): WitnessInput {
  const rows = Array.from({ length: P.marketRows }, (_, r) => {
    const row = table.rows[r]
    return (row ? [row.seriesId, row.mark, row.shortMinimum, ...row.scenarioValues] : Array<bigint>(3 + P.scenarioCount).fill(0n)).map(String)
  })
  return { ...structuredClone(input), marketTable: rows }
}

/** The input with one lane of its market table changed. */
function withLane(input: WitnessInput, row: number, lane: number, value: bigint): WitnessInput {
  const copy = structuredClone(input)
  ;(copy.marketTable as string[][])[row]![lane] = value.toString()
  return copy
}

type TradeSpec = {
  buyer?: bigint
  seller?: bigint
  buyId?: bigint
  sellId?: bigint
  seriesId?: bigint
  size?: bigint
  buyLimit?: bigint
  sellLimit?: bigint
  fill?: bigint
  price?: bigint
  /** Who signs each order (default: the account's own key). */
  buyKey?: TestKey
  sellKey?: TestKey
}

/** A trade: buy limit 120, sell limit 100, size 10, fill 4 at 110, series 1, order ids 1. */
function tradeTx(s: TradeSpec = {}): Tx {
  const buyer = s.buyer ?? 1n
  const seller = s.seller ?? 2n
  const seriesId = s.seriesId ?? 1n
  const size = s.size ?? 10n
  return {
    type: TxType.trade,
    buy: signedOrder(s.buyKey ?? key(Number(buyer)), order({ accountIndex: buyer, orderId: s.buyId ?? 1n, side: 0, seriesId, size, limitPrice: s.buyLimit ?? 120n })),
    sell: signedOrder(s.sellKey ?? key(Number(seller)), order({ accountIndex: seller, orderId: s.sellId ?? 1n, side: 1, seriesId, size, limitPrice: s.sellLimit ?? 100n })),
    fill: s.fill ?? 4n,
    price: s.price ?? 110n,
  }
}

/** Applies txs that happened in earlier batches (whole batches, so that their fees are credited). */
function history(state: RollupState, ...txs: Tx[]): RollupState {
  for (let i = 0; i < txs.length; i += P.batchSize) applyBatch(state, txs.slice(i, i + P.batchSize))
  state.commit()
  return state
}

type Base = { readonly trace: BatchTrace; readonly input: WitnessInput }

/** A batch as the core builds it, and its witness input. */
function batch(state: RollupState, txs: Tx[], options: ApplyOptions = {}): Base {
  const trace = applyBatch(state, txs, options)
  return { trace, input: buildWitnessInput(trace, P) }
}

/**
 * Checks that the untampered input of a base is accepted, so that each negative test below
 * fails because of its one change and not because the base was already broken.
 */
async function accepted(base: Base): Promise<Base> {
  const outcome = await witnessOutcome(base.input, paths.wasm)
  if (!outcome.ok) throw new Error(`base batch refused: ${outcome.message}`)
  expect(outcome.inputHash).toBe(base.trace.inputHash)
  return base
}

/** Memoises an async builder (bases are shared by several tests, each checked once). */
function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined
  return () => (value ??= build())
}

// Slot 0: a trade between funded accounts 1 (buyer) and 2 (seller); slot 1: account 2 withdraws 500.
const tradeAndWithdraw = once(async () => {
  const state = stateWith(10_000n, 10_000n)
  return accepted(batch(state, [tradeTx(), withdrawTx(key(2), 2n, 0n, 500n)]))
})

// Two deposits that create accounts 1 and 2.
const twoDeposits = once(async () => accepted(batch(new RollupState(P), [depositTx(key(1), 1n, 1_000n), depositTx(key(2), 2n, 2_000n)])))

// Account 1 (near the collateral limit, 2^64 - 10) is credited 5 by its own key; slot 1 is a noop.
const credit = once(async () => accepted(batch(stateWith(MAX_U64 - 9n), [depositTx(key(1), 1n, 5n)])))

// Slot 0: account 1 cancels its partly filled order 1 (6 of 10 filled earlier); slot 1: a trade
// of its order 2 (slot 2) against account 2's order 1, which pays fees.
const cancelAndTrade = once(async () => {
  const state = history(stateWith(10_000n, 10_000n), tradeTx({ fill: 6n }))
  return accepted(batch(state, [cancelTx(key(1), 1n, 1n), tradeTx({ buyId: 2n, fill: 4n })]))
})

// ---------------------------------------------------------------------------------------
// Tamper helpers
// ---------------------------------------------------------------------------------------

const slotLine = (snippet: string): FailureFrame => ({ template: 'Slot', line: sourceLine('slot.circom', snippet) })
const libLine = (template: string, file: string, snippet: string): FailureFrame => ({ template, line: sourceLine(`lib/${file}`, snippet) })
/** A failure inside a circomlib template (its own lines are not ours to pin). */
const inside = (template: string): { template: string } => ({ template })

// Where each sub-component of a Slot is triggered (its last input assignment): a failure in
// that component reports this Slot line, which tells e.g. the buyer's check from the seller's.
const AT = {
  sigA: () => slotLine('sigA.M <== messageATrade + messageAWithdraw + messageACancel;'),
  sigB: () => slotLine('sigB.M <== sellMessage.out;'),
  slotA: () => slotLine('slotA.siblings[i] <== orderSlotASiblings[i]'),
  moveA: () => slotLine('moveA.before[i] <== positionsA[i];'),
  moveB: () => slotLine('moveB.before[i] <== positionsB[i];'),
  requireA: () => slotLine('requireA.values[k] <== marginA.checks[k];'),
  requireB: () => slotLine('requireB.values[k] <== marginB.checks[k];'),
  marginA: () => slotLine('marginA.table[j][l] <== table[j][l];'),
  marginB: () => slotLine('marginB.table[j][l] <== table[j][l];'),
  selectedSmall: () => slotLine('selectedSmall.in <== partialGate * (BPS_DENOMINATOR() - 1 - selected);'),
  selectedNegative: () => slotLine('selectedNegative.in <== (belowGate + isLiquidation) * (-1 - selected);'),
  table: () => ({ template: 'Batch', line: sourceLine('batch.circom', 'table.lanes[j][l] <== marketTable[j][l];') }),
  collateralA: () => slotLine('collateralA.in <== newA[4];'),
  collateralB: () => slotLine('collateralB.in <== newB[4];'),
  updateA: () => slotLine('updateA.siblings[l] <== accountASiblings[l];'),
  updateB: () => slotLine('updateB.siblings[l] <== accountBSiblings[l];'),
  feeUpdate: () => ({ template: 'Batch', line: sourceLine('batch.circom', 'feeUpdate.siblings[l] <== feeAccountSiblings[l];') }),
  feeCollateral: () => ({ template: 'Batch', line: sourceLine('batch.circom', 'feeCollateral.in <== newFeeAccount[4];') }),
  withinSize: () => libLine('OrderSlotFill', 'subtreeUpdates.circom', '(enabled - cancel) * (1 - withinSize.out) === 0;'),
  /** An order slot's old leaf is not under its account's orderSlotsRoot (binary MerkleUpdate). */
  merkleOldLeaf: () => libLine('MerkleUpdate', 'merkle.circom', 'enabled * (oldRoot.root - rootIn) === 0;'),
  /** An account's old leaf is not under the root it is proven against (the 4-ary accounts tree). */
  accountOldLeaf: () => libLine('QuadMerkleUpdate', 'quadMerkle.circom', 'enabled * (oldH[levels - 1].out - rootIn) === 0;'),
}

/** Asserts that the witness calculator refused the input, in every frame given. */
function expectRefused(outcome: WitnessOutcome, ...where: (FailureFrame | { template: string })[]): void {
  if (outcome.ok) throw new Error('the circuit accepted a tampered witness')
  expect(outcome.message).toMatch(/Assert Failed/)
  for (const w of where) {
    const found = outcome.frames.some((f) => f.template === w.template && (!('line' in w) || f.line === w.line))
    expect(found, `expected a failure at ${JSON.stringify(w)}; got ${JSON.stringify(outcome.frames)}`).toBe(true)
  }
}

/** Asserts that the input is satisfiable but proves a different public input than `trace`'s. */
function expectOtherPublicInput(outcome: WitnessOutcome, trace: BatchTrace): void {
  if (!outcome.ok) throw new Error(`expected a witness with another input hash, got a refusal: ${outcome.message}`)
  expect(outcome.inputHash).not.toBe(trace.inputHash)
}

/** The witness calculator's verdict on an input. */
const calculate = (input: WitnessInput): Promise<WitnessOutcome> => witnessOutcome(input, paths.wasm)

function withSignature(input: WitnessInput, which: 'A' | 'B', slot: number, sig: Signature): WitnessInput {
  let out = withSignal(input, `sig${which}R8x`, slot, sig.R8.x)
  out = withSignal(out, `sig${which}R8y`, slot, sig.R8.y)
  return withSignal(out, `sig${which}S`, slot, sig.S)
}

/**
 * The fee account is proven against the root after the last slot, so a witness tampered to
 * end at another root needs that root's fee-account leaf and path: those of `alt`, the batch
 * (built by the core) whose slots the tampered witness amounts to.
 */
function withFeePathOf(input: WitnessInput, alt: Base): WitnessInput {
  return { ...structuredClone(input), feeAccountFields: alt.input.feeAccountFields!, feeAccountSiblings: alt.input.feeAccountSiblings! }
}

function withRow(input: WitnessInput, name: string, slot: number, values: readonly bigint[]): WitnessInput {
  return values.reduce((acc, v, i) => withSignal(acc, name, slot, v, i), input)
}

/** `name[slot]` replaced by a whole account path: `[levels][3]` sibling triples (state/quadMerkle.ts). */
function withPath(input: WitnessInput, name: string, slot: number, proof: QuadProof): WitnessInput {
  return proof.reduce((acc, row, l) => row.reduce((inner, v, k) => withSignal(inner, name, slot, v, [l, k]), acc), input)
}

// ---------------------------------------------------------------------------------------
// Happy paths: real proofs
// ---------------------------------------------------------------------------------------

function fromSolidityProof(p: SolidityProof): object {
  // Inverse of prover/prove.ts toSolidityProof: snarkjs's affine JSON form.
  const s = (v: bigint) => v.toString()
  return {
    protocol: 'groth16',
    curve: 'bn128',
    pi_a: [s(p.a[0]), s(p.a[1]), '1'],
    pi_b: [
      [s(p.b[0][1]), s(p.b[0][0])],
      [s(p.b[1][1]), s(p.b[1][0])],
      ['1', '0'],
    ],
    pi_c: [s(p.c[0]), s(p.c[1]), '1'],
  }
}

const tradeProof = once(async (): Promise<BatchProof> => proveBatch((await tradeAndWithdraw()).trace, P))
const cancelProof = once(async (): Promise<BatchProof> => proveBatch((await cancelAndTrade()).trace, P))

describe('batch circuit: valid batches prove (real Groth16, verified locally)', () => {
  it('two deposits that create accounts 1 and 2', async () => {
    const { trace } = await twoDeposits()
    expect(trace.slots.map((s) => s.tx.type)).toEqual([TxType.deposit, TxType.deposit])
    expect(trace.slots[0]!.accountA?.before.pubKey).toEqual({ x: 0n, y: 0n })
    const proof = await proveBatch(trace, P)
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it('a trade between two funded accounts plus a withdrawal', async () => {
    const { trace } = await tradeAndWithdraw()
    const proof = await tradeProof()
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it("a cancel and a trade; the trade's fees are credited to the fee account at the end", async () => {
    const { trace } = await cancelAndTrade()
    expect(trace.slots.map((s) => s.tx.type)).toEqual([TxType.cancel, TxType.trade])
    expect(trace.feeCredit.amount).toBe(2n * tradeFee(P, 110n, 4n))
    expect(trace.feeCredit.account.index).toBe(BigInt(FEE_ACCOUNT_INDEX))
    const proof = await cancelProof()
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it('an empty batch (every slot a noop) proves the unchanged root', async () => {
    const state = stateWith(10_000n)
    const { trace } = await accepted(batch(state, []))
    expect(trace.newRoot).toBe(trace.oldRoot)
    const proof = await proveBatch(trace, P)
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it('a valid proof fails groth16.verify for any other public input (a changed hash or published data element)', async () => {
    const { trace } = await tradeAndWithdraw()
    const proof = fromSolidityProof((await tradeProof()).proof)
    const vkey = JSON.parse(readFileSync(paths.vkey, 'utf8'))
    const verify = (publicInput: bigint) => snarkjs.groth16.verify(vkey, [publicInput.toString()], proof) as Promise<boolean>
    const withData = (i: number, value: bigint) => {
      const data = trace.data.map((d, j) => (j === i ? value : d))
      return inputHash(trace.oldRoot, trace.newRoot, trace.queueHashBefore, trace.queueHashAfter, dataHash(data, trace.marketTableHash))
    }
    expect(await verify(trace.inputHash)).toBe(true)
    expect(await verify(trace.inputHash + 1n)).toBe(false)
    // L1 hashes the calldata itself: the withdrawal's recipient (e2 of slot 1) redirected,
    // or its amount (bits 36.. of e1) raised, gives another dataHash and no valid proof.
    expect(await verify(withData(3, key(9).l1Address))).toBe(false)
    expect(await verify(withData(2, trace.data[2]! + (1n << 36n)))).toBe(false)
    // Another root or queue range also changes the public input.
    expect(await verify(inputHash(trace.oldRoot, trace.oldRoot, trace.queueHashBefore, trace.queueHashAfter, trace.dataHash))).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------
// Trades
// ---------------------------------------------------------------------------------------

describe('batch circuit: trade rules', () => {
  it('refuses a buy order signed with another key', async () => {
    // The core refuses it (BAD_SIGNATURE); skip its check to get the trace a cheat would build.
    const base = batch(stateWith(10_000n, 10_000n), [tradeTx({ buyKey: key(9) })], { verifySignatures: false })
    expectRefused(await calculate(base.input), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('refuses a sell order signed with another key', async () => {
    const base = batch(stateWith(10_000n, 10_000n), [tradeTx({ sellKey: key(9) })], { verifySignatures: false })
    expectRefused(await calculate(base.input), inside('EdDSAPoseidonVerifier'), AT.sigB())
  })

  it('refuses a buy limit raised after signing (the signature binds the limit)', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'buyLimitPrice', 0, 200n)), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it("refuses a seller's buy order used as its sell order (the side is signed)", async () => {
    const { input } = await tradeAndWithdraw()
    const asBuy = signedOrder(key(2), order({ accountIndex: 2n, orderId: 1n, side: 0, limitPrice: 100n }))
    expectRefused(await calculate(withSignature(input, 'B', 0, asBuy.signature)), inside('EdDSAPoseidonVerifier'), AT.sigB())
  })

  it('refuses a fill larger than the order size', async () => {
    // Orders of size 10; the core refuses fill 11 (ORDER_OVERFILLED), so tamper the witness.
    const { input } = await tradeAndWithdraw()
    const outcome = await calculate(withSignal(input, 'fill', 0, 11n))
    expectRefused(outcome, AT.withinSize(), AT.slotA())
  })

  const partlyFilled = once(async () => {
    // Both orders (id 1, size 10) already filled 6 in an earlier batch; this batch fills the last 4.
    const state = history(stateWith(10_000n, 10_000n), tradeTx({ fill: 6n }))
    return accepted(batch(state, [tradeTx({ fill: 4n })]))
  })

  it('refuses a fill beyond what is left of a partly filled order', async () => {
    const { input } = await partlyFilled()
    expect(signalOf(input, 'orderSlotAOld', 0, 1)).toBe(6n)
    expectRefused(
      await calculate(withSignal(input, 'fill', 0, 5n)),
      AT.withinSize(),
      AT.slotA(),
    )
  })

  it("refuses hiding an order's earlier fills (the order slot is a Merkle leaf)", async () => {
    const { input } = await partlyFilled()
    // Claim the slot was unused so that 10 more could be filled.
    const tampered = withSignal(withSignal(withSignal(input, 'orderSlotAOld', 0, 0n, 0), 'orderSlotAOld', 0, 0n, 1), 'fill', 0, 10n)
    expectRefused(await calculate(tampered), AT.merkleOldLeaf(), inside('OrderSlotFill'), AT.slotA())
  })

  it('refuses to fill an order whose slot a newer order id has retired', async () => {
    // Account 1's slot 1 holds order 5 (5 mod 4 = 1); order 9 now uses it legitimately.
    const state = history(stateWith(10_000n, 10_000n), tradeTx({ buyId: 5n, sellId: 5n, fill: 1n }))
    const { input } = await accepted(batch(state, [tradeTx({ buyId: 9n, sellId: 9n, fill: 1n })]))
    // The owner once signed order 1 (same slot): replaying it must fail, as 1 < 5.
    const old = signedOrder(key(1), order({ accountIndex: 1n, orderId: 1n, side: 0, limitPrice: 120n }))
    const tampered = withSignature(withSignal(input, 'buyOrderId', 0, 1n), 'A', 0, old.signature)
    expectRefused(await calculate(tampered), libLine('OrderSlotFill', 'subtreeUpdates.circom', 'enabled * neither === 0;'), AT.slotA())
  })

  it("refuses a price above the buyer's limit", async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'price', 0, 121n)), slotLine('isTrade * (1 - buyLimitOk.out) === 0;'))
  })

  it("refuses a price below the seller's limit", async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'price', 0, 99n)), slotLine('isTrade * (1 - sellLimitOk.out) === 0;'))
  })

  it('refuses a zero fill', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'fill', 0, 0n)), slotLine('(movesPositions + isSettlement) * fillZero.out === 0;'))
  })

  it('refuses a trade of an account with itself', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'accountB', 0, 1n)), slotLine('isTrade * sameAccount.out === 0;'))
  })

  it("refuses a misstated seller account (proven against the root after the buyer's update)", async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'accountBFields', 0, 1_000_000n, 4)), AT.accountOldLeaf(), AT.updateB())
  })

  it('refuses series 0', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'seriesId', 0, 0n)), slotLine('(movesPositions + isSettlement) * seriesZero.out === 0;'))
  })

  it("refuses a premium larger than the buyer's collateral", async () => {
    // Buyer holds exactly the premium 4 * 110 plus the fee 2; one more per unit (within the limit 120) overdraws.
    const { input } = await accepted(batch(stateWith(442n, 10_000n), [tradeTx()]))
    expectRefused(await calculate(withSignal(input, 'price', 0, 111n)), inside('Num2Bits'), AT.collateralA())
  })

  it("refuses a premium that overflows the seller's collateral (2^64)", async () => {
    // The seller ends at exactly 2^64 - 1 (premium 440 less the fee 2); price 111 takes it past.
    const { input } = await accepted(batch(stateWith(10_000n, MAX_U64 - 438n), [tradeTx()]))
    expectRefused(await calculate(withSignal(input, 'price', 0, 111n)), inside('Num2Bits'), AT.collateralB())
  })

  it('refuses a position index that holds another series', async () => {
    // Account 1 holds series 1 in slot 0; a series-2 trade goes to its empty slot 1.
    const state = history(stateWith(10_000n, 10_000n), tradeTx())
    const { input } = await accepted(batch(state, [tradeTx({ seriesId: 2n, buyId: 2n, sellId: 2n })]))
    expect(signalOf(input, 'positionA', 0)).toBe(1n)
    expectRefused(await calculate(withSignal(input, 'positionA', 0, 0n)), libLine('PositionSlotMove', 'positions.circom', 'enabled * conflict === 0;'), AT.moveA())
  })

  it('refuses opening a second slot for a series the account holds (one slot per series)', async () => {
    // Account 1 holds series 1 in slot 0 and buys more of it: the core names slot 0.
    const state = history(stateWith(10_000n, 10_000n), tradeTx())
    const { input } = await accepted(batch(state, [tradeTx({ buyId: 2n, sellId: 2n })]))
    expect(signalOf(input, 'positionA', 0)).toBe(0n)
    expectRefused(await calculate(withSignal(input, 'positionA', 0, 1n)), libLine('PositionSlotMove', 'positions.circom', 'opens * holders === 0;'), AT.moveA())
  })

  it('refuses a position index outside the position slots', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'positionA', 0, BigInt(P.positionSlots))), libLine('PositionSlotMove', 'positions.circom', 'enabled * (1 - hit) === 0;'), AT.moveA())
  })

  it("refuses misstated positions (an account's slots are bound by its positionsHash)", async () => {
    // Slot 1 of cancelAndTrade: account 2, short 6 from an earlier batch, sells 4 more.
    const { input } = await cancelAndTrade()
    expect(signalOf(input, 'positionsB', 1, [0, 1])).not.toBe(0n)
    expectRefused(await calculate(withSignal(input, 'positionsB', 1, 0n, [0, 1])), slotLine('movesPositions * (heldB.out - accountBFields[5]) === 0;'))
  })

  // Account 1 long 2^63 - 2 and account 2 short as much, at price 0 (orders of size 2^64 - 1),
  // under a table that values everything at 0 (so that margin allows any size).
  const nearLimit = () =>
    history(stateUnder(testMarketTable(P, [1n, 2n, 3n], 0n, 0n), 10_000n, 10_000n, 10_000n), tradeTx({ size: MAX_U64, fill: (1n << 63n) - 2n, price: 0n, sellLimit: 0n }))

  it('refuses a long position of 2^63', async () => {
    // Account 1 buys 1 more from account 3 (reaching 2^63 - 1, the largest); 2 would reach 2^63.
    const state = nearLimit()
    const { input } = await accepted(batch(state, [tradeTx({ buyer: 1n, seller: 3n, buyId: 2n, size: MAX_U64, fill: 1n, price: 0n, sellLimit: 0n })]))
    expectRefused(await calculate(withSignal(input, 'fill', 0, 2n)), inside('Num2Bits'), inside('PositionSlotMove'), AT.moveA())
  })

  /**
   * The seller's side of a trade with another fill cannot be reached by tampering `fill`
   * alone: the seller's account is proven against the root after the buyer's update, which
   * the fill changes. This redoes the buyer's update on `state` (the state before the batch)
   * and returns the input with that fill and the seller's matching Merkle path.
   */
  function withFill(state: RollupState, base: Base, fill: bigint): WitnessInput {
    const slot = base.trace.slots[0]!
    if (slot.tx.type !== TxType.trade) throw new Error('slot 0 is not a trade')
    const { buy, price } = slot.tx
    const a = buy.order.accountIndex
    const index = slot.positionsA!.index!
    const size = state.position(a, index).size + fill
    const positionsHash = state.setPosition(a, index, size === 0n ? { seriesId: 0n, size: 0n } : { seriesId: buy.order.seriesId, size })
    const held = state.orderSlot(a, slot.orderSlotA!.index)
    const filled = (held.orderId === buy.order.orderId ? held.filled : 0n) + fill
    const orderSlotsRoot = state.setOrderSlot(a, slot.orderSlotA!.index, { orderId: buy.order.orderId, filled })
    const before = state.account(a)
    state.setAccount(a, { ...before, collateral: before.collateral - price * fill - tradeFee(P, price, fill), positionsHash, orderSlotsRoot })
    return withPath(withSignal(base.input, 'fill', 0, fill), 'accountBSiblings', 0, state.accountProof(slot.accountB!.index))
  }

  // Account 2 sells 1 more to account 3, reaching -(2^63 - 1), the largest short the protocol allows.
  const shortSale = (fill: bigint) => tradeTx({ buyer: 3n, seller: 2n, sellId: 2n, size: MAX_U64, fill, price: 0n, sellLimit: 0n })

  it('(control) a hand-made seller-side fill reproduces the core\'s witness exactly', async () => {
    const base = await accepted(batch(nearLimit(), [shortSale(1n)]))
    expect(withFill(nearLimit(), base, 1n)).toEqual(base.input)
  })

  it('refuses a short position beyond -2^63', async () => {
    const base = await accepted(batch(nearLimit(), [shortSale(1n)]))
    expectRefused(await calculate(withFill(nearLimit(), base, 3n)), inside('Num2Bits'), inside('PositionSlotMove'), AT.moveB())
  })

  // PositionMove once admitted newSize = -2^63 (its range check is [-2^63, 2^63)); the
  // protocol and the core refuse it, and the core could not replay such a batch from L1.
  it('refuses a short position of exactly -2^63', async () => {
    const base = await accepted(batch(nearLimit(), [shortSale(1n)]))
    expect(checkTx(nearLimit(), shortSale(2n))?.code).toBe('POSITION_TOO_LARGE')
    expectRefused(await calculate(withFill(nearLimit(), base, 2n)), inside('PositionSlotMove'), AT.moveB())
  })
})

// ---------------------------------------------------------------------------------------
// Withdrawals (slot 1 of tradeAndWithdraw: account 2 withdraws 500 with nonce 0)
// ---------------------------------------------------------------------------------------

describe('batch circuit: withdraw rules', () => {
  it('refuses a withdrawal signed with another key', async () => {
    const base = batch(stateWith(10_000n, 10_000n), [withdrawTx(key(9), 2n, 0n, 500n)], { verifySignatures: false })
    expectRefused(await calculate(base.input), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('refuses a withdrawal amount changed after signing', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'amount', 1, 600n)), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('refuses a replayed withdrawal (the nonce it signed is used up)', async () => {
    // Account 2 withdrew 500 with nonce 0 earlier; its nonce is 1 now.
    const state = history(stateWith(10_000n, 10_000n), withdrawTx(key(2), 2n, 0n, 500n))
    const { input } = await accepted(batch(state, [withdrawTx(key(2), 2n, 1n, 500n)]))
    expect(signalOf(input, 'accountAFields', 0, 3)).toBe(1n)
    const replay = signField(key(2).privateKey, withdrawMessage(2n, 0n, 500n))
    expectRefused(await calculate(withSignature(input, 'A', 0, replay)), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('refuses a withdrawal of more than the collateral, even when the owner signed it', async () => {
    const { input } = await accepted(batch(stateWith(10_000n, 10_000n), [withdrawTx(key(2), 2n, 0n, 500n)]))
    const signed = signField(key(2).privateKey, withdrawMessage(2n, 0n, 10_001n))
    const tampered = withSignature(withSignal(input, 'amount', 0, 10_001n), 'A', 0, signed)
    expectRefused(await calculate(tampered), inside('Num2Bits'), AT.collateralA())
  })

  it("refuses a withdrawal from an account whose nonce is misstated", async () => {
    // A correct signature for nonce 5 does not help: the nonce is a field of the proven leaf.
    const { input } = await tradeAndWithdraw()
    const signed = signField(key(2).privateKey, withdrawMessage(2n, 5n, 500n))
    const tampered = withSignature(withSignal(input, 'accountAFields', 1, 5n, 3), 'A', 1, signed)
    expectRefused(await calculate(tampered), AT.accountOldLeaf(), AT.updateA())
  })

  it("refuses paying a withdrawal to an address other than the account's", async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'accountAFields', 1, key(9).l1Address, 2)), AT.accountOldLeaf(), AT.updateA())
  })

  it('publishes the account’s own address whatever the unused l1Address signal says', async () => {
    // l1Address is a queue field; a withdraw ignores it, so the data (and input hash) stay.
    const { input, trace } = await tradeAndWithdraw()
    const outcome = await calculate(withSignal(input, 'l1Address', 1, key(9).l1Address))
    expect(outcome.ok && outcome.inputHash).toBe(trace.inputHash)
  })
})

// ---------------------------------------------------------------------------------------
// Cancels (slot 0 of cancelAndTrade: account 1 cancels its order 1, slot 1 of its order slots)
// ---------------------------------------------------------------------------------------

describe('batch circuit: cancel rules', () => {
  it('writes (orderId, 2^64 - 1) into the order slot', async () => {
    const { trace } = await cancelAndTrade()
    expect(trace.slots[0]!.orderSlotA?.before).toEqual({ orderId: 1n, filled: 6n })
    expect(trace.slots[0]!.orderSlotA?.after).toEqual({ orderId: 1n, filled: CANCELLED_FILLED })
  })

  it('refuses a cancel signed with another key (forged)', async () => {
    const base = batch(stateWith(10_000n, 10_000n), [cancelTx(key(9), 1n, 1n)], { verifySignatures: false })
    expectRefused(await calculate(base.input), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it("refuses a cancel of another account's order (signed by account 1 for account 2)", async () => {
    const base = batch(stateWith(10_000n, 10_000n), [cancelTx(key(1), 2n, 1n)], { verifySignatures: false })
    expectRefused(await calculate(base.input), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it("refuses moving an account's own cancel onto another account (the account index is signed)", async () => {
    // Account 1's valid cancel of order 1, pointed at account 2 with account 2's correct leaf and path.
    const state = stateWith(10_000n, 10_000n)
    const other = state.account(2n)
    const fields = [other.pubKey.x, other.pubKey.y, other.l1Address, other.nonce, other.collateral, other.positionsHash, other.orderSlotsRoot]
    const { input } = await accepted(batch(stateWith(10_000n, 10_000n), [cancelTx(key(1), 1n, 1n)]))
    let tampered = withSignal(input, 'accountA', 0, 2n)
    tampered = withRow(tampered, 'accountAFields', 0, fields)
    tampered = withPath(tampered, 'accountASiblings', 0, state.accountProof(2n))
    expectRefused(await calculate(tampered), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('refuses a trade of a cancelled order (its slot is full: 2^64 - 1 filled)', async () => {
    // A valid trade of account 1's order 2 in the batch after the cancel; the owner once signed
    // order 1 (cancelled): filling it instead, with its slot's true leaf and path, must fail.
    const state = history(stateWith(10_000n, 10_000n), tradeTx({ fill: 6n }), cancelTx(key(1), 1n, 1n))
    expect(state.orderSlot(1n, 1n)).toEqual({ orderId: 1n, filled: CANCELLED_FILLED })
    const slotSiblings = state.orderSlotProof(1n, 1n)
    const { input } = await accepted(batch(state, [tradeTx({ buyId: 2n, sellId: 2n, fill: 1n })]))
    const cancelled = signedOrder(key(1), order({ accountIndex: 1n, orderId: 1n, side: 0, limitPrice: 120n }))
    let tampered = withSignature(withSignal(input, 'buyOrderId', 0, 1n), 'A', 0, cancelled.signature)
    tampered = withRow(tampered, 'orderSlotAOld', 0, [1n, CANCELLED_FILLED])
    tampered = withRow(tampered, 'orderSlotASiblings', 0, slotSiblings)
    expectRefused(await calculate(tampered), AT.withinSize(), AT.slotA())
  })

  it('refuses a tampered order id (the signature binds the id that is published and bumped)', async () => {
    const { input } = await cancelAndTrade()
    expectRefused(await calculate(withSignal(input, 'buyOrderId', 0, 5n)), inside('EdDSAPoseidonVerifier'), AT.sigA())
  })

  it('binds the published order id: L1 data naming another order does not verify', async () => {
    // The contract hashes the calldata itself; the proof of "cancel order 1" does not verify
    // against data that says order 5 (same slot), nor against data that drops the cancel.
    const { trace } = await cancelAndTrade()
    const proof = fromSolidityProof((await cancelProof()).proof)
    const vkey = JSON.parse(readFileSync(paths.vkey, 'utf8'))
    const withE1 = (e1: bigint) => {
      const data = trace.data.map((d, j) => (j === 0 ? e1 : d))
      return inputHash(trace.oldRoot, trace.newRoot, trace.queueHashBefore, trace.queueHashAfter, dataHash(data, trace.marketTableHash))
    }
    const verify = (publicInput: bigint) => snarkjs.groth16.verify(vkey, [publicInput.toString()], proof) as Promise<boolean>
    expect(trace.data[0]).toBe(BigInt(TxType.cancel) + (1n << 4n) + (1n << 36n))
    expect(await verify(trace.inputHash)).toBe(true)
    expect(await verify(withE1(BigInt(TxType.cancel) + (1n << 4n) + (5n << 36n)))).toBe(false)
    expect(await verify(withE1(0n))).toBe(false)
  })

  it('refuses a cancel of an order whose slot a newer order id holds', async () => {
    // Account 1's slot 1 holds order 5; cancelling order 1 (signed) is refused by the slot rule.
    const state = history(stateWith(10_000n, 10_000n), tradeTx({ buyId: 5n, sellId: 5n, fill: 1n }))
    const { input } = await accepted(batch(state, [cancelTx(key(1), 1n, 9n)]))
    const one = signField(key(1).privateKey, cancelMessage(1n, 1n))
    const tampered = withSignature(withSignal(input, 'buyOrderId', 0, 1n), 'A', 0, one)
    expectRefused(await calculate(tampered), libLine('OrderSlotFill', 'subtreeUpdates.circom', 'enabled * neither === 0;'), AT.slotA())
  })

  it('refuses a cancel of order id 0', async () => {
    const { input } = await accepted(batch(stateWith(10_000n), [cancelTx(key(1), 1n, 4n)]))
    const zero = signField(key(1).privateKey, cancelMessage(1n, 0n))
    const tampered = withSignature(withSignal(input, 'buyOrderId', 0, 0n), 'A', 0, zero)
    expectRefused(await calculate(tampered), libLine('OrderSlotFill', 'subtreeUpdates.circom', 'enabled * idIsZero.out === 0;'), AT.slotA())
  })
})

// ---------------------------------------------------------------------------------------
// Fees
// ---------------------------------------------------------------------------------------

describe('batch circuit: fee rules', () => {
  /** The same trade built by a core that charges no fee: what a prover leaving fees out would prove. */
  const feeless = (collateral: bigint) => {
    const state = new RollupState({ ...P, feeBps: 0 })
    state.setMarketTable(testMarketTable(P))
    ;[collateral, 10_000n].forEach((c, i) => applyTx(state, depositTx(key(i + 1), BigInt(i + 1), c)))
    state.closeBatch()
    state.commit()
    return batch(state, [tradeTx()])
  }

  it('refuses a buyer who has the premium but not the fee', async () => {
    // 440 pays the premium 4 * 110 but not the fee 2.
    expectRefused(await calculate(feeless(440n).input), inside('Num2Bits'), AT.collateralA())
  })

  it('refuses a trade that leaves the fee out (the circuit computes it)', async () => {
    // The buyer can pay it, so the slot goes on with its own (fee-paying) balance: the seller's
    // path from the fee-less core no longer matches.
    expectRefused(await calculate(feeless(10_000n).input), AT.accountOldLeaf(), AT.updateB())
  })

  it('refuses a misstated fee account (its leaf is proven against the root after the last slot)', async () => {
    const { input } = await cancelAndTrade()
    const tampered = structuredClone(input)
    ;(tampered.feeAccountFields as string[])[4] = '1000'
    expectRefused(await calculate(tampered), AT.accountOldLeaf(), AT.feeUpdate())
  })

  it('refuses a fee credit that takes the fee account to 2^64', async () => {
    const { input } = await cancelAndTrade()
    const tampered = structuredClone(input)
    // Fees of 4 on a claimed 2^64 - 4: the range check fires before the Merkle proof.
    ;(tampered.feeAccountFields as string[])[4] = (MAX_U64 - 3n).toString()
    expectRefused(await calculate(tampered), inside('Num2Bits'), AT.feeCollateral())
  })

  it('credits the fee account even when a batch has no trade (an unchanged leaf, proven)', async () => {
    const { trace } = await tradeAndWithdraw()
    expect(trace.feeCredit.amount).toBe(4n)
    const noTrade = await accepted(batch(stateWith(10_000n), [withdrawTx(key(1), 1n, 0n, 1n)]))
    expect(noTrade.trace.feeCredit.amount).toBe(0n)
    const tampered = structuredClone(noTrade.input)
    ;(tampered.feeAccountSiblings as string[][])[0]![0] = '7'
    expectRefused(await calculate(tampered), AT.accountOldLeaf(), AT.feeUpdate())
  })
})

// ---------------------------------------------------------------------------------------
// Deposits
// ---------------------------------------------------------------------------------------

describe('batch circuit: deposit rules', () => {
  it('binds the deposited amount to the L1 queue (another amount, another public input)', async () => {
    const { input, trace } = await twoDeposits()
    // Slot 1, the last: a change in slot 0 would already break slot 1's Merkle proof. The
    // witness then proves a deposit of 1_000_000 from a queue entry L1 does not have.
    const alt = batch(new RollupState(P), [depositTx(key(1), 1n, 1_000n), depositTx(key(2), 2n, 1_000_000n)])
    const outcome = await calculate(withFeePathOf(withSignal(input, 'amount', 1, 1_000_000n), alt))
    expectOtherPublicInput(outcome, trace)
    expect(outcome.ok && outcome.inputHash).toBe(alt.trace.inputHash)
  })

  it('binds the new account’s key to the L1 queue entry', async () => {
    const { input, trace } = await twoDeposits()
    const entry = depositEntry(key(2).l1Address, { x: key(9).pubKey.x, y: key(2).pubKey.y }, 2_000n)
    const alt = batch(new RollupState(P), [depositTx(key(1), 1n, 1_000n), { type: TxType.deposit, accountIndex: 2n, entry }])
    const outcome = await calculate(withFeePathOf(withSignal(input, 'entryPubKeyX', 1, key(9).pubKey.x), alt))
    expectOtherPublicInput(outcome, trace)
    expect(outcome.ok && outcome.inputHash).toBe(alt.trace.inputHash)
  })

  it('refuses a deposit into account 0 (the insurance fund and fee account)', async () => {
    // Creating account 0 under a user key would hand that user every fee credited to it.
    const { input } = await twoDeposits()
    const state = new RollupState(P)
    const tampered = withPath(withSignal(input, 'accountA', 0, 0n), 'accountASiblings', 0, state.accountProof(0n))
    expectRefused(await calculate(tampered), slotLine('isDeposit * aIsZero.out === 0;'))
  })

  it('refuses creating an account that is not empty', async () => {
    const { input } = await twoDeposits()
    expectRefused(await calculate(withSignal(input, 'accountAFields', 0, 5n, 4)), slotLine('creates * accountAFields[4] === 0;'))
  })

  it("refuses crediting another key's deposit to an existing account", async () => {
    // The queue entry of key 9 credited to account 1 (key 1): the core says KEY_MISMATCH.
    const { input } = await credit()
    let tampered = withSignal(input, 'entryPubKeyX', 0, key(9).pubKey.x)
    tampered = withSignal(tampered, 'entryPubKeyY', 0, key(9).pubKey.y)
    tampered = withSignal(tampered, 'l1Address', 0, key(9).l1Address)
    expectRefused(await calculate(tampered), slotLine('credits * (accountAFields[0] - entryPubKeyX) === 0;'))
  })

  it("refuses crediting a deposit from another L1 address to an existing account", async () => {
    const { input } = await credit()
    expectRefused(await calculate(withSignal(input, 'l1Address', 0, key(9).l1Address)), slotLine('credits * (accountAFields[2] - l1Address) === 0;'))
  })

  it('refuses re-creating an existing account under a new key (claiming it is empty)', async () => {
    const { input } = await credit()
    const empty = [0n, 0n, 0n, 0n, 0n, emptyPositionsHash(P), emptySubtreeRoot(P.orderSlotsDepth)]
    let tampered = withRow(input, 'accountAFields', 0, empty)
    tampered = withSignal(tampered, 'entryPubKeyX', 0, key(9).pubKey.x)
    tampered = withSignal(tampered, 'entryPubKeyY', 0, key(9).pubKey.y)
    expectRefused(await calculate(tampered), AT.accountOldLeaf(), AT.updateA())
  })

  it('refuses a deposit that takes the collateral to 2^64', async () => {
    // 2^64 - 10 + 5 is fine; + 10 is not.
    const { input } = await credit()
    expectRefused(await calculate(withSignal(input, 'amount', 0, 10n)), inside('Num2Bits'), AT.collateralA())
  })
})

// ---------------------------------------------------------------------------------------
// Forced withdrawals
// ---------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------
// Margin under the batch's market table
// ---------------------------------------------------------------------------------------

// Marks of 5000 with scenario values from 0 to 10000: account 2's short of 4 (collateral
// about 10,400) then loses 20,000 in the worst scenario and falls below initial margin.
const VOLATILE = testMarketTable(P, [1n, 2n, 3n], 5_000n, 5_000n)
// Marks of 20000 (values 0 to 40000): account 1's long of 4 is worth 80,000 and may lose all
// of it, so 1.25 x 80,000 exceeds its equity: the buyer is below initial margin.
const RICH_MARKS = testMarketTable(P, [1n, 2n, 3n], 20_000n, 20_000n)

describe('batch circuit: margin rules', () => {
  it('refuses a trade that leaves the seller below initial margin under the batch table', async () => {
    const { input, trace } = await tradeAndWithdraw()
    expect(checkTx(stateUnder(VOLATILE, 10_000n, 10_000n), (trace.slots[0]!.tx))?.code).toBe('INSUFFICIENT_MARGIN')
    expectRefused(await calculate(withTable(input, VOLATILE)), inside('NonNegativeWhen'), AT.requireB())
  })

  it('refuses a trade that leaves the buyer below initial margin under the batch table', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withTable(input, RICH_MARKS)), inside('NonNegativeWhen'), AT.requireA())
  })

  it('refuses a withdrawal that leaves an open short below initial margin', async () => {
    const state = history(stateWith(10_000n, 10_000n), tradeTx())
    const { input } = await accepted(batch(state, [withdrawTx(key(2), 2n, 0n, 500n)]))
    expectRefused(await calculate(withTable(input, VOLATILE)), inside('NonNegativeWhen'), AT.requireA())
  })

  it("refuses valuing a position with another series' row", async () => {
    // After slot 0 the buyer holds series 1 (row 0) in slot 0; point it at row 1 (series 2).
    const { input } = await tradeAndWithdraw()
    let tampered = withSignal(input, 'rowSelectA', 0, 0n, [0, 0])
    tampered = withSignal(tampered, 'rowSelectA', 0, 1n, [0, 1])
    expectRefused(await calculate(tampered), libLine('MarginChecks', 'margin.circom', 'positions[i][1] * (positions[i][0] - series) === 0;'), AT.marginA())
  })

  it('refuses a row selection that is not one-hot (a position valued at zero)', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'rowSelectB', 0, 0n, [0, 0])), libLine('MarginChecks', 'margin.circom', 'ones === 1;'), AT.marginB())
  })

  it('refuses a short position passed off as long (no short minimum)', async () => {
    const { input } = await tradeAndWithdraw()
    expect(signalOf(input, 'isShortB', 0, 0)).toBe(1n)
    expectRefused(await calculate(withSignal(input, 'isShortB', 0, 0n, 0)), inside('Num2Bits'), inside('MarginChecks'), AT.marginB())
  })

  it('binds the market table through the public input (a row no position uses)', async () => {
    const { input, trace } = await tradeAndWithdraw()
    // Row 2 is series 3, which no account holds: the witness stays valid, the hash changes.
    expectOtherPublicInput(await calculate(withLane(input, 2, 1, 101n)), trace)
  })

  it.each([
    ['a lane of 2^48', (i: WitnessInput) => withLane(i, 2, 4, 1n << 48n), inside('Num2Bits')],
    ['a value in an unused row', (i: WitnessInput) => withLane(i, 3, 1, 5n), libLine('MarketTable', 'margin.circom', 'for (var l = 1; l < L; l++) unused[j].out * lanes[j][l] === 0;')],
    ['a used row after an unused one', (i: WitnessInput) => withLane(withTable(i, testMarketTable(P, [1n, 2n])), 3, 0, 9n), libLine('MarketTable', 'margin.circom', 'unused[j].out * (1 - unused[j + 1].out) === 0;')],
    ['a repeated series id (two rows for one series)', (i: WitnessInput) => withLane(i, 2, 0, 2n), libLine('MarketTable', 'margin.circom', '(1 - unused[j + 1].out) * (1 - increasing[j].out) === 0;')],
  ] as const)('refuses a market table with %s', async (_, tamper, where) => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(tamper(input)), where, AT.table())
  })
})

// ---------------------------------------------------------------------------------------
// Liquidations
// ---------------------------------------------------------------------------------------

const liquidationTx = (accountIndex: bigint, seriesId: bigint, size: bigint): Tx => ({ type: TxType.liquidation, accountIndex, seriesId, size })

// Account 1: short 10 of series 1 and long 10 of series 2 (against account 2, under the
// calm table); then series 1's scenarios blow up (values 0 to 1950) and it falls below
// maintenance. Slot 0 hands one unit of its short to the fund (it pays 100 and the penalty
// 5), slot 1 one unit of its long (the fund pays 100 less 5).
const SHORT_BLOWS_UP: BatchMarketTable = {
  rows: testMarketTable(P).rows.map((r) => (r.seriesId === 1n ? { ...r, scenarioValues: r.scenarioValues.map((_, k) => BigInt(k) * 75n) } : r)),
}
const liquidated = once(async () => {
  const state = history(stateWith(10_000n, 10_000n), tradeTx({ buyer: 2n, seller: 1n, fill: 10n, price: 100n }), tradeTx({ seriesId: 2n, buyId: 2n, sellId: 2n, fill: 10n, price: 100n }))
  state.setMarketTable(SHORT_BLOWS_UP)
  return accepted(batch(state, [liquidationTx(1n, 1n, -1n), liquidationTx(1n, 2n, 1n)]))
})
// Account 2 (330 of its own) sold 10 at 100; at marks of 1000 it owes 10 500 for them and has 1 327.
const bankruptcy = once(async () => {
  const state = history(stateWith(10_000n, 330n), tradeTx({ fill: 10n, price: 100n, buyLimit: 100n, sellLimit: 100n }))
  state.setMarketTable(testMarketTable(P, [1n, 2n, 3n], 1_000n, 100n))
  return accepted(batch(state, [liquidationTx(2n, 1n, -10n)]))
})

describe('batch circuit: liquidation rules', () => {
  it('a liquidation batch proves, and the fund holds what it took over', async () => {
    const { trace } = await liquidated()
    expect(trace.slots.map((s) => s.liquidation?.paid)).toEqual([105n, -95n])
    expect(trace.feeCredit.account.before.positionsHash).not.toBe(emptyPositionsHash(P))
    const proof = await proveBatch(trace, P)
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it('a bankrupt account pays all it has (witness of the core, accepted)', async () => {
    const { trace } = await bankruptcy()
    expect(trace.slots[0]!.liquidation).toMatchObject({ bankrupt: true, paid: 1_327n })
  })

  it('refuses liquidating an account that meets maintenance margin under the table', async () => {
    const { input } = await liquidated()
    // The same slots under the calm table, where account 1 meets maintenance (marks are the same).
    expectRefused(await calculate(withTable(input, testMarketTable(P))), inside('Num2Bits'), AT.selectedNegative())
  })

  it('refuses selecting a check that holds as the one that fails', async () => {
    const { input } = await liquidated()
    const K = P.scenarioCount
    const picked = (input.checkSelect as string[][])[0]!.findIndex((v) => v === '1')
    let tampered = withSignal(input, 'checkSelect', 0, 0n, picked)
    tampered = withSignal(tampered, 'checkSelect', 0, 1n, K) // the short minimum check, which holds
    expectRefused(await calculate(tampered), inside('Num2Bits'), AT.selectedNegative())
  })

  it('refuses moving more than the position (a short of 10, liquidated by 11)', async () => {
    const { input } = await bankruptcy()
    expectRefused(await calculate(withSignal(input, 'fill', 0, 11n)), inside('Num2Bits'), slotLine('reduces.in <== isLiquidation * (signedHeld - fill);'))
  })

  it('refuses growing the position instead (the sign of the move is the position\'s)', async () => {
    const { input } = await liquidated()
    expectRefused(await calculate(withSignal(input, 'movedShort', 0, 0n)), inside('Num2Bits'), slotLine('reduces.in <== isLiquidation * (signedHeld - fill);'))
  })

  it('refuses a price other than the mark of the series (another row)', async () => {
    const { input } = await liquidated()
    let tampered = withSignal(input, 'liquidationRow', 0, 0n, 0)
    tampered = withSignal(tampered, 'liquidationRow', 0, 1n, 1)
    expectRefused(await calculate(tampered), slotLine('isLiquidation * (rowSeries - seriesId) === 0;'))
  })

  it('refuses a counterparty other than the fund', async () => {
    const { input } = await liquidated()
    expectRefused(await calculate(withSignal(input, 'accountB', 0, 2n)), slotLine('closesPosition * accountB === 0;'))
  })

  it('refuses liquidating the fund itself', async () => {
    const { input } = await liquidated()
    expectRefused(await calculate(withSignal(input, 'accountA', 0, 0n)), slotLine('isLiquidation * aIsZero.out === 0;'))
  })

  it('refuses claiming bankruptcy for an account that can pay (it would pay less)', async () => {
    const { input } = await liquidated()
    expectRefused(await calculate(withSignal(input, 'bankrupt', 0, 1n)), inside('Num2Bits'), slotLine('owedBeyond.in <== bankrupt * (owed - accountAFields[4] - 1);'))
  })

  it('refuses an unpaid bankruptcy (the collateral cannot go below zero)', async () => {
    const { input } = await bankruptcy()
    expectRefused(await calculate(withSignal(input, 'bankrupt', 0, 0n)), inside('Num2Bits'), AT.collateralA())
  })

  it('refuses a liquidation flag on another kind of slot (the hints are zero there)', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'bankrupt', 0, 1n)), slotLine('bankrupt * (1 - closesPosition) === 0;'))
    expectRefused(await calculate(withSignal(input, 'movedShort', 0, 1n)), slotLine('movedShort * (1 - closesPosition) === 0;'))
  })
})

// ---------------------------------------------------------------------------------------
// Settlements
// ---------------------------------------------------------------------------------------

// An ETH call struck at 3000 settles at 3000.000123: intrinsic 123 base units a contract.
const CALL_SETTLES = { price: 3_000_000_123n, strike: 3_000_000_000n, isCall: true }
const settlementTx = (accountIndex: bigint, settlement = CALL_SETTLES, seriesId = 1n): Tx => ({ type: TxType.settlement, accountIndex, seriesId, settlement })
// Account 1 long 10 and account 2 short 10 of series 1; slot 0 settles the short (it pays 13
// into the fund), slot 1 the long (the fund pays it 12).
const settled = once(async () => {
  const state = history(stateWith(10_000n, 10_000n), tradeTx({ fill: 10n, price: 100n, buyLimit: 100n, sellLimit: 100n }))
  return accepted(batch(state, [settlementTx(2n), settlementTx(1n)]))
})
// The fund holds a short of 1 (from a liquidation) and closes it: no cash moves.
const fundSettles = once(async () => {
  const state = history(stateWith(10_000n, 10_000n), tradeTx({ fill: 10n, price: 100n, buyLimit: 100n, sellLimit: 100n }))
  state.setMarketTable(testMarketTable(P, [1n, 2n, 3n], 1_000n, 100n))
  history(state, liquidationTx(2n, 1n, -1n))
  return accepted(batch(state, [settlementTx(BigInt(FEE_ACCOUNT_INDEX))]))
})

describe('batch circuit: settlement rules', () => {
  it('a settlement batch proves: the short pays its payoff rounded up, the long is paid it rounded down', async () => {
    const { trace } = await settled()
    expect(trace.slots.map((s) => s.settlement?.paid)).toEqual([13n, -12n])
    const proof = await proveBatch(trace, P)
    expect(proof.inputHash).toBe(trace.inputHash)
  })

  it("closes the fund's own position without cash (witness of the core, accepted)", async () => {
    const { trace } = await fundSettles()
    expect(trace.slots[0]!.settlement?.paid).toBe(0n)
  })

  it('binds the price, strike and call/put through the published data (L1 checks them against its storage)', async () => {
    const { input, trace } = await fundSettles()
    // The fund's own settlement moves no cash at any price: the witness stays valid, the data changes.
    expectOtherPublicInput(await calculate(withSignal(input, 'settlementPrice', 0, CALL_SETTLES.price + 1n)), trace)
    expectOtherPublicInput(await calculate(withSignal(input, 'strike', 0, CALL_SETTLES.strike - 1n)), trace)
  })

  it('refuses closing part of the position (a settlement closes all of it)', async () => {
    const { input } = await settled()
    expectRefused(await calculate(withSignal(input, 'fill', 0, 9n)), slotLine('isSettlement * (signedHeld - fill) === 0;'))
  })

  it('refuses settling with another account than the fund as counterparty', async () => {
    const { input } = await settled()
    expectRefused(await calculate(withSignal(input, 'accountB', 0, 1n)), slotLine('closesPosition * accountB === 0;'))
  })

  it('refuses paying less than the payoff: a short claiming bankruptcy, a long claiming the fund is short', async () => {
    const { input } = await settled()
    expectRefused(await calculate(withSignal(input, 'bankrupt', 0, 1n)), inside('Num2Bits'), slotLine('owedBeyond.in <== bankrupt * (owed - accountAFields[4] - 1);'))
    expectRefused(await calculate(withSignal(input, 'fundShort', 1, 1n)), inside('Num2Bits'), slotLine('owedBeyondFund.in <== fundShort * (-owed - accountBFields[4] - 1);'))
  })

  it('refuses settlement values in a slot of another kind', async () => {
    const { input } = await tradeAndWithdraw()
    expectRefused(await calculate(withSignal(input, 'fundShort', 0, 1n)), slotLine('fundShort * (1 - isSettlement) === 0;'))
    expectRefused(await calculate(withSignal(input, 'isCall', 0, 1n)), slotLine('isCall * (1 - isSettlement) === 0;'))
  })

  it('refuses a put paid as a call (the payoff changes what the account pays)', async () => {
    const { input } = await settled()
    // As a put the short owes nothing: its new balance differs, so the fund's leaf is not where the witness says.
    expectRefused(await calculate(withSignal(input, 'isCall', 0, 0n)), AT.accountOldLeaf(), AT.updateB())
  })
})

describe('batch circuit: forced withdrawal rules', () => {
  const forced = once(async () => {
    const state = stateWith(10_000n)
    return accepted(batch(state, [{ type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(key(1).l1Address, 1n) }]))
  })

  it('pays a flat account its whole collateral', async () => {
    const { trace } = await forced()
    expect(trace.slots[0]!.accountA?.after.collateral).toBe(0n)
    expect(trace.slots[0]!.amountOut).toBe(10_000n)
  })

  it('cannot be skipped: a noop in its place consumes no queue entry, so the public input differs', async () => {
    const { input, trace } = await forced()
    const skipped = withRow(withSignal(input, 'type', 0, 0n), 'typeFlags', 0, [1n, 0n, 0n, 0n, 0n, 0n])
    // The account keeps its collateral: the fee account's path is the one of an all-noop batch.
    expectOtherPublicInput(await calculate(withFeePathOf(skipped, batch(stateWith(10_000n), []))), trace)
  })

  it('refuses faking open positions to avoid paying out', async () => {
    const { input } = await forced()
    expectRefused(await calculate(withSignal(input, 'accountAFields', 0, 12345n, 5)), slotLine('opensA * (heldA.out - accountAFields[5]) === 0;'))
  })

  // Account 2 is short 4 of series 1 (from an earlier batch) and asks for its money.
  const forcedShort = (table = testMarketTable(P)) => history(stateUnder(table, 10_000n, 10_000n), tradeTx())
  const forcedShortBatch = once(async () => accepted(batch(forcedShort(), [{ type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(key(2).l1Address, 2n) }])))

  it('pays an account with open positions exactly its free collateral', async () => {
    const { trace, input } = await forcedShortBatch()
    const state = forcedShort()
    const free = freeCollateral(state.account(2n).collateral, state.positionSlots(2n), state.marketTable, P.initialMarginBps, P.scenarioCount)
    expect(free).toBeGreaterThan(0n)
    expect(free).toBeLessThan(state.account(2n).collateral)
    expect(trace.slots[0]!.amountOut).toBe(free)
    expect(signalOf(input, 'forcedPaysAll', 0)).toBe(0n)
  })

  it('refuses paying less than the free collateral (one base unit more still meets margin)', async () => {
    const { input, trace } = await forcedShortBatch()
    const paid = trace.slots[0]!.amountOut!
    expectRefused(await calculate(withSignal(input, 'forcedPaid', 0, paid - 1n)), inside('Num2Bits'), AT.selectedSmall())
  })

  it('refuses paying more than the free collateral (margin breaks)', async () => {
    const { input, trace } = await forcedShortBatch()
    const paid = trace.slots[0]!.amountOut!
    expectRefused(await calculate(withSignal(input, 'forcedPaid', 0, paid + 1n)), inside('NonNegativeWhen'), AT.requireA())
  })

  it('refuses claiming the account is below initial margin to pay nothing', async () => {
    const { input } = await forcedShortBatch()
    const tampered = withSignal(withSignal(input, 'forcedPaid', 0, 0n), 'forcedBelow', 0, 1n)
    expectRefused(await calculate(tampered), inside('Num2Bits'), AT.selectedNegative())
  })

  it('refuses claiming all the collateral is paid when part of it is', async () => {
    const { input } = await forcedShortBatch()
    expectRefused(await calculate(withSignal(input, 'forcedPaysAll', 0, 1n)), slotLine('allGate * (forcedPaid - accountAFields[4]) === 0;'))
  })

  it('pays nothing to an account below initial margin, and refuses paying it anything', async () => {
    // Under VOLATILE the short could not have been opened; it was opened under a calmer table.
    const calm = history(stateWith(10_000n, 10_000n), tradeTx())
    calm.closeBatch()
    calm.setMarketTable(VOLATILE)
    const base = await accepted(batch(calm, [{ type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(key(2).l1Address, 2n) }]))
    expect(base.trace.slots[0]!.amountOut).toBe(0n)
    expect(signalOf(base.input, 'forcedBelow', 0)).toBe(1n)
    const tampered = withSignal(withSignal(base.input, 'forcedBelow', 0, 0n), 'forcedPaid', 0, 1n)
    expectRefused(await calculate(tampered), inside('NonNegativeWhen'), AT.requireA())
  })
})

// ---------------------------------------------------------------------------------------
// The batch as a whole
// ---------------------------------------------------------------------------------------

describe('batch circuit: roots, queue range, type', () => {
  it('refuses a wrong old root when a slot updates an account', async () => {
    const { input } = await twoDeposits()
    const tampered = { ...structuredClone(input), oldRoot: '12345' }
    expectRefused(await calculate(tampered), AT.accountOldLeaf(), AT.updateA())
  })

  it('refuses a wrong old root of an all-noop batch (the fee account is proven against it)', async () => {
    // Also bound through the public input; the fee step refuses it first.
    const { input } = await accepted(batch(stateWith(10_000n), []))
    expectRefused(await calculate({ ...structuredClone(input), oldRoot: '12345' }), AT.accountOldLeaf(), AT.feeUpdate())
  })

  it('binds the queue position it starts from through the public input', async () => {
    const { input, trace } = await twoDeposits()
    expectOtherPublicInput(await calculate({ ...structuredClone(input), queueHashBefore: '777' }), trace)
  })

  it.each([
    ['type disagrees with its flag', 'type', 3n, undefined, 'type === weighted;'],
    ['two flags set', 'typeFlags', 1n, 0, 'sum === 1;'],
    ['a flag that is not boolean', 'typeFlags', 2n, 2, 'flags[k] * (flags[k] - 1) === 0;'],
  ] as const)('refuses slot kinds that are not one-hot: %s', async (_, name, value, index, snippet) => {
    const { input } = await tradeAndWithdraw()
    const outcome = await calculate(withSignal(input, name, 0, value, index))
    expectRefused(outcome, libLine('TxTypeFlags', 'txType.circom', snippet))
  })
})

// ---------------------------------------------------------------------------------------
// Under-constrained signals: the r1cs, not only the witness calculator's asserts
// ---------------------------------------------------------------------------------------

describe('batch circuit: every witness wire is pinned by the r1cs', () => {
  let r1cs: R1cs
  let symbols: Symbols
  beforeAll(() => {
    r1cs = readR1cs(paths.r1cs)
    symbols = readSymbols(paths.sym)
  })

  async function witnessOf(base: Base): Promise<Uint8Array> {
    const outcome = await witnessOutcome(base.input, paths.wasm)
    if (!outcome.ok) throw new Error(outcome.message)
    return outcome.wtns
  }

  it('snarkjs wtns.check refuses flipped intermediate signals (and accepts a free hint, as a control)', async () => {
    const wtns = await witnessOf(await tradeAndWithdraw())
    expect(await checkWitness(paths.r1cs, wtns)).toBe(true)
    // newA[4] (the collateral after the slot) is a linear combination that the optimiser
    // folded into its users, so the premium and the roots that carry it are flipped instead.
    for (const name of ['main.slots[0].premium', 'main.slots[0].newB[5]', 'main.slots[1].withdrawRecipient', 'main.slots[0].rootOut']) {
      const wire = symbols.wireOf(name)
      const flipped = withWire(wtns, wire, readWire(wtns, wire) + 1n)
      expect(await checkWitness(paths.r1cs, flipped), name).toBe(false)
    }
    // Control: an IsZero inverse whose input is 0 is free, and wtns.check does accept it
    // changed, so a free signal elsewhere would be caught by the same method.
    const free = unpinnedWires(r1cs, readWitness(wtns)).find((w) => symbols.namesOf(w).some((n) => n.endsWith('.inv')))
    expect(free).toBeDefined()
    expect(await checkWitness(paths.r1cs, withWire(wtns, free!, 12345n))).toBe(true)
  })

  it('wtns.check refuses a flipped fee, fee rounding, and cancel sentinel', async () => {
    const wtns = await witnessOf(await cancelAndTrade())
    expect(await checkWitness(paths.r1cs, wtns)).toBe(true)
    // (main.slots[1].fee itself is folded by the optimiser into the collateral range checks.)
    for (const name of ['main.slots[1].feeHint', 'main.slots[0].slotA.newFilled']) {
      const wire = symbols.wireOf(name)
      expect(await checkWitness(paths.r1cs, withWire(wtns, wire, readWire(wtns, wire) + 1n)), name).toBe(false)
    }
  })

  it('wtns.check refuses a created account with a flipped key', async () => {
    const wtns = await witnessOf(await twoDeposits())
    for (const name of ['main.slots[0].creates', 'main.slots[0].newA[0]']) {
      const wire = symbols.wireOf(name)
      expect(await checkWitness(paths.r1cs, withWire(wtns, wire, readWire(wtns, wire) + 1n)), name).toBe(false)
    }
  })

  // Wires a prover may change alone without breaking a constraint, by design:
  // - `inv` of circomlib's IsZero when its input is 0 (out = 1 - in * inv holds for any inv);
  // - a deposit's queue key inputs in slots of other kinds (every use is gated by isDeposit).
  // - the sign hint `isShort` of an empty position slot (its short part is 0 either way);
  // - the forced-withdrawal hints `forcedBelow`, `forcedPaysAll` in slots of other kinds.
  function unexpectedFree(base: Base, wtns: Uint8Array): string[] {
    const types = (base.input.type as string[]).map(Number)
    const allowed = (name: string) => {
      if (/\.inv$/.test(name)) return true
      const sign = /^main\.isShort([AB])\[(\d+)\]\[(\d+)\]$/.exec(name)
      if (sign) {
        const slot = base.trace.slots[Number(sign[2])]!
        const positions = sign[1] === 'A' ? slot.positionsA : slot.positionsB
        const valued = sign[1] === 'A' && slot.tx.type === TxType.liquidation ? positions?.before : positions?.after
        return (valued?.[Number(sign[3])]?.size ?? 0n) === 0n
      }
      const hint = /^main\.forced(Below|PaysAll)\[(\d+)\]$/.exec(name)
      if (hint) return types[Number(hint[2])] !== TxType.forcedWithdrawal
      const entry = /^main\.entryPubKey[XY]\[(\d+)\]$/.exec(name)
      return entry !== null && types[Number(entry[1])] !== TxType.deposit
    }
    return unpinnedWires(r1cs, readWitness(wtns))
      .map((w) => symbols.namesOf(w))
      .filter((names) => !names.some(allowed))
      .map((names) => names.join(' = ') || '(unnamed wire)')
  }

  it.each([
    ['two settlements', () => settled()],
    ["the fund's own settlement", () => fundSettles()],
    ['two liquidations', () => liquidated()],
    ['a bankrupt liquidation', () => bankruptcy()],
    ['two deposits', () => twoDeposits()],
    ['a trade and a withdrawal', () => tradeAndWithdraw()],
    ['a credit deposit and a noop', () => credit()],
    ['a cancel and a trade paying fees', () => cancelAndTrade()],
    ['a forced withdrawal', async () => accepted(batch(stateWith(10_000n), [{ type: TxType.forcedWithdrawal, entry: forcedWithdrawalEntry(key(1).l1Address, 1n) }]))],
  ] as const)('no wire is free in the witness of %s, beyond IsZero hints and gated queue keys', async (_, build) => {
    const base = await build()
    expect(unexpectedFree(base, await witnessOf(base))).toEqual([])
  })
})
