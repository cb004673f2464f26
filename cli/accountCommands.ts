/**
 * `key derive` and `account`: the trader's keys, and the account view of the sequencer
 * (collateral, positions, open orders, margin used and available, Greeks).
 */
import type { Command } from 'commander'
import { bytesToHex, isAddress, type Address } from 'viem'
import type { AccountResponse } from '../sdk/client.js'
import { ApiError } from '../sdk/errors.js'
import { traderAction, type CommandContext, type TraderIo } from './commandContext.js'
import { CliUsageError } from './errors.js'
import { listSeries, seriesLabel, type SeriesRow } from './marketCommands.js'
import { formatNumber, renderPairs, renderTable } from './table.js'
import { COLLATERAL, CONTRACTS, formatApiUnits, parseIndex, PRICE } from './units.js'

/** The account view's fields beyond `AccountResponse`'s (sequencer/api/schemas.ts). */
export type AccountView = AccountResponse & {
  readonly openOrders?: readonly { readonly orderId: string; readonly seriesId: string; readonly side: number; readonly limitPrice: string; readonly remaining: string }[]
  readonly margin?: { readonly equity: string; readonly initialMargin: string; readonly maintenanceMargin: string; readonly freeCollateral: string }
  readonly greeks?: {
    readonly byUnderlying: readonly {
      readonly underlying: string
      readonly spot?: number
      readonly delta?: number
      readonly gamma?: number
      readonly vegaPerVolPoint?: number
      readonly thetaPerDay?: number
      readonly rhoPerRatePoint?: number
      readonly value?: number
    }[]
  }
}

/** The open orders block: absent from the view when the sequencer kept them private (not the caller's account). */
function renderOpenOrders(orders: AccountView['openOrders'], series: readonly SeriesRow[]): string {
  if (orders === undefined) return "open orders: private (shown to the holder of the account's key)"
  if (orders.length === 0) return 'open orders: none'
  return `open orders (price per contract)\n${renderTable(
    [{ header: 'order id', align: 'right' }, { header: 'series' }, { header: 'side' }, { header: 'price', align: 'right' }, { header: 'remaining', align: 'right' }],
    orders.map((o) => [o.orderId, seriesLabel(series, o.seriesId), o.side === 0 ? 'buy' : 'sell', formatApiUnits(o.limitPrice, PRICE), formatApiUnits(o.remaining, CONTRACTS)]),
  )}`
}

/**
 * Human view of an account: balances and margin, then positions, open orders and net Greeks.
 * "Margin used" is the initial margin of the positions, "available" the free collateral
 * (equity above initial margin), which bounds new trades and withdrawals.
 */
export function renderAccount(a: AccountView, series: readonly SeriesRow[]): string {
  const c = (v: string | undefined) => (v === undefined ? '?' : formatApiUnits(v, COLLATERAL))
  const blocks = [
    `account ${a.index} (L1 ${a.l1Address}), collateral amounts in tokens`,
    renderPairs([
      ['collateral', c(a.collateral)],
      ['equity', c(a.margin?.equity)],
      ['margin used (initial)', c(a.margin?.initialMargin)],
      ['maintenance margin', c(a.margin?.maintenanceMargin)],
      ['margin available (free)', c(a.margin?.freeCollateral)],
      ['withdrawal nonce', a.nonce],
    ]),
  ]
  blocks.push(
    a.positions.length === 0
      ? 'positions: none'
      : `positions (contracts, negative = short)\n${renderTable(
          [{ header: 'series' }, { header: 'size', align: 'right' }],
          a.positions.map((p) => [seriesLabel(series, p.seriesId), formatApiUnits(p.size, CONTRACTS)]),
        )}`,
  )
  blocks.push(renderOpenOrders(a.openOrders, series))
  const greeks = a.greeks?.byUnderlying ?? []
  if (greeks.length > 0)
    blocks.push(
      `greeks (delta in underlying, vega per vol point, theta per day, rho per rate point)\n${renderTable(
        ['underlying', 'spot', 'delta', 'gamma', 'vega', 'theta', 'rho', 'value'].map((header, i) => ({ header, align: i === 0 ? 'left' : 'right' }) as const),
        greeks.map((g) => [
          g.underlying,
          formatNumber(g.spot, 2),
          formatNumber(g.delta),
          formatNumber(g.gamma, 6),
          formatNumber(g.vegaPerVolPoint),
          formatNumber(g.thetaPerDay),
          formatNumber(g.rhoPerRatePoint),
          formatNumber(g.value, 2),
        ]),
      )}`,
    )
  return blocks.join('\n\n')
}

