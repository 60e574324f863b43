/**
 * strata's SIMD kernels (kernels.wat), instantiated on the wasm backend's own
 * memory so that they work on tensors in place: every pointer is a byte offset
 * into the backend's heap (a heap view's `byteOffset`). `npm run build` compiles
 * the text into two modules (scripts/compile-wasm.ts), since a module that imports
 * a shared memory cannot take a plain one and the backend's threaded build uses a
 * shared one. Where neither loads, callers keep their JavaScript versions.
 */
import { readFileSync } from 'node:fs';

/** A WebAssembly.Memory, as far as this module needs one. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The WebAssembly API this module uses (its types live in TypeScript's DOM library, which strata does not compile with). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

export interface SimdKernels {
  /** One Adam step over n weights (kernels.wat has the formula). */
  adam(w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number, b1: number, b2: number, c1: number, c2: number, k1: number, k2: number, eps: number): void;
  /** c [m, n] = a [m, k] · b [k, n], row-major float32, m a multiple of 4 and n of 8. */
  gemm(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** out[i] = a[i] + b[i mod p] for i < n (float32; p divides n). sub, mul and div alike. */
  add(a: number, b: number, out: number, n: number, p: number): void;
  sub(a: number, b: number, out: number, n: number, p: number): void;
  mul(a: number, b: number, out: number, n: number, p: number): void;
  div(a: number, b: number, out: number, n: number, p: number): void;
  /** dst [cols] = the column sums of src [rows, cols], float32. */
  colsum(src: number, dst: number, rows: number, cols: number): void;
  /** dx from x, y and dy of a 2×2, stride-2 max pooling inside x (NHWC, c a multiple of 4); dx's rows and columns past 2·oh, 2·ow are left as they are. */
  maxpoolgrad2x2(x: number, y: number, dy: number, dx: number, batch: number, h: number, w: number, c: number, oh: number, ow: number): void;
  /** dst[i] = max(x[i], 0), float32, NaN kept. */
  relu(x: number, dst: number, n: number): void;
  /** dst[i] = x[i] > 0 ? 1 : alpha, float32, NaN kept. */
  step(x: number, dst: number, n: number, alpha: number): void;
  /** dst [cols, rows] = the transpose of src [rows, cols], 32-bit elements. */
  transpose(src: number, dst: number, rows: number, cols: number): void;
}

/** The compiled modules: file name (beside this one in dist/) and the memory import each declares. */
export const SIMD_MODULES = [
  { file: 'kernels.wasm', memory: '(memory 1)', shared: false },
  // 65,536 pages (4 GiB) is the most a wasm32 memory can have, so any shared memory matches it.
  { file: 'kernels-shared.wasm', memory: '(memory 1 65536 shared)', shared: true },
] as const;

/** The wasm backend's Emscripten module, as far as its memory goes. */
export interface EmscriptenModule {
  /** The threaded build's memory (it creates it and imports it into the module). */
  wasmMemory?: WasmMemory;
  /** The single-threaded build's exports, its memory among them. */
  asm?: { memory?: WasmMemory };
}

/** The memory of the wasm backend's heap, from either build. */
export function backendMemory(module: EmscriptenModule | undefined): WasmMemory | undefined {
  return module?.wasmMemory ?? module?.asm?.memory;
}

/** The kernels on `memory`, or undefined when the module is missing or will not instantiate there. */
export function loadSimdKernels(memory: WasmMemory): SimdKernels | undefined {
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const spec = SIMD_MODULES.find((m) => m.shared === shared)!;
  try {
    const bytes = readFileSync(new URL(spec.file, import.meta.url));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return instance.exports as unknown as SimdKernels;
  } catch {
    return undefined;
  }
}
