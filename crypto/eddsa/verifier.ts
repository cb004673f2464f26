/**
 * EdDSA-Poseidon verification on BabyJubJub with the exact accept set of
 * `@zk-kit/eddsa-poseidon`'s `verifySignature` (and circomlibjs's `verifyPoseidon`), at a
 * fraction of its cost.
 *
 * The reference accepts (m, (R8, S), A) iff R8 and A are on the curve, S < l, and
 * [S]B8 == R8 + [8h]A with h = Poseidon(R8.x, R8.y, A.x, A.y, m), as exact points. This checks
 * the same equation as [S]B8 - [h mod l]([8]A) == R8: [8]A lies in the subgroup of prime order
 * l, so [8h]A = [h]([8]A) = [h mod l]([8]A). R8 is compared exactly, not after multiplying by
 * the cofactor, so an R8 with a small-order component is refused as the reference (and the
 * circuit, which also adds R8 uncofactored) refuses it.
 *
 * Speed: the group arithmetic runs in wasm (wasmCurve.ts). [S]B8 comes from B8's fixed-base
 * table (no doublings); [h]([8]A) from a per-key fixed-base table, kept in a slot of wasm
 * memory for keys in the LRU cache once a key has been seen `tableAfterUses` times, from a
 * windowed Horner loop before that. See docs/signatures.md for the numbers.
 *
 * Inputs are bigints. Coordinates, S and m that are >= P are taken mod P, as the reference's
 * arithmetic does for non-negative values (every product it forms is reduced before it is
 * compared, and Poseidon reduces its inputs in its first full round). A negative value is
 * refused: the reference loops forever on a negative S or a negative hash and does sign-dependent
 * non-field arithmetic on negative coordinates, and the circuit cannot receive one.
 */
import { hash } from '../../state/poseidon.js'
import { isOnCurve, SUBGROUP_ORDER } from './curve.js'
import { EddsaError } from './errors.js'
import { P } from './field.js'
import { LruCache } from './lruCache.js'
import { WasmCurve } from './wasmCurve.js'

/** A point in circomlib's coordinates. */
export type AffinePoint = { readonly x: bigint; readonly y: bigint }
/** An EdDSA-Poseidon signature. */
export type EddsaSignature = { readonly R8: AffinePoint; readonly S: bigint }

export type VerifierOptions = {
  /** Public keys whose tables are kept (default 1,024; a table is 108 KB of wasm memory at w = 4). */
  readonly keyCacheSize?: number
  /** Window width of per-key tables, 2..8 (default 4: 64 additions, 512 points per key). */
  readonly keyWindowBits?: number
  /** Uses of a key before its table is built (default 2: a table costs about 3 cold verifications). */
  readonly tableAfterUses?: number
  /**
   * Also refuse public keys of small order ([8]A = identity), as circomlib's
   * `EdDSAPoseidonVerifier` does (`IsZero` on the x of [8]A). The reference library accepts a
   * signature under such a key whenever [S]B8 == R8, which anyone can produce. Default false.
   */
  readonly rejectSmallOrderKeys?: boolean
}

/** What the verifier knows about one public key. */
type KeyEntry = {
  readonly y: bigint
  /** [8]A is the identity. */
  readonly smallOrder: boolean
  uses: number
  /** The slot of its table in the wasm instance, once built. */
  slot: number | undefined
}

/** Counters, for the benchmark and for tests of the cache policy. */
export type VerifierStats = { verified: number; tablesBuilt: number; coldMultiplications: number }

/** A verifier with its own key cache and wasm instance. Not shared across threads; one per worker. */
export class EddsaPoseidonVerifier {
  readonly #keys: LruCache<bigint, KeyEntry>
  readonly #keyWindowBits: number
  #wasm: WasmCurve | undefined
  readonly #tableAfterUses: number
  readonly #rejectSmallOrderKeys: boolean
  readonly stats: VerifierStats = { verified: 0, tablesBuilt: 0, coldMultiplications: 0 }

