/** One measured figure, printed as a JSON line by `npm run bench`. */
export type Figure = { readonly name: string; readonly value: number; readonly unit: string }

/** A benchmark measures one or more figures; `wanted` lists the ones asked for. */
export type Benchmark = {
  readonly figures: readonly string[]
  readonly run: (wanted: readonly string[]) => Promise<readonly Figure[]>
}
