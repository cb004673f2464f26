/**
 * The pause between two polls of a loop that can be woken early: the node's L1 sync loop and
 * the replica's follow loop both wait an interval, or less when they are told to stop.
 *
 * @example
 * const timer = new PollTimer(1_000)
 * while (running) { await timer.wait(); if (!running) break; await poll() }
 * // elsewhere: running = false; timer.interrupt()
 */
export class PollTimer {
  readonly #intervalMs: number
  #timer: NodeJS.Timeout | undefined
  #wake: (() => void) | undefined

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** Resolves after the interval, or at once when `interrupt` is called meanwhile. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve
      this.#timer = setTimeout(resolve, this.#intervalMs)
    })
  }

  /** Ends the current wait now (a later `wait` waits again). */
  interrupt(): void {
    clearTimeout(this.#timer)
    this.#wake?.()
  }
}
