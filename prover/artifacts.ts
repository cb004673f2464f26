/**
 * Compiles a parameter set's circuit and runs its development Groth16 setup: circom (wasm,
 * --O2) -> r1cs + witness wasm; the dev ptau -> zkey with one random phase-2 contribution ->
 * verification key and the Solidity verifier (contracts/generated/Groth16Verifier.sol).
 * Everything is cached under build/<name>/, keyed by the circuit sources and parameters.
 *
 * `npx tsx prover/artifacts.ts [test|realistic] [--r1cs-only]`
 */
import { createHash, randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as snarkjs from 'snarkjs'
import { PARAM_SETS, type ParamSet } from '../state/params.js'
import { circuitPaths, DEV_PTAU, ROOT, type CircuitPaths } from './paths.js'
import { terminateCurves } from './curves.js'

const run = promisify(execFile)

/** Thrown when compilation or setup fails. */
export class ArtifactsError extends Error {
  override readonly name = 'ArtifactsError'
}

function circomSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return circomSources(path)
    return name.endsWith('.circom') ? [path] : []
  })
}

/** Hash of everything the compiled circuit depends on. */
export function artifactsKey(params: ParamSet): string {
  const h = createHash('sha256')
  h.update(JSON.stringify(params))
  for (const file of circomSources(join(ROOT, 'circuits')).sort()) {
    h.update(relative(ROOT, file))
    h.update(readFileSync(file))
  }
  return h.digest('hex')
}

/** Compiles `params`' main into build/<name>/ (r1cs, sym, wasm). */
export async function compileCircuit(params: ParamSet, log: (s: string) => void = () => {}): Promise<CircuitPaths> {
  const paths = circuitPaths(params)
  mkdirSync(paths.dir, { recursive: true })
  const circom = join(ROOT, 'node_modules', '.bin', 'circom2')
  const started = Date.now()
  log(`compiling ${relative(ROOT, paths.main)} (circom --O2)`)
  try {
    const { stdout } = await run(circom, [paths.main, '--r1cs', '--wasm', '--sym', '--O2', '-l', join(ROOT, 'node_modules'), '-o', paths.dir], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    })
    const constraints = /non-linear constraints: (\d+)/.exec(stdout)?.[1]
    log(`compiled in ${((Date.now() - started) / 1000).toFixed(1)} s, ${constraints ?? '?'} constraints`)
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    throw new ArtifactsError(`circom failed for ${params.name}: ${e.stderr || e.stdout || e.message}`)
  }
  return paths
}

/** Number of constraints of a compiled circuit. */
export async function constraintCount(r1csPath: string): Promise<number> {
  const info = await snarkjs.r1cs.info(r1csPath, undefined)
  return Number(info.nConstraints)
}

/**
 * Makes sure the artifacts of `params` exist and match the sources: compiles and sets up
 * only what is stale. Returns their paths.
 */
export async function ensureArtifacts(params: ParamSet, options: { log?: (s: string) => void; setup?: boolean } = {}): Promise<CircuitPaths> {
  const log = options.log ?? (() => {})
  const withSetup = options.setup ?? true
  const paths = circuitPaths(params)
  const key = artifactsKey(params)
  const stamp = existsSync(paths.stamp) ? (JSON.parse(readFileSync(paths.stamp, 'utf8')) as { key?: string; setup?: boolean }) : {}
  const compiled = stamp.key === key && existsSync(paths.r1cs) && existsSync(paths.wasm)
  const setUp = compiled && stamp.setup === true && existsSync(paths.zkey) && existsSync(paths.vkey)
  // A compile-only request is served by a set-up build too: recompiling would orphan its zkey.
  if (setUp || (compiled && !withSetup)) {
    if (setUp) writeVerifier(paths, readFileSync(join(paths.dir, 'Groth16Verifier.sol'), 'utf8'))
    return paths
  }
  await compileCircuit(params, log)
  if (withSetup) await setup(paths, log)
  writeFileSync(paths.stamp, JSON.stringify({ key, setup: withSetup, params, builtAt: new Date().toISOString() }, null, 2))
  return paths
}

function writeVerifier(paths: CircuitPaths, source: string): void {
  mkdirSync(dirname(paths.verifierSol), { recursive: true })
  if (!existsSync(paths.verifierSol) || readFileSync(paths.verifierSol, 'utf8') !== source) writeFileSync(paths.verifierSol, source)
}

async function setup(paths: CircuitPaths, log: (s: string) => void): Promise<void> {
  if (!existsSync(DEV_PTAU)) throw new ArtifactsError(`powers of tau not found at ${DEV_PTAU} (set PTAU_PATH)`)
  const started = Date.now()
  const initial = `${paths.zkey}.0`
  log('groth16 setup with the development powers of tau')
  try {
    await snarkjs.zKey.newZKey(paths.r1cs, DEV_PTAU, initial, undefined)
    // One random phase-2 contribution: a development setup, not a ceremony (docs/benchmarks.md).
    await snarkjs.zKey.contribute(initial, paths.zkey, 'options-rollup development', randomBytes(32).toString('hex'), undefined)
    const vkey = await snarkjs.zKey.exportVerificationKey(paths.zkey, undefined)
    writeFileSync(paths.vkey, JSON.stringify(vkey, null, 2))
    const template = readFileSync(join(ROOT, 'node_modules', 'snarkjs', 'templates', 'verifier_groth16.sol.ejs'), 'utf8')
    const verifier = (await snarkjs.zKey.exportSolidityVerifier(paths.zkey, { groth16: template }, undefined)) as string
    const source = `// GENERATED by prover/artifacts.ts with snarkjs from build/${relative(join(ROOT, 'build'), paths.zkey)}. DO NOT EDIT.\n${verifier}`
    writeFileSync(join(paths.dir, 'Groth16Verifier.sol'), source)
    writeVerifier(paths, source)
  } finally {
    await terminateCurves()
  }
  log(`setup done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

async function main(): Promise<void> {
  const name = (process.argv[2] ?? 'test') as keyof typeof PARAM_SETS
  const params = PARAM_SETS[name]
  if (!params) throw new ArtifactsError(`unknown parameter set ${name}; known: ${Object.keys(PARAM_SETS).join(', ')}`)
  const setupToo = !process.argv.includes('--r1cs-only')
  const paths = await ensureArtifacts(params, { log: (s) => console.log(`[${name}] ${s}`), setup: setupToo })
  console.log(`[${name}] ${await constraintCount(paths.r1cs)} constraints; artifacts in ${relative(ROOT, paths.dir)}/`)
  await terminateCurves()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
