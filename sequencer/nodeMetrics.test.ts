import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MeasuredJournal, NodeMetrics } from './nodeMetrics.js'
import type { BatchRecord } from './pipeline.js'

const value = (text: string, sample: string) => Number(text.split('\n').find((l) => l.startsWith(`${sample} `))?.split(' ')[1])

describe('NodeMetrics', () => {
  it('records prover time once per batch, when it is proven, and counts batches that finished', async () => {
    const metrics = new NodeMetrics({ processMetrics: false })
    const record = { number: 0, status: 'proving', txCounts: {}, createdAt: '' } as unknown as BatchRecord
    metrics.observeBatch(record)
    record.status = 'submitting'
    record.provingMs = 12_000
    metrics.observeBatch(record)
    record.status = 'verified'
    metrics.observeBatch(record)
    metrics.observeBatch({ ...record, number: 1, status: 'failed' } as BatchRecord)
    const { text, contentType } = await metrics.scrape()
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(value(text, 'sequencer_batch_proving_seconds_count')).toBe(1)
    expect(value(text, 'sequencer_batch_proving_seconds_sum')).toBe(12)
    expect(value(text, 'sequencer_batch_proving_seconds_bucket{le="10"}')).toBe(0)
    expect(value(text, 'sequencer_batch_proving_seconds_bucket{le="20"}')).toBe(1)
    expect(value(text, 'sequencer_batches_finished_total{status="verified"}')).toBe(1)
    expect(value(text, 'sequencer_batches_finished_total{status="failed"}')).toBe(1)
  })

  it('times every journal fsync and counts the entries each made durable', async () => {
    const metrics = new NodeMetrics({ processMetrics: false })
    const journal = new MeasuredJournal(join(mkdtempSync(join(tmpdir(), 'metrics-')), 'j.jsonl'), metrics)
    journal.append({ t: 'start', chainId: 1, rollup: '0x01', baseBatches: 0 })
    await journal.durable()
    journal.append({ t: 'flush' })
    journal.append({ t: 'flush' })
    await journal.durable()
    journal.close()
    expect(readFileSync(journal.path, 'utf8').split('\n').filter(Boolean)).toHaveLength(3)
    const { text } = await metrics.scrape()
    expect(value(text, 'sequencer_journal_fsync_seconds_count')).toBe(2)
    expect(value(text, 'sequencer_journal_fsync_seconds_sum')).toBeGreaterThan(0)
    expect(value(text, 'sequencer_journal_fsync_entries_count')).toBe(2)
    expect(value(text, 'sequencer_journal_fsync_entries_sum')).toBe(3)
  })

  it('keeps each node in its own registry', async () => {
    const a = new NodeMetrics({ processMetrics: false })
    const b = new NodeMetrics({ processMetrics: false })
    a.fills.inc(3)
    expect(value((await a.scrape()).text, 'sequencer_fills_total')).toBe(3)
    expect(value((await b.scrape()).text, 'sequencer_fills_total')).toBe(0)
  })
})
