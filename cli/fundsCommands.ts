/**
 * Money in and out: `deposit`, `withdraw` (signed, or `--forced` on L1), `claim`, `faucet`
 * (local test token), and `status` (the L1 view: frozen or not, queue, your payout and your
 * forced requests with their deadlines). Waits show a progress bar on a terminal.
 */
import type { Command } from 'commander'
import type { Address } from 'viem'
import { ApiError } from '../sdk/errors.js'
import { buildWithdrawal, signWithdrawal } from '../sdk/orders.js'
import {
  claimWithdrawals,
  depositCollateral,
  forceWithdrawal,
  mintTestCollateral,
  readEscapeHatch,
  readPendingWithdrawal,
  type EscapeHatchState,
} from '../sdk/l1.js'
import { newestBatch, waitForDepositAccount, waitForWithdrawalCredit, type CreditWaitProgress } from '../sdk/l1Waits.js'
import { traderAction, withL1Progress, type CommandContext, type TraderIo } from './commandContext.js'
import { CliUsageError } from './errors.js'
import { withProgress } from './progress.js'
import type { TraderSession } from './session.js'
import { renderPairs, renderTable } from './table.js'
import { COLLATERAL, formatApiUnits, formatDuration, formatTime, formatUnits, parseDuration, parseIndex, parseUnits } from './units.js'

/** Default limit of the waits (deposit credited, withdrawal verified). */
export const DEFAULT_WAIT_SECONDS = 300

/** Where a credited withdrawal's batch is, as a fraction for the bar. */
export function creditFraction(p: CreditWaitProgress): number | undefined {
  return { waiting: undefined, batching: 0.2, proving: 0.45, submitting: 0.8, verified: 1 }[p.stage]
}

function creditLabel(p: CreditWaitProgress): string {
  const batch = p.batch !== undefined ? ` batch ${p.batch}` : ''
  switch (p.stage) {
    case 'waiting':
      return 'waiting for a verified batch to credit the withdrawal on L1'
    case 'batching':
      return 'waiting for the withdrawal to be batched'
    case 'proving':
      return `proving${batch}`
    case 'submitting':
      return `verifying${batch} on L1`
    case 'verified':
      return `${batch.trim()} verified`
  }
}

/** Human view of the escape hatch's state, with the trader's payout when known. */
export function renderEscapeState(st: EscapeHatchState, pending: bigint | undefined): string {
  const pairs: [string, string][] = [
    ['frozen', st.frozen ? 'YES: no more batches; exit with the escape tool (docs/escape.md)' : 'no'],
    ['verified batches', st.batchCount.toString()],
    ['L1 queue', `${st.queueProcessed} of ${st.queueLength} entries consumed by verified batches`],
    ['forced timeout', formatDuration(st.forcedTimeoutSeconds)],
    ['chain time', formatTime(st.chainTime)],
  ]
  if (pending !== undefined) pairs.push(['your payout to claim', formatUnits(pending, COLLATERAL)])
  if (st.canFreeze) pairs.push(['can freeze', 'yes: a forced request is overdue (npx tsx escape/cli.ts freeze)'])
  const head = renderPairs(pairs)
  if (st.forcedRequests.length === 0) return `${head}\n\nforced withdrawal requests: none`
  return `${head}\n\nforced withdrawal requests\n${renderTable(
    [{ header: 'queue #', align: 'right' }, { header: 'account', align: 'right' }, { header: 'state' }, { header: 'deadline' }],
    st.forcedRequests.map((r) => [
      r.queueIndex.toString(),
      r.accountIndex.toString(),
      r.served ? 'served' : r.overdue ? 'OVERDUE' : `waiting (${formatDuration(r.deadline - st.chainTime)} left)`,
      formatTime(r.deadline),
    ]),
  )}`
}

/**
 * The rollup and account of a forced withdrawal. It is the way out when the sequencer does not
 * serve you, so when it does not answer, say how to go on without it.
 */
async function forcedTarget(s: TraderSession, account: bigint | undefined): Promise<[Address, bigint]> {
  try {
    return await Promise.all([s.rollup(), s.accountIndex(account)])
  } catch (e) {
    if (e instanceof ApiError && e.status === 0)
      throw new CliUsageError(`the sequencer does not answer (${e.reason}); a forced withdrawal needs none, but then give --rollup (or ROLLUP_ADDRESS) and --account <index>`)
    throw e
  }
}

