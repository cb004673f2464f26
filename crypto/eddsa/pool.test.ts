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
