import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { buildEddsa, buildPoseidon } from 'circomlibjs'
import { privateKeyToAccount } from 'viem/accounts'
import { deriveL2Key } from './keys.js'
import { cancelRequestMessage, orderMessage, withdrawalMessage } from './messages.js'
import {
  buildCancel,
  buildOrder,
  parseSignedCancel,
  serializeSignedCancel,
  signCancel,
  verifyCancel,
  buildWithdrawal,
  parseSignedOrder,
  parseSignedWithdrawal,
  serializeSignedOrder,
  serializeSignedWithdrawal,
  signOrder,
  signWithdrawal,
  signedOrderFromJSON,
  signedOrderToJSON,
  verifyOrder,
  verifyWithdrawal,
} from './orders.js'
import { DEFAULT_ORDER_OPTIONS, isDefaultOrderOptions, orderOptions, orderOptionsToJSON, orderRequestFromJSON, orderRequestToJSON, parseOrderRequest } from './orderRequest.js'
import { CANCEL_ALL_TAG, badOrderCancels, buildCancelAll, cancelAllMessage, parseSignedCancelAll, signCancelAll, signedCancelAllFromJSON, signedCancelAllToJSON, verifyCancelAll } from './cancelAll.js'
import { SdkValidationError } from './errors.js'
import { BABYJUB_SUBORDER } from './json.js'
import type { Order } from '../state/types.js'

const key = await deriveL2Key(privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'), 31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3')
const other = await deriveL2Key(privateKeyToAccount('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'), 1, '0x5FbDB2315678afecb367f032d93F642f64180aa3')

const order = buildOrder({ accountIndex: 1n, orderId: 7n, seriesId: 3n, side: 'sell', size: 150n, limitPrice: 47_594n, validUntil: 1_790_000_000n })

describe('messages', () => {
  it('hash the fields as docs/protocol.md says (checked with circomlibjs Poseidon)', async () => {
    const poseidon = await buildPoseidon()
    const H = (xs: bigint[]) => poseidon.F.toObject(poseidon(xs)) as bigint
    expect(orderMessage(order)).toBe(H([1n, 1n, 7n, 3n, 1n, 150n, 47_594n, 1_790_000_000n]))
    expect(withdrawalMessage({ accountIndex: 4n, nonce: 2n, amount: 9n })).toBe(H([2n, 4n, 2n, 9n]))
    expect(cancelRequestMessage({ accountIndex: 4n, orderId: 7n })).toBe(H([3n, 4n, 7n]))
  })
})

