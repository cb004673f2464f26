/**
 * Pricing and margin: accurate normal CDF, Black-Scholes-Merton with Greeks, implied vol,
 * protocol fixed-point units, series names, the scenario market table and portfolio margin.
 * Pure and deterministic; no I/O. See docs/risk.md.
 */
export * from './errors.js'
export * from './normal.js'
export * from './blackScholes.js'
export * from './impliedVol.js'
export * from './fixedPoint.js'
export * from './series.js'
export * from './scenarios.js'
export * from './marketTable.js'
export * from './margin.js'
export * from './surface.js'
export * from './oracle/index.js'
export * from './marginEngine.js'
export * from './liquidationPlan.js'
export * from './liquidationSocialize.js'
export * from './liquidation.js'
export * from './greeks.js'
