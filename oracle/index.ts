/**
 * Oracle I/O: price feeds (Chainlink-style contracts read with viem, deterministic simulated
 * feeds) and the `OracleService` that polls them into the pure aggregation, circuit breaker
 * and trading modes of risk/oracle. See docs/risk.md, "Oracles and circuit breakers".
 */
export * from './errors.js'
export * from './feed.js'
export * from './chainlinkFeed.js'
export * from './simulatedFeed.js'
export * from './oracleService.js'
