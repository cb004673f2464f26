/**
 * The escape tool's command line, as a function (`escape/cli.ts` only calls it), so that tests
 * run it in-process. Commands: status, request, freeze, exit, refund (docs: "Escape hatch tool").
 */
import { Command, CommanderError, Option } from 'commander'
import { BaseError as ViemBaseError, HttpRequestError, createPublicClient, formatUnits, getAddress, http, isAddress, type Address, type PublicClient } from 'viem'
import { connectL1, type L1Context } from '../l1/clients.js'
import { L1Error } from '../l1/errors.js'
import { COLLATERAL_DECIMALS, PARAM_SETS, type ParamSet } from '../state/params.js'
import { EscapeError } from './errors.js'
import { exitAccount } from './exit.js'
import { formatDuration, formatTime, freezeIfOverdue, requestForced } from './freeze.js'
import { assertParamsMatch, detectParams } from './params.js'
import { rebuildStateFromL1 } from './rebuild.js'
import { refundMyDeposits } from './refund.js'
import { readEscapeStatus } from './status.js'

/** Where the CLI writes. */
export type CliIo = { readonly out: (line: string) => void; readonly err: (line: string) => void }

const consoleIo: CliIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }

type GlobalOptions = { rpc: string; rollup: string; key?: string; fromBlock?: string; params?: 'test' | 'realistic' }

class UsageError extends EscapeError {
  override readonly name = 'UsageError'
}

const money = (amount: bigint) => `${formatUnits(amount, COLLATERAL_DECIMALS)} (${amount} base units)`
const address = (a: bigint) => getAddress(`0x${a.toString(16).padStart(40, '0')}`)

function accountIndexArg(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new UsageError(`account index must be a non-negative integer, got "${text}"`)
  return BigInt(text)
}

/** Parsed connection settings of one invocation. */
class Session {
  readonly rollup: Address
  readonly fromBlock: bigint | undefined
  #ctx: L1Context | undefined
  #client: PublicClient | undefined

  constructor(readonly options: GlobalOptions) {
    if (!isAddress(options.rollup)) throw new UsageError(`--rollup must be a contract address, got "${options.rollup}"`)
    this.rollup = getAddress(options.rollup)
    if (options.fromBlock !== undefined && !/^\d+$/.test(options.fromBlock)) throw new UsageError(`--from-block must be a block number, got "${options.fromBlock}"`)
    this.fromBlock = options.fromBlock === undefined ? undefined : BigInt(options.fromBlock)
  }

  get scan(): { fromBlock?: bigint } {
    return this.fromBlock === undefined ? {} : { fromBlock: this.fromBlock }
  }

