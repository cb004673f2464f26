/**
 * Helpers for tests across the project: deterministic L2 keys, signed orders and a small
 * funded state. Pure, like the rest of the core.
 */
import { keccak256, toBytes, hexToBytes } from 'viem'
import { publicKeyOf, signField } from './eddsa.js'
import { cancelMessage, orderMessage, withdrawMessage } from './messages.js'
import { depositEntry } from './queue.js'
import { TxType, type ParamSet } from './params.js'
import { RollupState } from './rollupState.js'
import { applyTx } from './batch.js'
import type { BatchMarketTable } from './marketTable.js'
import type { Order, Point, SignedOrder, Tx } from './types.js'

export type TestKey = { readonly privateKey: Uint8Array; readonly pubKey: Point; readonly l1Address: bigint }

/** A deterministic key pair and L1 address for test user `n`. */
export function testKey(n: number): TestKey {
  const privateKey = hexToBytes(keccak256(toBytes(`options-rollup test key ${n}`)))
  return { privateKey, pubKey: publicKeyOf(privateKey), l1Address: BigInt(keccak256(toBytes(`l1 ${n}`)).slice(0, 42)) }
}

/** Signs an order with a test key. */
export function signedOrder(key: TestKey, order: Order): SignedOrder {
  return { order, signature: signField(key.privateKey, orderMessage(order)) }
}

/** A signed withdrawal transaction. */
export function withdrawTx(key: TestKey, accountIndex: bigint, nonce: bigint, amount: bigint): Tx {
  return { type: TxType.withdraw, accountIndex, nonce, amount, signature: signField(key.privateKey, withdrawMessage(accountIndex, nonce, amount)) }
}

/** A deposit transaction for a test key. */
export function depositTx(key: TestKey, accountIndex: bigint, amount: bigint): Tx {
  return { type: TxType.deposit, accountIndex, entry: depositEntry(key.l1Address, key.pubKey, amount) }
}

/** An order with sensible defaults. */
export function order(fields: Partial<Order> & Pick<Order, 'accountIndex' | 'orderId' | 'side'>): Order {
  return { seriesId: 1n, size: 10n, limitPrice: 1_000_000n, validUntil: 4_000_000_000n, ...fields }
}

/**
 * A market table for tests: each series marked at `mark`, short minimum `mark / 10`, and
 * scenario values spread evenly from `mark - spread` to `mark + spread` (scenario K/2 at the mark).
 */
export function testMarketTable(params: ParamSet, seriesIds: readonly bigint[] = [1n, 2n, 3n], mark = 100n, spread = 26n): BatchMarketTable {
  const K = params.scenarioCount
  const half = BigInt(Math.floor(K / 2))
  const values = Array.from({ length: K }, (_, k) => mark + ((BigInt(k) - half) * spread) / (half === 0n ? 1n : half))
  return { rows: seriesIds.slice(0, params.marketRows).map((seriesId) => ({ seriesId, mark, shortMinimum: mark / 10n, scenarioValues: values })) }
}

/**
 * A state with accounts 1..n funded with `collateral` each, keys `testKey(1..n)`, and the
 * market table `table` (default `testMarketTable`) set for the next batch. The deposits are
 * committed outside any batch (a test shortcut): the next batch starts empty.
 */
export function fundedState(params: ParamSet, n: number, collateral: bigint, table: BatchMarketTable = testMarketTable(params)): { state: RollupState; keys: TestKey[] } {
  const state = new RollupState(params)
  state.setMarketTable(table)
  const keys = Array.from({ length: n }, (_, i) => testKey(i + 1))
  keys.forEach((k, i) => applyTx(state, depositTx(k, BigInt(i + 1), collateral)))
  state.closeBatch()
  state.commit()
  return { state, keys }
}

/** A cancel of `orderId`, signed with a test key (which need not own `accountIndex`). */
export function cancelTx(key: TestKey, accountIndex: bigint, orderId: bigint): Tx {
  return { type: TxType.cancel, accountIndex, orderId, signature: signField(key.privateKey, cancelMessage(accountIndex, orderId)) }
}
