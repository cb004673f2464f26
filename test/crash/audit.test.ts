/**
 * The crash test's auditor must see every way a node could break its word: a journal that
 * lost an acknowledged line, an answer other than the replay's, a refused request that was
 * journaled anyway, a line journaled twice, acknowledgements out of order, a rewritten
 * history. A real engine, recorder and journal produce the history; only its fate is forged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { signCancel, signWithdrawal, signedCancelToJSON, signedOrderToJSON, signedWithdrawalToJSON } from '../../sdk/index.js'
import { DEFAULT_MARKET, defaultSeries } from '../../sequencer/defaults.js'
import { Engine } from '../../sequencer/engine.js'
import { Journal, JournalError } from '../../sequencer/journal.js'
import { Market } from '../../sequencer/market.js'
import { Recorder } from '../../sequencer/recorder.js'
import { depositEntry, RollupState, TEST_PARAMS, type SignedOrder } from '../../state/index.js'
import { order as orderWith, signedOrder, testKey } from '../../state/testing.js'
import { auditRequests, type InFlightFate } from './audit.js'
import { canonicalJSON, type RequestFate, type SentRequest } from './loadGenerator.js'
import { HistoryRewrittenError, ReferenceReplay } from './referenceReplay.js'

const NOW = 1_790_000_000n
const SERIES = { id: 1n, ...defaultSeries(NOW) }
const keys = [testKey(1), testKey(2)]
const reference = () => ReferenceReplay.withSeries({ params: TEST_PARAMS, market: DEFAULT_MARKET, seriesId: 1n, accounts: [1n, 2n] }, [SERIES])

/** A node's history: two deposits, a resting sell, a crossing buy, a cancel and a withdrawal, each "acknowledged". */
function history() {
  const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'j.jsonl')
  const journal = new Journal(path)
  const clock = { now: NOW }
  const market = new Market(DEFAULT_MARKET, [SERIES])
  const engine = new Engine(new RollupState(TEST_PARAMS), { market, now: () => clock.now, onBatch: () => {} })
  const recorder = new Recorder(engine, market, journal, () => clock.now)
  journal.append({ t: 'start', chainId: 31337, rollup: '0x01', baseBatches: 0 })
  keys.forEach((k, i) => recorder.applyQueueEntry(BigInt(i), depositEntry(k.l1Address, k.pubKey, 5_000_000_000n)))
  const sent: SentRequest[] = []
  let t = 0
  const log = (kind: SentRequest['kind'], account: bigint, body: unknown, response: Record<string, unknown>) => {
    sent.push({ seq: sent.length, kind, account, body, key: canonicalJSON(body), incarnation: 0, sentAt: t++, answeredAt: t++, fate: 'acked', status: 200, response })
  }
  const place = (signed: SignedOrder) => {
    const o = recorder.placeOrder(signed)
    const fills = o.fills.map((f) => ({ makerAccount: f.makerAccount.toString(), makerOrderId: f.makerOrderId.toString(), size: f.size.toString(), price: f.price.toString() }))
    log('order', signed.order.accountIndex, signedOrderToJSON(signed), { status: o.status, fills, resting: o.resting.toString(), ...(o.note ? { note: o.note } : {}) })
  }
  const order = (account: number, orderId: bigint, side: 0 | 1, size: bigint) =>
    signedOrder(keys[account - 1]!, orderWith({ accountIndex: BigInt(account), orderId, seriesId: 1n, side, size, limitPrice: 2_100_000n, validUntil: NOW + 3600n }))
  place(order(2, 1n, 1, 50n))
  place(order(1, 1n, 0, 20n))
  const cancel = signCancel({ accountIndex: 2n, orderId: 1n }, keys[1]!.privateKey)
  recorder.cancelOrder(cancel)
  log('cancel', 2n, signedCancelToJSON(cancel), { status: 'cancelled' })
  const withdrawal = signWithdrawal({ accountIndex: 1n, nonce: 0n, amount: 1_000n }, keys[0]!.privateKey)
  recorder.requestWithdrawal(withdrawal)
  log('withdrawal', 1n, signedWithdrawalToJSON(withdrawal), { status: 'accepted' })
  journal.close()
  return { journal, sent, engine }
}

const fated = (r: SentRequest, fate: RequestFate, more: Partial<SentRequest> = {}): SentRequest => ({ ...r, fate, ...more })

// One history for every case: each case forges its own copy of the fates, never the journal.
let shared: ReturnType<typeof history>
beforeAll(() => {
  shared = history()
})