describe('orders', () => {
  it('builds with names or numbers for the side and checks ranges', () => {
    expect(order.side).toBe(1)
    expect(buildOrder({ ...order, side: 0 }).side).toBe(0)
    const bad: Partial<Order>[] = [{ orderId: 0n }, { seriesId: 0n }, { size: 0n }, { size: 2n ** 64n }, { limitPrice: -1n }, { validUntil: 2n ** 32n }, { accountIndex: 2n ** 32n }]
    for (const b of bad) expect(() => buildOrder({ ...order, ...b }), JSON.stringify(Object.keys(b))).toThrow(SdkValidationError)
  })

  it('signatures verify with circomlibjs (the reference of the circuit verifier)', async () => {
    const eddsa = await buildEddsa()
    const F = eddsa.F
    const s = signOrder(order, key.privateKey)
    const sig = { R8: [F.e(s.signature.R8.x), F.e(s.signature.R8.y)], S: s.signature.S }
    expect(eddsa.verifyPoseidon(F.e(orderMessage(order)), sig, [F.e(key.publicKey.x), F.e(key.publicKey.y)])).toBe(true)
    const pub = eddsa.prv2pub(Buffer.from(key.privateKey))
    expect({ x: F.toObject(pub[0]), y: F.toObject(pub[1]) }).toEqual(key.publicKey)
  })

  it('signs and verifies under the right key only', () => {
    const signed = signOrder(order, key.privateKey)
    expect(verifyOrder(signed, key.publicKey)).toBe(true)
    expect(verifyOrder(signed, other.publicKey)).toBe(false)
    expect(verifyOrder({ ...signed, order: { ...order, limitPrice: 47_595n } }, key.publicKey)).toBe(false)
  })

  it('round-trips through JSON, verified (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          accountIndex: fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
          orderId: fc.bigInt({ min: 1n, max: 2n ** 32n - 1n }),
          seriesId: fc.bigInt({ min: 1n, max: 2n ** 32n - 1n }),
          side: fc.constantFrom(0 as const, 1 as const),
          size: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
          limitPrice: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
          validUntil: fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }),
        }),
        (o) => {
          const signed = signOrder(buildOrder(o), key.privateKey)
          const text = serializeSignedOrder(signed)
          expect(parseSignedOrder(text, { publicKey: key.publicKey })).toEqual(signed)
        },
      ),
      { numRuns: 25 },
    )
  })

  it('uses decimal strings for bigints and {x, y} for points', () => {
    const json = signedOrderToJSON(signOrder(order, key.privateKey))
    expect(json.order).toEqual({ accountIndex: '1', orderId: '7', seriesId: '3', side: 1, size: '150', limitPrice: '47594', validUntil: '1790000000' })
    expect(Object.keys(json.signature.R8)).toEqual(['x', 'y'])
    expect(typeof json.signature.S).toBe('string')
  })

  it('rejects tampered and malformed JSON', () => {
    const signed = signOrder(order, key.privateKey)
    const good = signedOrderToJSON(signed)
    const mutate = (f: (j: any) => void) => {
      const j = JSON.parse(JSON.stringify(good))
      f(j)
      return j
    }
    const withKey = { publicKey: key.publicKey }
    // Tampered fields: structurally valid, signature no longer verifies.
    for (const t of [
      (j: any) => (j.order.limitPrice = '47595'),
      (j: any) => (j.order.side = 0),
      (j: any) => (j.order.size = '151'),
      (j: any) => (j.order.accountIndex = '2'),
      (j: any) => (j.signature.S = (BigInt(j.signature.S) + 1n).toString()),
    ])
      expect(() => signedOrderFromJSON(mutate(t), withKey)).toThrow(/does not verify/)
    // Malformed: rejected even without a key.
    for (const t of [
      (j: any) => (j.order.size = 150),
      (j: any) => (j.order.size = '0150'),
      (j: any) => (j.order.size = '-150'),
      (j: any) => (j.order.size = '1e3'),
      (j: any) => (j.order.size = '0'),
      (j: any) => (j.order.orderId = (2n ** 32n).toString()),
      (j: any) => (j.order.side = 2),
      (j: any) => delete j.order.validUntil,
      (j: any) => (j.order.extra = '1'),
      (j: any) => (j.signature.S = BABYJUB_SUBORDER.toString()),
      (j: any) => (j.signature.R8.x = (BigInt(j.signature.R8.x) + 1n).toString()),
      (j: any) => (j.signature.R8 = [j.signature.R8.x, j.signature.R8.y]),
    ])
      expect(() => signedOrderFromJSON(mutate(t))).toThrow(SdkValidationError)
    expect(() => parseSignedOrder('{"order":')).toThrow(SdkValidationError)
    expect(() => signedOrderFromJSON(null)).toThrow(SdkValidationError)
    expect(() => signedOrderFromJSON(good, { publicKey: other.publicKey })).toThrow(SdkValidationError)
  })
})

describe('withdrawals', () => {
  const w = buildWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 5_000_000n })

  it('signs, verifies and round-trips through JSON', () => {
    const signed = signWithdrawal(w, key.privateKey)
    expect(verifyWithdrawal(signed, key.publicKey)).toBe(true)
    const text = serializeSignedWithdrawal(signed)
    expect(JSON.parse(text)).toMatchObject({ accountIndex: '1', nonce: '0', amount: '5000000' })
    expect(parseSignedWithdrawal(text, { publicKey: key.publicKey })).toEqual(signed)
  })

  it('rejects tampered and malformed JSON', () => {
    const j = JSON.parse(serializeSignedWithdrawal(signWithdrawal(w, key.privateKey)))
    expect(() => parseSignedWithdrawal(JSON.stringify({ ...j, amount: '5000001' }), { publicKey: key.publicKey })).toThrow(/does not verify/)
    expect(() => parseSignedWithdrawal(JSON.stringify({ ...j, nonce: '1' }), { publicKey: key.publicKey })).toThrow(/does not verify/)
    expect(() => parseSignedWithdrawal(JSON.stringify({ ...j, amount: '0' }))).toThrow(SdkValidationError)
    expect(() => parseSignedWithdrawal(JSON.stringify({ ...j, amount: (2n ** 64n).toString() }))).toThrow(SdkValidationError)
    expect(() => parseSignedWithdrawal(JSON.stringify({ ...j, to: '0x' }))).toThrow(SdkValidationError)
    expect(() => buildWithdrawal({ accountIndex: 1n, nonce: 2n ** 32n, amount: 1n })).toThrow(SdkValidationError)
  })
})

