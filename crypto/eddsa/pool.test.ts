/**
 * The verifier pool: the same answers as one verifier, in the items' order, for valid,
 * tampered and malformed items; its failure paths (bad options, use after close).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { SUBGROUP_ORDER } from './curve.js'
import { EddsaPoolError, EddsaVerifierPool, type VerifyItem } from './pool.js'
import { EddsaPoseidonSigner } from './signer.js'
import { torsionPoints } from './testing.js'
import { EddsaPoseidonVerifier } from './verifier.js'
import { poseidon } from '../poseidon/poseidon.js'

/** Signed items from 5 keys, every third one tampered in a different way. */
function items(count: number): VerifyItem[] {
  const signers = Array.from({ length: 5 }, (_, k) => new EddsaPoseidonSigner(new Uint8Array(32).fill(k + 1)))
  const torsion = torsionPoints()
  return Array.from({ length: count }, (_, i) => {
    const signer = signers[i % signers.length]!
    const message = BigInt(i) * 7919n
    const item = { message, signature: signer.sign(message), publicKey: signer.publicKey }
    if (i % 3 !== 0) return item
    switch ((i / 3) % 4) {
      case 0:
        return { ...item, message: message + 1n }
      case 1:
        return { ...item, signature: { ...item.signature, S: (item.signature.S + 1n) % SUBGROUP_ORDER } }
      case 2:
        return { ...item, publicKey: torsion.order8 }
      default:
        return { ...item, signature: { ...item.signature, S: -item.signature.S } }
    }
  })
}

describe('EddsaVerifierPool', () => {
  const pool = new EddsaVerifierPool({ workers: 2, tableAfterUses: 1 })
  afterAll(() => pool.close())

  it('answers as a single verifier does, in order', async () => {
    const batch = items(60)
    const single = new EddsaPoseidonVerifier({ tableAfterUses: 1 })
    const expected = batch.map((item) => single.verify(item.message, item.signature, item.publicKey))
    expect(expected.filter(Boolean).length).toBe(40)
    expect(await pool.verifyAll(batch)).toEqual(expected)
    // A second pass runs on warm key tables in both workers.
    expect(await pool.verifyAll(batch)).toEqual(expected)
    expect(pool.size).toBe(2)
  })

  it('answers false for malformed items without sending them, and [] for no items', async () => {
    const [valid] = items(2).slice(1)
    const malformed = [
      { ...valid!, message: 5 as unknown as bigint },
      null as unknown as VerifyItem,
      { ...valid!, signature: null as unknown as VerifyItem['signature'] },
      { ...valid!, publicKey: { x: valid!.publicKey.x } as VerifyItem['publicKey'] },
    ]
    expect(await pool.verifyAll([valid!, ...malformed, valid!])).toEqual([true, false, false, false, false, true])
    expect(await pool.verifyAll([])).toEqual([])
  })

  it('refuses bad options and use after close', async () => {
    expect(() => new EddsaVerifierPool({ workers: 0 })).toThrow(EddsaPoolError)
    const closed = new EddsaVerifierPool({ workers: 1 })
    await closed.close()
    await expect(closed.verifyAll(items(1))).rejects.toThrow(/closed/)
  })

  it('reports a worker that cannot start (bad verifier options) as EddsaPoolError', async () => {
    const broken = new EddsaVerifierPool({ workers: 1, keyWindowBits: 99 })
    await expect(broken.verifyAll(items(2))).rejects.toThrow(EddsaPoolError)
    await broken.close()
  })
})

describe('EddsaVerifierPool.verifyHashedAll', () => {
  const pool = new EddsaVerifierPool({ workers: 2, tableAfterUses: 1 })
  afterAll(() => pool.close())
  const signer = new EddsaPoseidonSigner(new Uint8Array(32).fill(9))
  const signed = (inputs: bigint[]) => ({ messageInputs: inputs, signature: signer.sign(poseidon(inputs)), publicKey: signer.publicKey })

  it('hashes each message on the worker and answers as verifyAll does on the hashed messages', async () => {
    const batch = Array.from({ length: 9 }, (_, i) => signed([BigInt(i), 2n, 3n, BigInt(i) * 1000n, 5n, 6n, 7n, 8n]))
    const tampered = batch.map((item, i) => (i % 3 === 1 ? { ...item, messageInputs: [...item.messageInputs.slice(0, 7), 9n] } : item))
    const answers = await pool.verifyHashedAll(tampered)
    expect(answers.map((a) => a.valid)).toEqual(tampered.map((_, i) => i % 3 !== 1))
    expect(answers.map((a) => a.message)).toEqual(tampered.map((item) => poseidon(item.messageInputs)))
    const plain = tampered.map((item) => ({ message: poseidon(item.messageInputs), signature: item.signature, publicKey: item.publicKey }))
    expect(await pool.verifyAll(plain)).toEqual(answers.map((a) => a.valid))
  })

  it('answers malformed items invalid without a message, and refuses mixed or unsupported input counts', async () => {
    const good = signed([1n, 2n, 3n])
    const malformed = [
      { ...good, messageInputs: [1n, -2n, 3n] },
      { ...good, messageInputs: [1n, 2n, 3 as unknown as bigint] },
      { ...good, signature: null as unknown as typeof good.signature },
      { ...good, messageInputs: [1n, 2n] },
    ]
    expect(await pool.verifyHashedAll([good, ...malformed, good])).toEqual([{ valid: true, message: poseidon([1n, 2n, 3n]) }, { valid: false }, { valid: false }, { valid: false }, { valid: false }, { valid: true, message: poseidon([1n, 2n, 3n]) }])
    expect(await pool.verifyHashedAll([])).toEqual([])
    await expect(pool.verifyHashedAll([{ ...good, messageInputs: Array<bigint>(17).fill(1n) }])).rejects.toThrow(RangeError)
    await expect(pool.verifyHashedAll([{ ...good, messageInputs: [] }])).rejects.toThrow(RangeError)
  })
})
