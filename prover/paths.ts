/**
 * Where the build puts circuit artifacts, and where the development powers of tau lives.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ParamSet } from '../state/params.js'

/** Repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

const PTAU_FILE = join('shared', 'ptau', 'dev_bn128_17.ptau')

/** `shared/ptau/…` in the nearest folder above the repository that has one. */
function findSharedPtau(): string {
  for (let dir = dirname(ROOT); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PTAU_FILE))) return join(dir, PTAU_FILE)
    if (dirname(dir) === dir) return join(ROOT, '..', PTAU_FILE)
  }
}

/** The development ptau (../shared/ptau from the repository root, or higher up), unless PTAU_PATH says otherwise. */
export const DEV_PTAU = process.env.PTAU_PATH ?? findSharedPtau()

/** Artifacts of one parameter set. */
export type CircuitPaths = {
  readonly dir: string
  readonly main: string
  readonly r1cs: string
  readonly sym: string
  readonly wasm: string
  readonly zkey: string
  readonly vkey: string
  readonly verifierSol: string
  readonly stamp: string
}

/** Paths of the artifacts of `params` under build/<name>/. */
export function circuitPaths(params: ParamSet): CircuitPaths {
  const dir = join(ROOT, 'build', params.name)
  const base = `batch_${params.name}`
  return {
    dir,
    main: join(ROOT, 'circuits', 'main', `${base}.circom`),
    r1cs: join(dir, `${base}.r1cs`),
    sym: join(dir, `${base}.sym`),
    wasm: join(dir, `${base}_js`, `${base}.wasm`),
    zkey: join(dir, `${base}.zkey`),
    vkey: join(dir, 'verification_key.json'),
    verifierSol: join(ROOT, 'contracts', 'generated', 'Groth16Verifier.sol'),
    stamp: join(dir, 'artifacts.json'),
  }
}
