/**
 * The sequencer as a separate OS process for the crash tests: `sequencer/main.ts` (what
 * `npm start` runs) pointed at an existing chain and Rollup, with its journal in a data
 * directory, so that SIGKILL takes down everything the node holds in memory and nothing else.
 *
 * The node runs compiled, as a deployment would: `compileNode` bundles main.ts and its
 * dependencies into one ES module with esbuild (tsx's own compiler). Loading it takes about
 * 0.4 s where `tsx sequencer/main.ts` spends 4 to 6 s compiling and resolving hundreds of
 * modules on these 2 cores, which would make restarts, not the journal, the test's cost
 * (docs/operations.md has both numbers). It is started directly with node, one process: a
 * wrapper such as `tsx <file>` would run the node in a child, which a SIGKILL to the wrapper
 * leaves running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { ROOT } from '../../prover/paths.js'

/** A compiled node: `entry` is what to run; `remove()` deletes the files. */
export type CompiledNode = { readonly entry: string; readonly remove: () => void }

/**
 * Bundles sequencer/main.ts into build/ (where modules that locate the repository from their
 * own file, as prover/paths.ts does, still find it). The bundle is loaded by a one-line entry
 * of its own, so that no bundled module mistakes itself for the program being run
 * (`process.argv[1] === fileURLToPath(import.meta.url)`, as prover/artifacts.ts checks).
 */
export async function compileNode(): Promise<CompiledNode> {
  const tag = `${process.pid}-${Date.now()}`
  const bundle = join(ROOT, 'build', `crash-node-${tag}.mjs`)
  const entry = join(ROOT, 'build', `crash-run-${tag}.mjs`)
  await build({
    entryPoints: [join(ROOT, 'sequencer', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'error',
    // Packages that find files beside their own (workers, static assets, native addons) stay
    // where they are; the rest, the bulk of the load time, is bundled.
    external: ['bullmq', 'ioredis', 'pino', 'fastify', '@fastify/swagger', '@fastify/swagger-ui', 'web-worker', 'msgpackr'],
    // Bundled CommonJS packages call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  })
  writeFileSync(entry, `import ${JSON.stringify(bundle)}\n`)
  return {
    entry,
    remove: () => {
      rmSync(bundle, { force: true })
      rmSync(entry, { force: true })
    },
  }
}

/** Where and how the node runs; the same settings at every restart. */
export type NodeProcessConfig = {
  readonly rpcUrl: string
  readonly operatorKey: string
  readonly rollup: string
  readonly deployBlock: bigint
  /** The journal lives here (`<rollup>.journal.jsonl`). */
  readonly dataDir: string
  /** Redis of the BullMQ prover (its own database: no worker proves in the crash tests). */
  readonly redisUrl: string
  readonly pollIntervalMs: number
  readonly batchTimeoutMs: number
  /** Further environment of the node (e.g. `RATE_LIMIT_IP: 'off'` for a benchmark). */
  readonly env?: Readonly<Record<string, string>>
}

/** The node could not start, or died before it listened. */
export class NodeProcessError extends Error {
  override readonly name = 'NodeProcessError'
}

/** The journal file of a node started with `config`. */
export function journalPathOf(config: NodeProcessConfig): string {
  return join(config.dataDir, `${config.rollup.toLowerCase()}.journal.jsonl`)
}

/** One run of the node process, from spawn to its death. */
export class NodeProcess {
  readonly child: ChildProcess
  readonly spawnedAt = performance.now()
  /** The API's base URL, once it listens. */
  readonly ready: Promise<string>
  /** Milliseconds from spawn to listening (process start, imports, journal replay, first L1 poll). */
  readyMs: number | undefined
  readonly exited: Promise<NodeJS.Signals | number | null>
  readonly #output: string[] = []

  /** `entry`: a compiled node (`compileNode`), else sequencer/main.ts through tsx. */
  constructor(config: NodeProcessConfig, entry?: string) {
    this.child = spawn(process.execPath, entry ? [entry] : ['--import', 'tsx', join('sequencer', 'main.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        RPC_URL: config.rpcUrl,
        OPERATOR_KEY: config.operatorKey,
        ROLLUP_ADDRESS: config.rollup,
        DEPLOY_BLOCK: config.deployBlock.toString(),
        DATA_DIR: config.dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        PROVER: 'bullmq',
        REDIS_URL: config.redisUrl,
        POLL_INTERVAL_MS: String(config.pollIntervalMs),
        BATCH_TIMEOUT_MS: String(config.batchTimeoutMs),
        LOG_LEVEL: 'warn',
        ...config.env,
      },
    })
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(signal ?? code)))
    const lines = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.#output.push(line)
      if (this.#output.length > 200) this.#output.splice(0, this.#output.length - 200)
    }
    this.child.stderr!.on('data', lines)
    this.ready = new Promise<string>((resolve, reject) => {
      this.child.stdout!.on('data', (chunk: Buffer) => {
        lines(chunk)
        const url = /sequencer API at (http:\/\/\S+)\/v1/.exec(chunk.toString())?.[1]
        if (url) {
          this.readyMs = performance.now() - this.spawnedAt
          resolve(url)
        }
      })
      void this.exited.then((how) => reject(new NodeProcessError(`the node exited (${how}) before it listened:\n${this.output()}`)))
    })
    // A kill before the node listens is one of the tested moments: nobody need await `ready` then.
    this.ready.catch(() => {})
  }

  /** The node's last output lines, for a failure message. */
  output(): string {
    return this.#output.slice(-40).join('\n')
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** kill -9, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL')
    await this.exited
  }
}
