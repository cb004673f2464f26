/**
 * `npm run crash-test -- [kills] [--seed N] [--accounts N] [--concurrency N] [--checkpoint-entries N] [--prove]`: the
 * kill -9 crash test (test/crash/crashRun.ts) with as many kill points as asked (default 200),
 * for longer runs than the test suite's. `--prove` attaches a proof worker: batches are proven
 * and submitted to L1 between the kills, L1 catches up before each quiescent kill (so that the
 * restart begins at a journal checkpoint), and the run ends once L1 holds every batch exactly
 * once with the node's roots (a proof takes seconds: use fewer kills). Prints each kill, then
 * what was measured; exits 1 at the first lost, duplicated, altered or invented request.
 */
import { runCrashTest } from '../test/crash/crashRun.js'

function option(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`)
  if (at < 0) return undefined
  const value = Number(process.argv[at + 1])
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} wants a whole number, got ${process.argv[at + 1]}`)
  return value
}

const positional = process.argv.slice(2).find((a, i, all) => /^\d+$/.test(a) && !all[i - 1]?.startsWith('--'))
const kills = positional ? Number(positional) : 200
const seed = option('seed')
const accounts = option('accounts')
const concurrency = option('concurrency')
const checkpointEntries = option('checkpoint-entries')

try {
  const report = await runCrashTest({
    kills,
    ...(seed !== undefined ? { seed } : {}),
    ...(accounts !== undefined ? { accounts } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(checkpointEntries !== undefined ? { checkpointEntries } : {}),
    prove: process.argv.includes('--prove'),
    log: (s) => console.log(s),
  })
  const ready = report.restarts.map((r) => r.readyMs).sort((a, b) => a - b)
  const replay = report.restarts.map((r) => r.replayMs).sort((a, b) => a - b)
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]
  const last = report.restarts.at(-1)!
  console.log(`\nseed ${report.seed}: ${kills} kills (${report.kills.midLoad} mid-load, ${report.kills.quiescent} quiescent, ${report.kills.atStart} during start-up) in ${(report.durationMs / 1000).toFixed(1)} s`)
  console.log(`requests: ${JSON.stringify(report.requests)}; refusals by code: ${JSON.stringify(report.refusedCodes)}`)
  console.log(`journal: ${report.journalEntries} entries in ${report.journalSegments} segments, ${report.journaledRequests} of them requests; exact matches after quiescent kills: ${report.exactMatches}`)
  console.log(`restart to listening: median ${pct(ready, 0.5)} ms, p90 ${pct(ready, 0.9)} ms, max ${ready.at(-1)} ms; replay alone: median ${pct(replay, 0.5)} ms, max ${replay.at(-1)} ms (last: ${last.entries} entries in ${last.replayMs} ms)`)
  const fromCheckpoints = report.restarts.filter((r) => r.checkpointSegment !== undefined)
  console.log(`restarts from a journal checkpoint: ${fromCheckpoints.length} of ${report.restarts.length}${fromCheckpoints.length > 0 ? ` (segments ${fromCheckpoints.map((r) => r.checkpointSegment).join(', ')})` : ' (a checkpoint is used once L1 verified every batch before it: with --prove)'}`)
  if (report.verifiedOnL1 !== undefined) console.log(`L1 verified ${report.verifiedOnL1} batches, each once, ending at the node's root`)
  console.log('nothing acknowledged was lost, duplicated or altered')
  process.exit(0)
} catch (error) {
  console.error(`crash test FAILED: ${(error as Error).message}`)
  process.exit(1)
}
