/**
 * An undo log shared by every tree of one state, so that a batch or a transaction that fails
 * half way is rolled back exactly (the pure core never copies whole trees).
 */
export class Journal {
  readonly #undo: (() => void)[] = []

  /** Records how to undo one write. */
  record(undo: () => void): void {
    this.#undo.push(undo)
  }

  /** A position to roll back to. */
  mark(): number {
    return this.#undo.length
  }

  /** Undoes every write recorded after `mark`, newest first. */
  rollback(mark: number): void {
    while (this.#undo.length > mark) this.#undo.pop()!()
  }

  /** Forgets the recorded writes (they can no longer be undone). */
  commit(): void {
    this.#undo.length = 0
  }
}
