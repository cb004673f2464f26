/**
 * Plain-text tables and key/value blocks for the trader CLI's human output: columns separated
 * by two spaces, numbers right-aligned, no colours or box characters, so that the output reads
 * the same in a terminal, a log and a `grep`.
 */

/** A column: its header and whether its cells align right (numbers). */
export type Column = { readonly header: string; readonly align?: 'left' | 'right' }

/**
 * Rows under their headers, each column as wide as its widest cell. Trailing spaces are trimmed.
 *
 * @example
 * renderTable([{ header: 'id' }, { header: 'size', align: 'right' }], [['1', '2.5'], ['12', '10']])
 * // 'id  size\n1    2.5\n12    10'
 */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? ''
        const w = widths[i] ?? 0
        return c.align === 'right' ? cell.padStart(w) : cell.padEnd(w)
      })
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n')
}

/**
 * `key  value` lines with the keys padded to one width.
 *
 * @example renderPairs([['collateral', '5000'], ['free', '4800']]) // 'collateral  5000\nfree        4800'
 */
export function renderPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n')
}

/** A number from the API for display: up to `digits` decimals, no trailing zeros; `?` when not a finite number. */
export function formatNumber(value: unknown, digits = 4): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '?'
  const text = value.toFixed(digits).replace(/\.?0+$/, '')
  return text === '-0' ? '0' : text
}

/** A long hex string shortened to its ends (`0x1234…abcd`). */
export function shortHex(hex: string, keep = 4): string {
  return hex.length <= 2 + 2 * keep + 1 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`
}
