/**
 * Errors thrown by the risk library. Invalid inputs are programming errors of the caller
 * (the sequencer validates user input before pricing), so they are thrown, never returned.
 */

/** Base class of every error the risk library throws. */
export class RiskError extends Error {
  override name = 'RiskError'
}

/**
 * An input outside its domain: a negative or non-finite spot, strike, time or volatility,
 * a malformed series name, an unknown series, a float that does not fit the protocol's units.
 * `field` names the offending input.
 *
 * @example
 * try { priceOption({ ...inputs, vol: -1 }) } catch (e) { if (e instanceof RiskInputError) console.log(e.field) }
 */
export class RiskInputError extends RiskError {
  override name = 'RiskInputError'
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`)
  }
}

/**
 * Implied volatility cannot be solved: the price is outside the no-arbitrage bounds
 * (`lowerBound`, `upperBound`) of the option, or the solver did not converge.
 */
export class ImpliedVolError extends RiskError {
  override name = 'ImpliedVolError'
  constructor(
    message: string,
    readonly price: number,
    readonly lowerBound: number,
    readonly upperBound: number,
  ) {
    super(message)
  }
}
