/**
 * The wire protocol of the sequencer's WebSocket stream (`GET /v1/stream`), shared by the
 * server (sequencer/streamHub.ts) and the SDK client (sdk/stream.ts). Every message is one
 * JSON text frame; integers are canonical decimal strings, as in the REST API, except the
 * sequence numbers, batch numbers and level order counts, which are JSON numbers.
 *
 * Channels, by key: `book:<seriesId>`, `trades:<seriesId>`, `trades:all`,
 * `orders:<accountIndex>` (private: signed, see sdk/streamAuth.ts) and `batches`. Every data
 * message names its channel and carries that channel's sequence number: consecutive on the
 * server for as long as it runs, so a jump between two messages of a channel means missed
 * messages (docs/sequencer.md, "WebSocket stream").
 */
import type { SignatureJSON } from './json.js'
import type { BatchResponse, OrderFillJSON, OrderResponse } from './client.js'

/** Channels a client may subscribe to. */
export type StreamChannel = 'book' | 'trades' | 'orders' | 'batches'

export const STREAM_CHANNELS: readonly StreamChannel[] = ['book', 'trades', 'orders', 'batches']

/** Refusal codes of the stream (the `code` of an `error` message). */
export type StreamErrorCode =
  | 'BAD_MESSAGE'
  | 'MESSAGE_TOO_LARGE'
  | 'UNKNOWN_CHANNEL'
  | 'UNKNOWN_SERIES'
  | 'UNKNOWN_ACCOUNT'
  | 'BAD_SIGNATURE'
  | 'REQUEST_EXPIRED'
  | 'VALID_UNTIL_TOO_FAR'
  | 'ALREADY_SUBSCRIBED'
  | 'NOT_SUBSCRIBED'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'RATE_LIMITED'

/** WebSocket close codes the server uses (4000-4999: application codes). */
export const StreamCloseCode = {
  /** The server shuts down. */
  goingAway: 1001,
  /** A frame over the server's hard payload limit (closed by the WebSocket layer). */
  tooLarge: 1009,
  /** The server holds its maximum number of connections. */
  tryAgainLater: 1013,
  /** The client did not read fast enough: more than the bound of bytes waited to be sent to it. */
  slowConsumer: 4001,
} as const

// ---- client -> server --------------------------------------------------------------------

/** Optional `id`: a client's tag (at most 64 characters), echoed in the reply. */
type Tagged = { readonly id?: string }

export type SubscribeBook = Tagged & { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'book'; readonly seriesId: string }
/** `seriesId` absent: every series (`trades:all`). */
export type SubscribeTrades = Tagged & { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'trades'; readonly seriesId?: string }
/** A subscription carries the signed stream authorization; an unsubscription only `accountIndex`. */
export type SubscribeOrders = Tagged & { readonly op: 'subscribe'; readonly channel: 'orders'; readonly accountIndex: string; readonly validUntil: string; readonly signature: SignatureJSON }
export type UnsubscribeOrders = Tagged & { readonly op: 'unsubscribe'; readonly channel: 'orders'; readonly accountIndex: string }
export type SubscribeBatches = Tagged & { readonly op: 'subscribe' | 'unsubscribe'; readonly channel: 'batches' }
export type Ping = Tagged & { readonly op: 'ping' }

/** Every message a client may send. */
export type StreamClientMessage = SubscribeBook | SubscribeTrades | SubscribeOrders | UnsubscribeOrders | SubscribeBatches | Ping

// ---- server -> client --------------------------------------------------------------------

export type BookLevelJSON = { readonly price: string; readonly size: string; readonly orders: number }

/** Aggregated top levels of a series' book, best first: always a whole snapshot. */
export type BookMessage = { readonly type: 'book'; readonly channel: string; readonly seq: number; readonly seriesId: string; readonly bids: readonly BookLevelJSON[]; readonly asks: readonly BookLevelJSON[] }

/** One fill; `takerSide` 0 buy, 1 sell (the incoming order's side); `price` is the maker's. */
export type TradeMessage = {
  readonly type: 'trade'
  readonly channel: string
  readonly seq: number
  readonly seriesId: string
  readonly price: string
  readonly size: string
  readonly takerSide: 0 | 1
  readonly taker: { readonly accountIndex: string; readonly orderId: string }
  readonly maker: { readonly accountIndex: string; readonly orderId: string }
  readonly batch: number
  readonly at: string
}

/** A change of one of the account's orders; `fill` with `event: 'filled'`. */
export type OrderMessage = {
  readonly type: 'order'
  readonly channel: string
  readonly seq: number
  readonly event: 'accepted' | 'filled' | 'resting' | 'closed' | 'rejected'
  /** As `GET /v1/accounts/:index/orders/:orderId` shows it. */
  readonly order: OrderResponse
  readonly fill?: OrderFillJSON
}

/** A change of a batch's status (`l1TxHash` once submitted and verified, `error` when failed): the REST view without the roots. */
export type BatchMessage = { readonly type: 'batch'; readonly channel: 'batches'; readonly seq: number } & Omit<BatchResponse, 'oldRoot' | 'newRoot'>

/** `seq`: the number of the channel's last message (0: none yet); the next one is `seq + 1`. */
export type SubscribedMessage = { readonly type: 'subscribed'; readonly channel: string; readonly seq: number; readonly id?: string }
export type UnsubscribedMessage = { readonly type: 'unsubscribed'; readonly channel: string; readonly id?: string }
export type PongMessage = { readonly type: 'pong'; readonly id?: string }
export type StreamErrorMessage = { readonly type: 'error'; readonly code: StreamErrorCode; readonly reason: string; readonly id?: string }

/** Data messages: the ones with a channel and a sequence number. */
export type StreamDataMessage = BookMessage | TradeMessage | OrderMessage | BatchMessage

/** Every message the server sends. */
export type StreamServerMessage = StreamDataMessage | SubscribedMessage | UnsubscribedMessage | PongMessage | StreamErrorMessage

/**
 * The key of a subscription: `book:1`, `trades:1`, `trades:all`, `orders:7`, `batches`.
 *
 * @example channelKey({ op: 'subscribe', channel: 'trades' }) // 'trades:all'
 */
export function channelKey(m: { readonly channel: StreamChannel; readonly seriesId?: string; readonly accountIndex?: string }): string {
  switch (m.channel) {
    case 'book':
      return `book:${m.seriesId}`
    case 'trades':
      return `trades:${m.seriesId ?? 'all'}`
    case 'orders':
      return `orders:${m.accountIndex}`
    case 'batches':
      return 'batches'
  }
}
