/**
 * `order place`, `order cancel` (one or all), `order status` and `orders`: orders signed with
 * the trader's L2 key and sent to the sequencer (sdk/orders.ts, sdk/client.ts). An order is a
 * limit order good until its `validUntil`, optionally immediate-or-cancel or post-only,
 * reduce-only, with a self-trade policy (docs/sequencer.md, "Order options").
 */
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { OrderResponse, PlaceOrderResponse } from '../sdk/client.js'
import { buildOrder, signCancel, signOrder } from '../sdk/orders.js'
import { orderOptions, type OrderOptions, type OrderType, type SelfTradePrevention } from '../sdk/orderRequest.js'
import { buildCancelAll, MAX_CANCELS_PER_CANCEL_ALL, signCancelAll } from '../sdk/cancelAll.js'
import { traderAction, type CommandContext, type TraderIo } from './commandContext.js'
import { CliUsageError } from './errors.js'
import { findSeries, listSeries } from './marketCommands.js'
import { chooseOrderId } from './orderId.js'
import { renderPairs, renderTable } from './table.js'
import { CONTRACTS, formatApiUnits, formatTime, formatUnits, parseDuration, parseIndex, parseTime, parseUnits, PRICE } from './units.js'
import type { AccountView } from './accountCommands.js'

/** Default life of an order: one day. */
export const DEFAULT_VALID_FOR_SECONDS = 86_400

/** Options of `order place`, as commander parses them. */
export type PlaceOptions = {
  readonly size: bigint
  readonly price: bigint
  readonly validFor?: number
  readonly validUntil?: bigint
  readonly orderId?: bigint
  readonly account?: bigint
  readonly type: 'limit' | 'ioc' | 'post-only'
  readonly reduceOnly?: boolean
  readonly stp: 'cancel-newest' | 'cancel-oldest'
}

/** The API's execution options of `order place`'s flags (`post-only` → `post_only`, ...). */
export function placeOrderOptions(options: Pick<PlaceOptions, 'type' | 'reduceOnly' | 'stp'>): OrderOptions {
  return orderOptions({
    type: options.type.replace('-', '_') as OrderType,
    reduceOnly: options.reduceOnly === true,
    selfTradePrevention: options.stp.replace('-', '_') as SelfTradePrevention,
  })
}

/** The largest page of orders the API returns (GET /v1/accounts/:index/orders). */
export const MAX_ORDERS_PAGE = 500

/** `--limit` of `orders`: 1 to `MAX_ORDERS_PAGE`, refused here rather than by the API. */
export function parseOrdersLimit(text: string): number {
  const n = parseIndex(text, '--limit', 1n)
  if (n > BigInt(MAX_ORDERS_PAGE)) throw new InvalidArgumentError(`--limit must be at most ${MAX_ORDERS_PAGE}, got ${n}`)
  return Number(n)
}

/** One line per order: id, series, side, size, price, status, filled, average price. */
export function renderOrders(orders: readonly OrderResponse[]): string {
  if (orders.length === 0) return 'no orders'
  return renderTable(
    [
      { header: 'order', align: 'right' },
      { header: 'series', align: 'right' },
      { header: 'side' },
      { header: 'size', align: 'right' },
      { header: 'price', align: 'right' },
      { header: 'type' },
      { header: 'status' },
      { header: 'filled', align: 'right' },
      { header: 'avg price', align: 'right' },
    ],
    orders.map((o) => [
      o.orderId,
      o.seriesId,
      o.side === 0 ? 'buy' : 'sell',
      formatApiUnits(o.size, CONTRACTS),
      formatApiUnits(o.limitPrice, PRICE),
      `${o.options.type}${o.options.reduceOnly ? ' reduce-only' : ''}`,
      o.status,
      formatApiUnits(o.filledSize, CONTRACTS),
      o.averagePrice === undefined ? '' : formatApiUnits(o.averagePrice, PRICE),
    ]),
  )
}

/** A usage error when both `--valid-for` and `--valid-until` are given (checked before any network call). */
export function assertOneValidity(options: Pick<PlaceOptions, 'validFor' | 'validUntil'>): void {
  if (options.validFor !== undefined && options.validUntil !== undefined) throw new CliUsageError('give --valid-for or --valid-until, not both')
}

/** `validUntil` of an order: `--valid-until`, else now + `--valid-for` (default one day); `nowSeconds` is the sequencer's clock. */
export function orderValidUntil(options: Pick<PlaceOptions, 'validFor' | 'validUntil'>, nowSeconds: bigint): bigint {
  assertOneValidity(options)
  const until = options.validUntil ?? nowSeconds + BigInt(options.validFor ?? DEFAULT_VALID_FOR_SECONDS)
  if (until <= nowSeconds) throw new CliUsageError(`--valid-until ${formatTime(until)} is not in the future`)
  return until
}