describe('cancels', () => {
  const c = buildCancel({ accountIndex: 1n, orderId: 7n })

  it('signs, verifies (circomlibjs too) and round-trips through JSON', async () => {
    const signed = signCancel(c, key.privateKey)
    expect(verifyCancel(signed, key.publicKey)).toBe(true)
    expect(verifyCancel(signed, other.publicKey)).toBe(false)
    const eddsa = await buildEddsa()
    const F = eddsa.F
    const sig = { R8: [F.e(signed.signature.R8.x), F.e(signed.signature.R8.y)], S: signed.signature.S }
    expect(eddsa.verifyPoseidon(F.e(cancelRequestMessage(c)), sig, [F.e(key.publicKey.x), F.e(key.publicKey.y)])).toBe(true)
    const text = serializeSignedCancel(signed)
    expect(JSON.parse(text)).toMatchObject({ accountIndex: '1', orderId: '7' })
    expect(parseSignedCancel(text, { publicKey: key.publicKey })).toEqual(signed)
  })

  it('rejects tampered and malformed JSON and out-of-range ids', () => {
    const j = JSON.parse(serializeSignedCancel(signCancel(c, key.privateKey)))
    expect(() => parseSignedCancel(JSON.stringify({ ...j, orderId: '8' }), { publicKey: key.publicKey })).toThrow(/does not verify/)
    expect(() => parseSignedCancel(JSON.stringify({ ...j, accountIndex: '2' }), { publicKey: key.publicKey })).toThrow(/does not verify/)
    expect(() => parseSignedCancel(JSON.stringify({ ...j, orderId: '0' }))).toThrow(SdkValidationError)
    expect(() => parseSignedCancel(JSON.stringify({ ...j, orderId: (2n ** 32n).toString() }))).toThrow(SdkValidationError)
    expect(() => parseSignedCancel(JSON.stringify({ ...j, orderId: 7 }))).toThrow(SdkValidationError)
    expect(() => parseSignedCancel(JSON.stringify({ ...j, extra: '1' }))).toThrow(SdkValidationError)
    expect(() => buildCancel({ accountIndex: 1n, orderId: 0n })).toThrow(SdkValidationError)
  })
})

describe('order requests (options beside the signed order)', () => {
  const signed = signOrder(order, key.privateKey)

  it('leave out default options, round-trip the others, and verify the signed order', () => {
    expect(orderRequestToJSON(signed)).toEqual(signedOrderToJSON(signed))
    expect(orderRequestFromJSON(signedOrderToJSON(signed))).toEqual({ signed, options: DEFAULT_ORDER_OPTIONS })
    const options = orderOptions({ type: 'ioc', reduceOnly: true, selfTradePrevention: 'cancel_oldest' })
    const json = orderRequestToJSON(signed, options)
    expect(json.options).toEqual({ type: 'ioc', reduceOnly: true, selfTradePrevention: 'cancel_oldest' })
    expect(parseOrderRequest(JSON.stringify(json), { publicKey: key.publicKey })).toEqual({ signed, options })
    expect(orderOptionsToJSON(orderOptions({ type: 'post_only' }))).toEqual({ type: 'post_only' })
    expect(isDefaultOrderOptions(orderOptions({}))).toBe(true)
  })

  it('reject unknown options, wrong types, and a tampered order', () => {
    const json = signedOrderToJSON(signed)
    expect(() => orderRequestFromJSON({ ...json, options: { type: 'fok' } })).toThrow(/options.type/)
    expect(() => orderRequestFromJSON({ ...json, options: { reduceOnly: 'yes' } })).toThrow(/reduceOnly/)
    expect(() => orderRequestFromJSON({ ...json, options: { selfTradePrevention: 'cancel_both' } })).toThrow(/selfTradePrevention/)
    expect(() => orderRequestFromJSON({ ...json, options: { postOnly: true } })).toThrow(/unexpected field/)
    expect(() => orderRequestFromJSON({ ...json, options: [] })).toThrow(SdkValidationError)
    expect(() => orderRequestFromJSON({ ...json, extra: 1 })).toThrow(/unexpected field/)
    expect(() => orderRequestFromJSON({ ...json, order: { ...json.order, size: '151' } }, { publicKey: key.publicKey })).toThrow(/does not verify/)
    expect(() => orderOptions({ type: 'market' as never })).toThrow(SdkValidationError)
  })
})

