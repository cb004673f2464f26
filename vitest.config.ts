import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{state,risk,circuits,prover,sequencer,l1,sdk,cli,escape,scripts,test,oracle,crypto,bench}/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    // Circuit setup and anvil are shared through build/ caches; keep files in separate forks.
    pool: 'forks',
    globalSetup: ['test/globalSetup.ts'],
  },
})
