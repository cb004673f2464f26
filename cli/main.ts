/**
 * The project's CLI: `npm run cli -- <command>` (or the `options-rollup` bin, `cli/bin.mjs`).
 * Commands and exit codes: `cli/program.ts`; the trader commands in docs/cli.md, `risk price`
 * in docs/risk.md "Risk CLI".
 *
 * @example
 * // printf 'type,S,K,T,r,q,sigma\nC,42,40,0.5,0.1,0,0.2\n' | npm run --silent cli -- risk price
 */
import { runCli } from './program.js'

process.exitCode = await runCli(process.argv.slice(2))