/** `buy` or `sell` (any case). */
export function parseSide(text: string): 'buy' | 'sell' {
  const t = text.trim().toLowerCase()
  if (t !== 'buy' && t !== 'sell') throw new CliUsageError(`side must be buy or sell, got "${text}"`)
  return t
}

/** Human view of an order's outcome. */
export function renderPlaced(orderId: bigint, seriesName: string, side: string, size: bigint, price: bigint, validUntil: bigint, r: PlaceOrderResponse): string {
  const fills = (r.fills ?? []) as readonly { makerAccount?: string; makerOrderId?: string; size?: string; price?: string }[]
  const head = renderPairs([
    ['order', `${orderId}: ${side} ${formatUnits(size, CONTRACTS)} ${seriesName} at ${formatUnits(price, PRICE)} per contract, valid until ${formatTime(validUntil)}`],
    ['status', r.status],
    ['resting', `${formatApiUnits(r.resting, CONTRACTS)} contracts`],
    ...(typeof r.note === 'string' ? [['note', r.note] as const] : []),
  ])
  if (fills.length === 0) return head
  return `${head}\n\nfills (price per contract)\n${renderTable(
    [{ header: 'size', align: 'right' }, { header: 'price', align: 'right' }, { header: 'maker account', align: 'right' }, { header: 'maker order', align: 'right' }],
    fills.map((f) => [formatApiUnits(f.size, CONTRACTS), formatApiUnits(f.price, PRICE), f.makerAccount ?? '', f.makerOrderId ?? '']),
  )}`
}