const timeoutOption = (c: Command) => c.option('--timeout <duration>', `give up waiting after this long (default ${DEFAULT_WAIT_SECONDS / 60}m): 90s, 10m`, parseDuration)

/** Registers `deposit`, `withdraw`, `claim`, `faucet` and `status` on `program`. */
export function registerFundsCommands(program: Command, io: TraderIo, setExitCode: (code: number) => void): void {
  const action = <A extends unknown[]>(h: (ctx: CommandContext, ...args: A) => Promise<void>) => traderAction(io, setExitCode, h)

  timeoutOption(
    program
      .command('deposit')
      .description('deposits collateral on L1 for your L2 key (the first deposit creates your account), then waits until the sequencer has credited it')
      .argument('<amount>', 'collateral tokens, up to 6 decimals', (v) => parseUnits(v, COLLATERAL))
      .option('--no-wait', 'return once the deposit is mined on L1'),
  ).action(
    action(async (ctx, amount: bigint, options: { wait: boolean; timeout?: number }) => {
      const s = ctx.session
      if (options.wait) await s.checkedHealth()
      const [wallet, key, rollup] = await Promise.all([s.wallet(), s.l2Key(), s.rollup()])
      const deposited = await withL1Progress(ctx, 'deposit', (onStep) => depositCollateral(wallet, { rollup, amount, pubKey: key.publicKey, onStep }))
      ctx.note(`deposit of ${formatUnits(amount, COLLATERAL)} mined: L1 queue entry #${deposited.queueIndex} (tx ${deposited.hash})`)
      if (!options.wait) {
        await ctx.result(() => `deposit queued as L1 queue entry #${deposited.queueIndex}; "account" shows it once the sequencer has credited it`, { amount, ...deposited })
        return
      }
      const account = await withProgress(ctx.progress, 'waiting for the sequencer to credit the deposit', (bar) =>
        waitForDepositAccount(s.client, {
          l1Address: wallet.account.address,
          pubKey: key.publicKey,
          queueIndex: deposited.queueIndex,
          timeoutMs: (options.timeout ?? DEFAULT_WAIT_SECONDS) * 1000,
          onProgress: (p) => {
            const todo = Number(p.queueIndex + 1n - p.startProcessed)
            bar.update({ fraction: todo > 0 ? Number(p.sequencerProcessed - p.startProcessed) / todo : 1 })
          },
        }),
      )
      await ctx.result(
        () => renderPairs([['deposited', formatUnits(amount, COLLATERAL)], ['account', account.index], ['collateral', formatApiUnits(account.collateral, COLLATERAL)], ['L1 tx', deposited.hash]]),
        { amount, ...deposited, account: { index: account.index, collateral: account.collateral } },
      )
    }),
  )

  timeoutOption(
    program
      .command('withdraw')
      .description(
        'withdraws collateral to your L1 address: signs the withdrawal, waits until its batch is verified on L1, and claims the payout. ' +
          'With --forced, asks L1 to force the withdrawal of your free collateral instead (when the sequencer does not serve you); it must be served before its deadline or anyone may freeze the rollup',
      )
      .argument('[amount]', 'collateral tokens, up to 6 decimals (not with --forced, which takes the free collateral)', (v) => parseUnits(v, COLLATERAL))
      .option('--forced', 'request a forced withdrawal on L1 (no sequencer needed with --account and --rollup)')
      .option('--account <index>', 'your account index (default: the account of your L1 address)', (v) => parseIndex(v, '--account'))
      .option('--no-wait', 'return once the sequencer accepted the withdrawal; claim later with "claim"'),
  ).action(
    action(async (ctx, amount: bigint | undefined, options: { forced?: boolean; account?: bigint; wait: boolean; timeout?: number }) => {
      const s = ctx.session
      if (options.forced) {
        if (amount !== undefined) throw new CliUsageError('a forced withdrawal takes the free collateral: give no amount with --forced')
        const [rollup, accountIndex] = await forcedTarget(s, options.account)
        const wallet = await s.wallet()
        const r = await withL1Progress(ctx, 'requestForcedWithdrawal', (onStep) => forceWithdrawal(wallet, { rollup, accountIndex, onStep }))
        await ctx.result(
          () =>
            `${renderPairs([
              ['forced withdrawal', `account ${accountIndex}, L1 queue entry #${r.queueIndex}`],
              ['deadline', `${formatTime(r.deadline)}: unserved after it, anyone may freeze the rollup`],
              ['L1 tx', r.hash],
            ])}\nonce a batch serves it, "claim" pays the free collateral; "status" shows where it stands`,
          { accountIndex, ...r },
        )
        return
      }
      if (amount === undefined) throw new CliUsageError('withdraw needs an amount (or --forced)')
      await s.checkedHealth()
      const [key, rollup, view] = await Promise.all([s.l2Key(), s.rollup(), options.account !== undefined ? s.client.getAccount(options.account) : s.ownAccount()])
      const accountIndex = BigInt(view.index)
      // Read before sending, so that the wait counts only credits that come after.
      const [wallet, afterBatch] = options.wait ? await Promise.all([s.wallet(), newestBatch(s.client)]) : [undefined, 0]
      const fromBlock = wallet ? await wallet.publicClient.getBlockNumber() : 0n
      const request = buildWithdrawal({ accountIndex, nonce: BigInt(view.nonce), amount })
      const accepted = await s.client.requestWithdrawal(signWithdrawal(request, key.privateKey))
      if (!wallet) {
        await ctx.result(() => `withdrawal of ${formatUnits(amount, COLLATERAL)} accepted; once its batch is verified on L1, "claim" pays it`, accepted)
        return
      }
      ctx.note(`withdrawal of ${formatUnits(amount, COLLATERAL)} accepted by the sequencer`)
      const { batchNumber } = await withProgress(ctx.progress, 'waiting for the withdrawal to be batched', (bar) =>
        waitForWithdrawalCredit(wallet.publicClient, {
          rollup,
          recipient: wallet.account.address,
          amount,
          fromBlock,
          sequencer: { client: s.client, afterBatch },
          timeoutMs: (options.timeout ?? DEFAULT_WAIT_SECONDS) * 1000,
          onProgress: (p) => bar.update({ label: creditLabel(p), fraction: creditFraction(p) }),
        }),
      )
      const paid = await withL1Progress(ctx, 'claim', (onStep) => claimWithdrawals(wallet, { rollup, onStep }))
      await ctx.result(
        () => renderPairs([['withdrawn', formatUnits(amount, COLLATERAL)], ['credited by batch', batchNumber.toString()], ['paid to', wallet.account.address], ['paid', formatUnits(paid.amount, COLLATERAL)], ['L1 tx', paid.hash]]),
        { ...accepted, batchNumber, paid },
      )
    }),
  )

  program
    .command('claim')
    .description('pays out on L1 what verified batches credited to your address (withdrawals and served forced withdrawals)')
    .action(
      action(async (ctx) => {
        const s = ctx.session
        const [wallet, rollup] = await Promise.all([s.wallet(), s.rollup()])
        const paid = await withL1Progress(ctx, 'claim', (onStep) => claimWithdrawals(wallet, { rollup, onStep }))
        await ctx.result(() => renderPairs([['paid', formatUnits(paid.amount, COLLATERAL)], ['to', wallet.account.address], ['L1 tx', paid.hash]]), paid)
      }),
    )

  program
    .command('faucet')
    .description("mints test collateral to your address (the local npm start chain's open test token only)")
    .argument('<amount>', 'collateral tokens, up to 6 decimals', (v) => parseUnits(v, COLLATERAL))
    .action(
      action(async (ctx, amount: bigint) => {
        const s = ctx.session
        const [wallet, rollup] = await Promise.all([s.wallet(), s.rollup()])
        const minted = await withL1Progress(ctx, 'mint', (onStep) => mintTestCollateral(wallet, { rollup, amount, onStep }))
        await ctx.result(() => `minted ${formatUnits(amount, COLLATERAL)} test collateral to ${wallet.account.address} (tx ${minted.hash})`, { amount, ...minted })
      }),
    )

  program
    .command('status')
    .description('the L1 view, no sequencer needed given --rollup: frozen or not, queue progress, your payout to claim, forced withdrawal requests and their deadlines')
    .option('--all', "every forced request, not only your address's (the default without a key)")
    .action(
      action(async (ctx, options: { all?: boolean }) => {
        const s = ctx.session
        const rollup = await s.rollup()
        const address = s.hasKey() ? s.address() : undefined
        const [state, pending] = await Promise.all([
          readEscapeHatch(s.reader(), rollup, { fromBlock: s.config.fromBlock, ...(address && !options.all ? { requester: address } : {}) }),
          address ? readPendingWithdrawal(s.reader(), rollup, address) : Promise.resolve(undefined),
        ])
        await ctx.result(() => renderEscapeState(state, pending), { rollup, ...state, ...(pending !== undefined ? { pendingWithdrawal: pending } : {}) })
      }),
    )
}
