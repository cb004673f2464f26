/**
 * The crash test's audit of the request log against the journal (through the reference
 * replay): what was acknowledged is there exactly once and was answered as the replay
 * decides; what was refused or never delivered is absent; what died in flight is one or the
 * other, for good; and the journal keeps the order in which requests were acknowledged.
 * Returns the problems found, in words (none: the node kept its word).
 */
import { canonicalJSON, type SentRequest } from './loadGenerator.js'
import type { JournaledRequest } from './referenceReplay.js'

/** What the journal showed of a request that died in flight, at the first audit after it. */
export type InFlightFate = 'present' | 'absent'

export type AuditResult = {
  readonly problems: string[]
  /** Requests that died in flight and were first resolved by this audit, with what was found. */
  readonly resolved: { readonly request: SentRequest; readonly fate: InFlightFate }[]
}

/**
 * Audits every request of `sent` against `journaled` (the reference's requests by payload).
 * `fates` holds what earlier audits found of in-flight requests; this one adds to it.
 */
export function auditRequests(sent: readonly SentRequest[], journaled: ReadonlyMap<string, readonly JournaledRequest[]>, fates: Map<SentRequest, InFlightFate>): AuditResult {
  const problems: string[] = []
  const resolved: AuditResult['resolved'] = []
  const acked: { at: number; index: number; seq: number }[] = []
  for (const r of sent) {
    const seen = journaled.get(r.key) ?? []
    const what = `${r.kind} #${r.seq} of account ${r.account} (sent to node ${r.incarnation})`
    if (seen.length > 1) problems.push(`DUPLICATE: ${what} is in the journal ${seen.length} times (entries ${seen.map((s) => s.index).join(', ')})`)
    const entry = seen[0]
    switch (r.fate) {
      case 'acked': {
        if (!entry) {
          problems.push(`LOST: ${what} was acknowledged (${canonicalJSON(r.response)}) but is not in the journal`)
          break
        }
        const answer = r.response ?? {}
        if (r.kind === 'order') {
          const o = JSON.parse(entry.outcome ?? '{}') as Record<string, unknown>
          const told = canonicalJSON({ status: answer.status, fills: answer.fills, resting: answer.resting, note: answer.note })
          if (told !== canonicalJSON({ status: o.status, fills: o.fills, resting: o.resting, note: o.note })) problems.push(`ALTERED: ${what} was answered ${told}, but its journal entry says ${entry.outcome}`)
        }
        acked.push({ at: r.answeredAt ?? Number.POSITIVE_INFINITY, index: entry.index, seq: r.seq })
        break
      }
      case 'refused':
      case 'undelivered':
        if (entry) problems.push(`PHANTOM: ${what} was ${r.fate} (${r.status ?? r.error}) but is journal entry ${entry.index}`)
        break
      case 'unknown': {
        const before = fates.get(r)
        if (before === 'absent' && entry) problems.push(`PHANTOM: ${what} died in flight and was absent after the restart, but is entry ${entry.index} now`)
        if (before === undefined) {
          const fate: InFlightFate = entry ? 'present' : 'absent'
          fates.set(r, fate)
          resolved.push({ request: r, fate })
        }
        break
      }
      case 'pending':
        problems.push(`${what} has no answer yet: audit only once the load has drained`)
    }
  }
  // Order of acknowledgement: a request sent after another was acknowledged comes after it.
  for (const r of sent) {
    const entry = journaled.get(r.key)?.[0]
    if (!entry) continue
    const earlier = acked.find((a) => a.at < r.sentAt && a.index > entry.index)
    if (earlier) problems.push(`REORDERED: ${r.kind} #${r.seq} was sent after #${earlier.seq} was acknowledged, yet is journaled before it (entries ${entry.index} < ${earlier.index})`)
  }
  return { problems, resolved }
}
