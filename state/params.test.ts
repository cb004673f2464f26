import { describe, expect, it } from 'vitest'
import { PARAM_SETS, TEST_PARAMS, accountLevels, assertParamSet } from './params.js'
import { RollupState } from './rollupState.js'

describe('accountsDepth of the 4-ary accounts tree', () => {
  it('is even in every parameter set: accountsDepth / 2 levels', () => {
    for (const p of Object.values(PARAM_SETS)) {
      expect(() => assertParamSet(p)).not.toThrow()
      expect(4 ** accountLevels(p)).toBe(2 ** p.accountsDepth)
    }
    expect(accountLevels(TEST_PARAMS)).toBe(2)
    expect(accountLevels(PARAM_SETS.realistic)).toBe(12)
  })

  it('refuses an odd depth, or one outside [2, 32]', () => {
    for (const accountsDepth of [3, 5, 23, 0, 34, 2.5]) {
      expect(() => assertParamSet({ ...TEST_PARAMS, accountsDepth }), String(accountsDepth)).toThrow(/accountsDepth/)
    }
    expect(() => new RollupState({ ...TEST_PARAMS, accountsDepth: 5 })).toThrow(/must be even/)
  })

  it('proves accounts with one sibling triple per level', () => {
    const proof = new RollupState(TEST_PARAMS).accountProof(3n)
    expect(proof).toHaveLength(accountLevels(TEST_PARAMS))
    for (const row of proof) expect(row).toHaveLength(3)
  })
})
