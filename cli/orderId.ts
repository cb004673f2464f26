/**
 * The order id the CLI picks when the trader gives none. An order id must be new, not below
 * the id its order slot last held (`ORDER_ID_REUSED`), and its slot (id mod 2^orderSlotsDepth)
 * must not hold another resting order of the account (`ORDER_SLOT_BUSY`). The depth is not on
 * the API, so the pick works for every depth:
 *
 * - ids grow with the clock (at least the unix second, and above every open order's id), so
 *   an id is not reused and normally exceeds what its slot held before;
 * - its low bits avoid every resting order's: with k the fewest low bits for which some
 *   residue r mod 2^k is free among the open orders, the id is the first one >= that floor
 *   with id = r (mod 2^k). Resting orders sit in distinct slots, so while a slot is free such
 *   a k <= orderSlotsDepth exists, and an id that differs from each resting one in its k low
 *   bits differs in its orderSlotsDepth low bits too.
 *
 * The caller raises the floor above the ids of the account's recent order history (filled,
 * cancelled, immediate-or-cancel), so two orders in one second do not collide. Older history
 * the page does not show can still collide; the exchange then refuses with `ORDER_ID_REUSED`
 * and `--order-id` picks by hand.
 */

const MAX_ORDER_ID = (1n << 32n) - 1n

/**
 * The smallest id >= `floor` whose low bits differ from every id of `openOrderIds` (see above).
 *
 * @example chooseOrderId([1790000000n], 1790000000n) // 1790000001n (the other parity)
 */
export function chooseOrderId(openOrderIds: readonly bigint[], floor: bigint): bigint {
  const start = [floor, ...openOrderIds.map((id) => id + 1n)].reduce((a, b) => (a > b ? a : b), 1n)
  for (let k = 0n; k <= 32n; k++) {
    const modulus = 1n << k
    const used = new Set(openOrderIds.map((id) => id % modulus))
    for (let id = start; id < start + modulus; id++) {
      if (used.has(id % modulus)) continue
      if (id > MAX_ORDER_ID) throw new RangeError(`no order id fits below 2^32 from ${start}`)
      return id
    }
  }
  throw new RangeError(`${openOrderIds.length} open orders use every residue`)
}
