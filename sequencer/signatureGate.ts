/**
 * Checks the signatures of incoming orders on worker threads before the engine sees them, so
 * that the event loop, which every request shares, spends a lookup on a signature instead of a
 * verification (~120 µs on one core: curve arithmetic and the Poseidon(5) challenge). The
 * worker also hashes the order's message, Poseidon(8) of its fields (~60 µs), and returns it
 * with the verdict: it is recorded as the order object's message (`rememberOrderMessage`).
 *
 * The engine stays the judge: it calls `verifyField` on every order as before. A signature
 * the pool found valid was recorded with `noteVerified` (same verifier options), so that call
 * is a cache hit; one the pool refused, or could not check (a worker died), is verified again
 * by the engine, which refuses it with its usual error. The gate never refuses anything.
 *
 * Orders that arrive in one event-loop turn go to the pool as one message (one round trip a
 * turn, not one an order) and their promises settle in arrival order, so the gate does not
 * reorder requests.
 */
import { EddsaVerifierPool, type HashedVerdict, type HashedVerifyItem } from '../crypto/eddsa/pool.js'
import { noteVerified, VERIFIER_OPTIONS } from '../state/eddsa.js'
import { orderMessageInputs, rememberOrderMessage } from '../state/messages.js'
import type { RollupState } from '../state/rollupState.js'
import type { Order, SignedOrder } from '../state/types.js'

/** What the gate found: verified ahead, refused by the pool, or not checked ahead (no pool, unknown account, pool failure). */
export type GateVerdict = 'verified' | 'refused' | 'unchecked'

type Waiting = { readonly order: Order; readonly item: HashedVerifyItem; readonly since: number; readonly done: (verdict: GateVerdict) => void }

/** Pre-verification of order signatures on a verifier pool; `workers: 0` checks nothing ahead. */
export class SignatureGate {
  readonly #pool: EddsaVerifierPool | undefined
  #queue: Waiting[] = []
  #scheduled = false

  readonly #onWait: ((seconds: number) => void) | undefined

  /** `onWait` hears how long each checked order waited for its verdict (the node's metrics). */
  constructor(options: { readonly workers: number; readonly workerUrl?: URL; readonly onWait?: (seconds: number) => void }) {
    this.#onWait = options.onWait
    this.#pool = options.workers > 0 ? new EddsaVerifierPool({ ...VERIFIER_OPTIONS, workers: options.workers, ...(options.workerUrl ? { workerUrl: options.workerUrl } : {}) }) : undefined
  }

  /** Worker threads checking signatures (0: the engine verifies every signature itself). */
  get workers(): number {
    return this.#pool?.size ?? 0
  }

  /**
   * Resolves once the order's signature was checked ahead under the key its account holds
   * now; at once, 'unchecked', when there is nothing to check ahead (no pool, unknown
   * account). Never rejects.
   */
  order(state: RollupState, signed: SignedOrder): Promise<GateVerdict> {
    const index = signed.order.accountIndex
    if (!this.#pool || typeof index !== 'bigint' || !state.inRange(index) || !state.exists(index)) return Promise.resolve('unchecked')
    const item = { messageInputs: orderMessageInputs(signed.order), signature: signed.signature, publicKey: state.account(index).pubKey }
    return this.#check(signed.order, item)
  }

  #check(order: Order, item: HashedVerifyItem): Promise<GateVerdict> {
    return new Promise((done) => {
      this.#queue.push({ order, item, since: performance.now(), done })
      if (this.#scheduled) return
      this.#scheduled = true
      setImmediate(() => void this.#flush())
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#queue
    this.#queue = []
    this.#scheduled = false
    let results: HashedVerdict[] | undefined
    try {
      results = await this.#pool!.verifyHashedAll(batch.map((w) => w.item))
    } catch {
      // The pool failed: the engine verifies these signatures itself.
    }
    const settled = performance.now()
    batch.forEach(({ order, item, since, done }, i) => {
      this.#onWait?.((settled - since) / 1000)
      const verdict = results?.[i]
      if (!verdict) return done('unchecked')
      if (verdict.valid && verdict.message !== undefined) {
        rememberOrderMessage(order, verdict.message)
        noteVerified(verdict.message, item.signature, item.publicKey)
      }
      done(verdict.valid ? 'verified' : 'refused')
    })
  }

  /** Stops the worker threads. */
  async close(): Promise<void> {
    await this.#pool?.close()
  }
}
