// Minimal declarations for dependencies that ship no TypeScript types.
declare module 'snarkjs'
declare module 'circomlibjs'
declare module 'ffjavascript'