describe('crash audit', () => {
  it('passes a node that kept its word, and its replay equals the node', () => {
    const { journal, sent, engine } = shared
    const ref = reference()
    ref.feed(journal.read())
    expect(auditRequests(sent, ref.requests, new Map()).problems).toEqual([])
    expect(ref.engine.state.root).toBe(engine.state.root)
    // 50 offered, 20 bought, the rest cancelled.
    expect(ref.view().book).toEqual({ bids: [], asks: [] })
    expect(ref.view().accounts.map((a) => a.positions.map((p) => p.size))).toEqual([['20'], ['-20']])
  })

  it('finds an acknowledged request missing from the journal (LOST)', () => {
    const { journal, sent } = shared
    const entries = journal.read()
    const ref = reference()
    ref.feed(entries.slice(0, -1)) // the withdrawal's line is gone
    expect(auditRequests(sent, ref.requests, new Map()).problems).toEqual([expect.stringMatching(/^LOST: withdrawal #3/)])
  })

  it('finds an answer other than the replay decides (ALTERED)', () => {
    const { journal, sent } = shared
    const ref = reference()
    ref.feed(journal.read())
    const forged = sent.map((r, i) => (i === 1 ? { ...r, response: { ...r.response, fills: [] } } : r))
    const { problems } = auditRequests(forged, ref.requests, new Map())
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^ALTERED: order #1 .* was answered .*"fills":\[\]/)
  })

  it('finds a refused or undelivered request that was journaled anyway (PHANTOM)', () => {
    const { journal, sent } = shared
    const ref = reference()
    ref.feed(journal.read())
    const forged = [fated(sent[0]!, 'refused', { status: 409 }), fated(sent[1]!, 'undelivered', { error: 'ECONNREFUSED' }), ...sent.slice(2)]
    expect(auditRequests(forged, ref.requests, new Map()).problems.map((p) => p.slice(0, 18))).toEqual(['PHANTOM: order #0 ', 'PHANTOM: order #1 '])
  })

  it('resolves requests that died in flight once, and holds them to it', () => {
    const { journal, sent } = shared
    const entries = journal.read()
    const ref = reference()
    ref.feed(entries.slice(0, -1))
    const inFlight = [...sent.slice(0, 3), fated(sent[3]!, 'unknown', { error: 'socket hang up' })]
    const fates = new Map<SentRequest, InFlightFate>()
    const first = auditRequests(inFlight, ref.requests, fates)
    expect(first).toEqual({ problems: [], resolved: [{ request: inFlight[3], fate: 'absent' }] })
    ref.feed(entries) // the line shows up later: the node "journaled" it after its restart was audited
    expect(auditRequests(inFlight, ref.requests, fates).problems).toEqual([expect.stringMatching(/^PHANTOM: withdrawal #3 .* died in flight and was absent/)])
  })

  it('finds a request journaled twice (DUPLICATE) and acknowledgements out of order (REORDERED)', () => {
    const { journal, sent } = shared
    const ref = reference()
    ref.feed(journal.read())
    const twice = new Map(ref.requests)
    twice.set(sent[3]!.key, [...twice.get(sent[3]!.key)!, { index: 99, rootAfter: 0n }])
    expect(auditRequests(sent, twice, new Map()).problems).toEqual([expect.stringMatching(/^DUPLICATE: withdrawal #3 .* 2 times/)])
    // The cancel (entry after the buy) claims to have been sent after the withdrawal was acknowledged.
    const late = sent.map((r, i) => (i === 2 ? { ...r, sentAt: sent[3]!.answeredAt! + 1 } : r))
    expect(auditRequests(late, ref.requests, new Map()).problems).toEqual([expect.stringMatching(/^REORDERED: cancel #2 was sent after #3/)])
  })

  it('refuses a journal whose history changed under it, and one whose replay diverges', () => {
    const { journal } = shared
    const entries = journal.read()
    const ref = reference()
    ref.feed(entries)
    expect(() => ref.feed(entries.slice(0, -1))).toThrow(HistoryRewrittenError)
    const swapped = entries.map((e, i) => (i === 3 ? { ...e, now: String(NOW + 1n) } : e))
    expect(() => ref.feed(swapped)).toThrow(/entry 3 changed/)
    // The same order line twice: the replay refuses it as a replay, so the journal is not this engine's history.
    const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'dup.jsonl')
    writeFileSync(path, [...entries.slice(0, 4), entries[3]].map((e) => JSON.stringify(e)).join('\n') + '\n')
    expect(() => reference().feed(new Journal(path).read())).toThrow(JournalError)
  })
})
