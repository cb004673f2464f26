/**
 * Starts `anvil` (npm @foundry-rs/anvil) on a free loopback port: the embedded local L1.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { ROOT } from '../prover/paths.js'
import { AnvilError } from './errors.js'

/** anvil's default dev accounts (public test mnemonic; never use them on a real chain). */
export const ANVIL_KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
] as const

export type Anvil = {
  readonly rpcUrl: string
  readonly chainId: number
  readonly stop: () => Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new AnvilError('no free port'))))
    })
  })
}

async function answers(rpcUrl: string): Promise<boolean> {
  try {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    })
    return res.ok
  } catch {
    return false
  }
}

/**
 * Starts anvil; `stop()` ends it. Options: a fixed port, a chain id. Without a fixed port a
 * free one is picked, and another is tried if something else took it first.
 */
export async function startAnvil(options: { port?: number; chainId?: number } = {}): Promise<Anvil> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options.port ?? (await freePort()), options.chainId ?? 31337)
    } catch (error) {
      if (options.port !== undefined || attempt >= 3 || !(error instanceof PortTakenError)) throw error
    }
  }
}

class PortTakenError extends AnvilError {}

async function startOnce(port: number, chainId: number): Promise<Anvil> {
  const binary = join(ROOT, 'node_modules', '.bin', 'anvil')
  const child: ChildProcess = spawn(binary, ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), '--silent'], {
    stdio: 'ignore',
  })
  let exited: Error | undefined
  child.once('error', (e) => (exited = e))
  child.once('exit', (code) => (exited ??= new AnvilError(`anvil exited with code ${code}`)))
  const rpcUrl = `http://127.0.0.1:${port}`
  for (let i = 0; i < 200 && !(await answers(rpcUrl)); i++) {
    if (exited) throw new AnvilError(`cannot start anvil: ${exited.message}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  if (!(await answers(rpcUrl))) {
    child.kill('SIGKILL')
    throw new AnvilError(`anvil did not answer on ${rpcUrl} within 10 s`)
  }
  // Something answered: make sure it is our anvil, not another process that holds the port.
  await new Promise((r) => setTimeout(r, 100))
  if (exited || child.exitCode !== null) throw new PortTakenError(`port ${port} is taken by another process`)
  return {
    rpcUrl,
    chainId,
    stop: async () => {
      if (child.exitCode !== null) return
      const done = new Promise<void>((r) => child.once('exit', () => r()))
      child.kill('SIGTERM')
      await done
    },
  }
}
