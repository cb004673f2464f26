/**
 * The project's command line, as a function (`cli/main.ts` only calls it). Commands:
 * - `risk price`: CSV of option inputs on stdin → CSV of price and Greeks on stdout
 *   (`cli/riskPrice.ts`; docs/risk.md "Risk CLI"). Exit codes: 0 success; 1 some rows could
 *   not be priced; 2 usage or input-format error.
 * - the trader commands on the SDK (docs/cli.md): `key derive`, `deposit`, `account`,
 *   `series`, `book`, `order place|cancel`, `withdraw [--forced]`, `claim`, `faucet`,
 *   `status`, `batches`. Exit codes (cli/errors.ts): 0 done; 1 refused by the exchange or
 *   the contract (code and reason printed); 2 usage; 3 sequencer or L1 unavailable, or a
 *   wait timed out; 4 internal error.
 */
import { createInterface } from 'node:readline'
import { Command, CommanderError } from 'commander'
import { RISK_PRICE_INPUT_HEADER, RISK_PRICE_OUTPUT_HEADER, RiskPriceExit, runRiskPrice } from './riskPrice.js'
import { registerAccountCommands } from './accountCommands.js'
import type { TraderIo } from './commandContext.js'
import { registerFundsCommands } from './fundsCommands.js'
import { registerMarketCommands } from './marketCommands.js'
import { registerOrderCommands } from './orderCommands.js'
import type { ProgressSink } from './progress.js'
import { TRADER_ENV, type Env } from './traderConfig.js'
import type { SessionDeps } from './session.js'

/** Where the CLI reads and writes. */
export type CliIo = {
  /** Standard input, line by line. */
  readonly input: () => AsyncIterable<string>
  /** Writes output text (resolves once it is handed to the stream). */
  readonly write: (text: string) => Promise<void>
  /** Writes one diagnostic line. */
  readonly err: (line: string) => void
  /** stderr for progress bars (drawn on a terminal only); none when absent. */
  readonly progress?: ProgressSink
  /** The environment the trader commands read (default: none). */
  readonly env?: Env
  /** Test hooks of the trader commands. */
  readonly deps?: SessionDeps
}

/** The process's stdin, stdout and stderr. */
export const processIo: CliIo = {
  input: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  write: (text) => new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve()))),
  err: (line) => process.stderr.write(`${line}\n`),
  progress: {
    get isTTY() {
      return process.stderr.isTTY === true
    },
    get columns() {
      return process.stderr.columns
    },
    write: (text) => void process.stderr.write(text),
  },
  env: process.env,
}

/** Builds the program; `setExitCode` receives each command's exit code. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('options-rollup')
    .description('Command-line tools of the options rollup.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.write(s), writeErr: (s) => io.err(s.trimEnd()) })
    .configureHelp({ showGlobalOptions: true })

  // The trader's global options mean nothing to the pricer: keep them out of its help.
  const risk = program.command('risk').description('risk engine: pricing (docs/risk.md)').configureHelp({ showGlobalOptions: false })
  risk
    .command('price')
    .description(
      `Black-Scholes-Merton price and Greeks of European options. Reads CSV on stdin with the header "${RISK_PRICE_INPUT_HEADER}" ` +
        `(type C or P, T in years, r, q and sigma as decimals per year), writes CSV "${RISK_PRICE_OUTPUT_HEADER}" ` +
        '(vega and rho per 1.00, theta per year), one row per input row. A row that cannot be priced gets an empty row ' +
        'and "line N: reason" on stderr; the rest are priced and the exit code is 1. A bad header or empty input exits 2.',
    )
    .action(async () => setExitCode(await runRiskPrice(io.input(), io)))

  program
    .option('--sequencer <url>', `sequencer API (env ${TRADER_ENV.sequencer}; default http://127.0.0.1:8080, the npm start node)`)
    .option('--rpc <url>', `L1 JSON-RPC (env ${TRADER_ENV.rpc}; default http://127.0.0.1:8545)`)
    .option('--rollup <address>', `Rollup contract (env ${TRADER_ENV.rollup}; default: the one the sequencer serves)`)
    .option('--chain-id <id>', `L1 chain id (env ${TRADER_ENV.chainId}; default: the sequencer's, else the L1 node's)`)
    .option('--from-block <n>', `the Rollup's deployment block, where L1 event scans start (env ${TRADER_ENV.fromBlock}; default 0)`)
    .option('--key-file <path>', `file holding your Ethereum private key (env ${TRADER_ENV.keyFile}; default: the key in ${TRADER_ENV.key}); never the key itself`)
    .option('--json', 'print results as JSON (integers as decimal strings, amounts in base units)')
    .addHelpText('after', '\nTrader commands, units, environment and exit codes: docs/cli.md')
  const trader: TraderIo = {
    write: io.write,
    err: io.err,
    progress: io.progress ?? { isTTY: false, write: () => {} },
    env: io.env ?? {},
    ...(io.deps ? { deps: io.deps } : {}),
  }
  registerAccountCommands(program, trader, setExitCode)
  registerMarketCommands(program, trader, setExitCode)
  registerOrderCommands(program, trader, setExitCode, () => BigInt(Math.floor(Date.now() / 1000)))
  registerFundsCommands(program, trader, setExitCode)
  return program
}

/** Runs the CLI on `argv` (without node and the script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: number = RiskPriceExit.ok
  const program = buildProgram(io, (c) => (code = c))
  try {
    await program.parseAsync([...argv], { from: 'user' })
    return code
  } catch (error) {
    // Help and version exit 0; every other commander error is a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : RiskPriceExit.badInput
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return code // the reader went away (e.g. `| head`)
    throw error
  }
}
