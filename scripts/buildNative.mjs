// `npm run build:native` (also run by `npm install` and `npm run build`): compiles the native
// Poseidon (native/poseidon.c) into build/native/poseidon.node with the machine's C compiler
// and the headers of the running Node. Without a compiler or headers it says so and leaves the
// wasm Poseidon in use: the addon only makes hashing faster, nothing depends on it.
//
// On a CPU with mulx and adox/adcx (BMI2, ADX) the Montgomery products are in assembly; the
// portable C products are then built as well, into poseidon-portable.node, so that the tests
// check the code other CPUs run.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const source = join(root, 'native', 'poseidon.c')
const outDir = join(root, 'build', 'native')
const headers = [process.env.NODE_HEADERS, join(dirname(process.execPath), '..', 'include', 'node')].find(
  (dir) => dir && existsSync(join(dir, 'node_api.h')),
)
const compiler = process.env.CC ?? 'cc'

function cpuFlags() {
  try {
    return new Set(readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1]?.trim().split(/\s+/))
  } catch {
    return new Set()
  }
}

/** Compiles into `file` (written whole, then renamed); returns an error message or undefined. */
function compile(file, archFlags) {
  const partial = `${file}.${process.pid}.tmp`
  try {
    // Warnings are shown, not fatal: a newer compiler's new warning must not cost a machine its addon.
    execFileSync(compiler, ['-O3', '-fPIC', '-shared', '-std=c11', '-Wall', '-Wextra', ...archFlags, `-I${headers}`, '-o', partial, source], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    renameSync(partial, file)
    return undefined
  } catch (error) {
    return `${compiler} failed: ${error.message.split('\n')[0]}`
  }
}

if (process.env.POSEIDON_NATIVE === 'off') {
  console.log('native Poseidon: skipped (POSEIDON_NATIVE=off)')
} else if (!headers) {
  console.log("native Poseidon: not built, Node's headers (node_api.h) not found; the wasm Poseidon is used")
} else {
  mkdirSync(outDir, { recursive: true })
  const flags = cpuFlags()
  const assembly = process.arch === 'x64' && flags.has('bmi2') && flags.has('adx')
  const failure = compile(join(outDir, 'poseidon.node'), assembly ? ['-mbmi2', '-madx'] : [])
  if (failure) {
    console.log(`native Poseidon: not built (${failure}); the wasm Poseidon is used`)
  } else {
    const portable = assembly ? compile(join(outDir, 'poseidon-portable.node'), []) : undefined
    if (portable) console.log(`native Poseidon: the portable variant was not built (${portable})`)
    console.log(`native Poseidon: built ${join(outDir, 'poseidon.node')} (${assembly ? 'mulx/adx assembly, and the portable C beside it' : 'portable C'})`)
  }
}
