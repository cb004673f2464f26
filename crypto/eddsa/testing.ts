/**
 * Test helpers: the reference verifier (@zk-kit/eddsa-poseidon, loaded through its CommonJS
 * build as state/eddsa.ts does), BabyJubJub's small-order points, and a fast signer for
 * crafted signatures (keys with a torsion component, small-order keys) that the reference
 * library cannot produce. Whatever this signer makes, the tests let the reference judge.
 */
import { createRequire } from 'node:module'
import { hash } from '../../state/poseidon.js'
import { mulBase8 } from './base8.js'
import { addCached, type Extended, fromAffine, IDENTITY, isIdentity, SUBGROUP_ORDER, toAffine, toCached } from './curve.js'
import { P } from './field.js'
import { addVariableMultiple } from './variableBase.js'
import type { AffinePoint, EddsaSignature } from './verifier.js'

const require = createRequire(import.meta.url)
export const zkEddsa = require('@zk-kit/eddsa-poseidon') as typeof import('@zk-kit/eddsa-poseidon')
export const zkBabyJub = require('@zk-kit/baby-jubjub') as typeof import('@zk-kit/baby-jubjub')

/** @zk-kit's verifySignature on our shapes; a throw counts as false (as state/eddsa.ts did). */
export function referenceVerify(message: bigint, signature: EddsaSignature, publicKey: AffinePoint): boolean {
  try {
    return zkEddsa.verifySignature(message, { R8: [signature.R8.x, signature.R8.y], S: signature.S }, [publicKey.x, publicKey.y])
  } catch {
    return false
  }
}

/** k * B8 in circomlib's coordinates, for any k >= 0 below 2^251 (the shared table's). */
export { mulBase8 }

/** p + q in circomlib's coordinates. */
export function addPoints(p: AffinePoint, q: AffinePoint): AffinePoint {
  return toAffine(addCached(fromAffine(p.x, p.y), toCached(fromAffine(q.x, q.y)), false))
}

/** k * p in circomlib's coordinates, for 0 <= k < 2^251. */
export function mulPoint(p: AffinePoint, k: bigint): AffinePoint {
  return toAffine(addVariableMultiple(IDENTITY, fromAffine(p.x, p.y), k, 251, false))
}

/**
 * The points of order 1, 2, 4 and 8 of one cyclic torsion subgroup: [l]Q for a curve point Q
 * whose [l]Q has order 8 (found from the first y for which x exists), and its multiples.
 */
export function torsionPoints(): { readonly identity: AffinePoint; readonly order2: AffinePoint; readonly order4: AffinePoint; readonly order8: AffinePoint } {
  for (let y = 2n; ; y++) {
    const q = zkBabyJub.unpackPoint(y)
    if (q === null) continue
    const t: Extended = addVariableMultiple(IDENTITY, fromAffine(q[0], q[1]), SUBGROUP_ORDER, 251, false)
    const order8 = toAffine(t)
    const order4 = addPoints(order8, order8)
    const order2 = addPoints(order4, order4)
    if (isIdentity(fromAffine(order2.x, order2.y))) continue
    return { identity: { x: 0n, y: 1n }, order2, order4, order8 }
  }
}

/**
 * A signature that @zk-kit's equation accepts under A = publicKey, where [8]A = [8 * secret]B8
 * (any torsion component of A is killed by the 8): S = r + 8 * h * secret mod l.
 */
export function signAs(secret: bigint, publicKey: AffinePoint, nonce: bigint, message: bigint): EddsaSignature {
  const R8 = mulBase8(nonce % SUBGROUP_ORDER)
  const h = hash([R8.x, R8.y, publicKey.x, publicKey.y, message % P])
  return { R8, S: (nonce + 8n * h * secret) % SUBGROUP_ORDER }
}
