/**
 * strata's SIMD kernels (kernels.wat), instantiated on the wasm backend's own
 * memory so that they work on tensors in place: every pointer is a byte offset
 * into the backend's heap (a heap view's `byteOffset`). `npm run build` compiles
 * the text into modules (scripts/compile-wasm.ts): with and without relaxed SIMD, and
 * importing a shared or a plain memory, since a module that imports
 * a shared memory cannot take a plain one and the backend's threaded build uses a
 * shared one. Where neither loads, callers keep their JavaScript versions.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

/** A WebAssembly.Memory, as far as this module needs one. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The WebAssembly API this module uses (its types live in TypeScript's DOM library, which strata does not compile with). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
};

export interface SimdKernels {
  /** Whether this is a module of fused multiply-adds (relaxed SIMD), not a function of kernels.wat. */
  readonly fused: boolean;
  /** One Adam step over n weights (kernels.wat has the formula). */
  adam(w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number, b1: number, b2: number, c1: number, c2: number, k1: number, k2: number, eps: number): void;
  /** c [m, n] = a [m, k] · b [k, n], row-major float32, m a multiple of 4 and n of 8. */
  gemm(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** c [m, n] = aᵀ · b for a stored [k, m], likewise. */
  gemmta(a: number, b: number, c: number, m: number, k: number, n: number): void;
  /** out[i] = a[i] + b[i mod p] for i < n (float32; p divides n). sub, mul and div alike. */
  add(a: number, b: number, out: number, n: number, p: number): void;
  sub(a: number, b: number, out: number, n: number, p: number): void;
  mul(a: number, b: number, out: number, n: number, p: number): void;
  div(a: number, b: number, out: number, n: number, p: number): void;
  /** dst [cols] = the column sums of src [rows, cols], float32. */
  colsum(src: number, dst: number, rows: number, cols: number): void;
  /** Batch norm's mean and variance [cols] over the rows of x [rows, cols] (cols a multiple of 4; kernels.wat `bnstats`, bnaffine, bnsums and bngrad). */
  bnstats(x: number, mean: number, variance: number, rows: number, cols: number): void;
  /** y = x · a + b per column. */
  bnaffine(x: number, a: number, b: number, y: number, rows: number, cols: number): void;
  /** s1 = the column sums of dy, s2 of dy · (x − mean). */
  bnsums(dy: number, x: number, mean: number, s1: number, s2: number, rows: number, cols: number): void;
  /** dx = dy · A + (x − mean) · B + C per column. */
  bngrad(dy: number, x: number, mean: number, A: number, B: number, C: number, dx: number, rows: number, cols: number): void;
  /** Layer norm's mean and variance of each row of x [rows, cols] (cols a multiple of 4; kernels.wat `rowstats`, lnaffine and lngrad). */
  rowstats(x: number, mean: number, variance: number, rows: number, cols: number): void;
  /** y = (x − mean[r]) · inv[r] · gamma[c] + beta[c]. */
  lnaffine(x: number, mean: number, inv: number, gamma: number, beta: number, y: number, rows: number, cols: number): void;
  /** Layer norm's gradients dx [rows, cols], dgamma and dbeta [cols] (kernels.wat has the formulas). */
  lngrad(dy: number, x: number, mean: number, inv: number, gamma: number, dx: number, dgamma: number, dbeta: number, rows: number, cols: number): void;
  /** Softmax's gradient over the last axis: dx = y · (dy − Σ dy · y) per row of [rows, cols]. */
  softmaxgrad(dy: number, y: number, dx: number, rows: number, cols: number): void;
  /** dx from x, y and dy of a 2×2, stride-2 max pooling inside x (NHWC, c a multiple of 4); dx's rows and columns past 2·oh, 2·ow are left as they are. */
  maxpoolgrad2x2(x: number, y: number, dy: number, dx: number, batch: number, h: number, w: number, c: number, oh: number, ow: number): void;
  /** dst[i] = max(x[i], 0), float32, NaN kept. */
  relu(x: number, dst: number, n: number): void;
  /** dst[i] = tanh(x[i]), float32, within 4e-7 (a rational approximation), NaN kept. */
  tanh(x: number, dst: number, n: number): void;
  /** One LSTM cell step (kernels.wat has the formulas): z [b, 4u], c [b, u] → a [b, 4u], cn, tc, h [b, u]; u a multiple of 4. */
  lstmcell(z: number, c: number, a: number, cn: number, tc: number, h: number, batch: number, units: number): void;
  /** lstmcell's gradient: dh, dc, a, cp, tc → dz [b, 4u] and dcOut [b, u]. */
  lstmcellgrad(dh: number, dc: number, a: number, cp: number, tc: number, dz: number, dcOut: number, batch: number, units: number): void;
  /** One reset-after GRU cell step: p, q [b, 3u], h [b, u] → zr [b, 2u], cand, hn [b, u]; u a multiple of 4. */
  grucell(p: number, q: number, h: number, zr: number, cand: number, hn: number, batch: number, units: number): void;
  /** grucell's gradient: dh, h, zr, q, cand → dp, dq [b, 3u] and dhz [b, u]. */
  grucellgrad(dh: number, h: number, zr: number, q: number, cand: number, dp: number, dq: number, dhz: number, batch: number, units: number): void;
  /** dx[i] = dy[i] · step(x[i]) (Relu's gradient), float32, as tfjs-core's product gives it. */
  relugrad(dy: number, x: number, dx: number, n: number): void;
  /** relugrad over [rows, cols] (cols a multiple of 4), with each column's sum of dx in sums [cols]. */
  relugradsums(dy: number, x: number, dx: number, sums: number, rows: number, cols: number): void;
  /** dst[i] = x[i] > 0 ? 1 : alpha, float32, NaN kept. */
  step(x: number, dst: number, n: number, alpha: number): void;
  /** A 3 × 3 convolution's filter gradient for one input channel, out [9, outChannels] from x [batch, h, w, 1] and dy (outChannels a multiple of 4). */
  filtergrad3x3c1(x: number, dy: number, out: number, batch: number, h: number, w: number, outChannels: number, sh: number, sw: number, top: number, left: number, oh: number, ow: number): void;
  /** The patches of x [batch, h, w, c] (float32, NHWC) as rows of `row` floats of p, one an output pixel (kernels.wat has the layout). */
  im2col(x: number, p: number, batch: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, top: number, left: number, oh: number, ow: number, row: number): void;
  /** `rows` runs of `bytes` bytes from src to dst, src advancing by srcStride bytes and dst by dstStride after each. */
  copyrows(src: number, dst: number, rows: number, bytes: number, srcStride: number, dstStride: number): void;
  /** dst [cols, rows] = the transpose of src [rows, cols], 32-bit elements. */
  transpose(src: number, dst: number, rows: number, cols: number): void;
}

