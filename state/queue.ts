/**
 * The L1 priority queue: a Poseidon hash chain of deposits and forced-withdrawal requests
 * (docs/protocol.md, "L1 priority queue"). The contract computes the same chain.
 */
import { hash } from './poseidon.js'
import { Bits, QueueKind, QueueLayout } from './params.js'
import { assertUnsigned } from './field.js'
import type { QueueEntry } from './types.js'

/** `kind + accountIndex * 2^8 + amount * 2^40`. */
export function packQueueEntry(e: QueueEntry): bigint {
  assertUnsigned(BigInt(e.kind), Bits.queueKind, 'queue kind')
  assertUnsigned(e.accountIndex, Bits.accountIndex, 'queue account index')
  assertUnsigned(e.amount, Bits.amount, 'queue amount')
  return (
    (BigInt(e.kind) << BigInt(QueueLayout.kind)) |
    (e.accountIndex << BigInt(QueueLayout.accountIndex)) |
    (e.amount << BigInt(QueueLayout.amount))
  )
}

/** The chain value after appending `entry` to a chain whose value is `previous`. */
export function nextQueueHash(previous: bigint, e: QueueEntry): bigint {
  return hash([previous, packQueueEntry(e), e.l1Address, e.pubKey.x, e.pubKey.y])
}

/** A deposit entry. */
export function depositEntry(l1Address: bigint, pubKey: { x: bigint; y: bigint }, amount: bigint): QueueEntry {
  return { kind: QueueKind.deposit, accountIndex: 0n, amount, l1Address, pubKey }
}

/** A forced-withdrawal request entry. */
export function forcedWithdrawalEntry(l1Address: bigint, accountIndex: bigint): QueueEntry {
  return { kind: QueueKind.forcedWithdrawal, accountIndex, amount: 0n, l1Address, pubKey: { x: 0n, y: 0n } }
}
