/**
 * A one-line progress bar on stderr for the trader CLI's waits (an L1 receipt, a deposit
 * being credited, a batch being verified). Drawn only on a terminal: when stderr is a file or
 * a pipe it writes nothing at all, so scripts and logs see only the command's result. A wait
 * with no known fraction (an L1 receipt) shows a block sliding back and forth; the elapsed
 * time runs on either kind, redrawn by a timer that never keeps the process alive.
 */

/** Where the bar is drawn: stderr in the CLI, a recorder in tests. */
export type ProgressSink = {
  readonly isTTY: boolean
  /** Terminal width; the line is cut to fit. */
  readonly columns?: number
  readonly write: (text: string) => void
}

/** What one frame shows. */
export type ProgressFrame = {
  readonly label: string
  /** Done fraction in [0, 1]; undefined when unknown. */
  readonly fraction?: number
  readonly elapsedMs: number
  /** Bar width in cells (default 24). */
  readonly width?: number
  /** Cut the line to this many characters. */
  readonly columns?: number
}

/** Erases the current terminal line and returns to its start. */
export const CLEAR_LINE = '\r\x1b[2K'

/**
 * One frame of the bar as text (no control characters):
 * `deposit 2/2: waiting for the L1 receipt [#########---------------]  37%  1.2s`.
 *
 * @example renderFrame({ label: 'x', fraction: 0.5, elapsedMs: 1500, width: 4 }) // 'x [##--]  50%  1.5s'
 */
export function renderFrame(f: ProgressFrame): string {
  const width = f.width ?? 24
  let cells: string
  let percent: string
  if (f.fraction === undefined || !Number.isFinite(f.fraction)) {
    // Unknown fraction: a 3-cell block bouncing across, one cell per 100 ms.
    const block = Math.min(3, width)
    const span = Math.max(1, width - block)
    const tick = Math.floor(f.elapsedMs / 100) % (2 * span)
    const at = tick <= span ? tick : 2 * span - tick
    cells = '-'.repeat(at) + '#'.repeat(block) + '-'.repeat(width - block - at)
    percent = '    '
  } else {
    const fraction = Math.min(1, Math.max(0, f.fraction))
    const full = Math.floor(fraction * width)
    cells = '#'.repeat(full) + '-'.repeat(width - full)
    percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  }
  const line = `${f.label} [${cells}] ${percent}  ${(f.elapsedMs / 1000).toFixed(1)}s`
  return f.columns !== undefined && f.columns > 0 && line.length > f.columns - 1 ? line.slice(0, f.columns - 1) : line
}

/** Options of `ProgressBar`. */
export type ProgressOptions = {
  readonly width?: number
  /** Redraw interval of the elapsed time (default 100 ms). */
  readonly intervalMs?: number
  readonly now?: () => number
}

/**
 * A progress bar: `update` changes what it shows, `done` erases it. On a sink that is not a
 * terminal every call is a no-op.
 *
 * @example
 * const bar = new ProgressBar(stderrSink, 'waiting for the deposit')
 * bar.update({ fraction: 0.5 })
 * bar.done()
 */
export class ProgressBar {
  readonly #sink: ProgressSink
  readonly #now: () => number
  readonly #width: number
  readonly #started: number
  #label: string
  #fraction: number | undefined
  #timer: NodeJS.Timeout | undefined
  #finished = false

  constructor(sink: ProgressSink, label: string, options: ProgressOptions = {}) {
    this.#sink = sink
    this.#now = options.now ?? Date.now
    this.#width = options.width ?? 24
    this.#started = this.#now()
    this.#label = label
    if (!sink.isTTY) return
    this.#draw()
    this.#timer = setInterval(() => this.#draw(), options.intervalMs ?? 100)
    this.#timer.unref()
  }

  /** Changes the label and/or the fraction (`fraction: undefined` makes it indeterminate). */
  update(change: { readonly label?: string; readonly fraction?: number | undefined }): void {
    if (this.#finished) return
    if (change.label !== undefined) this.#label = change.label
    if ('fraction' in change) this.#fraction = change.fraction
    this.#draw()
  }

  /** Erases the bar and stops its timer; later calls do nothing. */
  done(): void {
    if (this.#finished) return
    this.#finished = true
    if (this.#timer) clearInterval(this.#timer)
    if (this.#sink.isTTY) this.#sink.write(CLEAR_LINE)
  }

  #draw(): void {
    if (!this.#sink.isTTY || this.#finished) return
    const frame = renderFrame({
      label: this.#label,
      elapsedMs: this.#now() - this.#started,
      width: this.#width,
      ...(this.#fraction !== undefined ? { fraction: this.#fraction } : {}),
      ...(this.#sink.columns !== undefined ? { columns: this.#sink.columns } : {}),
    })
    this.#sink.write(CLEAR_LINE + frame)
  }
}

/**
 * Runs `work` with a bar labelled `label`, erasing the bar however `work` ends.
 *
 * @example const receipt = await withProgress(sink, 'waiting for the L1 receipt', () => wait())
 */
export async function withProgress<T>(sink: ProgressSink, label: string, work: (bar: ProgressBar) => Promise<T>, options: ProgressOptions = {}): Promise<T> {
  const bar = new ProgressBar(sink, label, options)
  try {
    return await work(bar)
  } finally {
    bar.done()
  }
}

/** A sink that draws nothing (a non-terminal). */
export const NO_PROGRESS: ProgressSink = { isTTY: false, write: () => {} }
