/**
 * L2 key derivation (docs/protocol.md, "Keys and signatures"): the user's Ethereum account
 * signs (EIP-191 personal_sign) the message
 *
 *   "Options rollup L2 key\nchain: <chainId>\nrollup: <rollup address, lowercase>"
 *
 * and the EdDSA-Poseidon (BabyJubJub) private key is keccak256 of the 65-byte signature.
 * The same wallet always gets the same key for one deployment (RFC 6979 signatures are
 * deterministic), and a different key for another chain or rollup address.
 *
 * Caveat: a wallet whose signatures are not deterministic (some hardware wallets, smart
 * accounts with EIP-1271) would derive a different key each time; such users must store
 * the derived key instead.
 */
import { derivePublicKey } from './eddsa.js'
import { hexToBytes, isAddress, keccak256, type Address, type Hex } from 'viem'
import type { Point } from '../state/types.js'
import { SdkValidationError } from './errors.js'

/**
 * Anything that signs an EIP-191 message: a viem `LocalAccount` (`privateKeyToAccount`,
 * `mnemonicToAccount`) or a `WalletClient` created with an `account`. For a wallet client
 * without a hoisted account, pass `{ signMessage: (a) => wallet.signMessage({ account, ...a }) }`.
 */
export type L2KeySigner = {
  signMessage(args: { message: string }): Promise<Hex>
}

/** An L2 key pair. */
export type L2Key = {
  /** 32-byte EdDSA private key (keep secret). */
  readonly privateKey: Uint8Array
  /** BabyJubJub public key: the account's `pubKey` in the state. */
  readonly publicKey: Point
}

/**
 * The exact message an Ethereum account signs to derive its L2 key.
 *
 * @example l2KeyMessage(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3')
 * // 'Options rollup L2 key\nchain: 31337\nrollup: 0x5fbdb2315678afecb367f032d93f642f64180aa3'
 */
export function l2KeyMessage(chainId: number | bigint, rollupAddress: Address): string {
  const id = BigInt(chainId)
  if (id <= 0n) throw new SdkValidationError('chainId', `must be a positive integer, got ${chainId}`)
  if (!isAddress(rollupAddress, { strict: false })) throw new SdkValidationError('rollupAddress', `not an address: ${rollupAddress}`)
  return `Options rollup L2 key\nchain: ${id}\nrollup: ${rollupAddress.toLowerCase()}`
}

/** The L2 key pair of a 32-byte private key. */
export function l2KeyFromPrivateKey(privateKey: Uint8Array): L2Key {
  if (privateKey.length !== 32) throw new SdkValidationError('privateKey', `must be 32 bytes, got ${privateKey.length}`)
  const [x, y] = derivePublicKey(privateKey)
  return { privateKey, publicKey: { x, y } }
}

/**
 * Derives the user's L2 key for one deployment by asking their Ethereum account to sign
 * the key message; private key = keccak256(signature).
 *
 * @example
 * import { privateKeyToAccount } from 'viem/accounts'
 * const key = await deriveL2Key(privateKeyToAccount(pk), 31337, rollupAddress)
 * key.publicKey // { x, y }: deposit with it
 */
export async function deriveL2Key(signer: L2KeySigner, chainId: number | bigint, rollupAddress: Address): Promise<L2Key> {
  const signature = await signer.signMessage({ message: l2KeyMessage(chainId, rollupAddress) })
  return l2KeyFromPrivateKey(hexToBytes(keccak256(signature)))
}
