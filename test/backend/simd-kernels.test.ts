/**
 * strata's SIMD module (src/backend/simd/kernels.wat) on memories of its own, all four
 * builds (shared and plain memory, fused multiply-adds or not): each function against a plain JavaScript
 * reference, at lengths and shapes that leave remainders after the 4-wide and
 * 4 × 4 / 4 × 8 blocks. And: the wasm backend finds and uses it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import { backendMemory, loadSimdKernels } from '../../src/backend/simd/kernels.js';
import type { EmscriptenModule, SimdKernels, WasmMemory } from '../../src/backend/simd/kernels.js';
import { adamConstants, adamStep } from '../../src/backend/wasm-kernels/adam.js';
import { maxPoolGrad } from '../../src/backend/wasm-kernels/max-pool-grad.js';
import { asMatrixTranspose, transposeTiled } from '../../src/backend/wasm-kernels/transpose.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff } from '../helpers/layers.js';

declare const WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory };

/** The four builds (shared or plain memory, fused multiply-adds or not), each on a fresh 16 MiB memory. */
function builds(): { name: string; memory: WasmMemory; k: SimdKernels }[] {
  return [false, true].flatMap((shared) =>
    [false, true].map((fused) => {
      const memory = new WebAssembly.Memory(shared ? { initial: 256, maximum: 65536, shared: true } : { initial: 256 });
      const name = `${shared ? 'shared' : 'plain'}${fused ? ' fused' : ''}`;
      const k = loadSimdKernels(memory, fused);
      assert.ok(k, `the ${name}-memory module loads (npm run build compiles it)`);
      // Node 20 has relaxed SIMD behind a flag that kernels.ts sets; later engines have it on.
      assert.equal(k.fused, fused, `the ${name} module is the one asked for`);
      return { name, memory, k };
    }),
  );
}

/** Float32 arrays laid out one after another in `memory`, with their byte offsets. */
function place(memory: WasmMemory, lengths: number[], seed: number): { at: number[]; views: Float32Array[] } {
  const rng = new Rng(seed);
  let next = 64;
  const at: number[] = [];
  const views = lengths.map((n) => {
    at.push(next);
    const v = new Float32Array(memory.buffer, next, n);
    for (let i = 0; i < n; i++) v[i] = rng.next() * 2 - 1;
    next += Math.ceil((n * 4 + 4) / 16) * 16;
    return v;
  });
  return { at, views };
}

test('adam: the same step as the JavaScript loop (float32 rounding apart), every length', () => {
  for (const { name, memory, k } of builds()) {
    for (const n of [1, 3, 4, 7, 64, 1001]) {
      const { at, views } = place(memory, [n, n, n, n, n, n, n], n);
      const [w, g, m, v] = views as [Float32Array, Float32Array, Float32Array, Float32Array];
      v.forEach((x, i) => (v[i] = Math.abs(x)));
      const attrs = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
      const [w2, m2, v2] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      adamStep(attrs, 0.9 ** 3, 0.999 ** 3, w, g, m, v, w2, m2, v2);
      const c = adamConstants(attrs, 0.9 ** 3, 0.999 ** 3);
      k.adam(at[0]!, at[1]!, at[2]!, at[3]!, at[4]!, at[5]!, at[6]!, n, c.b1, c.b2, c.c1, c.c2, c.k1, c.k2, c.eps);
      for (const [ours, js, what] of [[views[4]!, w2, 'w'], [views[5]!, m2, 'm'], [views[6]!, v2, 'v']] as const) {
        assert.ok(maxRelDiff(ours, js) < 1e-5, `${name} memory, n=${n}: ${what} differs by ${maxRelDiff(ours, js)}`);
      }
    }
  }
});

test('transpose: every element in its place, for shapes with and without whole 4 × 4 blocks', () => {
  for (const { name, memory, k } of builds()) {
    for (const [rows, cols] of [[1, 1], [1, 9], [9, 1], [3, 5], [4, 4], [4, 8], [7, 9], [64, 784], [130, 67]] as const) {
      const { at, views } = place(memory, [rows * cols, rows * cols], rows * 100 + cols);
      k.transpose(at[0]!, at[1]!, rows, cols);
      const [src, dst] = views as [Float32Array, Float32Array];
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(dst[c * rows + r], src[r * cols + c], `${name} ${rows}×${cols} at (${r}, ${c})`);
    }
  }
});

