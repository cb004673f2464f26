/**
 * The project's command line, as a function (`cli/main.ts` only calls it). Commands:
 * - `risk price`: CSV of option inputs on stdin → CSV of price and Greeks on stdout
 *   (`cli/riskPrice.ts`; docs/risk.md "Risk CLI").
 *
 * Exit codes: 0 success; 1 some rows could not be priced; 2 usage or input-format error.
 */
import { createInterface } from 'node:readline'
import { Command, CommanderError } from 'commander'
import { RISK_PRICE_INPUT_HEADER, RISK_PRICE_OUTPUT_HEADER, RiskPriceExit, runRiskPrice } from './riskPrice.js'

/** Where the CLI reads and writes. */
export type CliIo = {
  /** Standard input, line by line. */
  readonly input: () => AsyncIterable<string>
  /** Writes output text (resolves once it is handed to the stream). */
  readonly write: (text: string) => Promise<void>
  /** Writes one diagnostic line. */
  readonly err: (line: string) => void
}

/** The process's stdin, stdout and stderr. */
export const processIo: CliIo = {
  input: () => createInterface({ input: process.stdin, crlfDelay: Infinity }),
  write: (text) => new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve()))),
  err: (line) => process.stderr.write(`${line}\n`),
}

/** Builds the program; `setExitCode` receives each command's exit code. */
export function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command()
    .name('options-rollup')
    .description('Command-line tools of the options rollup.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.write(s), writeErr: (s) => io.err(s.trimEnd()) })

  const risk = program.command('risk').description('risk engine: pricing (docs/risk.md)')
  risk
    .command('price')
    .description(
      `Black-Scholes-Merton price and Greeks of European options. Reads CSV on stdin with the header "${RISK_PRICE_INPUT_HEADER}" ` +
        `(type C or P, T in years, r, q and sigma as decimals per year), writes CSV "${RISK_PRICE_OUTPUT_HEADER}" ` +
        '(vega and rho per 1.00, theta per year), one row per input row. A row that cannot be priced gets an empty row ' +
        'and "line N: reason" on stderr; the rest are priced and the exit code is 1. A bad header or empty input exits 2.',
    )
    .action(async () => setExitCode(await runRiskPrice(io.input(), io)))
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
