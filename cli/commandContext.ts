/**
 * What every trader command gets: the session, the output mode, and where to write. Results go
 * to stdout (a human table, or with `--json` one JSON document with integers as decimal
 * strings); notes and warnings go to stderr; progress bars to stderr on a terminal only.
 */
import type { Command } from 'commander'
import { describeFailure, TraderExit } from './errors.js'
import { ProgressBar, withProgress, type ProgressSink } from './progress.js'
import { TraderSession, type SessionDeps } from './session.js'
import { DEFAULT_RPC_URL, DEFAULT_SEQUENCER_URL, resolveTraderConfig, TRADER_ENV, type Env, type TraderFlags } from './traderConfig.js'
import type { L1Step } from '../sdk/l1.js'
import { ApiError } from '../sdk/errors.js'
import { L1UnreachableError } from '../sdk/l1Errors.js'

/** The trader CLI's streams and environment. */
export type TraderIo = {
  /** Writes result text to stdout. */
  readonly write: (text: string) => Promise<void>
  /** Writes one line to stderr. */
  readonly err: (line: string) => void
  /** stderr as a progress bar sees it. */
  readonly progress: ProgressSink
  readonly env: Env
  /** Test hooks (the sequencer client's fetch). */
  readonly deps?: SessionDeps
}

/** The context of one command. */
export type CommandContext = {
  readonly session: TraderSession
  readonly json: boolean
  readonly progress: ProgressSink
  /** Prints a result: `human()` as text, or `json` as one JSON document with `--json`. */
  readonly result: (human: () => string, json: unknown) => Promise<void>
  /** A line for a person on stderr (not printed with `--json`). */
  readonly note: (line: string) => void
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)
}

/** Where to look when the sequencer or the L1 node does not answer. */
function hint(error: unknown, flags: TraderFlags, env: Env): string {
  if (error instanceof ApiError && error.status === 0)
    return `\n  (sequencer ${flags.sequencer ?? env[TRADER_ENV.sequencer] ?? DEFAULT_SEQUENCER_URL}: is the node running, e.g. npm start? set --sequencer or ${TRADER_ENV.sequencer})`
  if (error instanceof L1UnreachableError) return `\n  (L1 node ${flags.rpc ?? env[TRADER_ENV.rpc] ?? DEFAULT_RPC_URL}: set --rpc or ${TRADER_ENV.rpc})`
  return ''
}

/**
 * Wraps a command's handler: builds its context from the global flags and the environment,
 * runs it, and turns a failure into its exit code and one line on stderr (a JSON object with
 * `--json`), see cli/errors.ts.
 */
export function traderAction<A extends unknown[]>(io: TraderIo, setExitCode: (code: number) => void, handler: (ctx: CommandContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]): Promise<void> => {
    const command = args[args.length - 1] as Command
    const flags = command.optsWithGlobals<TraderFlags>()
    const json = flags.json === true
    try {
      const config = resolveTraderConfig(flags, io.env)
      const session = new TraderSession(config, io.env, { ...io.deps, warn: io.err })
      const ctx: CommandContext = {
        session,
        json,
        progress: io.progress,
        result: (human, value) => io.write(`${json ? toJson(value) : human()}\n`),
        note: (line) => {
          if (!json) io.err(line)
        },
      }
      await handler(ctx, ...(args.slice(0, -1) as A))
      setExitCode(TraderExit.ok)
    } catch (error) {
      const failure = describeFailure(error)
      io.err(json ? JSON.stringify({ error: failure.json }) : `error: ${failure.message}${hint(error, flags, io.env)}`)
      setExitCode(failure.code)
    }
  }
}

/** A progress callback for the SDK's L1 steps: one bar per transaction, sending then waiting for its receipt. */
export function l1StepBar(bar: ProgressBar): (step: L1Step) => void {
  return (s) => {
    const which = s.steps > 1 ? ` ${s.step}/${s.steps}` : ''
    bar.update({ label: s.phase === 'sending' ? `${s.action}${which}: sending, waiting for the L1 receipt` : `${s.action}${which}: mined`, fraction: undefined })
  }
}

/** Runs L1 transactions under a bar that shows each step. */
export function withL1Progress<T>(ctx: CommandContext, label: string, work: (onStep: (step: L1Step) => void) => Promise<T>): Promise<T> {
  return withProgress(ctx.progress, label, (bar) => work(l1StepBar(bar)))
}
