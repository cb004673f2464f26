import { describe, expect, it } from 'vitest'
import { createWalletClient, hexToBytes, http, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { derivePublicKey } from './eddsa.js'
import { deriveL2Key, l2KeyFromPrivateKey, l2KeyMessage } from './keys.js'
import { SdkValidationError } from './errors.js'
import { isOnBabyJubJub } from './json.js'

/** anvil's first dev account. */
const ANVIL_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
const ANVIL_KEY_1 = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
const ROLLUP = '0x5FbDB2315678afecb367f032d93F642f64180aa3'

describe('deriveL2Key', () => {
  const account = privateKeyToAccount(ANVIL_KEY_0)

  it('signs the protocol message with the lowercase rollup address', () => {
    expect(l2KeyMessage(31337, ROLLUP)).toBe('Options rollup L2 key\nchain: 31337\nrollup: 0x5fbdb2315678afecb367f032d93f642f64180aa3')
  })

  it('private key = keccak256(signature), public key = derivePublicKey(private key)', async () => {
    const key = await deriveL2Key(account, 31337, ROLLUP)
    const signature = await account.signMessage({ message: l2KeyMessage(31337n, ROLLUP) })
    expect(key.privateKey).toEqual(hexToBytes(keccak256(signature)))
    expect(key.privateKey).toHaveLength(32)
    const [x, y] = derivePublicKey(key.privateKey)
    expect(key.publicKey).toEqual({ x, y })
    expect(isOnBabyJubJub(key.publicKey)).toBe(true)
  })

  it('is deterministic for the same wallet, also through a WalletClient', async () => {
    const a = await deriveL2Key(account, 31337, ROLLUP)
    const b = await deriveL2Key(privateKeyToAccount(ANVIL_KEY_0), 31337n, ROLLUP.toLowerCase() as `0x${string}`)
    const wallet = createWalletClient({ account, transport: http('http://127.0.0.1:1') })
    const c = await deriveL2Key(wallet, 31337, ROLLUP)
    expect(b).toEqual(a)
    expect(c).toEqual(a)
  })

  it('differs by chain, by rollup address and by wallet', async () => {
    const base = await deriveL2Key(account, 31337, ROLLUP)
    const otherChain = await deriveL2Key(account, 1, ROLLUP)
    const otherRollup = await deriveL2Key(account, 31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512')
    const otherWallet = await deriveL2Key(privateKeyToAccount(ANVIL_KEY_1), 31337, ROLLUP)
    const keys = [base, otherChain, otherRollup, otherWallet].map((k) => k.publicKey.x)
    expect(new Set(keys).size).toBe(4)
  })

  it('rejects a bad chain id, address or private key length', () => {
    expect(() => l2KeyMessage(0, ROLLUP)).toThrow(SdkValidationError)
    expect(() => l2KeyMessage(1, '0x1234')).toThrow(SdkValidationError)
    expect(() => l2KeyFromPrivateKey(new Uint8Array(31))).toThrow(SdkValidationError)
  })
})
