#!/usr/bin/env node
// The `options-rollup` executable (package.json "bin"): loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./main.ts')
