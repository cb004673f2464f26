import { describe, expect, it } from 'vitest'
import { signStreamAuth, signedStreamAuthToJSON, type SignedStreamAuth } from '../sdk/streamAuth.js'
import { TEST_PARAMS } from '../state/index.js'
import { fundedState } from '../state/testing.js'
import { checkReadAuth, ReadAuthChecker } from './readAuth.js'

const NOW = 1_790_000_000n
const { state, keys } = fundedState(TEST_PARAMS, 3, 1_000_000n)

const auth = (index: number, validUntil = NOW + 300n, key = keys[index - 1]!): SignedStreamAuth => signStreamAuth({ accountIndex: BigInt(index), validUntil }, key.privateKey)
const text = (a: SignedStreamAuth) => JSON.stringify(signedStreamAuthToJSON(a))

describe('read authorizations', () => {
  it('hold for the account and window they were signed for, and for nothing else', () => {
    expect(checkReadAuth(state, NOW, auth(1))).toBeUndefined()
    expect(checkReadAuth(state, NOW, auth(1, NOW + 660n))).toBeUndefined()
    expect(checkReadAuth(state, NOW, auth(1, NOW + 661n))).toMatchObject({ code: 'VALID_UNTIL_TOO_FAR' })
    expect(checkReadAuth(state, NOW, auth(1, NOW))).toMatchObject({ code: 'REQUEST_EXPIRED' })
    expect(checkReadAuth(state, NOW, auth(1, NOW + 300n, keys[1]))).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(checkReadAuth(state, NOW, { ...auth(1), accountIndex: 2n })).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(checkReadAuth(state, NOW, auth(9, NOW + 300n, keys[0]))).toMatchObject({ code: 'UNKNOWN_ACCOUNT' })
  })

  it('verify each distinct authorization once, still judging its times at every use', () => {
    const checker = new ReadAuthChecker()
    const a = auth(1)
    expect(checker.check(state, NOW, a, text(a))).toBeUndefined()
    expect(checker.check(state, NOW + 10n, a, text(a))).toBeUndefined()
    expect(checker.size).toBe(1)
    expect(checker.check(state, NOW + 300n, a, text(a))).toMatchObject({ code: 'REQUEST_EXPIRED' })
    const forged = auth(2, NOW + 300n, keys[0])
    expect(checker.check(state, NOW, forged, text(forged))).toMatchObject({ code: 'BAD_SIGNATURE' })
    expect(checker.size).toBe(1)
  })

  it('remember at most their capacity, dropping expired ones first, then the oldest', () => {
    const checker = new ReadAuthChecker(2)
    const [a, b, c] = [auth(1, NOW + 10n), auth(2), auth(3)]
    for (const x of [a, b]) expect(checker.check(state, NOW, x, text(x))).toBeUndefined()
    expect(checker.size).toBe(2)
    // At NOW + 20, a has expired: it goes, b stays.
    expect(checker.check(state, NOW + 20n, c, text(c))).toBeUndefined()
    expect(checker.size).toBe(2)
    const d = auth(1, NOW + 400n)
    expect(checker.check(state, NOW + 20n, d, text(d))).toBeUndefined()
    expect(checker.size).toBe(2)
  })
})
