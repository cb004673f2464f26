/**
 * Helpers for tests of the L1 bookkeeping (tables, submissions) that need batches accepted
 * without real proofs: proofs are tested end to end elsewhere (test/e2e.test.ts,
 * escape/escape.test.ts).
 */
import { createTestClient, http, type Address, type TestClient } from 'viem'
import type { SolidityProof } from '../prover/prove.js'

/** Runtime code that returns true for any call: a verifier that accepts every proof. */
export const ACCEPT_ALL_CODE = '0x600160005260206000f3'

/** A proof of zeros, for a verifier that accepts every proof. */
export const NO_PROOF: SolidityProof = { a: [0n, 0n], b: [[0n, 0n], [0n, 0n]], c: [0n, 0n] }

/** Replaces the code of the deployed verifier on anvil with one that accepts every proof; returns the test client. */
export async function acceptEveryProof(rpcUrl: string, verifier: Address): Promise<TestClient> {
  const client = createTestClient({ mode: 'anvil', transport: http(rpcUrl) })
  await client.setCode({ address: verifier, bytecode: ACCEPT_ALL_CODE })
  return client
}