  /** A signing context; needs --key. */
  async ctx(): Promise<L1Context> {
    if (this.#ctx) return this.#ctx
    const key = this.options.key
    if (!key) throw new UsageError('this command sends a transaction: pass --key <0x private key> (or set ESCAPE_KEY)')
    if (!/^0x[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('--key must be a 32-byte hex private key starting with 0x')
    this.#ctx = await connectL1(this.options.rpc, key as `0x${string}`)
    return this.#ctx
  }

  /** A read-only client (the signing context's when a key is given). */
  async client(): Promise<PublicClient> {
    if (this.options.key) return (await this.ctx()).publicClient
    this.#client ??= createPublicClient({ transport: http(this.options.rpc) }) as PublicClient
    return this.#client
  }

  /** The parameter set: --params (checked against the contract) or detected from it. */
  async params(): Promise<ParamSet> {
    const client = await this.client()
    if (!this.options.params) return detectParams(client, this.rollup)
    const params = PARAM_SETS[this.options.params]
    await assertParamsMatch(client, this.rollup, params)
    return params
  }
}

type Runner = (action: (s: Session, ...args: unknown[]) => Promise<void>) => (...args: unknown[]) => Promise<void>

function buildProgram(io: CliIo, run: Runner): Command {
  const program = new Command('escape')
    .description('Escape hatch of the options rollup: works from L1 data alone, with no sequencer.')
    .requiredOption('--rpc <url>', 'JSON-RPC URL of the L1 node')
    .requiredOption('--rollup <address>', 'address of the Rollup contract')
    .addOption(new Option('--key <0x..>', 'private key of your L1 account (needed by request, freeze, exit, refund)').env('ESCAPE_KEY'))
    .option('--from-block <n>', 'first block to scan for Rollup events (its deployment block or earlier)')
    .addOption(new Option('--params <set>', 'parameter set of the deployment (default: detected from the contract)').choices(['test', 'realistic']))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })

  program
    .command('status')
    .description('show the rollup, the waiting forced withdrawals and deposits, and check that L1 data rebuilds the verified state')
    .action(
      run(async (s) => {
        const client = await s.client()
        const st = await readEscapeStatus(client, s.rollup, s.scan)
        const r = st.rollup
        io.out(`rollup          ${s.rollup}`)
        io.out(`state root      ${r.stateRoot}`)
        io.out(`batches         ${r.batchCount} verified`)
        io.out(`queue           ${r.queueProcessed} of ${r.queueLength} entries processed`)
        io.out(`frozen          ${r.frozen ? 'YES: accounts exit with "exit <accountIndex>", deposits with "refund"' : 'no'}`)
        io.out(`forced timeout  ${formatDuration(st.contractParams.forcedTimeout)}`)
        io.out(`chain time      ${formatTime(st.now)}`)
        if (st.forced.length === 0) io.out('forced requests none waiting')
        for (const f of st.forced) {
          const when = st.now >= f.deadline ? 'OVERDUE' : `overdue in ${formatDuration(f.deadline - st.now)}`
          io.out(`forced request  #${f.queueIndex}: account ${f.accountIndex} by ${address(f.requester)}, deadline ${formatTime(f.deadline)} (${when})`)
        }
        if (st.canFreeze) io.out('                -> the rollup can be frozen now: run "freeze"')
        for (const d of st.unprocessedDeposits)
          io.out(`deposit         #${d.queueIndex}: ${money(d.amount)} from ${d.depositor}${d.refunded ? ' (refunded)' : ' (not processed)'}`)
        const params = await s.params()
        const state = await rebuildStateFromL1(client, s.rollup, params, s.scan)
        io.out(`rebuilt state   ${state.accountIndices().length} accounts from L1 data; root matches the contract (params "${params.name}")`)
        if (s.options.key) {
          const me = BigInt((await s.ctx()).account.address)
          for (const i of state.accountIndices()) {
            const a = state.account(i)
            if (a.l1Address === me) io.out(`your account    ${i}: collateral ${money(a.collateral)}, ${state.positions(i).length} open positions`)
          }
        }
      }),
    )

  program
    .command('request')
    .description('ask L1 for the forced withdrawal of all the collateral of an account you own')
    .argument('<accountIndex>', 'the account', accountIndexArg)
    .action(
      run(async (s, accountIndex) => {
        const ctx = await s.ctx()
        const r = await requestForced(ctx, s.rollup, accountIndex as bigint)
        io.out(`forced withdrawal of account ${accountIndex} requested: queue entry #${r.queueIndex} (tx ${r.hash})`)
        io.out(`if the sequencer has not served it by ${formatTime(r.deadline)}, anyone can run "freeze"`)
      }),
    )

  program
    .command('freeze')
    .description('freeze the rollup because the oldest forced withdrawal was not served in time')
    .action(
      run(async (s) => {
        const r = await freezeIfOverdue(await s.ctx(), s.rollup, s.scan)
        io.out(`rollup frozen over forced request #${r.request.queueIndex} (account ${r.request.accountIndex}, deadline ${formatTime(r.request.deadline)}) (tx ${r.hash})`)
        io.out('accounts can now exit with "exit <accountIndex>", unprocessed deposits with "refund"')
      }),
    )

  program
    .command('exit')
    .description('after the freeze: rebuild the state from L1 and pay an account its collateral at the last verified root')
    .argument('<accountIndex>', 'the account', accountIndexArg)
    .action(
      run(async (s, accountIndex) => {
        const ctx = await s.ctx()
        const r = await exitAccount(ctx, s.rollup, await s.params(), accountIndex as bigint, s.scan)
        io.out(`account ${r.accountIndex} exited: ${money(r.amount)} paid to ${r.recipient} (tx ${r.hash})`)
      }),
    )

  program
    .command('refund')
    .description('after the freeze: get back your deposits that no batch processed')
    .action(
      run(async (s) => {
        const refunds = await refundMyDeposits(await s.ctx(), s.rollup, s.scan)
        if (refunds.length === 0) io.out('nothing to refund: you have no unprocessed deposit left')
        for (const r of refunds) io.out(`deposit #${r.queueIndex} refunded: ${money(r.amount)} (tx ${r.hash})`)
      }),
    )
  return program
}

/** A failure as short lines for a person: the message, and for viem errors the node's detail. */
export function describeError(error: unknown): string[] {
  if (error instanceof ViemBaseError) {
    const unreachable = error.walk((e) => e instanceof HttpRequestError) !== null
    const lines = [`error: ${error.shortMessage}${error.details ? ` (${error.details})` : ''}`]
    if (unreachable) lines.push('the L1 node did not answer: check --rpc')
    return lines
  }
  const e = error instanceof Error ? error : new Error(String(error))
  const kind = e instanceof EscapeError || e instanceof L1Error ? '' : ` [${e.name}]`
  return [`error: ${e.message}${kind}`]
}

/**
 * Runs the CLI on `argv` (the arguments after the script name); returns the exit code:
 * 0 on success, 1 when the command failed (the reason is written to `io.err`), commander's
 * code on a usage error.
 */
export async function runCli(argv: readonly string[], io: CliIo = consoleIo): Promise<number> {
  let code = 0
  const run: Runner =
    (action) =>
    async (...args) => {
      const command = args[args.length - 1] as Command
      const session = new Session(command.optsWithGlobals<GlobalOptions>())
      await action(session, ...args.slice(0, -2))
    }
  const program = buildProgram(io, run)
  try {
    await program.parseAsync([...argv], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode
    for (const line of describeError(error)) io.err(line)
    code = 1
  }
  return code
}