test('batched transposes: the shapes a permutation stands for, and the JavaScript fallback transposes every matrix of a batch', () => {
  assert.deepEqual(asMatrixTranspose([3, 4, 5], [0, 2, 1]), { batch: 3, rows: 4, cols: 5 });
  assert.deepEqual(asMatrixTranspose([2, 3, 4, 5], [0, 1, 3, 2]), { batch: 6, rows: 4, cols: 5 });
  assert.deepEqual(asMatrixTranspose([2, 3, 4, 5], [0, 2, 3, 1]), { batch: 2, rows: 3, cols: 20 });
  assert.deepEqual(asMatrixTranspose([4, 5], [1, 0]), { batch: 1, rows: 4, cols: 5 });
  assert.equal(asMatrixTranspose([2, 3, 4], [0, 1, 2]), null);
  assert.equal(asMatrixTranspose([2, 3, 4, 5], [0, 2, 1, 3]), null);
  const [batch, rows, cols] = [3, 40, 70];
  const x = Float32Array.from({ length: batch * rows * cols }, (_, i) => i);
  const out = new Float32Array(x.length);
  transposeTiled(x, batch, rows, cols, out);
  for (let b = 0; b < batch; b++) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) assert.equal(out[b * rows * cols + c * rows + r], x[b * rows * cols + r * cols + c]);
});

test('gemm: the product of float64 references to 1e-4 (float32 sums), K within one block, across blocks and zero', () => {
  for (const { name, memory, k } of builds()) {
    for (const [m, kk, n] of [[4, 1, 8], [8, 3, 16], [64, 784, 128], [12, 1030, 24], [4, 0, 8]] as const) {
      const { at, views } = place(memory, [m * kk, kk * n, m * n], m + kk + n);
      const [a, b, c] = views as [Float32Array, Float32Array, Float32Array];
      k.gemm(at[0]!, at[1]!, at[2]!, m, kk, n);
      const want = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < kk; p++) want[i * n + j]! += a[i * kk + p]! * b[p * n + j]!;
      assert.ok(maxRelDiff(c, want) < 1e-4, `${name} ${m}×${kk}×${n}: differs by ${maxRelDiff(c, want)}`);
    }
  }
});

test('colsum: the column sums of float64 references to 1e-5, any width', () => {
  for (const { name, memory, k } of builds()) {
    for (const [rows, cols] of [[1, 1], [5, 3], [7, 16], [300, 33], [0, 8]] as const) {
      const { at, views } = place(memory, [rows * cols, cols], rows + cols);
      k.colsum(at[0]!, at[1]!, rows, cols);
      const [src, dst] = views as [Float32Array, Float32Array];
      const want = new Float64Array(cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c]! += src[r * cols + c]!;
      assert.ok(maxRelDiff(dst, want) < 1e-5, `${name} ${rows}×${cols}: differs by ${maxRelDiff(dst, want)}`);
    }
  }
});

test('maxpoolgrad2x2: the JavaScript loop\'s gradient, ties to the first maximum, edges of odd sizes left alone', () => {
  for (const { name, memory, k } of builds()) {
    for (const [batch, h, w, c] of [[1, 2, 2, 4], [2, 6, 6, 8], [2, 7, 9, 4], [1, 26, 26, 32]] as const) {
      const [oh, ow] = [Math.floor(h / 2), Math.floor(w / 2)];
      const n = batch * h * w * c;
      const { at, views } = place(memory, [n, batch * oh * ow * c, batch * oh * ow * c, n], n);
      const [x, y, dy, dx] = views as [Float32Array, Float32Array, Float32Array, Float32Array];
      // Coarse values after a relu: many windows hold the same maximum twice or more.
      x.forEach((v, i) => (x[i] = Math.max(0, Math.round(v * 4) / 4)));
      for (let b = 0; b < batch; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let q = 0; q < c; q++) {
        const xi = (r: number, s: number) => x[((b * h + 2 * i + r) * w + 2 * j + s) * c + q]!;
        y[((b * oh + i) * ow + j) * c + q] = Math.max(xi(0, 0), xi(0, 1), xi(1, 0), xi(1, 1));
      }
      dx.fill(7);
      k.maxpoolgrad2x2(at[0]!, at[1]!, at[2]!, at[3]!, batch, h, w, c, oh, ow);
      const want = new Float32Array(n);
      const g = { batchSize: batch, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: 2, strideWidth: 2, filterHeight: 2, filterWidth: 2, padInfo: { top: 0, left: 0 } };
      maxPoolGrad(g, x, y, dy, want);
      for (let i = 0; i < n; i++) {
        const q = Math.floor(i / c);
        const [row, col] = [Math.floor(q / w) % h, q % w];
        const inside = row < 2 * oh && col < 2 * ow;
        assert.equal(dx[i], inside ? want[i] : 7, `${name} [${batch}, ${h}, ${w}, ${c}] element ${i} (row ${row}, column ${col})`);
      }
    }
  }
});

test('relu and step: max(x, 0) and x > 0 ? 1 : alpha, NaN kept, every length', () => {
  for (const { name, memory, k } of builds()) {
    for (const n of [1, 3, 4, 9, 100]) {
      const { at, views } = place(memory, [n, n, n], n);
      const [x, r, s] = views as [Float32Array, Float32Array, Float32Array];
      x.forEach((v, i) => (x[i] = i % 5 === 0 ? 0 : i % 7 === 0 ? Number.NaN : v));
      k.relu(at[0]!, at[1]!, n);
      k.step(at[0]!, at[2]!, n, 0.5);
      assert.deepEqual(Array.from(r), Array.from(x, (v) => (Number.isNaN(v) ? v : Math.max(v, 0))), `${name} relu n=${n}`);
      assert.deepEqual(Array.from(s), Array.from(x, (v) => (Number.isNaN(v) ? v : v > 0 ? 1 : 0.5)), `${name} step n=${n}`);
    }
  }
});

