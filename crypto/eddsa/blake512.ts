/**
 * BLAKE-512 (the SHA-3 finalist, 16 rounds, no salt): the key-expansion and nonce hash of
 * circomlib's EdDSA, which `@zk-kit/eddsa-poseidon`'s default build and circomlibjs use.
 *
 * Written from the BLAKE specification (Aumasson, Henzen, Meier, Phan, "SHA-3 proposal
 * BLAKE", v1.3) on pairs of 32-bit words, because JavaScript has no 64-bit integer type but
 * bigint, which is tens of times slower for this kind of bit mixing. Word i of the state is
 * `v[2i]` (high half) and `v[2i + 1]` (low half).
 */

/** The initial chaining value (the same as SHA-512's), as high/low 32-bit halves. */
const IV = new Int32Array([
  0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
])

/** The 16 constants c_0..c_15 (leading digits of pi), as high/low halves. */
const C = new Int32Array([
  0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0x082efa98, 0xec4e6c89,
  0x452821e6, 0x38d01377, 0xbe5466cf, 0x34e90c6c, 0xc0ac29b7, 0xc97c50dd, 0x3f84d5b5, 0xb5470917,
  0x9216d5d9, 0x8979fb1b, 0xd1310ba6, 0x98dfb5ac, 0x2ffd72db, 0xd01adfb7, 0xb8e1afed, 0x6a267e96,
  0xba7c9045, 0xf12c7f99, 0x24a19947, 0xb3916cf7, 0x0801f2e2, 0x858efc16, 0x636920d8, 0x71574e69,
])

/** The ten message permutations sigma_0..sigma_9; round r uses sigma_(r mod 10). */
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
] as const

const ROUNDS = 16
/** The state word indices of G_0..G_7: four columns, then four diagonals. */
const G_WORDS = [
  [0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 14], [3, 7, 11, 15],
  [0, 5, 10, 15], [1, 6, 11, 12], [2, 7, 8, 13], [3, 4, 9, 14],
] as const

const TWO_32 = 0x100000000

/**
 * v[a] += hi:lo, in int32 arithmetic (V8 keeps it in registers; doubles above 2^31 would not
 * be): the carry out of the low half is detected as an unsigned wrap-around.
 */
function add64(v: Int32Array, a: number, hi: number, lo: number): void {
  const lo0 = v[2 * a + 1]!
  const sum = (lo0 + lo) | 0
  v[2 * a] = (v[2 * a]! + hi + ((sum >>> 0) < (lo0 >>> 0) ? 1 : 0)) | 0
  v[2 * a + 1] = sum
}

/** v[d] = (v[d] xor v[a]) rotated right by n, 0 < n < 32. */
function xorRotate(v: Int32Array, d: number, a: number, n: number): void {
  const hi = v[2 * d]! ^ v[2 * a]!
  const lo = v[2 * d + 1]! ^ v[2 * a + 1]!
  v[2 * d] = (hi >>> n) | (lo << (32 - n))
  v[2 * d + 1] = (lo >>> n) | (hi << (32 - n))
}

/** v[d] = (v[d] xor v[a]) rotated by 32: the halves swap. */
function xorSwap(v: Int32Array, d: number, a: number): void {
  const hi = v[2 * d]! ^ v[2 * a]!
  v[2 * d] = v[2 * d + 1]! ^ v[2 * a + 1]!
  v[2 * d + 1] = hi
}

/** The message and state words of one compression, reused (module-level: no allocation per block). */
const m = new Int32Array(32)
const v = new Int32Array(32)

/** One G function: mixes state words a, b, c, d with message words j and k. */
function mix(a: number, b: number, c: number, d: number, j: number, k: number): void {
  add64(v, a, v[2 * b]!, v[2 * b + 1]!)
  add64(v, a, m[2 * j]! ^ C[2 * k]!, m[2 * j + 1]! ^ C[2 * k + 1]!)
  xorSwap(v, d, a)
  add64(v, c, v[2 * d]!, v[2 * d + 1]!)
  xorRotate(v, b, c, 25)
  add64(v, a, v[2 * b]!, v[2 * b + 1]!)
  add64(v, a, m[2 * k]! ^ C[2 * j]!, m[2 * k + 1]! ^ C[2 * j + 1]!)
  xorRotate(v, d, a, 16)
  add64(v, c, v[2 * d]!, v[2 * d + 1]!)
  xorRotate(v, b, c, 11)
}

/** One compression of the 128-byte block at `block[offset..]`, with bit counter `counter`. */
function compress(h: Int32Array, block: DataView, offset: number, counter: number): void {
  for (let i = 0; i < 32; i++) m[i] = block.getInt32(offset + 4 * i, false)
  v.set(h, 0)
  v.set(C.subarray(0, 16), 16)
  // The counter's low 64 bits go into v12 and v13, the high 64 (always 0 here) into v14, v15.
  const tHi = Math.floor(counter / TWO_32) | 0
  const tLo = counter | 0
  v[24] = v[24]! ^ tHi
  v[25] = v[25]! ^ tLo
  v[26] = v[26]! ^ tHi
  v[27] = v[27]! ^ tLo
  for (let r = 0; r < ROUNDS; r++) {
    const s = SIGMA[r % 10]!
    for (let g = 0; g < 8; g++) {
      const w = G_WORDS[g]!
      mix(w[0], w[1], w[2], w[3], s[2 * g]!, s[2 * g + 1]!)
    }
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!
}

/**
 * The 64-byte BLAKE-512 digest of `message`.
 *
 * @example blake512(new Uint8Array(0)) // a8cfbbd7 3726062d ... (the empty-message vector)
 */
export function blake512(message: Uint8Array): Uint8Array {
  const h = IV.slice()
  const bits = message.length * 8
  // Padding: a 1 bit, zeros, a 1 bit at position 895 mod 1024, then the 128-bit length.
  const total = Math.ceil((message.length + 17) / 128) * 128
  const padded = new Uint8Array(total)
  padded.set(message, 0)
  padded[message.length] = 0x80
  padded[total - 17]! |= 0x01
  const tail = new DataView(padded.buffer, total - 8, 8)
  tail.setUint32(0, Math.floor(bits / TWO_32), false)
  tail.setUint32(4, bits >>> 0, false)
  const blocks = new DataView(padded.buffer)
  for (let offset = 0; offset < total; offset += 128) {
    // The counter holds the message bits up to the end of this block; 0 for a block of padding only.
    const upTo = Math.min(bits, (offset + 128) * 8)
    compress(h, blocks, offset, offset * 8 >= bits ? 0 : upTo)
  }
  const out = new Uint8Array(64)
  const view = new DataView(out.buffer)
  for (let i = 0; i < 16; i++) view.setInt32(4 * i, h[i]!, false)
  return out
}
