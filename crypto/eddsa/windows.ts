/**
 * Signed fixed-window recoding of a scalar: k = sum of digits[i] * 2^(w*i), each digit in
 * [-2^(w-1), 2^(w-1) - 1]. Signed digits halve the tables (negating a point is free on an
 * Edwards curve) and let one window size serve both the fixed-base tables and the Horner loop.
 */
import { EddsaError } from './errors.js'

/** How many w-bit signed windows a scalar below 2^bits needs (the top digit must stay < 2^(w-1)). */
export function windowCount(bits: number, w: number): number {
  return Math.ceil((bits + 2) / w)
}

/** The signed w-bit windows of `k` (0 <= k < 2^(w*count - 2)), least significant first. */
export function signedWindows(k: bigint, w: number, count: number): Int32Array {
  if (w < 2 || w > 16) throw new EddsaError(`window width ${w} is outside 2..16`)
  if (k < 0n || k >> BigInt(w * count - 2) !== 0n) throw new EddsaError(`scalar ${k} does not fit ${count} windows of ${w} bits`)
  // 32-bit words first: one bigint operation per word instead of several per window.
  const words = new Uint32Array(((w * count) >>> 5) + 2)
  let rest = k
  for (let i = 0; rest !== 0n; i++) {
    words[i] = Number(rest & 0xffffffffn)
    rest >>= 32n
  }
  const full = 1 << w
  const half = full >>> 1
  const mask = full - 1
  const digits = new Int32Array(count)
  let carry = 0
  for (let i = 0; i < count; i++) {
    const bit = i * w
    const word = bit >>> 5
    const offset = bit & 31
    let v = words[word]! >>> offset
    if (offset + w > 32) v |= words[word + 1]! << (32 - offset)
    v = (v & mask) + carry
    if (v >= half) {
      digits[i] = v - full
      carry = 1
    } else {
      digits[i] = v
      carry = 0
    }
  }
  return digits
}