test('relugradsums: relugrad\'s dx (zeros, NaN) and each column\'s sum of it, to float32 rounding', () => {
  for (const { name, memory, k } of builds()) {
    for (const [rows, cols] of [[1, 4], [5, 8], [33, 16]] as const) {
      const n = rows * cols;
      const { at, views } = place(memory, [n, n, n, n, cols], n);
      const [dy, x, dx, plain, sums] = views as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      x.forEach((v, i) => (x[i] = i % 5 === 0 ? 0 : i % 11 === 3 ? Number.NaN : v));
      k.relugradsums(at[0]!, at[1]!, at[2]!, at[4]!, rows, cols);
      k.relugrad(at[0]!, at[1]!, at[3]!, n);
      assert.deepEqual(Array.from(dx), Array.from(plain), `${name} dx ${rows}×${cols}`);
      for (let c = 0; c < cols; c++) {
        let want = 0;
        for (let r = 0; r < rows; r++) want += plain[r * cols + c]!;
        if (Number.isNaN(want)) assert.ok(Number.isNaN(sums[c]!), `${name} sum ${c}`);
        else assert.ok(Math.abs(sums[c]! - want) <= 1e-5 * Math.max(1, Math.abs(want)) * rows, `${name} sum ${c}: ${sums[c]} against ${want}`);
      }
    }
  }
});

test('tanh: within 4e-7 of Math.tanh from 0 to ±20, x itself near 0, ±1 far out, NaN kept, every length', () => {
  for (const { name, memory, k } of builds()) {
    for (const n of [1, 3, 4, 9, 100, 4001]) {
      const { at, views } = place(memory, [n, n], n);
      const [x, y] = views as [Float32Array, Float32Array];
      // A sweep over [-20, 20] with the small, the clamped and the awkward values among it.
      const special = [0, -0, 1e-6, -3e-4, 4e-4, 0.5, 7.9, -7.95, 9, 1e30, -Infinity, Number.NaN];
      x.forEach((_, i) => (x[i] = i < special.length && n > 20 ? special[i]! : -20 + (40 * i) / n));
      k.tanh(at[0]!, at[1]!, n);
      for (let i = 0; i < n; i++) {
        const want = Math.tanh(x[i]!);
        if (Number.isNaN(want)) assert.ok(Number.isNaN(y[i]!), `${name} tanh(NaN) n=${n}`);
        else assert.ok(Math.abs(y[i]! - want) <= 4e-7, `${name} tanh(${x[i]}) = ${y[i]}, not ${want} (n=${n})`);
      }
    }
  }
});

test('add, sub, mul, div: out[i] = a[i] op b[i mod p] for one shape, scalars and repeated rows', () => {
  const ops = { add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y, mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y };
  for (const { name, memory, k } of builds()) {
    for (const [n, p] of [[1, 1], [7, 7], [9, 1], [12, 3], [35, 7], [64, 16], [1000, 8]] as const) {
      for (const [op, f] of Object.entries(ops) as [keyof typeof ops, (x: number, y: number) => number][]) {
        const { at, views } = place(memory, [n, p, n], n * 10 + p);
        const [a, b, out] = views as [Float32Array, Float32Array, Float32Array];
        b.forEach((x, i) => (b[i] = x + Math.sign(x) * 0.5));
        k[op](at[0]!, at[1]!, at[2]!, n, p);
        const want = Float32Array.from(a, (x, i) => f(x, b[i % p]!));
        assert.deepEqual(Array.from(out), Array.from(want), `${name} ${op} n=${n} p=${p}`);
      }
    }
  }
});

test('the wasm backend loads the module on its own heap (STRATA_SIMD=0 turns it off)', async () => {
  const { tf } = await loadEngine('wasm');
  await tf.setBackend('wasm');
  const memory = backendMemory((tf.backend() as unknown as { wasm: EmscriptenModule }).wasm);
  assert.ok(memory, "the backend's memory is reachable");
  assert.ok(loadSimdKernels(memory), 'the module instantiates on it');
  // strata's Add is the SIMD one only where the module loaded.
  assert.ok('builtIn' in tf.getKernel('Add', 'wasm')!.kernelFunc);
});

test('the fused module is the default where relaxed SIMD compiles; STRATA_FMA=0 keeps the unfused one', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  assert.equal(loadSimdKernels(memory)?.fused, true, 'Node 20 and later compile relaxed SIMD (with the flag kernels.ts sets)');
  const saved = process.env.STRATA_FMA;
  process.env.STRATA_FMA = '0';
  try {
    assert.equal(loadSimdKernels(memory)?.fused, false);
  } finally {
    if (saved === undefined) delete process.env.STRATA_FMA;
    else process.env.STRATA_FMA = saved;
  }
});
