/**
 * k * base for a point seen once (a cold public key), where building a fixed-base table would
 * cost more than it saves: Horner over signed w-bit windows, w doublings then at most one
 * addition from a small table of 1..2^(w-1) times base per window.
 */
import { addCached, double, type Extended, IDENTITY, toCached, type Cached } from './curve.js'
import { signedWindows, windowCount } from './windows.js'

/** acc + k * base, or acc - k * base when `negate`, for 0 <= k < 2^bits. */
export function addVariableMultiple(acc: Extended, base: Extended, k: bigint, bits: number, negate: boolean, w = 4): Extended {
  const windows = windowCount(bits, w)
  const digits = signedWindows(k, w, windows)
  const half = 1 << (w - 1)
  const multiples: Cached[] = [toCached(base)]
  let multiple = base
  for (let j = 2; j <= half; j++) {
    multiple = j === 2 ? double(base) : addCached(multiple, multiples[0]!, false)
    multiples.push(toCached(multiple))
  }
  let sum = IDENTITY
  let started = false
  for (let i = windows - 1; i >= 0; i--) {
    if (started) {
      for (let b = 1; b < w; b++) sum = double(sum, false)
      sum = double(sum, true)
    }
    const d = digits[i]!
    if (d === 0) continue
    sum = addCached(sum, multiples[Math.abs(d) - 1]!, d < 0 !== negate)
    started = true
  }
  return addCached(acc, toCached(sum), false)
}
