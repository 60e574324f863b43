import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers registers the gradient functions, as it does in strata.
import '@tensorflow/tfjs-layers';
import { registerWasmKernels, WASM_EXTRA_KERNELS } from '../../src/backend/wasm-kernels.js';

registerWasmKernels(tf);

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Run `f` on a backend and return its outputs as plain arrays. */
async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const outs = tf.tidy(f);
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return data;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let scale = 1e-6;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

async function agree(f: () => tf.Tensor[]): Promise<void> {
  const cpu = await on('cpu', f);
  const wasm = await on('wasm', f);
  cpu.forEach((c, i) => assert.ok(maxRelDiff(wasm[i]!, c) < 1e-4, `output ${i}: max rel diff ${maxRelDiff(wasm[i]!, c)}`));
}

test('the kernels this module adds are the ones wasm lacks, and are now registered', () => {
  for (const name of WASM_EXTRA_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
});

const convCases: { x: [number, number, number, number]; k: number; out: number; stride: number; pad: 'same' | 'valid' }[] = [
  { x: [2, 7, 7, 3], k: 3, out: 4, stride: 1, pad: 'same' },
  { x: [3, 8, 6, 2], k: 3, out: 5, stride: 2, pad: 'valid' },
  { x: [1, 9, 9, 4], k: 2, out: 3, stride: 2, pad: 'same' },
  { x: [2, 5, 5, 1], k: 5, out: 2, stride: 1, pad: 'valid' },
];

for (const [i, c] of convCases.entries()) {
  test(`conv2d gradients match cpu: x ${c.x.join('x')}, k${c.k}, stride ${c.stride}, ${c.pad}`, async () => {
    await agree(() => {
      const x = tf.tensor4d(values(size(c.x), 11 + i), c.x);
      const wShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.out];
      const w = tf.tensor4d(values(size(wShape), 29 + i), wShape);
      const loss = (a: tf.Tensor, b: tf.Tensor) => {
        const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
        return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size), y.shape))));
      };
      return tf.grads(loss)([x, w]);
    });
  });
}

const depthCases: { x: [number, number, number, number]; k: number; mult: number; stride: number; pad: 'same' | 'valid'; dilation: number }[] = [
  { x: [2, 7, 7, 3], k: 3, mult: 1, stride: 1, pad: 'same', dilation: 1 },
  { x: [2, 8, 8, 2], k: 3, mult: 2, stride: 2, pad: 'valid', dilation: 1 },
  { x: [1, 10, 9, 3], k: 3, mult: 2, stride: 3, pad: 'same', dilation: 1 },
];

for (const [i, c] of depthCases.entries()) {
  test(`depthwise conv2d gradients match cpu: x ${c.x.join('x')}, k${c.k}, ×${c.mult}, stride ${c.stride}, ${c.pad}, dilation ${c.dilation}`, async () => {
    await agree(() => {
      const x = tf.tensor4d(values(size(c.x), 41 + i), c.x);
      const wShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.mult];
      const w = tf.tensor4d(values(size(wShape), 53 + i), wShape);
      const loss = (a: tf.Tensor, b: tf.Tensor) => {
        const y = tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation);
        return tf.sum(tf.mul(y, tf.cos(tf.reshape(tf.range(0, y.size), y.shape))));
      };
      return tf.grads(loss)([x, w]);
    });
  });
}

test('unsortedSegmentSum and the embedding (gather) gradient match cpu', async () => {
  await agree(() => {
    const ids = tf.tensor1d([3, 0, 3, 1, 7, 3, 0], 'int32');
    const x = tf.tensor2d(values(7 * 5, 5), [7, 5]);
    const table = tf.tensor2d(values(8 * 4, 6), [8, 4]);
    const idx = tf.tensor2d([[1, 2, 2], [7, 0, 2]], [2, 3], 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx))))(table);
    return [tf.unsortedSegmentSum(x, ids, 9), g];
  });
});
