/**
 * kill -9 under load: the sequencer runs as its own process on a journal directory and is
 * killed 20 times (mid-load with requests in flight, quiescent, during start-up) and restarted
 * on the same journal; after every restart nothing it acknowledged may be lost, duplicated or
 * altered, and it must serve exactly the state a fresh replay of its journal computes
 * (test/crash/crashRun.ts). The journal begins a segment, with a checkpoint, every 20 entries,
 * so kills also land around rotations. `npm run crash-test -- 500` runs more kill points.
 */
import { expect, it } from 'vitest'
import { runCrashTest } from './crash/crashRun.js'

it('loses nothing acknowledged across 20 SIGKILLs under load', { timeout: 300_000 }, async () => {
  const report = await runCrashTest({ kills: 20, checkpointEntries: 20, log: (s) => process.env.CRASH_LOG && console.log(s) })
  // The run only counts if the kills really hit: requests were acknowledged, some were in
  // flight when the node died, and quiescent kills compared the node with itself.
  expect(report.kills).toEqual({ midLoad: 12, quiescent: 4, atStart: 4 })
  expect(report.requests.acked).toBeGreaterThan(40)
  expect(report.requests.unknownPresent + report.requests.unknownAbsent).toBeGreaterThan(0)
  expect(report.exactMatches).toBeGreaterThan(0)
  expect(report.journaledRequests).toBeGreaterThanOrEqual(report.requests.acked + report.requests.unknownPresent)
  // The journal rotated (a checkpoint per segment, every 20 entries) while the kills happened.
  expect(report.journalSegments).toBeGreaterThan(2)
  console.log(
    `crash test (seed ${report.seed}): ${JSON.stringify(report.kills)} kills, requests ${JSON.stringify(report.requests)}, journal ${report.journalEntries} entries in ${report.journalSegments} segments, ` +
      `restart to listening ${Math.min(...report.restarts.map((r) => r.readyMs))}..${Math.max(...report.restarts.map((r) => r.readyMs))} ms, ${report.durationMs} ms in all`,
  )
})
