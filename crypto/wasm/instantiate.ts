/**
 * Synchronous instantiation of generated modules. Node has the WebAssembly JS API, but this
 * project's TypeScript libraries (ES2023 + node types, no "dom") do not declare it: the part
 * used here is typed below.
 */

/** A module's exported memory. */
export type WasmMemory = { readonly buffer: ArrayBuffer; grow(pages: number): number }

type WebAssemblyApi = {
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (module: object, imports?: object) => { readonly exports: object }
}

/**
 * Compiles and instantiates `bytes` (no imports) and returns its exports, typed by the caller.
 * Synchronous compilation of a large module is allowed in Node's main thread (not in browsers).
 */
export function instantiate<T>(bytes: Uint8Array): T {
  const api = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly
  return new api.Instance(new api.Module(bytes)).exports as T
}
