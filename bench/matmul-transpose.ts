/**
 * Where strata's BatchMatMul for wasm (src/backend/wasm-kernels/batch-matmul.ts)
 * beats the backend's own, by matrix size: the wasm backend multiplies with
 * XNNPACK only untransposed single pairs, and runs a plain loop for transposed
 * operands and batches. Transposing first, or multiplying a batch pair by pair,
 * costs copies and calls that pay only above some size; this prints ms per call of
 * the stock kernel and of strata's with its size limits set to 0 (always
 * replacing), for the transposed and batched products one training step of the
 * reference models makes (traced on wasm) and a ladder of sizes, and the ratio.
 * The limits in batch-matmul.ts come from this table.
 * Run: npm run build && node dist/bench/matmul-transpose.js [--json]
 */
import type { KernelFunc, Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { fastBatchMatMul, MIN_SLICE_WORK, MIN_TRANSPOSE_WORK } from '../src/backend/wasm-kernels/batch-matmul.js';
import { medianMs } from './timing.js';

/**
 * [batch, m, k, n] of the product (m×k)·(k×n). The first group are the transposed
 * products one training step of the reference models makes (traced on wasm); the
 * second a ladder of square sizes.
 */
const SHAPES: [number, number, number, number][] = [
  // gru_text (GRU 128 over a 32-wide embedding, batch 64)
  [1, 64, 128, 128],
  [1, 128, 64, 128],
  [1, 64, 256, 128],
  [1, 128, 64, 256],
  [1, 64, 384, 32],
  [1, 32, 64, 384],
  // lstm (LSTM 64 over 16 features)
  [1, 64, 256, 64],
  [1, 64, 64, 256],
  [1, 64, 256, 16],
  [1, 16, 64, 256],
  // mlp and the dense heads
  [1, 784, 64, 128],
  [1, 64, 128, 784],
  [1, 128, 64, 10],
  [1, 64, 10, 128],
  // transformer (64 tokens × 64 examples, 4 heads of 16)
  [1, 4096, 64, 64],
  [1, 64, 4096, 64],
  [1, 128, 4096, 64],
  [256, 64, 16, 64],
  [256, 64, 64, 16],
  [16, 32, 32, 32],
  [16, 16, 16, 16],
  [16, 8, 8, 8],
  [16, 12, 12, 12],
  [64, 24, 24, 24],
  // square ladder
  [1, 8, 8, 8],
  [1, 16, 16, 16],
  [1, 32, 32, 32],
  [1, 48, 48, 48],
  [1, 64, 64, 64],
  [1, 96, 96, 96],
  [1, 128, 128, 128],
  [1, 256, 256, 256],
];

function random(shape: number[]): Tensor {
  return tf.randomUniform(shape, -1, 1, 'float32', 1);
}

const time = (f: () => Tensor, budgetMs = 150): number => medianMs(f, budgetMs);

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  await tf.setBackend('wasm');
  tf.env().set('PROD', true);
  const stock = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  const strata = fastBatchMatMul(stock, tf.getKernel('Transpose', 'wasm')!.kernelFunc, { transpose: 0, slice: 0 });
  const use = (kernelFunc: KernelFunc) => {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc });
  };
  const rows: { batch: number; m: number; k: number; n: number; mode: string; work: number; stock_ms: number; strata_ms: number; ratio: number }[] = [];
  if (!json) console.log(`mode        batch×m×k×n          m·k·n   stock ms   strata ms  stock/strata  (strata replaces when m·k·n ≥ ${MIN_TRANSPOSE_WORK} for one pair, ≥ ${MIN_SLICE_WORK} for a batch)`);
  for (const [batch, m, k, n] of SHAPES) {
    for (const mode of ['transposeA', 'transposeB', ...(batch > 1 ? ['plain'] : [])] as const) {
      // transposeA: a stored as k×m; transposeB: b stored as n×k.
      const a = mode === 'transposeA' ? random([batch, k, m]) : random([batch, m, k]);
      const b = mode === 'transposeB' ? random([batch, n, k]) : random([batch, k, n]);
      const ta = mode === 'transposeA';
      const tb = mode === 'transposeB';
      use(stock);
      const stockMs = time(() => tf.matMul(a, b, ta, tb));
      use(strata);
      const strataMs = time(() => tf.matMul(a, b, ta, tb));
      tf.dispose([a, b]);
      const row = { batch, m, k, n, mode, work: m * k * n, stock_ms: stockMs, strata_ms: strataMs, ratio: stockMs / strataMs };
      rows.push(row);
      if (!json) console.log(`${mode.padEnd(10)}  ${`${batch}×${m}×${k}×${n}`.padEnd(18)} ${String(row.work).padStart(8)} ${stockMs.toFixed(4).padStart(10)} ${strataMs.toFixed(4).padStart(10)} ${row.ratio.toFixed(2).padStart(13)}`);
    }
  }
  if (json) process.stdout.write(JSON.stringify(rows) + '\n');
}

await main();
