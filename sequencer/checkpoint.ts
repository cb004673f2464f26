/**
 * Journal checkpoints: the engine and the market inputs as data, written when the journal
 * starts a new segment (sequencer/journal.ts, `Journal.rotate`), so that a restart or a new
 * replica loads the newest checkpoint L1 has caught up with and replays only the segments
 * after it, instead of every entry since the deployment (242-418 µs an entry: minutes per
 * million). A checkpoint is taken between batches only, so it holds no open slot; its state
 * root is the root of the last batch before it, which a restart checks against L1.
 *
 * Stored as JSON with bigints and Maps tagged (`{"$n": "12"}`, `{"$map": [[k, v], ...]}`), so
 * that every record reads back exactly as it was; written to a temporary file, fsynced, and
 * renamed into place, so a crash leaves either the whole checkpoint or none.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { EngineCheckpoint } from './engine.js'
import type { MarketUpdate } from './market.js'

/** What a checkpoint file holds. */
export type Checkpoint = {
  /** Format version: a node refuses one it does not know. */
  readonly version: typeof CHECKPOINT_VERSION
  /** The segment that begins where this checkpoint was taken. */
  readonly segment: number
  readonly market: MarketUpdate
  readonly engine: EngineCheckpoint
}

export const CHECKPOINT_VERSION = 1

/** A checkpoint file that cannot be used. */
export class CheckpointFileError extends Error {
  override readonly name = 'CheckpointFileError'
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $n: value.toString() }
  if (value instanceof Map) return { $map: [...value] }
  return value
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const tagged = value as { $n?: unknown; $map?: unknown }
    if (typeof tagged.$n === 'string') return BigInt(tagged.$n)
    if (Array.isArray(tagged.$map)) return new Map(tagged.$map as [unknown, unknown][])
  }
  return value
}

/** The checkpoint as text (bigints and Maps tagged). */
export function encodeCheckpoint(checkpoint: Checkpoint): string {
  return JSON.stringify(checkpoint, replacer)
}

/** A checkpoint from its text; `CheckpointFileError` when it is not one this node can use. */
export function decodeCheckpoint(text: string, source = 'checkpoint'): Checkpoint {
  let value: Checkpoint
  try {
    value = JSON.parse(text, reviver) as Checkpoint
  } catch (error) {
    throw new CheckpointFileError(`${source} is not JSON (${(error as Error).message})`)
  }
  if (value?.version !== CHECKPOINT_VERSION) throw new CheckpointFileError(`${source} has format version ${String(value?.version)}; this node reads version ${CHECKPOINT_VERSION}`)
  return value
}

/** Writes `text` to `path` whole or not at all: a temporary file, fsynced, renamed, and the directory synced. */
export function writeFileAtomically(path: string, text: string): void {
  const temporary = `${path}.tmp`
  const fd = openSync(temporary, 'w')
  try {
    const data = Buffer.from(text)
    for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset)
    fsyncSync(fd)
  } catch (error) {
    closeSync(fd)
    rmSync(temporary, { force: true })
    throw error
  }
  closeSync(fd)
  renameSync(temporary, path)
  syncDirectory(dirname(path))
}

/** Reads a checkpoint file (`CheckpointFileError` when missing or unusable). */
export function readCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new CheckpointFileError(`${path} does not exist`)
  return decodeCheckpoint(readFileSync(path, 'utf8'), path)
}

/** fsync of a directory (its entries); read-only open is what POSIX allows for directories. */
export function syncDirectory(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
