/** strata's Tile gradient (one reshape and sum) against a direct sum over every tiled copy, on both backends. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import { tileGradPlan } from '../../src/backend/gradients.js';
import { Rng } from '../../src/rng.js';

test('the plan keeps only axes longer than 1 and marks the repeats', () => {
  assert.deepEqual(tileGradPlan([64, 64, 1], [1, 1, 64]), { shape: [64, 64, 64], repAxes: [2] });
  assert.deepEqual(tileGradPlan([1, 1, 8], [4, 5, 1]), { shape: [4, 5, 8], repAxes: [0, 1] });
  assert.deepEqual(tileGradPlan([3, 2], [2, 3]), { shape: [2, 3, 3, 2], repAxes: [0, 2] });
});

/** d(sum(w * tile(x, reps)))/dx by brute force: every element of the tiled tensor adds its weight to the x element it copies. */
function reference(xShape: number[], reps: number[], w: Float32Array): Float64Array {
  const outShape = xShape.map((n, i) => n * reps[i]!);
  const g = new Float64Array(xShape.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < w.length; flat++) {
    let rem = flat;
    for (let a = outShape.length - 1; a >= 0; a--) {
      idx[a] = rem % outShape[a]!;
      rem = Math.floor(rem / outShape[a]!);
    }
    let xi = 0;
    for (let a = 0; a < xShape.length; a++) xi = xi * xShape[a]! + (idx[a]! % xShape[a]!);
    g[xi]! += w[flat]!;
  }
  return g;
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`Tile gradient equals the direct sum (${backend})`, async () => {
    const { tf } = await loadEngine('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    assert.ok(await tf.setBackend(backend));
    const rng = new Rng(7);
    const cases: [number[], number[]][] = [
      [[64, 64, 1], [1, 1, 64]],
      [[1, 1, 16], [8, 4, 1]],
      [[3, 2], [2, 3]],
      [[2, 3, 4], [1, 1, 1]],
      [[5], [7]],
      [[2, 1, 3, 1], [2, 3, 1, 4]],
    ];
    for (const [xShape, reps] of cases) {
      const outSize = xShape.reduce((a, n, i) => a * n * reps[i]!, 1);
      const w = Float32Array.from({ length: outSize }, () => rng.next() * 2 - 1);
      const x = tf.randomNormal(xShape);
      const wt = tf.tensor(w, xShape.map((n, i) => n * reps[i]!));
      const grad = tf.grad((z: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.mul(tf.tile(z, reps), wt)))(x);
      assert.deepEqual(grad.shape, xShape);
      const got = grad.dataSync();
      const want = reference(xShape, reps, w);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4 * Math.max(1, Math.abs(want[i]!)), `${xShape} × ${reps} at ${i}: ${got[i]} vs ${want[i]}`);
      tf.dispose([x, wt, grad]);
    }
  });
}

test('the Tile gradient is a handful of kernels, not one slice per repetition', async () => {
  const { tf } = await loadEngine('wasm');
  const x = tf.randomNormal([64, 64, 1]);
  const info = await tf.profile(() => tf.grad((z: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.tile(z, [1, 1, 64])))(x));
  const names = info.kernels.map((k) => k.name);
  assert.equal(names.filter((n) => n === 'Slice').length, 0, names.join(' '));
  assert.ok(names.length < 12, `${names.length} kernels: ${names.join(' ')}`);
  tf.dispose(x);
});
