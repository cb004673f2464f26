/**
 * The one error class of the EdDSA module. Verification never throws for bad input (a bad
 * signature is `false`); this is thrown only for misuse (an impossible option) or a bug
 * (inverting zero), which a caller should see rather than have turned into a rejection.
 */
export class EddsaError extends Error {
  override readonly name: string = 'EddsaError'
}
