/**
 * JSON schemas of the API (validated by fastify before any handler runs, and published at
 * /docs). Integers travel as canonical decimal strings: JSON numbers cannot hold 64-bit
 * amounts or field elements exactly.
 */
const uint = { type: 'string', pattern: '^(0|[1-9][0-9]{0,77})$' } as const
const point = { type: 'object', additionalProperties: false, required: ['x', 'y'], properties: { x: uint, y: uint } } as const
const signature = { type: 'object', additionalProperties: false, required: ['R8', 'S'], properties: { R8: point, S: uint } } as const
const orderOptionsView = {
  type: 'object',
  properties: { type: { type: 'string' }, reduceOnly: { type: 'boolean' }, selfTradePrevention: { type: 'string' } },
} as const


export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['code', 'reason'],
  properties: {
    code: { type: 'string', description: 'stable machine-readable code' },
    reason: { type: 'string', description: 'what was wrong, for a human' },
    details: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const

export const errorResponses = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  413: { $ref: 'Error#' },
  415: { $ref: 'Error#' },
  422: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
  503: { $ref: 'Error#' },
} as const

export const signedOrderBody = {
  type: 'object',
  additionalProperties: false,
  required: ['order', 'signature'],
  properties: {
    order: {
      type: 'object',
      additionalProperties: false,
      required: ['accountIndex', 'orderId', 'seriesId', 'side', 'size', 'limitPrice', 'validUntil'],
      properties: {
        accountIndex: uint,
        orderId: uint,
        seriesId: uint,
        side: { type: 'integer', enum: [0, 1], description: '0 buy, 1 sell' },
        size: uint,
        limitPrice: { ...uint, description: 'collateral base units per size unit' },
        validUntil: { ...uint, description: 'unix seconds' },
      },
    },
    signature,
    options: {
      type: 'object',
      additionalProperties: false,
      description: 'execution options beside the signed order (not signed: each only narrows what the signature allows); absent fields take the defaults',
      properties: {
        type: { type: 'string', enum: ['limit', 'ioc', 'post_only'], description: 'limit (default): the rest rests until validUntil; ioc: the rest is dropped; post_only: refused if it would take' },
        reduceOnly: { type: 'boolean', description: 'only shrink the position in the series: capped to it, refused when there is none' },
        selfTradePrevention: { type: 'string', enum: ['cancel_newest', 'cancel_oldest'], description: 'cancel_newest (default): refuse the order; cancel_oldest: remove the resting order of the same account' },
      },
    },
  },
} as const

export const signedWithdrawalBody = {
  type: 'object',
  additionalProperties: false,
  required: ['accountIndex', 'nonce', 'amount', 'signature'],
  properties: { accountIndex: uint, nonce: uint, amount: uint, signature },
} as const

export const signedCancelBody = {
  type: 'object',
  additionalProperties: false,
  required: ['accountIndex', 'orderId', 'signature'],
  properties: { accountIndex: uint, orderId: { ...uint, description: 'the order that must never fill again; one never sent may be cancelled too' }, signature },
} as const

export const cancelResponse = {
  type: 'object',
  required: ['status', 'accountIndex', 'orderId', 'removedFromBook'],
  properties: {
    status: { type: 'string', enum: ['cancelled'] },
    accountIndex: uint,
    orderId: uint,
    removedFromBook: { ...uint, description: 'size that was resting in the book and was removed; 0 when the order was not resting' },
  },
} as const

export const fill = {
  type: 'object',
  properties: { makerAccount: uint, makerOrderId: uint, size: uint, price: uint },
} as const

export const orderResponse = {
  type: 'object',
  required: ['status', 'fills', 'resting'],
  properties: {
    status: { type: 'string', enum: ['filled', 'partially_filled', 'resting', 'cancelled_remainder'] },
    accountIndex: uint,
    orderId: uint,
    fills: { type: 'array', items: fill },
    resting: uint,
    note: { type: 'string' },
    selfTradeCancelled: { type: 'array', items: uint, description: 'resting orders of the same account removed from the book by cancel_oldest' },
    cappedSize: { ...uint, description: 'reduce-only: the size the order could trade, when below its signed size' },
  },
} as const

const cancelAllSignature = { ...signature, description: "EdDSA-Poseidon over H(CANCEL_ALL_TAG, accountIndex, seriesId, nonce, validUntil) (sdk/cancelAll.ts)" } as const

export const cancelAllBody = {
  type: 'object',
  additionalProperties: false,
  required: ['accountIndex', 'seriesId', 'nonce', 'validUntil', 'signature', 'cancels'],
  properties: {
    accountIndex: uint,
    seriesId: { ...uint, description: 'the series whose orders to cancel; 0 for every series' },
    nonce: { ...uint, description: "above the account's last accepted cancel-all nonce (uint64; the SDK uses milliseconds)" },
    validUntil: { ...uint, description: 'unix seconds; refused after' },
    signature: cancelAllSignature,
    cancels: {
      type: 'array',
      maxItems: 64,
      description: 'signed single cancels of the orders to retire in the circuit too (one cancel slot per distinct order slot); orders without one only leave the book',
      items: { type: 'object', additionalProperties: false, required: ['orderId', 'signature'], properties: { orderId: uint, signature } },
    },
  },
} as const

