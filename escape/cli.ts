/**
 * The escape tool's executable:
 * `npx tsx escape/cli.ts --rpc <url> --rollup <addr> --key <0x..> <status|request|freeze|exit|refund>`.
 */
import { runCli } from './program.js'

const code = await runCli(process.argv.slice(2))
process.exitCode = code
