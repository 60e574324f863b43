/**
 * A faster BatchMatMul for the wasm backend (TensorFlow.js 4.22). The backend
 * multiplies with XNNPACK only when neither operand is transposed and there is a
 * single matrix pair (batch 1); otherwise it runs a plain loop, 5–40× slower at
 * the sizes the reference models use (bench/matmul-transpose.ts measures it).
 * So: transposed operands are transposed explicitly first, and batches of
 * matrices are multiplied one pair at a time on the fast path — each only when the
 * product is large enough for the extra copies to pay.
 */
import type { DataType, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** What this kernel uses of the wasm backend (BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

/**
 * The smallest product (m·k·n multiply-adds) for which a transpose plus the fast
 * product beats the backend's own transposed product. Measured on the project's
 * machine (docs/performance.md): at 8×8×8 the copy costs more (0.5–0.7×), at
 * 16×16×16 the two are even, at 32×32×32 the replacement is 2.5–3.5× faster.
 */
export const MIN_TRANSPOSE_WORK = 8192;

/**
 * The smallest product per matrix pair for which multiplying a batch pair by pair
 * on the fast path beats the backend's batched loop. Measured like MIN_TRANSPOSE_WORK.
 */
export const MIN_SLICE_WORK = 8192;

const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

/**
 * The most rows of the left operand for which strata's SIMD product (kernels.wat `gemm`)
 * replaces XNNPACK when the right operand is new. XNNPACK packs every new right operand
 * (3.4 ns an element, on one thread) and then multiplies on every thread; strata's product
 * reads it as it is, on one thread, at about 34 GFLOP/s where XNNPACK's reaches 28 on one
 * thread and 50 on two. Measured at 64×784×128 (docs/performance.md): XNNPACK 591 µs for
 * a new operand on two threads, strata's 378 µs; the two cross near 160 rows.
 */
export const MAX_DIRECT_ROWS = 160;

/**
 * With relaxed SIMD's fused multiply-add (kernels.ts), strata's product runs at 42–51 GFLOP/s
 * on one thread at the sizes of the reference models (64×784×128 to 256×256×256; 32–39
 * without it), above XNNPACK's on one thread even with a packed operand, so it takes every
 * product it fits: any number of rows, right operands used before too. Measured with
 * `npm run bench` on one thread (docs/performance.md): mlp 26–28k → 32–34k samples/s,
 * lstm 2.0k → 2.6k.
 */

/**
 * The most multiply-adds (m·k·n, n rounded up to 8) of a single product whose n is not a
 * multiple of 8 that strata's product takes through copies padded to a multiple of 8 (a
 * classifier's last layer, n = 10), unless its left operand is transposed: then the backend's
 * path transposes it first and packs the new right operand, and the padded product pays at any
 * size. Measured (docs/performance.md): [64, 800]ᵀ · [64, 10] 286 → 66 µs; 64 × 128 × 10 with
 * the bias 50 → 19 µs; 64 × 800 × 10 with the bias 143 against XNNPACK's 94 on two threads.
 */
export const MAX_PADDED_WORK = 262144;

/** Whether a product with n not a multiple of 8 goes through padded copies (MAX_PADDED_WORK). */
export const padded = (m: number, k: number, n: number, transposeA: boolean): boolean => transposeA || m * k * Math.ceil(n / 8) * 8 <= MAX_PADDED_WORK;

/** The size limits below which the backend's own kernel is used (the benchmark sets them to 0). */
export interface MatMulLimits {
  transpose: number;
  slice: number;
}

/** strata's SIMD product on heap addresses: c [m, n] = a [m, k] · b [k, n] (m a multiple of 4, n of 8). */
export type DirectProduct = (a: number, b: number, c: number, m: number, k: number, n: number) => void;

/** strata's products: `gemm`, and `gemmta` for a left operand stored transposed ([k, m]), which it reads as it lies. */
export interface DirectProducts {
  gemm: DirectProduct;
  gemmta: DirectProduct;
}

/** Wrap the backend's own BatchMatMul (`stock`) with the faster paths. */
export function fastBatchMatMul(stock: KernelFunc, transpose: KernelFunc, limits: MatMulLimits = { transpose: MIN_TRANSPOSE_WORK, slice: MIN_SLICE_WORK }, products?: DirectProducts, fused = false): KernelFunc {
  const gemm = products?.gemm;
  // Right operands already multiplied once: XNNPACK has (or is about to have) their packed
  // copy, so later products with them (a recurrent kernel over time steps) stay on XNNPACK.
  const used = new WeakSet<object>();
  /**
   * Whether strata's product can take an [m, k] · [k, n] product at all (its block sizes, and
   * unless fused its row limit); with `pad`, a single pair whose n is not a multiple of 8 too,
   * when fused (`padded` says which).
   */
  const fits = (m: number, n: number, pad = false) => gemm !== undefined && m % 4 === 0 && (n % 8 === 0 || (pad && fused)) && (fused || m <= MAX_DIRECT_ROWS);
  /** Whether it takes this one: it fits, and (unless fused) it is b's first product. */
  const direct = (m: number, n: number, b: TensorInfo, pad = false): boolean => {
    if (fused) return fits(m, n, pad);
    const first = !used.has(b.dataId);
    used.add(b.dataId);
    return first && fits(m, n);
  };
  const swapLast = (t: TensorInfo, backend: object): TensorInfo => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
  };
  const plainAttrs = (attrs: NamedAttrMap | undefined): NamedAttrMap => ({ ...attrs, transposeA: false, transposeB: false });

  return (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = size(outerA);
    const batchB = size(outerB);
    const work = m * k * n;
    const wasm = backend as WasmBackend;

    const at = (t: TensorInfo) => wasm.typedArrayFromHeap(t).byteOffset;
    // strata's product reads a transposed left operand as it lies (gemmta); XNNPACK and the
    // right operand need the transpose made.
    const run = transposeA ? products?.gemmta : gemm;
    if (batchA === 1 && batchB === 1) {
      const shape = [...(outerA.length >= outerB.length ? outerA : outerB), m, n];
      const product = (tb: TensorInfo) => {
        const out = wasm.makeOutput(shape, 'float32');
        if (n % 8 === 0) {
          run!(at(a), at(tb), at(out), m, k, n);
          return out;
        }
        // b and the result through copies with n8 columns, the extra ones zero.
        const n8 = Math.ceil(n / 8) * 8;
        const pa = at(a);
        const bp = wasm.makeOutput([k, n8], 'float32');
        const cp = wasm.makeOutput([m, n8], 'float32');
        const [bv, src] = [wasm.typedArrayFromHeap(bp), wasm.typedArrayFromHeap(tb)];
        bv.fill(0);
        for (let r = 0; r < k; r++) for (let j = 0; j < n; j++) bv[r * n8 + j] = src[r * n + j]!;
        run!(pa, at(bp), at(cp), m, k, n8);
        const [cv, ov] = [wasm.typedArrayFromHeap(cp), wasm.typedArrayFromHeap(out)];
        for (let r = 0; r < m; r++) for (let j = 0; j < n; j++) ov[r * n + j] = cv[r * n8 + j]!;
        wasm.disposeData(bp.dataId);
        wasm.disposeData(cp.dataId);
        return out;
      };
      const pad = padded(m, k, n, transposeA);
      if (!transposeA && !transposeB) return direct(m, n, b, pad) ? product(b) : stock(args);
      if (work < limits.transpose) return stock(args);
      const tb = transposeB ? swapLast(b, backend) : b;
      let out: TensorInfo;
      if (direct(m, n, tb, pad)) out = product(tb);
      else {
        const ta = transposeA ? swapLast(a, backend) : a;
        out = stock({ inputs: { a: ta, b: tb }, backend, attrs: plainAttrs(attrs) }) as TensorInfo;
        if (ta !== a) wasm.disposeData(ta.dataId);
      }
      if (tb !== b) wasm.disposeData(tb.dataId);
      return out;
    }

    // A batch of pairs (no broadcasting): one fast product per pair.
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (!sameOuter || work < limits.slice || m === 0 || n === 0 || k === 0) return stock(args);
    const tb = transposeB ? swapLast(b, backend) : b;
    const out = wasm.makeOutput([...outerA, m, n], 'float32');
    if (fits(m, n)) {
      // strata's product caches nothing, so it reads each pair where it lies.
      const [pa, pb, pc] = [a, tb, out].map(at) as [number, number, number];
      for (let i = 0; i < batchA; i++) run!(pa + 4 * i * m * k, pb + 4 * i * k * n, pc + 4 * i * m * n, m, k, n);
    } else {
      const ta = transposeA ? swapLast(a, backend) : a;
      const attrsPlain = plainAttrs(attrs);
      for (let i = 0; i < batchA; i++) {
        // Fresh operands for every pair: the backend caches XNNPACK's packed copy of b under
        // b's tensor id, so refilling one tensor would reuse the first pair's b. Views are
        // made afresh too: an allocation can grow the heap and detach older ones.
        const sa = wasm.makeOutput([1, m, k], 'float32');
        const sb = wasm.makeOutput([1, k, n], 'float32');
        wasm.typedArrayFromHeap(sa).set(wasm.typedArrayFromHeap(ta).subarray(i * m * k, (i + 1) * m * k));
        wasm.typedArrayFromHeap(sb).set(wasm.typedArrayFromHeap(tb).subarray(i * k * n, (i + 1) * k * n));
        const r = stock({ inputs: { a: sa, b: sb }, backend, attrs: attrsPlain }) as TensorInfo;
        wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(r), i * m * n);
        wasm.disposeData(r.dataId);
        wasm.disposeData(sa.dataId);
        wasm.disposeData(sb.dataId);
      }
      if (ta !== a) wasm.disposeData(ta.dataId);
    }
    if (tb !== b) wasm.disposeData(tb.dataId);
    return out;
  };
}
