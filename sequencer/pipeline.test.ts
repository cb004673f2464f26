/**
 * The pipeline's scheduling: proofs side by side, submissions strictly in batch order, halts,
 * and the bounded list of batches. The prover here is one whose proofs the test finishes by
 * hand, in any order: a real prover cannot be made to finish out of order on demand. Real
 * proofs through the same pipeline, verified on L1, are test/e2e.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { Mined } from '../l1/rollupCalls.js'
import type { BatchProof, SolidityProof } from '../prover/prove.js'
import type { Prover } from '../prover/queue.js'
import { TxType, type BatchTrace } from '../state/index.js'
import { BatchPipeline, type BatchPipelineOptions } from './pipeline.js'

const PROOF: SolidityProof = { a: [0n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] }

/** A trace of batch `n`: roots n -> n + 1, one trade and one no-op. */
function trace(n: number): BatchTrace {
  return { oldRoot: BigInt(n), newRoot: BigInt(n + 1), slots: [{ tx: { type: TxType.trade } }, { tx: { type: TxType.noop } }] } as unknown as BatchTrace
}

/** A prover whose proofs the test resolves or rejects, by the batch's old root. */
function handProver() {
  const pending = new Map<number, { resolve: (p: BatchProof) => void; reject: (e: Error) => void }>()
  const started: number[] = []
  const prover: Prover = {
    kind: 'bullmq',
    prove: (t) =>
      new Promise<BatchProof>((resolve, reject) => {
        const n = Number(t.oldRoot)
        started.push(n)
        pending.set(n, { resolve, reject })
      }),
    close: async () => {},
  }
  const settle = async () => new Promise((r) => setTimeout(r, 0))
  return {
    prover,
    started,
    proving: () => [...pending.keys()].sort((a, b) => a - b),
    async prove(n: number) {
      pending.get(n)!.resolve({ proof: PROOF, inputHash: 0n, provingMs: 10 * (n + 1) })
      pending.delete(n)
      await settle()
    },
    async refuse(n: number, message: string) {
      pending.get(n)!.reject(new Error(message))
      pending.delete(n)
      await settle()
    },
  }
}

function pipeline(options: Partial<BatchPipelineOptions> = {}, submitter?: (n: number) => Promise<void>) {
  const hand = handProver()
  const submitted: number[] = []
  const traces: BatchTrace[] = []
  const submit = async (t: BatchTrace, _proof: SolidityProof, number: number): Promise<Mined> => {
    await submitter?.(number)
    submitted.push(number)
    traces.push(t)
    return { hash: `0x${number.toString(16).padStart(64, '0')}`, gasUsed: 100_000n } as unknown as Mined
  }
  const changes: string[] = []
  const p = new BatchPipeline(hand.prover, submit, { firstNumber: 0, onChange: (r) => changes.push(`${r.number}:${r.status}`), ...options })
  return { p, hand, submitted, traces, changes }
}

