/**
 * A bounded least-recently-used map. A JavaScript Map iterates in insertion order, so moving
 * an entry to the end on every hit makes the first key the least recently used one.
 */
import { EddsaError } from './errors.js'

export class LruCache<K, V> {
  readonly #entries = new Map<K, V>()

  /** `onEvict` is called with each entry dropped to make room (not for `clear` or overwrites). */
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new EddsaError(`LRU capacity must be a positive integer, got ${capacity}`)
  }

  /** The entry for `key`, now the most recently used, or undefined. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, value)
    return value
  }

  /** Stores `value` as the most recently used entry, evicting the least recently used one when full. */
  set(key: K, value: V): void {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next()
      if (!oldest.done) {
        const evicted = this.#entries.get(oldest.value)!
        this.#entries.delete(oldest.value)
        this.onEvict?.(oldest.value, evicted)
      }
    }
  }

  /** The values, least recently used first. */
  values(): IterableIterator<V> {
    return this.#entries.values()
  }

  get size(): number {
    return this.#entries.size
  }

  clear(): void {
    this.#entries.clear()
  }
}
