/**
 * `crypto.eddsa_verify_per_s`: EdDSA-Poseidon signature verifications per second on one core,
 * with crypto/eddsa's verifier (state/eddsa.ts `verifyField`'s), for 1,000 accounts that each
 * signed several orders and whose key tables are cached (the sequencer's steady state).
 * `crypto.eddsa_verify_cold_per_s`: the same for keys seen for the first time (no table).
 * `crypto.eddsa_verify_reference_per_s`: @zk-kit/eddsa-poseidon's `verifySignature`, the
 * implementation verifyField used before, on a few of the same signatures.
 * `crypto.eddsa_verify_pool_per_s`: the warm case on crypto/eddsa/pool.ts with 2 worker threads
 * (the development machine's 2 cores), batches of 1,200, the main thread only dispatching.
 * `crypto.eddsa_sign_per_s`: signatures per second on one core with crypto/eddsa's signer
 * (state/eddsa.ts `signField`, sdk/eddsa.ts `signMessage`), one private key signing many
 * messages (a market maker quoting); the progress lines add a fresh key per signature and
 * @zk-kit's `signMessage` on a few samples.
 *
 * Signatures are made by crypto/eddsa's signer from deterministic private keys; the reference
 * checks a sample first. Each figure is the median of RUNS timed passes over a deterministic
 * shuffle of the signatures. Every verification and signature includes the challenge hash
 * (state/poseidon.ts), which the progress lines report apart.
 */
import { EddsaPoseidonVerifier, type AffinePoint, type EddsaSignature } from '../crypto/eddsa/index.js'
import { EddsaVerifierPool } from '../crypto/eddsa/pool.js'
import { EddsaPoseidonSigner, signMessageFast } from '../crypto/eddsa/signer.js'
import { referenceVerify, zkEddsa } from '../crypto/eddsa/testing.js'
import { hash } from '../state/poseidon.js'
import type { Benchmark } from './figure.js'
import { BenchError, median, progress } from './support.js'

const ACCOUNTS = 1000
const ORDERS_PER_ACCOUNT = 4
const RUNS = 5
const WARM_PER_RUN = 600
const COLD_PER_RUN = 150
const REFERENCE_SAMPLES = 6
const SIGNATURES_PER_RUN = 1000
const POOL_WORKERS = 2
const POOL_BATCH = 1200
const REFERENCE_SIGNATURES = 3

type Signed = { readonly message: bigint; readonly signature: EddsaSignature; readonly publicKey: AffinePoint }

/** Deterministic 64-bit-ish randomness (two LCG draws per value, folded into a bigint). */
function generator(seed: number): (bound: bigint) => bigint {
  let s = seed >>> 0
  const next = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return BigInt(s)
  }
  return (bound) => {
    let v = 0n
    for (let i = 0; i < 9; i++) v = (v << 32n) | next()
    return v % bound
  }
}

/** A 32-byte private key from `random`. */
function privateKey(random: (bound: bigint) => bigint): Uint8Array {
  return Buffer.from(random(1n << 256n).toString(16).padStart(64, '0'), 'hex')
}

