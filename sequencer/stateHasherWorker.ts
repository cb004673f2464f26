/**
 * The body of the state hasher's worker (stateHasher.ts): a full `RollupState` rebuilt from
 * the engine's records, to which it applies the engine's operations in order and whose
 * batches it assembles. Any error is a divergence from the engine: reported, then the worker
 * answers nothing more.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { applyTx, assembleBatch } from '../state/batch.js'
import { RollupState } from '../state/rollupState.js'
import type { SlotTrace } from '../state/types.js'
import type { HasherOp, HasherReply, HasherSeed } from './stateHasher.js'

if (parentPort === null) throw new Error('stateHasherWorker.ts runs only as a worker thread (see stateHasher.ts)')
const port = parentPort
const seed = workerData as HasherSeed
const state = RollupState.fromRecords(seed.params, seed.records)
let slots: SlotTrace[] = [...seed.pending]
let failed = false

function run(op: HasherOp): HasherReply | undefined {
  switch (op.op) {
    case 'table':
      state.setMarketTable(op.table ?? state.marketTable)
      state.commit()
      return undefined
    case 'apply':
      // The engine checked signatures and margin under this same table; every other rule runs.
      slots.push(applyTx(state, op.tx, { verifySignatures: false, checkMargin: false }))
      return undefined
    case 'cut': {
      const batch = assembleBatch(state, slots)
      slots = []
      state.commit()
      return { t: 'batch', batch }
    }
    case 'root':
      return { t: 'root', id: op.id, root: state.root }
  }
}

port.on('message', (ops: readonly HasherOp[]) => {
  if (failed) return
  for (const op of ops) {
    try {
      const reply = run(op)
      if (reply) port.postMessage(reply)
    } catch (error) {
      failed = true
      port.postMessage({ t: 'failed', message: `the state hasher diverged from the engine at ${op.op}: ${(error as Error).message}` } satisfies HasherReply)
      return
    }
  }
})