export const cancelAllResponse = {
  type: 'object',
  required: ['status', 'accountIndex', 'removed', 'cancelTxs', 'skipped'],
  properties: {
    status: { type: 'string', enum: ['cancelled'] },
    accountIndex: uint,
    seriesId: uint,
    removed: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          orderId: uint,
          seriesId: uint,
          removedFromBook: uint,
          inCircuit: { type: 'boolean', description: 'true: its order slot retires it, no batch can fill it; false: removed from the book only (send a single cancel to retire it)' },
        },
      },
    },
    cancelTxs: { type: 'array', items: uint, description: 'order ids whose cancel transaction was applied (one slot each)' },
    skipped: { type: 'array', items: { type: 'object', properties: { orderId: uint, reason: { type: 'string' } } } },
  },
} as const

export const orderView = {
  type: 'object',
  required: ['accountIndex', 'orderId', 'status', 'filledSize', 'fills'],
  properties: {
    accountIndex: uint,
    orderId: uint,
    seriesId: uint,
    side: { type: 'integer', description: '0 buy, 1 sell' },
    size: uint,
    limitPrice: uint,
    validUntil: uint,
    options: orderOptionsView,
    status: { type: 'string', enum: ['resting', 'partially_filled', 'filled', 'cancelled', 'expired', 'rejected'] },
    filledSize: uint,
    remaining: { ...uint, description: 'size resting in the book now' },
    averagePrice: { ...uint, description: 'notional / filledSize, rounded down; absent before any fill' },
    notional: uint,
    fills: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          size: uint,
          price: uint,
          role: { type: 'string', enum: ['maker', 'taker'] },
          counterpartyAccount: uint,
          counterpartyOrderId: uint,
          batch: { type: 'integer', description: 'the batch whose slot carries the trade' },
          at: uint,
        },
      },
    },
    receivedAt: uint,
    updatedAt: uint,
    reason: { type: 'string' },
    code: { type: 'string', description: 'the refusal code of a rejected order' },
  },
} as const

export const orderParams = { type: 'object', required: ['index', 'orderId'], properties: { index: uint, orderId: uint } } as const

export const ordersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['open', 'closed', 'all'], default: 'all' },
    limit: { type: 'string', pattern: '^([1-9][0-9]?|[1-4][0-9]{2}|500)$', description: '1 to 500 (default 50)' },
    cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$', description: 'the `next` of the previous page' },
  },
} as const

export const ordersResponse = {
  type: 'object',
  required: ['orders'],
  properties: { accountIndex: uint, orders: { type: 'array', items: orderView }, next: { type: 'string', description: 'cursor of the next page; absent on the last' } },
} as const

export const tradingRulesResponse = {
  type: 'object',
  properties: {
    series: {
      type: 'array',
      items: { type: 'object', properties: { seriesId: uint, tickSize: uint, sizeIncrement: uint } },
    },
  },
} as const

const signedInt = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$' } as const

export const accountResponse = {
  type: 'object',
  properties: {
    index: uint,
    pubKey: point,
    l1Address: { type: 'string' },
    nonce: uint,
    collateral: uint,
    positions: { type: 'array', items: { type: 'object', properties: { positionIndex: uint, seriesId: uint, size: signedInt } } },
    openOrders: {
      type: 'array',
      items: { type: 'object', properties: { orderId: uint, seriesId: uint, side: { type: 'integer' }, limitPrice: uint, remaining: uint, options: orderOptionsView } },
    },
    margin: {
      type: 'object',
      properties: { equity: signedInt, initialMargin: uint, maintenanceMargin: uint, freeCollateral: signedInt },
    },
    greeks: {
      type: 'object',
      description: 'net Greeks: delta in units of the underlying, gamma per unit of spot, vega per vol point, theta per day, rho per rate point; value and deltaValue in collateral',
      properties: {
        byUnderlying: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              underlying: { type: 'string' },
              spot: { type: 'number' },
              delta: { type: 'number' },
              deltaValue: { type: 'number' },
              gamma: { type: 'number' },
              vegaPerVolPoint: { type: 'number' },
              thetaPerDay: { type: 'number' },
              rhoPerRatePoint: { type: 'number' },
              value: { type: 'number' },
            },
          },
        },
        total: {
          type: 'object',
          properties: { deltaValue: { type: 'number' }, vegaPerVolPoint: { type: 'number' }, thetaPerDay: { type: 'number' }, rhoPerRatePoint: { type: 'number' }, value: { type: 'number' } },
        },
      },
    },
  },
} as const

