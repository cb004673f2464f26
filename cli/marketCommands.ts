/**
 * Read-only market commands of the trader CLI: `series`, `book <series>`, `batches`. Prices
 * are shown per option contract, sizes in contracts (cli/units.ts); `--json` prints the API's
 * response as it is (base units, decimal strings).
 */
import type { Command } from 'commander'
import type { SeriesListResponse } from '../sdk/client.js'
import { traderAction, type CommandContext, type TraderIo } from './commandContext.js'
import { CliUsageError } from './errors.js'
import { renderTable, shortHex } from './table.js'
import { CONTRACTS, formatApiUnits, formatTime, parseIndex, PRICE, STRIKE } from './units.js'
import type { TraderSession } from './session.js'

/** A series as `GET /v1/series` lists it (the fields the CLI shows). */
export type SeriesRow = SeriesListResponse['series'][number] & { readonly name?: string; readonly mark?: string; readonly live?: boolean; readonly settlementPrice?: string }

/** A book level of `GET /v1/book/:seriesId`. */
export type BookLevel = { readonly price: string; readonly size: string; readonly orders: number }
/** `GET /v1/book/:seriesId`. */
export type BookResponse = { readonly seriesId: string; readonly bids: readonly BookLevel[]; readonly asks: readonly BookLevel[] }

/** The listed series. */
export async function listSeries(session: TraderSession): Promise<readonly SeriesRow[]> {
  return (await session.client.getSeries()).series as readonly SeriesRow[]
}

/**
 * A series given by id ("1") or name ("ETH-27DEC26-3000-C", any case). Throws `CliUsageError`
 * naming the listed ones when none matches.
 */
export function findSeries(series: readonly SeriesRow[], text: string): SeriesRow {
  const t = text.trim()
  const found = /^\d+$/.test(t) ? series.find((s) => s.id === BigInt(t).toString()) : series.find((s) => s.name?.toUpperCase() === t.toUpperCase())
  if (!found) {
    const listed = series.map((s) => (s.name ? `${s.id} ${s.name}` : s.id)).join(', ') || 'none'
    throw new CliUsageError(`no listed series "${text}" (listed: ${listed})`)
  }
  return found
}

/** The display name of a series id: its name when listed, else `#id`. */
export function seriesLabel(series: readonly SeriesRow[], id: string): string {
  return series.find((s) => s.id === id)?.name ?? `#${id}`
}

/** Human table of `series`. */
export function renderSeries(series: readonly SeriesRow[]): string {
  if (series.length === 0) return 'no series listed'
  return renderTable(
    [{ header: 'id', align: 'right' }, { header: 'name' }, { header: 'expiry' }, { header: 'strike', align: 'right' }, { header: 'type' }, { header: 'mark', align: 'right' }, { header: 'state' }],
    series.map((s) => [
      s.id,
      s.name ?? '',
      formatTime(BigInt(s.expiry)),
      formatApiUnits(s.strike, STRIKE),
      s.isCall ? 'call' : 'put',
      s.mark !== undefined ? formatApiUnits(s.mark, PRICE) : '-',
      s.settlementPrice !== undefined ? `settled at ${formatApiUnits(s.settlementPrice, STRIKE)}` : s.live === false ? 'expired' : 'live',
    ]),
  )
}

/** Human view of a book: asks from the highest down to the best, then bids from the best down. */
export function renderBook(name: string, book: BookResponse): string {
  const title = `${name} (series ${book.seriesId}); prices per contract, sizes in contracts`
  if (book.bids.length === 0 && book.asks.length === 0) return `${title}\nthe book is empty`
  const sortDesc = (levels: readonly BookLevel[]) => [...levels].sort((a, b) => (BigInt(b.price) > BigInt(a.price) ? 1 : BigInt(b.price) < BigInt(a.price) ? -1 : 0))
  const row = (side: string) => (l: BookLevel) => [side, formatApiUnits(l.price, PRICE), formatApiUnits(l.size, CONTRACTS), String(l.orders)]
  return `${title}\n${renderTable(
    [{ header: 'side' }, { header: 'price', align: 'right' }, { header: 'size', align: 'right' }, { header: 'orders', align: 'right' }],
    [...sortDesc(book.asks).map(row('ask')), ...sortDesc(book.bids).map(row('bid'))],
  )}`
}

/** A batch of `GET /v1/batches` (the fields the CLI shows). */
export type BatchRow = {
  readonly number: number
  readonly status: string
  readonly txCounts?: Readonly<Record<string, number>>
  readonly provingMs?: number
  readonly l1TxHash?: string
  readonly gasUsed?: string
  readonly error?: string
  readonly createdAt?: string
}

/** Human table of batches, newest first. */
export function renderBatches(batches: readonly BatchRow[]): string {
  if (batches.length === 0) return 'no batches yet'
  return renderTable(
    [{ header: 'batch', align: 'right' }, { header: 'status' }, { header: 'transactions' }, { header: 'proving', align: 'right' }, { header: 'L1 tx' }, { header: 'gas', align: 'right' }, { header: 'error' }],
    batches.map((b) => [
      String(b.number),
      b.status,
      Object.entries(b.txCounts ?? {})
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', '),
      b.provingMs !== undefined ? `${(b.provingMs / 1000).toFixed(1)}s` : '',
      b.l1TxHash ? shortHex(b.l1TxHash, 6) : '',
      b.gasUsed ?? '',
      b.error ?? '',
    ]),
  )
}

/** Registers `series`, `book` and `batches` on `program`. */
export function registerMarketCommands(program: Command, io: TraderIo, setExitCode: (code: number) => void): void {
  const action = <A extends unknown[]>(h: (ctx: CommandContext, ...args: A) => Promise<void>) => traderAction(io, setExitCode, h)
  program
    .command('series')
    .description('listed series: id, name, expiry, strike, mark (per contract), state')
    .action(
      action(async (ctx) => {
        const rows = await listSeries(ctx.session)
        await ctx.result(() => renderSeries(rows), { series: rows })
      }),
    )
  program
    .command('book')
    .description('the order book of a series (by id or name): asks above bids, per contract')
    .argument('<series>', 'series id or name, e.g. 1 or ETH-27DEC26-3000-C')
    .action(
      action(async (ctx, text: string) => {
        const s = findSeries(await listSeries(ctx.session), text)
        const b = await ctx.session.client.request<BookResponse>('GET', `/v1/book/${s.id}`)
        await ctx.result(() => renderBook(s.name ?? `#${s.id}`, b), b)
      }),
    )
  program
    .command('batches')
    .description('batches, newest first: status (proving, submitting, verified, failed), transactions, proving time, L1 transaction and gas')
    .option('--limit <n>', 'show the newest n (1 to 1000; default 100)', (v) => Number(parseIndex(v, '--limit', 1n)))
    .action(
      action(async (ctx, options: { limit?: number }) => {
        const shown: readonly BatchRow[] = (await ctx.session.client.getBatches({ limit: Math.min(options.limit ?? 100, 1000) })).batches
        await ctx.result(() => renderBatches(shown), { batches: shown })
      }),
    )
}