/**
 * The compiled modules: file name (beside this one in dist/), the memory import each
 * declares, and whether its products use relaxed SIMD's fused multiply-add (`fused`)
 * or a multiply and an add, for engines without relaxed SIMD.
 */
export const SIMD_MODULES = [
  { file: 'kernels-fma.wasm', memory: '(memory 1)', shared: false, fused: true },
  // 65,536 pages (4 GiB) is the most a wasm32 memory can have, so any shared memory matches it.
  { file: 'kernels-shared-fma.wasm', memory: '(memory 1 65536 shared)', shared: true, fused: true },
  { file: 'kernels.wasm', memory: '(memory 1)', shared: false, fused: false },
  { file: 'kernels-shared.wasm', memory: '(memory 1 65536 shared)', shared: true, fused: false },
] as const;

/** `(f32x4.relaxed_madd a b c)` (a·b + c, fused where the machine can) as a multiply and an add: kernels.wat for engines without relaxed SIMD. */
export function unfused(wat: string): string {
  return wat.replace(/\(f32x4\.relaxed_madd (\(local\.get \$\w+\)) (\(local\.get \$\w+\)) (\(local\.get \$\w+\))\)/g, '(f32x4.add $3 (f32x4.mul $1 $2))');
}

/**
 * A module of one relaxed_madd (wasm bytes), to ask the engine whether it takes relaxed SIMD:
 * (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd).
 */
const RELAXED_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);

/**
 * Whether this engine compiles relaxed SIMD. Node 22 and browsers since 2023 do by
 * default; Node 20's V8 has it behind --experimental-wasm-relaxed-simd, which is
 * switched on here (a wasm feature flag, read when a module is compiled).
 */
function relaxedSimd(): boolean {
  if (WebAssembly.validate(RELAXED_PROBE)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(RELAXED_PROBE);
}

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

/**
 * The kernels on `memory`, or undefined when the module is missing or will not instantiate
 * there: the fused ones where this engine has relaxed SIMD, unless `wantFused` is false (the
 * environment variable STRATA_FMA=0), else the unfused ones.
 */
export function loadSimdKernels(memory: WasmMemory, wantFused = process.env.STRATA_FMA !== '0'): SimdKernels | undefined {
  const shared = typeof SharedArrayBuffer === 'function' && memory.buffer instanceof SharedArrayBuffer;
  const fused = wantFused && relaxedSimd();
  for (const spec of SIMD_MODULES.filter((m) => m.shared === shared && (fused || !m.fused))) {
    try {
      const bytes = readFileSync(new URL(spec.file, import.meta.url));
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
      return { ...(instance.exports as unknown as Omit<SimdKernels, 'fused'>), fused: spec.fused };
    } catch {
      // the next module, if any
    }
  }
  return undefined;
}