export const accountParams = { type: 'object', required: ['index'], properties: { index: uint } } as const
export const accountQuery = {
  type: 'object',
  required: ['l1Address'],
  additionalProperties: false,
  properties: { l1Address: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' } },
} as const

export const withdrawalResponse = {
  type: 'object',
  properties: { status: { type: 'string' }, accountIndex: uint, amount: uint, nonce: uint },
} as const

const batchView = {
  type: 'object',
  required: ['number', 'status', 'oldRoot', 'newRoot', 'txCounts', 'createdAt'],
  properties: {
    number: { type: 'integer' },
    status: { type: 'string', enum: ['proving', 'submitting', 'verified', 'failed'] },
    oldRoot: uint,
    newRoot: uint,
    txCounts: { type: 'object', additionalProperties: { type: 'integer' } },
    provingMs: { type: 'integer' },
    l1TxHash: { type: 'string' },
    gasUsed: uint,
    error: { type: 'string' },
    createdAt: { type: 'string' },
  },
} as const

export const batchesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000 (default 100)' },
    cursor: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$', description: 'the `next` of the previous page: batches numbered below it' },
  },
} as const

export const batchParams = {
  type: 'object',
  required: ['number'],
  properties: { number: { type: 'string', pattern: '^(0|[1-9][0-9]{0,15})$' } },
} as const

export const batchResponse = batchView

export const batchesResponse = {
  type: 'object',
  required: ['batches'],
  properties: {
    batches: { type: 'array', items: batchView },
    next: { type: 'string', description: 'cursor of the next (older) page; absent on the last' },
  },
} as const

export const seriesResponse = {
  type: 'object',
  properties: {
    series: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: uint,
          name: { type: 'string' },
          underlying: { type: 'string' },
          expiry: uint,
          strike: uint,
          isCall: { type: 'boolean' },
          mark: uint,
          live: { type: 'boolean' },
          settlementPrice: { ...uint, description: 'the settlement price fixed on L1 once expired (collateral base units per unit of underlying); absent until fixed' },
        },
      },
    },
  },
} as const

export const bookParams = { type: 'object', required: ['seriesId'], properties: { seriesId: uint } } as const
const level = { type: 'object', properties: { price: uint, size: uint, orders: { type: 'integer' } } } as const
export const bookResponse = {
  type: 'object',
  properties: { seriesId: uint, bids: { type: 'array', items: level }, asks: { type: 'array', items: level } },
} as const

export const timeResponse = {
  type: 'object',
  required: ['unixSeconds'],
  properties: { unixSeconds: { ...uint, description: "the sequencer's clock, which judges every order's validUntil" } },
} as const

export const healthResponse = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'halted'] },
    reason: { type: 'string' },
    stateRoot: uint,
    queueProcessed: uint,
    pendingSlots: { type: 'integer' },
    batches: { type: 'integer' },
    verifiedBatches: { type: 'integer' },
    rollup: { type: 'string' },
    chainId: { type: 'integer' },
    prover: { type: 'string' },
    /** Only on a replica: how far it follows the primary's journal. */
    replica: {
      type: 'object',
      required: ['behindEntries', 'appliedEntries'],
      properties: { behindEntries: { type: 'integer' }, appliedEntries: { type: 'integer' }, primaryPid: { type: 'integer' } },
    },
  },
} as const

const underlyingStatus = {
  type: 'object',
  properties: { mode: { type: 'string', enum: ['normal', 'reduce-only', 'halted'] }, reason: { type: 'string' }, liquidationsAllowed: { type: 'boolean' } },
} as const

const decimal = { type: 'string', pattern: '^[0-9]+$' } as const

export const marketTableResponse = {
  type: 'object',
  description:
    'The market table the open batch is checked against (the last one when no slot is open): every margin rule of the batch holds under it, and its hash seeds the batch data the proof binds (docs/protocol.md, "Market table"). Prices in collateral base units per size unit.',
  properties: {
    hash: { ...decimal, description: 'tableHash of the packed words, as the Rollup computes it' },
    words: { type: 'array', items: decimal, description: 'the packed words submitBatch posts' },
    openSlots: { type: 'integer', description: 'slots applied under it so far in the open batch' },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: { seriesId: decimal, mark: decimal, shortMinimum: decimal, scenarioValues: { type: 'array', items: decimal } },
        required: ['seriesId', 'mark', 'shortMinimum', 'scenarioValues'],
      },
    },
  },
  required: ['hash', 'words', 'openSlots', 'rows'],
} as const

export const underlyingsResponse = {
  type: 'object',
  properties: {
    underlyings: {
      type: 'array',
      items: { type: 'object', properties: { underlying: { type: 'string' }, spot: { type: 'number' }, vol: { type: 'number' }, status: underlyingStatus } },
    },
    transitions: {
      type: 'array',
      description: 'the latest trading-state transitions, newest last',
      items: { type: 'object', properties: { underlying: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, reason: { type: 'string' }, at: { type: 'string' } } },
    },
  },
} as const
