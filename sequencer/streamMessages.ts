/**
 * The stream's messages on the server side: client messages parsed and checked (strictly, as
 * the REST schemas: exactly the documented fields, integers as canonical decimal strings), and
 * the engine's records turned into the wire shapes of sdk/streamProtocol.ts.
 */
import { Bits } from '../state/params.js'
import type { BookLevel } from './orderBook.js'
import type { OrderFillRecord, OrderRecord, TradeEvent } from './orderHistory.js'
import type { BatchRecord } from './pipeline.js'
import { SdkValidationError } from '../sdk/errors.js'
import { expectObject, parseUint } from '../sdk/json.js'
import { signedStreamAuthFromJSON, type SignedStreamAuth } from '../sdk/streamAuth.js'
import type { OrderFillJSON, OrderResponse } from '../sdk/client.js'
import { STREAM_CHANNELS, type BatchMessage, type BookLevelJSON, type StreamChannel, type StreamErrorCode, type TradeMessage } from '../sdk/streamProtocol.js'

/** A client message that passed the checks. */
export type StreamRequest = { readonly id?: string } & (
  | { readonly op: 'ping' }
  | { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'book'; readonly seriesId: bigint }
  | { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'trades'; readonly seriesId: bigint | undefined }
  | { readonly op: 'subscribe'; readonly channel: 'orders'; readonly auth: SignedStreamAuth }
  | { readonly op: 'unsubscribe'; readonly channel: 'orders'; readonly accountIndex: bigint }
  | { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'batches' }
)

/** Why a client message is refused. */
export type StreamRefusal = { readonly ok: false; readonly code: StreamErrorCode; readonly reason: string; readonly id?: string }

const MAX_ID_LENGTH = 64
const max = (bits: number) => (1n << BigInt(bits)) - 1n

const refusal = (code: StreamErrorCode, reason: string, id: string | undefined): StreamRefusal => (id === undefined ? { ok: false, code, reason } : { ok: false, code, reason, id })

/**
 * Checks a parsed JSON value as a client message: `op` (subscribe, unsubscribe, ping), the
 * channel's fields and nothing else, an optional `id` string echoed in the reply.
 */
export function parseStreamRequest(value: unknown): StreamRequest | StreamRefusal {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refusal('BAD_MESSAGE', 'a message is a JSON object', undefined)
  const m = value as Record<string, unknown>
  let id: string | undefined
  if ('id' in m) {
    if (typeof m.id !== 'string' || m.id.length > MAX_ID_LENGTH) return refusal('BAD_MESSAGE', `$.id: must be a string of at most ${MAX_ID_LENGTH} characters`, undefined)
    id = m.id
  }
  const tag = id === undefined ? {} : { id }
  const { id: _id, ...fields } = m
  try {
    if (fields.op === 'ping') {
      expectObject(fields, '$', ['op'])
      return { op: 'ping', ...tag }
    }
    if (fields.op !== 'subscribe' && fields.op !== 'unsubscribe') return refusal('BAD_MESSAGE', '$.op: must be subscribe, unsubscribe or ping', id)
    const op = fields.op
    if (!STREAM_CHANNELS.includes(fields.channel as StreamChannel)) return refusal('UNKNOWN_CHANNEL', `$.channel: ${JSON.stringify(fields.channel ?? null).slice(0, 40)} is none of ${STREAM_CHANNELS.join(', ')}`, id)
    const channel = fields.channel as StreamChannel
    switch (channel) {
      case 'book': {
        const j = expectObject(fields, '$', ['op', 'channel', 'seriesId'])
        return { op, channel, seriesId: parseUint(j.seriesId, '$.seriesId', 0n, max(Bits.seriesId)), ...tag }
      }
      case 'trades': {
        const j = expectObject(fields, '$', 'seriesId' in fields ? ['op', 'channel', 'seriesId'] : ['op', 'channel'])
        return { op, channel, seriesId: 'seriesId' in j ? parseUint(j.seriesId, '$.seriesId', 0n, max(Bits.seriesId)) : undefined, ...tag }
      }
      case 'orders': {
        if (op === 'unsubscribe') {
          const j = expectObject(fields, '$', ['op', 'channel', 'accountIndex'])
          return { op, channel, accountIndex: parseUint(j.accountIndex, '$.accountIndex', 0n, max(Bits.accountIndex)), ...tag }
        }
        const { op: _op, channel: _channel, ...auth } = fields
        return { op, channel, auth: signedStreamAuthFromJSON(auth), ...tag }
      }
      case 'batches':
        expectObject(fields, '$', ['op', 'channel'])
        return { op, channel, ...tag }
    }
  } catch (error) {
    if (error instanceof SdkValidationError) return refusal('BAD_MESSAGE', error.message, id)
    throw error
  }
}

/** A book level on the wire. */
export function levelJSON(l: BookLevel): BookLevelJSON {
  return { price: l.price.toString(), size: l.size.toString(), orders: l.orders }
}

/** A fill on the wire. */
export function fillJSON(f: OrderFillRecord): OrderFillJSON {
  return {
    size: f.size.toString(),
    price: f.price.toString(),
    role: f.role,
    counterpartyAccount: f.counterpartyAccount.toString(),
    counterpartyOrderId: f.counterpartyOrderId.toString(),
    batch: f.batch,
    at: f.at.toString(),
  }
}

/** An order record on the wire: the shape of `GET /v1/accounts/:index/orders/:orderId`. */
export function orderRecordJSON(r: OrderRecord): OrderResponse {
  const o = r.order
  return {
    accountIndex: o.accountIndex.toString(),
    orderId: o.orderId.toString(),
    seriesId: o.seriesId.toString(),
    side: o.side,
    size: o.size.toString(),
    limitPrice: o.limitPrice.toString(),
    validUntil: o.validUntil.toString(),
    options: { ...r.options },
    status: r.status,
    filledSize: r.filled.toString(),
    remaining: r.remaining.toString(),
    ...(r.filled > 0n ? { averagePrice: (r.notional / r.filled).toString() } : {}),
    notional: r.notional.toString(),
    fills: r.fills.map(fillJSON),
    receivedAt: r.receivedAt.toString(),
    updatedAt: r.updatedAt.toString(),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.code !== undefined ? { code: r.code } : {}),
  }
}

/** A trade on the wire, without its channel and sequence number. */
export function tradeJSON(t: TradeEvent): Omit<TradeMessage, 'channel' | 'seq'> {
  return {
    type: 'trade',
    seriesId: t.seriesId.toString(),
    price: t.price.toString(),
    size: t.size.toString(),
    takerSide: t.takerSide,
    taker: { accountIndex: t.takerAccount.toString(), orderId: t.takerOrderId.toString() },
    maker: { accountIndex: t.makerAccount.toString(), orderId: t.makerOrderId.toString() },
    batch: t.batch,
    at: t.at.toString(),
  }
}

/** A batch's status on the wire (read at once: the pipeline changes its records in place). */
export function batchJSON(b: BatchRecord): Omit<BatchMessage, 'channel' | 'seq'> {
  return {
    type: 'batch',
    number: b.number,
    status: b.status,
    txCounts: { ...b.txCounts },
    createdAt: b.createdAt,
    ...(b.provingMs !== undefined ? { provingMs: b.provingMs } : {}),
    ...(b.l1TxHash !== undefined ? { l1TxHash: b.l1TxHash } : {}),
    ...(b.gasUsed !== undefined ? { gasUsed: b.gasUsed.toString() } : {}),
    ...(b.error !== undefined ? { error: b.error } : {}),
  }
}
