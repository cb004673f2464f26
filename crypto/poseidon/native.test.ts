import { mkdtempSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { P } from '../field/frLayout.js'
import { findNativePoseidon, loadNativePoseidon, PORTABLE_POSEIDON_FILE, tryLoadNativePoseidon } from './native.js'
import { nativePoseidonUnavailable, poseidon, poseidonBackend, poseidonWasm } from './poseidon.js'

const native = loadNativePoseidon()
// The portable C build, made beside the assembly one where the CPU has mulx/adx (as on CI).
const portable = loadNativePoseidon(process.env, findNativePoseidon(PORTABLE_POSEIDON_FILE) ?? null)

describe('native Poseidon', () => {
  // The build (npm install, npm run build) compiles it wherever a C compiler and Node's
  // headers are, as on CI: a missing addon there is a broken build, not a fallback to test.
  it.skipIf(process.env.POSEIDON_NATIVE === 'off')('is built and is what poseidon() runs', () => {
    expect(native, 'build/native/poseidon.node is missing: run npm run build:native').toBeDefined()
    expect(poseidonBackend()).toBe('native')
    expect(nativePoseidonUnavailable()).toBeUndefined()
  })

  it('is not used, with the reason, when turned off, missing, not loadable or hashing wrong', () => {
    expect(loadNativePoseidon({ POSEIDON_NATIVE: 'off' })).toBeUndefined()
    expect(tryLoadNativePoseidon({ POSEIDON_NATIVE: 'off' })).toEqual({ unavailable: 'POSEIDON_NATIVE=off' })
    expect(tryLoadNativePoseidon({}, null)).toMatchObject({ unavailable: expect.stringMatching(/^not built .*npm run build:native/) })
    const dir = mkdtempSync(join(tmpdir(), 'native-'))
    const garbage = join(dir, 'garbage.node')
    writeFileSync(garbage, 'not a shared object')
    expect(tryLoadNativePoseidon({}, garbage)).toMatchObject({ unavailable: expect.stringMatching(/garbage\.node cannot be loaded: /) })
    // A module with the addon's shape whose hash is wrong (a stale or broken build): refused on the published vector.
    const stale = join(dir, 'stale.cjs')
    writeFileSync(stale, 'exports.permute = () => {}')
    expect(tryLoadNativePoseidon({}, stale)).toMatchObject({ unavailable: expect.stringMatching(/stale\.cjs gives a wrong hash \(Poseidon\(\[1, 2\]\) = 1\): rebuild it/) })
    const throwing = join(dir, 'throwing.cjs')
    writeFileSync(throwing, 'exports.permute = () => { throw new RangeError("bad table") }')
    expect(tryLoadNativePoseidon({}, throwing)).toMatchObject({ unavailable: expect.stringMatching(/gives a wrong hash \(Poseidon\(\[1, 2\]\) = bad table\)/) })
  })

  const builds = [
    ['the build', native],
    ['the portable C build', portable],
  ] as const
  describe.each(builds.filter(([, build]) => build))('%s, against the wasm permutation', (_, build) => {
    it('agrees on random field elements and edge values of every arity', () => {
      const element = fc.oneof(
        fc.bigInt({ min: 0n, max: P - 1n }),
        fc.constantFrom(0n, 1n, 2n, P - 1n, P - 2n, P, (1n << 254n) - 1n, (1n << 256n) - 1n, -1n, 1n << 300n),
      )
      for (let n = 1; n <= 16; n++) {
        fc.assert(
          fc.property(fc.array(element, { minLength: n, maxLength: n }), (inputs) => {
            expect(build!.hash(inputs)).toBe(poseidonWasm(inputs))
          }),
          { numRuns: n <= 8 ? 60 : 15 },
        )
      }
    })

    it('agrees on chains of hashes, where every input is an earlier output', () => {
      // A Merkle path's shape: outputs near p as often as anywhere, fed straight back.
      let [a, b] = [P - 1n, 0n]
      for (let i = 0; i < 500; i++) {
        const [x, y] = [build!.hash([a, b]), poseidonWasm([a, b])]
        expect(x).toBe(y)
        ;[a, b] = [b, x]
      }
    })

  })

  describe.skipIf(!native)('the addon', () => {
    it('refuses buffers that do not fit the width they name, with a reason', () => {
      const addon = createRequire(import.meta.url)(native!.file) as { permute: (...args: unknown[]) => void }
      expect(() => addon.permute(new ArrayBuffer(8))).toThrow(/permute\(io: ArrayBuffer, table: ArrayBuffer\)/)
      expect(() => addon.permute(new ArrayBuffer(8 * 80), new Uint8Array(64))).toThrow(TypeError)
      const forged = new BigUint64Array([3n, 8n, 57n, 0n])
      expect(() => addon.permute(new ArrayBuffer(8 * 80), forged.buffer)).toThrow(/too small/)
      expect(() => addon.permute(new ArrayBuffer(8 * 80), new BigUint64Array([18n, 8n, 57n, 0n]).buffer)).toThrow(/no width of 2..17/)
      // Round counts that would overflow the size check, or make no sense, are refused before it.
      for (const [f, p] of [[1n << 62n, 57n], [8n, 1n << 62n], [7n, 57n], [0n, 57n]] as const)
        expect(() => addon.permute(new ArrayBuffer(8 * 80), new BigUint64Array([3n, f, p, 0n, ...Array(4096).fill(0n)]).buffer)).toThrow(/sane round counts/)
      const roomy = new BigUint64Array(1 << 17)
      roomy.set([3n, 8n, 57n, 0n])
      expect(() => addon.permute(new ArrayBuffer(8), roomy.buffer)).toThrow(/too small/)
    })

    it('loads and hashes in a worker thread beside this one', async () => {
      const worker = new Worker(new URL('./backendWorker.fixture.mjs', import.meta.url))
      const [backend, hash] = await new Promise<[string, string]>((resolve, reject) => {
        worker.once('message', resolve)
        worker.once('error', reject)
      })
      await worker.terminate()
      expect(backend).toBe('native')
      expect(BigInt(hash)).toBe(poseidon([1n, 2n]))
    })
  })
})
