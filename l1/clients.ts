/**
 * viem clients for one chain and one key: everything in l1/ takes an `L1Context`.
 */
import { createPublicClient, createWalletClient, defineChain, http, type Account, type Address, type Chain, type PublicClient, type WalletClient, type Transport } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'

/** A chain connection with a signing account. */
export type L1Context = {
  readonly publicClient: PublicClient
  readonly walletClient: WalletClient<Transport, Chain, Account>
  readonly account: Account
}

/** Clients for `rpcUrl`, signing with `privateKey`. The chain id is read from the node. */
export async function connectL1(rpcUrl: string, privateKey: `0x${string}`): Promise<L1Context> {
  const probe = createPublicClient({ transport: http(rpcUrl) })
  const id = await probe.getChainId()
  const chain = defineChain({ id, name: `chain-${id}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } })
  const account = privateKeyToAccount(privateKey)
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient
  const walletClient = createWalletClient({ chain, transport: http(rpcUrl), account })
  return { publicClient, walletClient, account }
}

/** The same chain connection, signing with another key. */
export function withAccount(ctx: L1Context, privateKey: `0x${string}`): L1Context {
  const account = privateKeyToAccount(privateKey)
  const walletClient = createWalletClient({ chain: ctx.walletClient.chain, transport: http(ctx.walletClient.chain.rpcUrls.default.http[0]), account })
  return { publicClient: ctx.publicClient, walletClient, account }
}

/** The address of a context's account. */
export function addressOf(ctx: L1Context): Address {
  return ctx.account.address
}
