/**
 * `risk price` as a real child process (`node --import tsx cli/main.ts risk price`, and once
 * through the `bin` launcher), plus the row parser in-process.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { valueOption, type OptionInputs } from '../risk/blackScholes.js'
import { parseRow, priceRow } from './riskPrice.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

type Run = { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function run(input: string, script = 'cli/main.ts', args = ['risk', 'price']): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, script.endsWith('.mjs') ? [script, ...args] : ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input)
  })
}

const HEADER = 'type,S,K,T,r,q,sigma'
const OUT_HEADER = 'price,delta,gamma,vega,theta,rho'

/** The six output numbers of `valueOption`, in the CLI's column order. */
function expected(i: OptionInputs): number[] {
  const v = valueOption(i)
  return [v.price, v.delta, v.gamma, v.vegaPerUnitVol, v.thetaPerYear, v.rhoPerUnitRate]
}

describe('risk price (child process)', () => {
  it('prices every row with full-precision numbers identical to valueOption', async () => {
    const rows: [string, OptionInputs][] = [
      ['C,42,40,0.5,0.1,0,0.2', { isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, dividendYieldPerYear: 0, volPerSqrtYear: 0.2 }],
      ['P,42,40,0.5,0.1,0,0.2', { isCall: false, spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, dividendYieldPerYear: 0, volPerSqrtYear: 0.2 }],
      ['C,60000,75000,0.0027397260273972603,0.04,0.01,0.75', { isCall: true, spot: 60000, strike: 75000, yearsToExpiry: 0.0027397260273972603, ratePerYear: 0.04, dividendYieldPerYear: 0.01, volPerSqrtYear: 0.75 }],
      // Padding, quotes, exponents and a CRLF line ending are accepted.
      [' P , 3000 , "3500", 2.5e-1 ,5e-2,0.02, .8\r', { isCall: false, spot: 3000, strike: 3500, yearsToExpiry: 0.25, ratePerYear: 0.05, dividendYieldPerYear: 0.02, volPerSqrtYear: 0.8 }],
      ['C,100,100,0,0.05,0,0.5', { isCall: true, spot: 100, strike: 100, yearsToExpiry: 0, ratePerYear: 0.05, dividendYieldPerYear: 0, volPerSqrtYear: 0.5 }],
    ]
    const { code, stdout, stderr } = await run(`${HEADER}\n${rows.map(([line]) => line).join('\n')}\n\n`)
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(OUT_HEADER)
    expect(lines).toHaveLength(rows.length + 1)
    rows.forEach(([, inputs], i) => expect(lines[i + 1]!.split(',').map(Number)).toEqual(expected(inputs)))
  })

  it('reports each bad row with its line number, keeps the row positions and prices the rest (exit 1)', async () => {
    const input = [
      HEADER, // line 1
      'C,42,40,0.5,0.1,0,0.2', // 2
      'X,42,40,0.5,0.1,0,0.2', // 3: type
      '', // 4: blank, skipped
      'C,42,40,0.5,0.1,0', // 5: 6 fields
      'P,42,abc,0.5,0.1,0,0.2', // 6: not a number
      'C,42,40,-1,0.1,0,0.2', // 7: T < 0
      'C,0,40,0.5,0.1,0,0.2', // 8: S = 0
      'C,42,40,0.5,0.1,0,Infinity', // 9: not a decimal
      'P,42,40,0.5,0.1,0,0.2', // 10
    ].join('\n')
    const { code, stdout, stderr } = await run(input)
    expect(code).toBe(1)
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe(OUT_HEADER)
    expect(lines.slice(2, 8)).toEqual(Array(6).fill(',,,,,'))
    const hull = { spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, dividendYieldPerYear: 0, volPerSqrtYear: 0.2 }
    expect(lines[1]!.split(',').map(Number)).toEqual(expected({ isCall: true, ...hull }))
    expect(lines[8]!.split(',').map(Number)).toEqual(expected({ isCall: false, ...hull }))
    const errors = stderr.trimEnd().split('\n')
    expect(errors).toEqual([
      'line 3: type must be C or P, got "X"',
      'line 5: expected 7 fields (type,S,K,T,r,q,sigma), got 6',
      'line 6: K must be a decimal number, got "abc"',
      'line 7: T: must be >= 0, got -1',
      'line 8: S: must be > 0, got 0',
      'line 9: sigma must be a decimal number, got "Infinity"',
      '6 rows could not be priced',
    ])
  })

  it('rejects a wrong header without output (exit 2)', async () => {
    const { code, stdout, stderr } = await run('type,S,K,T,r,sigma\nC,42,40,0.5,0.1,0.2\n')
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('line 1: expected the header "type,S,K,T,r,q,sigma", got "type,S,K,T,r,sigma"')
  })

  it('rejects empty input (exit 2) and answers a header alone with the output header (exit 0)', async () => {
    const empty = await run('')
    expect(empty.code).toBe(2)
    expect(empty.stdout).toBe('')
    expect(empty.stderr).toContain('empty input')
    const headerOnly = await run(`${HEADER}\n`)
    expect(headerOnly).toEqual({ code: 0, stdout: `${OUT_HEADER}\n`, stderr: '' })
  })

  it('runs through the package bin launcher, and exits 2 on an unknown command', async () => {
    const viaBin = await run(`${HEADER}\nC,42,40,0.5,0.1,0,0.2\n`, 'cli/bin.mjs')
    expect(viaBin.code).toBe(0)
    expect(viaBin.stdout.split('\n')[1]!.split(',').map(Number)).toEqual(expected({ isCall: true, spot: 42, strike: 40, yearsToExpiry: 0.5, ratePerYear: 0.1, dividendYieldPerYear: 0, volPerSqrtYear: 0.2 }))
    const unknown = await run('', 'cli/main.ts', ['risk', 'frobnicate'])
    expect(unknown.code).toBe(2)
  })
})

describe('risk price rows (in-process)', () => {
  it('accepts plain decimals only', () => {
    for (const bad of ['0x10', 'Infinity', 'NaN', '', '1,5', '1e', '--1', '1 2']) {
      expect(parseRow(`C,${bad},40,0.5,0.1,0,0.2`).ok, bad).toBe(false)
    }
    for (const good of ['42', '+42', '42.', '.42', '4.2e1', '4.2E+1', '-0']) {
      expect(parseRow(`C,100,${good},0.5,0.1,0,0.2`).ok, good).toBe(true)
    }
  })

  it('refuses a row whose Greeks are not finite', () => {
    // At the forward with σ√T = 1e-310 (a subnormal vol), gamma = φ(0) / (S σ√T) overflows.
    expect(priceRow('C,1,1,1,0,0,1e-310')).toEqual({ ok: false, reason: 'gamma is not finite (Infinity) for these inputs' })
  })
})