/** `accounts` keys, each signing `perAccount` order messages. */
export function signedOrders(accounts: number, perAccount: number, seed = 7): Signed[] {
  const random = generator(seed)
  const out: Signed[] = []
  for (let a = 0; a < accounts; a++) {
    const signer = new EddsaPoseidonSigner(privateKey(random))
    for (let o = 0; o < perAccount; o++) {
      const message = random(1n << 253n)
      out.push({ message, signature: signer.sign(message), publicKey: signer.publicKey })
    }
  }
  // Orders arrive interleaved across accounts.
  const pick = generator(seed + 1)
  for (let i = out.length - 1; i > 0; i--) {
    const j = Number(pick(BigInt(i + 1)))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** Operations per second of `op` over `items`, throwing unless every one succeeds. */
function rate<T>(items: readonly T[], op: (item: T) => boolean): number {
  const started = process.hrtime.bigint()
  for (const item of items) if (!op(item)) throw new BenchError('a valid signature did not verify')
  return items.length / (Number(process.hrtime.bigint() - started) / 1e9)
}

export const eddsaVerify: Benchmark = {
  figures: ['crypto.eddsa_verify_per_s', 'crypto.eddsa_verify_cold_per_s', 'crypto.eddsa_verify_reference_per_s', 'crypto.eddsa_verify_pool_per_s', 'crypto.eddsa_sign_per_s'],
  run: async (wanted) => {
    const orders = signedOrders(ACCOUNTS, ORDERS_PER_ACCOUNT)
    for (const s of orders.slice(0, 2))
      if (!referenceVerify(s.message, s.signature, s.publicKey)) throw new BenchError('@zk-kit refuses a benchmark signature')

    const figures = []
    if (wanted.includes('crypto.eddsa_verify_per_s')) {
      const verifier = new EddsaPoseidonVerifier({ keyCacheSize: ACCOUNTS, tableAfterUses: 1 })
      const started = process.hrtime.bigint()
      // Each account's first order builds its key's table.
      for (const s of orders) verifier.verify(s.message, s.signature, s.publicKey)
      const warmUp = Number(process.hrtime.bigint() - started) / 1e9
      progress(`eddsa: warm-up ${warmUp.toFixed(1)} s, ${verifier.stats.tablesBuilt} key tables built`)
      const runs: number[] = []
      for (let r = 0; r < RUNS; r++) {
        const slice = orders.slice((r * WARM_PER_RUN) % orders.length).slice(0, WARM_PER_RUN)
        runs.push(rate(slice, (s) => verifier.verify(s.message, s.signature, s.publicKey)))
      }
      if (verifier.stats.tablesBuilt !== ACCOUNTS) throw new BenchError(`expected ${ACCOUNTS} key tables, built ${verifier.stats.tablesBuilt}`)
      progress(`eddsa warm: median ${Math.round(median(runs))}/s over ${RUNS} runs of ${WARM_PER_RUN} (${runs.map(Math.round).join(', ')})`)
      figures.push({ name: 'crypto.eddsa_verify_per_s', value: Math.round(median(runs)), unit: 'verifications/s' })
    }
    if (wanted.includes('crypto.eddsa_verify_cold_per_s')) {
      const runs: number[] = []
      for (let r = 0; r < RUNS; r++) {
        const verifier = new EddsaPoseidonVerifier({ tableAfterUses: Number.MAX_SAFE_INTEGER })
        runs.push(rate(orders.slice(r * COLD_PER_RUN, (r + 1) * COLD_PER_RUN), (s) => verifier.verify(s.message, s.signature, s.publicKey)))
      }
      progress(`eddsa cold keys: median ${Math.round(median(runs))}/s (${runs.map(Math.round).join(', ')})`)
      figures.push({ name: 'crypto.eddsa_verify_cold_per_s', value: Math.round(median(runs)), unit: 'verifications/s' })
    }
    if (wanted.includes('crypto.eddsa_verify_reference_per_s')) {
      const perSecond = rate(orders.slice(0, REFERENCE_SAMPLES), (s) => referenceVerify(s.message, s.signature, s.publicKey))
      progress(`eddsa @zk-kit reference: ${perSecond.toFixed(1)}/s over ${REFERENCE_SAMPLES} verifications`)
      figures.push({ name: 'crypto.eddsa_verify_reference_per_s', value: Math.round(perSecond * 10) / 10, unit: 'verifications/s' })
    }
    if (wanted.includes('crypto.eddsa_verify_pool_per_s')) {
      const pool = new EddsaVerifierPool({ workers: POOL_WORKERS, keyCacheSize: ACCOUNTS, tableAfterUses: 1 })
      try {
        const batches = Array.from({ length: RUNS }, (_, r) => orders.slice((r * POOL_BATCH) % orders.length).slice(0, POOL_BATCH))
        const started = process.hrtime.bigint()
        // Each batch once first: every worker builds the tables of the keys its chunks hold.
        for (const batch of batches) await pool.verifyAll(batch)
        progress(`eddsa pool: warm-up ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s on ${POOL_WORKERS} workers`)
        const runs: number[] = []
        for (const slice of batches) {
          const t = process.hrtime.bigint()
          const results = await pool.verifyAll(slice)
          if (!results.every(Boolean)) throw new BenchError('a valid signature did not verify in the pool')
          runs.push(slice.length / (Number(process.hrtime.bigint() - t) / 1e9))
        }
        progress(`eddsa pool (${POOL_WORKERS} workers): median ${Math.round(median(runs))}/s over ${RUNS} batches of ${POOL_BATCH} (${runs.map(Math.round).join(', ')})`)
        figures.push({ name: 'crypto.eddsa_verify_pool_per_s', value: Math.round(median(runs)), unit: 'verifications/s' })
      } finally {
        await pool.close()
      }
    }
    if (wanted.includes('crypto.eddsa_sign_per_s')) {
      const random = generator(11)
      const key = privateKey(random)
      const messages = Array.from({ length: SIGNATURES_PER_RUN }, () => random(1n << 253n))
      signMessageFast(key, 0n) // the first signature derives the key
      const runs: number[] = []
      for (let r = 0; r < RUNS; r++) runs.push(rate(messages, (message) => signMessageFast(key, message).S >= 0n))
      const keys = Array.from({ length: 200 }, () => privateKey(random))
      const freshKeys = rate(keys, (k) => signMessageFast(k, 1n).S >= 0n)
      const reference = rate(messages.slice(0, REFERENCE_SIGNATURES), (message) => zkEddsa.signMessage(key, message).S >= 0n)
      const sample = zkEddsa.signMessage(key, messages[0]!)
      const ours = signMessageFast(key, messages[0]!)
      if (sample.S !== ours.S || sample.R8[0] !== ours.R8.x || sample.R8[1] !== ours.R8.y) throw new BenchError('the fast signer disagrees with @zk-kit')
      progress(`eddsa sign, one key: median ${Math.round(median(runs))}/s (${runs.map(Math.round).join(', ')}); a new key each time: ${Math.round(freshKeys)}/s; @zk-kit signMessage: ${reference.toFixed(1)}/s over ${REFERENCE_SIGNATURES}`)
      figures.push({ name: 'crypto.eddsa_sign_per_s', value: Math.round(median(runs)), unit: 'signatures/s' })
    }
    const hashes = orders.slice(0, 300)
    const hashRate = rate(hashes, (s) => hash([s.signature.R8.x, s.signature.R8.y, s.publicKey.x, s.publicKey.y, s.message]) >= 0n)
    progress(`eddsa: the challenge hash alone (Poseidon(5), state/poseidon.ts) runs at ${Math.round(hashRate)}/s`)
    return figures
  },
}