  constructor(options: VerifierOptions = {}) {
    const keyWindowBits = options.keyWindowBits ?? 4
    this.#tableAfterUses = options.tableAfterUses ?? 2
    this.#rejectSmallOrderKeys = options.rejectSmallOrderKeys ?? false
    if (!Number.isInteger(keyWindowBits) || keyWindowBits < 2 || keyWindowBits > 8)
      throw new EddsaError(`keyWindowBits must be an integer in 2..8, got ${keyWindowBits}`)
    if (!Number.isInteger(this.#tableAfterUses) || this.#tableAfterUses < 1)
      throw new EddsaError(`tableAfterUses must be a positive integer, got ${this.#tableAfterUses}`)
    this.#keys = new LruCache(options.keyCacheSize ?? 1024, (_, entry) => this.#release(entry))
    this.#keyWindowBits = keyWindowBits
  }

  /** The wasm instance, made at the first verification (importing state/ should not build B8's table). */
  get #curve(): WasmCurve {
    this.#wasm ??= new WasmCurve(this.#keyWindowBits)
    return this.#wasm
  }

  /** True when `signature` signs `message` under `publicKey`; false for any malformed input. */
  verify(message: bigint, signature: EddsaSignature, publicKey: AffinePoint): boolean {
    if (!isWellFormed(message, signature, publicKey)) return false
    const S = signature.S
    if (S >= SUBGROUP_ORDER) return false
    const rx = signature.R8.x % P
    const ry = signature.R8.y % P
    if (!isOnCurve(rx, ry)) return false
    const ax = publicKey.x % P
    const ay = publicKey.y % P
    const key = this.#key(ax, ay)
    if (key === undefined) return false
    if (key.smallOrder && this.#rejectSmallOrderKeys) return false
    this.stats.verified++

    const h = hash([rx, ry, ax, ay, message % P])
    // [h]([8]A) = [h mod l]([8]A); with a small-order key (or h = 0 mod l) the term vanishes.
    const hl = key.smallOrder ? 0n : h % SUBGROUP_ORDER
    if (key.slot !== undefined) return this.#curve.verifyWithTable(key.slot, hl, S, rx, ry)
    if (hl !== 0n) {
      this.#curve.loadKey(ax, ay)
      this.stats.coldMultiplications++
    }
    return this.#curve.verifyCold(hl, S, rx, ry)
  }

  /** The cache entry for reduced (ax, ay), counting this use; undefined when A is off the curve. */
  #key(ax: bigint, ay: bigint): KeyEntry | undefined {
    let entry = this.#keys.get(ax)
    if (entry === undefined || entry.y !== ay) {
      if (!isOnCurve(ax, ay)) return undefined
      if (entry !== undefined) this.#release(entry)
      entry = { y: ay, smallOrder: !this.#curve.loadKey(ax, ay), uses: 0, slot: undefined }
      this.#keys.set(ax, entry)
    }
    entry.uses++
    if (entry.slot === undefined && !entry.smallOrder && entry.uses >= this.#tableAfterUses) {
      this.#curve.loadKey(ax, ay)
      entry.slot = this.#curve.tableFromKey()
      this.stats.tablesBuilt++
    }
    return entry
  }

  /** Gives an entry's table slot back to the wasm instance. */
  #release(entry: KeyEntry): void {
    if (entry.slot !== undefined) this.#curve.freeSlot(entry.slot)
    entry.slot = undefined
  }

  /** Forgets every cached key. */
  clearKeys(): void {
    for (const entry of this.#keys.values()) this.#release(entry)
    this.#keys.clear()
  }
}

/** Bigints everywhere, none negative: anything else is refused before any arithmetic (and before a pool sends it to a worker). */
export function isWellFormed(message: unknown, signature: EddsaSignature, publicKey: AffinePoint): boolean {
  const nonNegative = (v: unknown) => typeof v === 'bigint' && v >= 0n
  return (
    nonNegative(message) &&
    typeof signature === 'object' &&
    signature !== null &&
    typeof signature.R8 === 'object' &&
    signature.R8 !== null &&
    nonNegative(signature.R8.x) &&
    nonNegative(signature.R8.y) &&
    nonNegative(signature.S) &&
    typeof publicKey === 'object' &&
    publicKey !== null &&
    nonNegative(publicKey.x) &&
    nonNegative(publicKey.y)
  )
}

let defaultVerifier: EddsaPoseidonVerifier | undefined

/**
 * `@zk-kit/eddsa-poseidon`'s `verifySignature(message, { R8: [x, y], S }, [x, y])`, fast; a
 * process-wide verifier with the default options.
 *
 * @example verifyEddsaPoseidon(m, { R8: { x, y }, S }, { x: ax, y: ay }) // boolean
 */
export function verifyEddsaPoseidon(message: bigint, signature: EddsaSignature, publicKey: AffinePoint): boolean {
  defaultVerifier ??= new EddsaPoseidonVerifier()
  return defaultVerifier.verify(message, signature, publicKey)
}
