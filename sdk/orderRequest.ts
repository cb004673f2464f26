/**
 * How an order is to be executed: its type, reduce-only, and the self-trade policy. These
 * travel beside the signed order, not inside it: the circuit fixes the signed message
 * (docs/protocol.md, "Keys and signatures"), and each option only narrows an execution the
 * signature already allows (docs/sequencer.md, "Order options"). A relay that strips them can
 * widen the execution back to what was signed, never beyond it.
 *
 * JSON of an order request (POST /v1/orders): the signed order's JSON plus, optionally,
 *   "options": { "type": "ioc", "reduceOnly": true, "selfTradePrevention": "cancel_oldest" }
 * Defaults (and absent fields): type "limit", reduceOnly false, selfTradePrevention "cancel_newest".
 */
import type { SignedOrder } from '../state/types.js'
import { SdkValidationError } from './errors.js'
import { expectObject, parseJsonText } from './json.js'
import { signedOrderFromJSON, signedOrderToJSON, type ParseOptions, type SignedOrderJSON } from './orders.js'

/**
 * `limit`: matches what crosses, the rest rests until its `validUntil`.
 * `ioc` (immediate or cancel): matches what crosses now; the rest is dropped, never rested.
 * `post_only`: only ever rests; refused (`POST_ONLY_WOULD_CROSS`) when it would take.
 */
export type OrderType = 'limit' | 'ioc' | 'post_only'

/**
 * What happens when the order would trade with a resting order of the same account:
 * `cancel_newest` refuses the incoming order (`SELF_TRADE`); `cancel_oldest` removes the
 * resting one from the book and matching goes on.
 */
export type SelfTradePrevention = 'cancel_newest' | 'cancel_oldest'

/** Execution options of an order. */
export type OrderOptions = {
  readonly type: OrderType
  /** Only ever shrink the account's position in the series (capped to it; refused when there is none to shrink). */
  readonly reduceOnly: boolean
  readonly selfTradePrevention: SelfTradePrevention
}

/** The options of an order sent without any. */
export const DEFAULT_ORDER_OPTIONS: OrderOptions = Object.freeze({ type: 'limit', reduceOnly: false, selfTradePrevention: 'cancel_newest' })

/** Options as JSON: only the fields that differ from the defaults need be present. */
export type OrderOptionsJSON = {
  readonly type?: OrderType
  readonly reduceOnly?: boolean
  readonly selfTradePrevention?: SelfTradePrevention
}

/** A signed order with its execution options. */
export type OrderRequest = { readonly signed: SignedOrder; readonly options: OrderOptions }

/** An order request as JSON. */
export type OrderRequestJSON = SignedOrderJSON & { readonly options?: OrderOptionsJSON }

const TYPES: readonly OrderType[] = ['limit', 'ioc', 'post_only']
const POLICIES: readonly SelfTradePrevention[] = ['cancel_newest', 'cancel_oldest']

/**
 * Fills in the defaults of partial options.
 *
 * @example orderOptions({ type: 'ioc' }) // { type: 'ioc', reduceOnly: false, selfTradePrevention: 'cancel_newest' }
 */
export function orderOptions(partial: Partial<OrderOptions> = {}): OrderOptions {
  const o = { ...DEFAULT_ORDER_OPTIONS, ...partial }
  if (!TYPES.includes(o.type)) throw new SdkValidationError('options.type', `must be one of ${TYPES.join(', ')}`)
  if (typeof o.reduceOnly !== 'boolean') throw new SdkValidationError('options.reduceOnly', 'must be a boolean')
  if (!POLICIES.includes(o.selfTradePrevention)) throw new SdkValidationError('options.selfTradePrevention', `must be one of ${POLICIES.join(', ')}`)
  return o
}

/** True when every option is the default. */
export function isDefaultOrderOptions(o: OrderOptions): boolean {
  return o.type === 'limit' && !o.reduceOnly && o.selfTradePrevention === 'cancel_newest'
}

/**
 * Options -> JSON, leaving out the defaults (so that an order without options has none).
 *
 * @example orderOptionsToJSON(orderOptions({ type: 'post_only' })) // { type: 'post_only' }
 */
export function orderOptionsToJSON(o: OrderOptions): OrderOptionsJSON {
  return {
    ...(o.type !== 'limit' ? { type: o.type } : {}),
    ...(o.reduceOnly ? { reduceOnly: true } : {}),
    ...(o.selfTradePrevention !== 'cancel_newest' ? { selfTradePrevention: o.selfTradePrevention } : {}),
  }
}

/**
 * JSON -> options, strictly (unknown fields, wrong types and unknown values are errors).
 *
 * @example orderOptionsFromJSON({ type: 'ioc' }, '$.options')
 */
export function orderOptionsFromJSON(value: unknown, path: string): OrderOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SdkValidationError(path, 'must be an object')
  const rec = value as Record<string, unknown>
  for (const k of Object.keys(rec)) if (!['type', 'reduceOnly', 'selfTradePrevention'].includes(k)) throw new SdkValidationError(`${path}.${k}`, 'unexpected field')
  if (rec.type !== undefined && !TYPES.includes(rec.type as OrderType)) throw new SdkValidationError(`${path}.type`, `must be one of ${TYPES.join(', ')}`)
  if (rec.reduceOnly !== undefined && typeof rec.reduceOnly !== 'boolean') throw new SdkValidationError(`${path}.reduceOnly`, 'must be a boolean')
  if (rec.selfTradePrevention !== undefined && !POLICIES.includes(rec.selfTradePrevention as SelfTradePrevention))
    throw new SdkValidationError(`${path}.selfTradePrevention`, `must be one of ${POLICIES.join(', ')}`)
  return orderOptions(rec as Partial<OrderOptions>)
}

/**
 * Signed order and options -> the JSON body of POST /v1/orders.
 *
 * @example JSON.stringify(orderRequestToJSON(signOrder(order, key.privateKey), orderOptions({ type: 'ioc' })))
 */
export function orderRequestToJSON(signed: SignedOrder, options: OrderOptions = DEFAULT_ORDER_OPTIONS): OrderRequestJSON {
  const json = orderOptionsToJSON(options)
  return Object.keys(json).length > 0 ? { ...signedOrderToJSON(signed), options: json } : signedOrderToJSON(signed)
}

/**
 * JSON value -> order request, validated (see `signedOrderFromJSON`); `options` may be absent.
 *
 * @example const { signed, options } = orderRequestFromJSON(body, { publicKey })
 */
export function orderRequestFromJSON(value: unknown, parse: ParseOptions = {}): OrderRequest {
  const keys = typeof value === 'object' && value !== null && 'options' in value ? ['order', 'signature', 'options'] : ['order', 'signature']
  const root = expectObject(value, '$', keys)
  const signed = signedOrderFromJSON({ order: root.order, signature: root.signature }, parse)
  return { signed, options: root.options === undefined ? DEFAULT_ORDER_OPTIONS : orderOptionsFromJSON(root.options, '$.options') }
}

/**
 * JSON text -> order request.
 *
 * @example const request = parseOrderRequest(text)
 */
export function parseOrderRequest(text: string, parse: ParseOptions = {}): OrderRequest {
  return orderRequestFromJSON(parseJsonText(text, '$'), parse)
}