/** Registers `key derive` and `account` on `program`. */
export function registerAccountCommands(program: Command, io: TraderIo, setExitCode: (code: number) => void): void {
  const action = <A extends unknown[]>(h: (ctx: CommandContext, ...args: A) => Promise<void>) => traderAction(io, setExitCode, h)
  const key = program.command('key').description('the L2 key of your Ethereum key (TRADER_KEY or --key-file)')
  key
    .command('derive')
    .description(
      'derives your L2 key for this deployment from your Ethereum key (it signs a fixed message: the same wallet always gets the same key), and shows your account if the sequencer has one',
    )
    .option('--reveal', 'also print the L2 private key (anyone holding it can trade and withdraw for you)')
    .action(
      action(async (ctx, options: { reveal?: boolean }) => {
        const s = ctx.session
        const [key, rollup, chainId] = await Promise.all([s.l2Key(), s.rollup(), s.chainId()])
        let account: string | undefined
        try {
          account = (await s.ownAccount()).index
        } catch (e) {
          // No account yet, or no sequencer to ask (an L1-only setup): the key is still derived.
          if (!(e instanceof ApiError)) throw e
          ctx.note(e.code === 'UNKNOWN_ACCOUNT' ? 'no account yet: the first deposit creates it' : `account unknown: ${e.reason}`)
        }
        const value = {
          l1Address: s.address(),
          chainId,
          rollup,
          l2PublicKey: { x: key.publicKey.x.toString(), y: key.publicKey.y.toString() },
          ...(account !== undefined ? { accountIndex: account } : {}),
          ...(options.reveal ? { l2PrivateKey: bytesToHex(key.privateKey) } : {}),
        }
        await ctx.result(
          () =>
            renderPairs([
              ['L1 address', value.l1Address],
              ['chain id', String(chainId)],
              ['rollup', rollup],
              ['L2 public key x', value.l2PublicKey.x],
              ['L2 public key y', value.l2PublicKey.y],
              ['account', account ?? 'none yet'],
              ...(options.reveal ? [['L2 private key', bytesToHex(key.privateKey)] as const] : []),
            ]),
          value,
        )
      }),
    )

  program
    .command('account')
    .description("your account: collateral, margin used and available, positions, open orders, net Greeks (another with --account or --address, without its open orders unless it holds your key)")
    .option('--account <index>', 'an account index instead of your own (no key needed)', (v) => parseIndex(v, '--account'))
    .option('--address <0x…>', 'the account of another L1 address (no key needed)')
    .action(
      action(async (ctx, options: { account?: bigint; address?: string }) => {
        if (options.account !== undefined && options.address !== undefined) throw new CliUsageError('give --account or --address, not both')
        if (options.address !== undefined && !isAddress(options.address, { strict: false })) throw new CliUsageError(`--address is not an address: "${options.address}"`)
        const client = ctx.session.client
        const view = (
          options.account !== undefined
            ? await client.getAccount(options.account)
            : options.address !== undefined
              ? await client.getAccountByL1Address(options.address as Address)
              : await ctx.session.ownAccount()
        ) as AccountView
        const series = await listSeries(ctx.session)
        await ctx.result(() => renderAccount(view, series), view)
      }),
    )
}