describe('cancel-all', () => {
  const req = buildCancelAll({ accountIndex: 1n, seriesId: 3n, nonce: 5n, validUntil: 1_790_000_060n })

  it('signs its message (hash checked with circomlibjs Poseidon) and per-order cancels, and round-trips through JSON', async () => {
    const signed = signCancelAll(req, key.privateKey, [7n, 9n])
    expect(verifyCancelAll(signed, key.publicKey)).toBe(true)
    expect(verifyCancelAll(signed, other.publicKey)).toBe(false)
    expect(badOrderCancels(signed, key.publicKey)).toEqual([])
    expect(badOrderCancels(signed, other.publicKey)).toEqual([7n, 9n])
    const poseidon = await buildPoseidon()
    expect(poseidon.F.toObject(poseidon([CANCEL_ALL_TAG, 1n, 3n, 5n, 1_790_000_060n]))).toBe(cancelAllMessage(req))
    expect(signed.cancels[0]!.signature).toEqual(signCancel({ accountIndex: 1n, orderId: 7n }, key.privateKey).signature)
    const text = JSON.stringify(signedCancelAllToJSON(signed))
    expect(JSON.parse(text)).toMatchObject({ accountIndex: '1', seriesId: '3', nonce: '5', validUntil: '1790000060', cancels: [{ orderId: '7' }, { orderId: '9' }] })
    expect(parseSignedCancelAll(text, { publicKey: key.publicKey })).toEqual(signed)
    const defaults = buildCancelAll({ accountIndex: 2n })
    expect(defaults.seriesId).toBe(0n)
    expect(defaults.validUntil - defaults.nonce / 1000n).toBe(60n)
  })

  it('rejects tampered, repeated, malformed and out-of-range fields', () => {
    const j = signedCancelAllToJSON(signCancelAll(req, key.privateKey, [7n]))
    const pk = { publicKey: key.publicKey }
    expect(() => signedCancelAllFromJSON({ ...j, seriesId: '4' }, pk)).toThrow(/\$.signature: does not verify/)
    expect(() => signedCancelAllFromJSON({ ...j, nonce: '6' }, pk)).toThrow(/does not verify/)
    expect(() => signedCancelAllFromJSON({ ...j, cancels: [{ ...j.cancels[0]!, orderId: '8' }] }, pk)).toThrow(/cancel of order 8/)
    expect(() => signedCancelAllFromJSON({ ...j, cancels: [j.cancels[0]!, j.cancels[0]!] })).toThrow(/appears twice/)
    expect(() => signedCancelAllFromJSON({ ...j, cancels: {} })).toThrow(/must be an array/)
    expect(() => signedCancelAllFromJSON({ ...j, nonce: (2n ** 64n).toString() })).toThrow(SdkValidationError)
    expect(() => signedCancelAllFromJSON({ ...j, extra: '1' })).toThrow(/unexpected field/)
    const { cancels: _, ...noCancels } = j
    expect(() => signedCancelAllFromJSON(noCancels)).toThrow(/cancels: missing/)
    expect(() => signCancelAll(req, key.privateKey, [0n])).toThrow(SdkValidationError)
    expect(() => signCancelAll(req, key.privateKey, Array.from({ length: 65 }, (_, i) => BigInt(i + 1)))).toThrow(/at most 64/)
  })
})