/** Registers `order place` and `order cancel` on `program`. */
export function registerOrderCommands(program: Command, io: TraderIo, setExitCode: (code: number) => void, now: () => bigint): void {
  const action = <A extends unknown[]>(h: (ctx: CommandContext, ...args: A) => Promise<void>) => traderAction(io, setExitCode, h)
  const order = program.command('order').description('place and cancel limit orders, signed with your L2 key')
  order
    .command('place')
    .description('places a limit order; it trades at once against crossing orders (at their price) and the rest rests in the book until valid-until')
    .argument('<side>', 'buy or sell')
    .argument('<series>', 'series id or name, e.g. 1 or ETH-27DEC26-3000-C')
    .requiredOption('--size <contracts>', 'size in option contracts, up to 2 decimals (0.01 is the smallest)', (v) => parseUnits(v, CONTRACTS))
    .requiredOption('--price <collateral>', 'limit price in collateral per contract, up to 4 decimals', (v) => parseUnits(v, PRICE, 0n))
    .addOption(new Option('--valid-for <duration>', 'life of the order: 30s, 15m, 12h, 7d (default 1d)').argParser(parseDuration))
    .addOption(new Option('--valid-until <time>', 'expiry of the order: unix seconds or an ISO date').argParser(parseTime))
    .option('--order-id <id>', 'the order id (default: picked from the clock, clear of your resting orders\' slots)', (v) => parseIndex(v, '--order-id', 1n))
    .option('--account <index>', 'your account index (default: the account of your L1 address)', (v) => parseIndex(v, '--account'))
    .addOption(new Option('--type <type>', 'limit rests what does not cross; ioc drops it; post-only is refused if it would take').choices(['limit', 'ioc', 'post-only']).default('limit'))
    .option('--reduce-only', 'only ever shrink your position in the series (capped to it)')
    .addOption(new Option('--stp <policy>', 'against your own resting order: cancel-newest refuses this order, cancel-oldest removes the resting one').choices(['cancel-newest', 'cancel-oldest']).default('cancel-newest'))
    .action(
      action(async (ctx, sideText: string, seriesText: string, options: PlaceOptions) => {
        const side = parseSide(sideText)
        assertOneValidity(options)
        const s = ctx.session
        await s.checkedHealth()
        // The sequencer's clock judges expiry: a local clock off by a minute must not make a 30 s order arrive expired.
        const validUntil = orderValidUntil(options, await s.client.serverTime())
        const series = findSeries(await listSeries(s), seriesText)
        const key = await s.l2Key()
        let accountIndex: bigint
        let orderId = options.orderId
        if (options.account !== undefined && orderId !== undefined) accountIndex = options.account
        else {
          const view = (options.account !== undefined ? await s.client.getAccount(options.account) : await s.ownAccount()) as AccountView
          accountIndex = BigInt(view.index)
          if (orderId === undefined) {
            // Above the clock and above every id of the recent history (an IOC or a fill in the same second).
            const recent = (await s.client.getOrders(accountIndex, { status: 'all', limit: 100 })).orders.map((o) => BigInt(o.orderId) + 1n)
            const floor = recent.reduce((a, b) => (a > b ? a : b), now())
            orderId = chooseOrderId((view.openOrders ?? []).map((o) => BigInt(o.orderId)), floor)
          }
        }
        const signed = signOrder(buildOrder({ accountIndex, orderId, seriesId: BigInt(series.id), side, size: options.size, limitPrice: options.price, validUntil }), key.privateKey)
        const response = await s.client.placeOrder(signed, placeOrderOptions(options))
        await ctx.result(() => renderPlaced(orderId, series.name ?? `#${series.id}`, side, options.size, options.price, validUntil, response), {
          orderId: orderId.toString(),
          accountIndex: accountIndex.toString(),
          validUntil: validUntil.toString(),
          ...response,
        })
      }),
    )
  order
    .command('cancel')
    .description('cancels an order for good: it leaves the book and can never fill; --all cancels every open order (of one series with --series)')
    .argument('[orderId]', 'the order id (see "orders"); omit with --all', (v) => parseIndex(v, 'orderId', 1n))
    .option('--all', 'cancel every open order of the account')
    .option('--series <series>', 'with --all: only the orders of this series (id or name)')
    .option('--account <index>', 'your account index (default: the account of your L1 address)', (v) => parseIndex(v, '--account'))
    .action(
      action(async (ctx, orderId: bigint | undefined, options: { account?: bigint; all?: boolean; series?: string }) => {
        if (options.all === true && orderId !== undefined) throw new CliUsageError('give an order id or --all, not both')
        if (options.all !== true && options.series !== undefined) throw new CliUsageError('--series goes with --all')
        if (options.all !== true && orderId === undefined) throw new CliUsageError('give the order id to cancel, or --all')
        const s = ctx.session
        await s.checkedHealth()
        if (options.all === true) {
          const [key, accountIndex] = await Promise.all([s.l2Key(), s.accountIndex(options.account)])
          const seriesId = options.series === undefined ? 0n : BigInt(findSeries(await listSeries(s), options.series).id)
          const open = (await s.client.getOrders(accountIndex, { status: 'open', limit: MAX_CANCELS_PER_CANCEL_ALL })).orders
          const ids = open.filter((o) => seriesId === 0n || BigInt(o.seriesId) === seriesId).map((o) => BigInt(o.orderId))
          const response = await s.client.cancelAll(signCancelAll(buildCancelAll({ accountIndex, seriesId }), key.privateKey, ids))
          await ctx.result(() => renderPairs([['account', accountIndex.toString()], ['scope', seriesId === 0n ? 'every series' : `series ${seriesId}`], ['status', String(response.status)], ['orders retired in the circuit', String(response.cancelTxs.length)]]), response)
          return
        }
        if (orderId === undefined) return // refused above; narrows the type
        const [key, accountIndex] = await Promise.all([s.l2Key(), s.accountIndex(options.account)])
        const response = await s.client.cancelOrder(signCancel({ accountIndex, orderId }, key.privateKey))
        await ctx.result(
          () => renderPairs([['order', `${orderId} of account ${accountIndex}`], ['status', response.status], ['removed from the book', `${formatApiUnits(response.removedFromBook, CONTRACTS)} contracts`]]),
          response,
        )
      }),
    )
  order
    .command('status')
    .description("one order's status, filled size, average price and fills")
    .argument('<orderId>', 'the order id', (v) => parseIndex(v, 'orderId', 1n))
    .option('--account <index>', 'your account index (default: the account of your L1 address)', (v) => parseIndex(v, '--account'))
    .action(
      action(async (ctx, orderId: bigint, options: { account?: bigint }) => {
        const s = ctx.session
        const accountIndex = await s.accountIndex(options.account)
        const o = await s.client.getOrder(accountIndex, orderId)
        await ctx.result(() => `${renderOrders([o])}${o.reason ? `\nreason: ${o.reason}` : ''}`, o)
      }),
    )
  program
    .command('orders')
    .description("your orders, newest first: open ones, closed ones (filled, cancelled, expired) or all")
    .addOption(new Option('--status <which>', 'which orders').choices(['open', 'closed', 'all']).default('open'))
    .option('--limit <n>', `at most this many (1 to ${MAX_ORDERS_PAGE})`, parseOrdersLimit, 50)
    .option('--account <index>', 'your account index (default: the account of your L1 address)', (v) => parseIndex(v, '--account'))
    .action(
      action(async (ctx, options: { status: 'open' | 'closed' | 'all'; limit: number; account?: bigint }) => {
        const s = ctx.session
        const accountIndex = await s.accountIndex(options.account)
        const page = await s.client.getOrders(accountIndex, { status: options.status, limit: options.limit })
        await ctx.result(() => renderOrders(page.orders), page)
      }),
    )
}
