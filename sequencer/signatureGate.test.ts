/**
 * The signature gate checks order signatures on a worker thread ahead of the engine: a valid
 * one is recorded so that the engine's own check is a lookup, a forged one is reported and
 * left for the engine to refuse; without a pool, or for an unknown account, nothing is checked
 * ahead. The engine remains the judge in every case.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { Side, TEST_PARAMS } from '../state/params.js'
import { fundedState, order, signedOrder, testKey } from '../state/testing.js'
import { verifyField } from '../state/eddsa.js'
import { orderMessage, orderMessageInputs } from '../state/messages.js'
import { hash } from '../state/poseidon.js'
import { SignatureGate } from './signatureGate.js'

const { state, keys } = fundedState(TEST_PARAMS, 3, 1_000_000n)
const gate = new SignatureGate({ workers: 1 })
afterAll(() => gate.close())

function freshOrder(accountIndex: bigint, orderId: bigint) {
  return signedOrder(keys[Number(accountIndex) - 1]!, order({ accountIndex, orderId, side: Side.buy }))
}

describe('SignatureGate', () => {
  it('verifies a burst of valid orders on its worker, in one round trip, and the engine check then agrees', async () => {
    const orders = [1n, 2n, 3n].map((i) => freshOrder(i, 10n + i))
    const verdicts = await Promise.all(orders.map((o) => gate.order(state, o)))
    expect(verdicts).toEqual(['verified', 'verified', 'verified'])
    // The worker hashed each message; the one it recorded is the order's Poseidon(8).
    for (const o of orders) expect(orderMessage(o.order)).toBe(hash(orderMessageInputs(o.order)))
    for (const o of orders) expect(verifyField(orderMessage(o.order), o.signature, state.account(o.order.accountIndex).pubKey)).toBe(true)
  })

  it('reports a forged signature as refused and records nothing: the engine still refuses it', async () => {
    const genuine = freshOrder(1n, 20n)
    const forged = { ...genuine, signature: { ...genuine.signature, S: genuine.signature.S + 1n } }
    const signedByAnother = signedOrder(testKey(9), genuine.order)
    expect(await gate.order(state, forged)).toBe('refused')
    expect(await gate.order(state, signedByAnother)).toBe('refused')
    for (const o of [forged, signedByAnother]) expect(verifyField(orderMessage(o.order), o.signature, state.account(1n).pubKey)).toBe(false)
  })

  it('checks nothing ahead for an account that does not exist or an index out of range', async () => {
    const genuine = freshOrder(1n, 30n)
    expect(await gate.order(state, { ...genuine, order: { ...genuine.order, accountIndex: 7n } })).toBe('unchecked')
    expect(await gate.order(state, { ...genuine, order: { ...genuine.order, accountIndex: 1n << 40n } })).toBe('unchecked')
  })

  it('with no workers, or once its pool is gone, answers unchecked and never rejects', async () => {
    const none = new SignatureGate({ workers: 0 })
    expect(none.workers).toBe(0)
    expect(await none.order(state, freshOrder(2n, 40n))).toBe('unchecked')
    const closed = new SignatureGate({ workers: 1 })
    await closed.close()
    expect(await closed.order(state, freshOrder(2n, 41n))).toBe('unchecked')
  })
})
