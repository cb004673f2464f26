import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedFiles } from './generate.js'
import { ROOT } from '../prover/paths.js'

describe('generated sources', () => {
  it('are current: every committed circom main and Solidity constant matches the parameter module', () => {
    const stale = Object.entries(generatedFiles()).filter(([rel, content]) => !existsSync(join(ROOT, rel)) || readFileSync(join(ROOT, rel), 'utf8') !== content)
    expect(stale.map(([rel]) => rel), 'run npm run generate').toEqual([])
  })
})
