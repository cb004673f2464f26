/**
 * What the oracle service polls: a source of one underlying's price.
 */
import type { FeedReport } from '../risk/oracle/index.js'

/**
 * One independent price source. `read()` reports the feed's latest value or why it has
 * none; it should not reject for a failing source (an RPC error is a `read-failed`
 * report), though the service also turns rejections and timeouts into `read-failed`.
 */
export interface PriceFeed {
  /** Unique among the feeds of an underlying; names the feed in exclusions and logs. */
  readonly id: string
  read(): Promise<FeedReport>
}
