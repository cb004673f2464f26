/**
 * `npm run build`: everything the node, the demo and the tests need, from a fresh checkout.
 *
 * 1. Generated sources are current (`npm run generate --check`): they are committed, so a
 *    stale one is a mistake to fix, not to paper over here.
 * 2. The native Poseidon is compiled (`npm run build:native`, also run by `npm install`; where
 *    no C compiler is, the wasm one is used).
 * 3. The test circuit is compiled and set up with the development ptau (cached by content
 *    hash under build/test/), which also writes the Groth16 verifier contract.
 * 4. forge builds the contracts (through the solc-js shim).
 * 5. l1/abi.ts matches forge's output.
 */
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureArtifacts } from '../prover/artifacts.js'
import { terminateCurves } from '../prover/curves.js'
import { ROOT } from '../prover/paths.js'
import { TEST_PARAMS } from '../state/params.js'

function step(title: string, command: string, args: readonly string[]): void {
  console.log(`== ${title}`)
  execFileSync(command, args, { cwd: ROOT, stdio: 'inherit' })
}

const tsx = join(ROOT, 'node_modules', '.bin', 'tsx')
const started = Date.now()
step('generated sources are current', tsx, ['scripts/generate.ts', '--check'])
step('native Poseidon', process.execPath, ['scripts/buildNative.mjs'])
console.log('== circuit artifacts (test parameters)')
await ensureArtifacts(TEST_PARAMS, { log: (s) => console.log(`   ${s}`) })
await terminateCurves()
step('contracts', join(ROOT, 'node_modules', '.bin', 'forge'), ['build', '--quiet'])
step('l1/abi.ts is current', tsx, ['l1/generateAbi.ts', '--check'])
console.log(`== build done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
