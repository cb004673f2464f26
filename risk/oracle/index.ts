/**
 * Fault tolerance of the price inputs: median-of-feeds aggregation with staleness,
 * deviation and quorum checks, per-underlying circuit breakers and the effective trading
 * mode (normal, reduce-only, halted) that combines them. Pure; the I/O adapters (on-chain
 * and simulated feeds, the polling service) live in `oracle/`. See docs/risk.md, "Oracles
 * and circuit breakers".
 */
export * from './types.js'
export * from './aggregator.js'
export * from './circuitBreaker.js'
export * from './marketGuard.js'