describe('BatchPipeline', () => {
  it('proves up to provingConcurrency batches at once and starts the next as one finishes', async () => {
    const { p, hand } = pipeline({ provingConcurrency: 2 })
    for (let n = 0; n < 4; n++) p.enqueue(trace(n))
    expect(hand.proving()).toEqual([0, 1])
    await hand.prove(1)
    expect(hand.proving()).toEqual([0, 2])
    await hand.prove(0)
    expect(hand.proving()).toEqual([2, 3])
    expect(hand.started).toEqual([0, 1, 2, 3])
  })

  it('submits strictly in batch order when later proofs finish first', async () => {
    const { p, hand, submitted, traces, changes } = pipeline({ provingConcurrency: 3 })
    for (let n = 0; n < 3; n++) p.enqueue(trace(n))
    expect(p.unfinished).toBe(3)
    await hand.prove(2)
    await hand.prove(1)
    expect(submitted).toEqual([])
    expect(p.records.map((r) => r.status)).toEqual(['proving', 'proving', 'proving'])
    // Proven but not on L1: still unfinished, their traces still held.
    expect(p.unfinished).toBe(3)
    await hand.prove(0)
    await p.idle()
    expect(p.unfinished).toBe(0)
    expect(submitted).toEqual([0, 1, 2])
    expect(traces.map((t) => t.oldRoot)).toEqual([0n, 1n, 2n])
    expect(p.records.map((r) => [r.number, r.status, r.provingMs, r.gasUsed])).toEqual([
      [0, 'verified', 10, 100_000n],
      [1, 'verified', 20, 100_000n],
      [2, 'verified', 30, 100_000n],
    ])
    expect(changes).toEqual(['0:proving', '1:proving', '2:proving', '0:submitting', '0:verified', '1:submitting', '1:verified', '2:submitting', '2:verified'])
  })

  it('halts at a refused proof: earlier batches still reach L1, later ones are failed and their proofs discarded', async () => {
    const { p, hand, submitted } = pipeline({ provingConcurrency: 2 })
    for (let n = 0; n < 5; n++) p.enqueue(trace(n))
    await hand.refuse(1, 'the circuit refused slot 0')
    expect(p.halted).toBeUndefined() // batch 0 has not had its turn yet
    expect(hand.proving()).toEqual([0, 2])
    await hand.prove(0)
    await p.idle()
    expect(submitted).toEqual([0])
    expect(p.halted).toBe('batch 1 failed: the circuit refused slot 0')
    expect(p.records.map((r) => r.status)).toEqual(['verified', 'failed', 'failed', 'failed', 'failed'])
    expect(p.records[2]!.error).toBe('not submitted: batch 1 failed: the circuit refused slot 0')
    // Batch 3 took the place batch 0 freed before the halt; batch 4 never went to the prover,
    // and the proofs of 2 and 3, when they come, change nothing.
    expect(hand.started).toEqual([0, 1, 2, 3])
    await hand.prove(2)
    await hand.prove(3)
    expect(hand.started).toEqual([0, 1, 2, 3])
    expect(submitted).toEqual([0])
    expect([p.count('verified'), p.count('failed'), p.count('proving')]).toEqual([1, 4, 0])
    // A batch cut after the halt is failed at once.
    p.enqueue(trace(5))
    await p.idle()
    expect(p.batch(5)).toMatchObject({ status: 'failed', error: 'not submitted: batch 1 failed: the circuit refused slot 0' })
    expect(hand.started).toEqual([0, 1, 2, 3])
  })

  it('fails a batch whose prover throws instead of rejecting, as a refused proof', async () => {
    const submitted: number[] = []
    const prover: Prover = {
      kind: 'in-process',
      prove: (t) => {
        if (t.oldRoot === 1n) throw new Error('no witness for slot 0')
        return Promise.resolve({ proof: PROOF, inputHash: 0n, provingMs: 1 })
      },
      close: async () => {},
    }
    const p = new BatchPipeline(prover, async (_t, _proof, n) => (submitted.push(n), { hash: '0x00', gasUsed: 1n }) as unknown as Mined, { firstNumber: 0 })
    for (let n = 0; n < 3; n++) p.enqueue(trace(n))
    await p.idle()
    expect(submitted).toEqual([0])
    expect(p.halted).toBe('batch 1 failed: no witness for slot 0')
    expect(p.records.map((r) => r.status)).toEqual(['verified', 'failed', 'failed'])
  })

  it('halts at a failed submission and proves nothing more', async () => {
    const { p, hand, submitted } = pipeline({ provingConcurrency: 1 }, async (n) => {
      if (n === 0) throw new Error('execution reverted: StaleRoot')
    })
    for (let n = 0; n < 3; n++) p.enqueue(trace(n))
    await hand.prove(0)
    await p.idle()
    expect(submitted).toEqual([])
    expect(p.halted).toBe('batch 0 failed: execution reverted: StaleRoot')
    expect(hand.started).toEqual([0, 1])
    expect(p.records.map((r) => r.status)).toEqual(['failed', 'failed', 'failed'])
  })

  it('halted from outside, fails the batches waiting for a prover and idles without their proofs', async () => {
    const { p, hand } = pipeline({ provingConcurrency: 1 })
    for (let n = 0; n < 3; n++) p.enqueue(trace(n))
    p.halt('the state hasher diverged from the engine at apply')
    await hand.prove(0)
    await p.idle()
    expect(hand.started).toEqual([0])
    expect(p.records.map((r) => r.status)).toEqual(['failed', 'failed', 'failed'])
    expect(p.records.map((r) => r.error)).toEqual([0, 1, 2].map(() => 'not submitted: the state hasher diverged from the engine at apply'))
  })

  it('does not submit a proof that finishes after a halt', async () => {
    const { p, hand, submitted } = pipeline({ provingConcurrency: 2 })
    p.enqueue(trace(0))
    p.enqueue(trace(1))
    await new Promise((r) => setTimeout(r, 0)) // batch 0 is now waiting for its proof
    p.halt('the state hasher diverged from the engine at cut')
    await hand.prove(0)
    await hand.prove(1)
    await p.idle()
    expect(submitted).toEqual([])
    expect(p.records.map((r) => [r.status, r.error])).toEqual([0, 1].map(() => ['failed', 'not submitted: the state hasher diverged from the engine at cut']))
  })

  it('keeps every batch not yet on L1 and only the newest verified ones, and pages through them newest first', async () => {
    const { p, hand } = pipeline({ provingConcurrency: 200, keepVerified: 10 })
    for (let n = 0; n < 200; n++) p.enqueue(trace(n))
    for (let n = 0; n < 150; n++) await hand.prove(n)
    await new Promise((r) => setTimeout(r, 10))
    // 150 verified, 50 still proving: the oldest verified are dropped, no unverified one is.
    expect(p.count('verified')).toBe(150)
    expect(p.total).toBe(200)
    const kept = p.records.map((r) => r.number)
    expect(kept.at(-1)).toBe(199)
    expect(kept.length).toBeLessThanOrEqual(10 + 50 + 64)
    expect(kept.length).toBeGreaterThanOrEqual(10 + 50)
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => kept[0]! + i))
    expect(p.batch(0)).toBeUndefined()
    expect(p.batch(199)).toMatchObject({ number: 199, status: 'proving', oldRoot: 199n, newRoot: 200n, txCounts: { trade: 1, noop: 1 } })
    expect(p.batch(200)).toBeUndefined()
    expect(p.batch(1.5)).toBeUndefined()

    const first = p.page({ limit: 30 })
    expect(first.batches.map((r) => r.number)).toEqual(Array.from({ length: 30 }, (_, i) => 199 - i))
    expect(first.next).toBe(170)
    const second = p.page({ limit: 30, before: first.next! })
    expect(second.batches[0]!.number).toBe(169)
    let pages = 2
    let page = second
    while (page.next !== undefined) {
      page = p.page({ limit: 30, before: page.next })
      pages++
    }
    expect(page.batches.at(-1)!.number).toBe(kept[0])
    expect(pages).toBe(Math.ceil(kept.length / 30))
    expect(p.page({ limit: 5, before: kept[0]! })).toEqual({ batches: [] })
    expect(p.page({ limit: 5, before: 10_000 }).batches[0]!.number).toBe(199)
  })

  it('refuses nonsense options', () => {
    const { prover } = handProver()
    const submit = async () => ({}) as Mined
    expect(() => new BatchPipeline(prover, submit, { firstNumber: 0, provingConcurrency: 0 })).toThrow(RangeError)
    expect(() => new BatchPipeline(prover, submit, { firstNumber: 0, provingConcurrency: 1.5 })).toThrow(RangeError)
    expect(() => new BatchPipeline(prover, submit, { firstNumber: 0, keepVerified: -1 })).toThrow(RangeError)
    expect(() => new BatchPipeline(prover, submit, { firstNumber: 0, packAfter: -1 })).toThrow(RangeError)
  })

  it('packs the traces of batches waiting far back and hands the prover and L1 the same traces', async () => {
    const given: BatchTrace[] = []
    const proofs: ((p: BatchProof) => void)[] = []
    const prover: Prover = { kind: 'bullmq', prove: (t) => (given.push(t), new Promise<BatchProof>((r) => proofs.push(r))), close: async () => {} }
    const submitted: BatchTrace[] = []
    const submit = async (t: BatchTrace) => (submitted.push(t), { hash: '0x01', gasUsed: 1n }) as unknown as Mined
    const p = new BatchPipeline(prover, submit, { firstNumber: 0, packAfter: 1 })
    // Real-shaped traces: bigints, nested objects and arrays, as the hasher's thread sends them.
    const traces = [0, 1, 2, 3].map((n) => ({ ...trace(n), data: [BigInt(n) << 200n, -1n], feeCredit: { amount: 5n, account: { index: 0n, path: [[1n, 2n, 3n]] } } }) as unknown as BatchTrace)
    traces.forEach((t) => p.enqueue(t))
    // Batch 0 proving, batch 1 waiting as objects, batches 2 and 3 packed.
    expect(given).toEqual([traces[0]])
    for (let n = 0; n < 4; n++) {
      proofs.shift()!({ proof: PROOF, inputHash: 0n, provingMs: 1 })
      await new Promise((r) => setTimeout(r, 0))
    }
    await p.idle()
    expect(given).toEqual(traces)
    expect(given[1]).toBe(traces[1])
    expect(given[2]).not.toBe(traces[2])
    expect(submitted).toEqual(traces)
    expect(submitted[3]).toBe(given[3])
    expect(p.count('verified')).toBe(4)
  })
})
