import { describe, expect, it } from 'vitest'
import { buildPoseidon } from 'circomlibjs'
import { l2KeyFromPrivateKey } from './keys.js'
import { CANCEL_ALL_TAG, cancelAllMessage } from './cancelAll.js'
import { cancelRequestMessage } from './messages.js'
import { SdkValidationError } from './errors.js'
import { signedStreamAuthFromJSON, signedStreamAuthToJSON, signStreamAuth, STREAM_AUTH_DEFAULT_LIFETIME_SECONDS, STREAM_AUTH_TAG, streamAuthMessage, verifyStreamAuth } from './streamAuth.js'
import { verifyField } from '../state/eddsa.js'

const key = l2KeyFromPrivateKey(new Uint8Array(32).fill(7))
const other = l2KeyFromPrivateKey(new Uint8Array(32).fill(8))

describe('stream authorization', () => {
  it('signs H(STREAM_AUTH_TAG, accountIndex, validUntil) (checked with circomlibjs Poseidon), verifiable by the sequencer', async () => {
    const auth = signStreamAuth({ accountIndex: 3n, validUntil: 1_790_000_300n }, key.privateKey)
    const poseidon = await buildPoseidon()
    expect(poseidon.F.toObject(poseidon([STREAM_AUTH_TAG, 3n, 1_790_000_300n]))).toBe(streamAuthMessage(auth))
    expect(Buffer.from(STREAM_AUTH_TAG.toString(16), 'hex').toString('ascii')).toBe('stream_auth')
    expect(verifyStreamAuth(auth, key.publicKey)).toBe(true)
    expect(verifyStreamAuth(auth, other.publicKey)).toBe(false)
    expect(verifyStreamAuth({ ...auth, validUntil: auth.validUntil + 1n }, key.publicKey)).toBe(false)
    // The sequencer's verifier agrees.
    expect(verifyField(streamAuthMessage(auth), auth.signature, key.publicKey)).toBe(true)
    // Never the message of another request kind over the same numbers.
    expect(streamAuthMessage(auth)).not.toBe(cancelRequestMessage({ accountIndex: 3n, orderId: 1_790_000_300n }))
    expect(STREAM_AUTH_TAG).not.toBe(CANCEL_ALL_TAG)
    expect(streamAuthMessage(auth)).not.toBe(cancelAllMessage({ accountIndex: 3n, seriesId: 0n, nonce: 0n, validUntil: 1_790_000_300n }))
  })

  it('defaults validUntil to five minutes past the clock it is given', () => {
    expect(signStreamAuth({ accountIndex: 1n }, key.privateKey, 1_000n).validUntil).toBe(1_000n + STREAM_AUTH_DEFAULT_LIFETIME_SECONDS)
    const local = BigInt(Math.floor(Date.now() / 1000))
    const auth = signStreamAuth({ accountIndex: 1n }, key.privateKey)
    expect(auth.validUntil - local - STREAM_AUTH_DEFAULT_LIFETIME_SECONDS).toBeLessThanOrEqual(1n)
  })

  it('round-trips through JSON and refuses malformed fields', () => {
    const auth = signStreamAuth({ accountIndex: 3n, validUntil: 1_790_000_300n }, key.privateKey)
    const j = signedStreamAuthToJSON(auth)
    expect(j).toMatchObject({ accountIndex: '3', validUntil: '1790000300' })
    expect(signedStreamAuthFromJSON(JSON.parse(JSON.stringify(j)))).toEqual(auth)
    expect(() => signedStreamAuthFromJSON({ ...j, accountIndex: 3 })).toThrow(/\$\.accountIndex: must be a canonical decimal string/)
    expect(() => signedStreamAuthFromJSON({ ...j, validUntil: (2n ** 32n).toString() })).toThrow(SdkValidationError)
    expect(() => signedStreamAuthFromJSON({ ...j, extra: '1' })).toThrow(/unexpected field/)
    expect(() => signedStreamAuthFromJSON({ ...j, signature: { ...j.signature, R8: { x: '1', y: '1' } } })).toThrow(/not a point of BabyJubJub/)
    expect(() => signStreamAuth({ accountIndex: -1n }, key.privateKey)).toThrow(SdkValidationError)
  })
})
