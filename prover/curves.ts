/**
 * snarkjs keeps a worker pool per curve; terminating it lets a process (or a test file) exit.
 */
import { getCurveFromName } from 'ffjavascript'

/** Ends the bn128 worker threads that snarkjs started, if any. */
export async function terminateCurves(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate: () => Promise<void> } }
  if (g.curve_bn128) {
    await g.curve_bn128.terminate()
    delete g.curve_bn128
  }
}

/** The bn128 curve (shared with snarkjs through its global cache). */
export async function bn128(): Promise<unknown> {
  return getCurveFromName('bn128', true)
}
