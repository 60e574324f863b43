/** strata's one-kernel Adam step against TensorFlow.js's AdamOptimizer: the same weights, moments and saved state. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Optimizer } from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadEngine } from '../../src/backend/select.js';
import { ADAM_KERNEL } from '../../src/backend/wasm-kernels/adam.js';
import { betaPowerAfter, betaPowers, fusedAdam, setBetaPowers } from '../../src/train-registry/fused-adam.js';
import { maxAbsDiff } from '../helpers/layers.js';

test('fused Adam on wasm takes the same steps as TensorFlow.js’s Adam, and saves the same state', async () => {
  const { tf } = await loadEngine('wasm');
  assert.ok(tf.getKernel(ADAM_KERNEL, 'wasm'), 'the kernel is registered on wasm');
  const shapes = [[7, 5], [5], [3, 4, 2]];
  const run = (make: () => Optimizer) => {
    const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', i + 1)));
    const opt = make();
    for (let step = 0; step < 5; step++) {
      const grads = vars.map((v, i) => ({ name: v.name, tensor: tf.randomNormal(v.shape, 0, 1 + step, 'float32', 1000 + 100 * step + i) }));
      opt.applyGradients(grads);
      tf.dispose(grads.map((g) => g.tensor));
    }
    const values = vars.map((v) => v.dataSync());
    return { vars, opt, values };
  };
  const ours = run(() => fusedAdam(tf, 0.01, 0.9, 0.999, 1e-7));
  const theirs = run(() => tf.train.adam(0.01, 0.9, 0.999, 1e-7));
  ours.values.forEach((v, i) => assert.ok(maxAbsDiff(v, theirs.values[i]!) < 1e-6, `variable ${i} differs by ${maxAbsDiff(v, theirs.values[i]!)}`));
  const [a, b] = [await ours.opt.getWeights(), await theirs.opt.getWeights()];
  assert.equal(a.length, b.length);
  a.forEach((w, i) => {
    // Names carry each run's own variable names; the suffixes and order must match.
    assert.equal(w.name.replace(/^.*\//, ''), b[i]!.name.replace(/^.*\//, ''));
    assert.ok(maxAbsDiff(w.tensor.dataSync(), b[i]!.tensor.dataSync()) < 1e-6, `state ${w.name} differs`);
  });
  // A step of the fused optimizer leaves no tensors behind.
  const before = tf.memory().numTensors;
  const grads = ours.vars.map((v) => ({ name: v.name, tensor: tf.onesLike(v) }));
  ours.opt.applyGradients(grads);
  tf.dispose(grads.map((g) => g.tensor));
  assert.equal(tf.memory().numTensors, before);
});

for (const backend of ['wasm', 'cpu']) {
  test(`on ${backend}, Adam's β powers after setWeights are the running products an uninterrupted optimizer holds, bit for bit`, async () => {
    // TensorFlow.js's setWeights recomputes β1ᵗ and β2ᵗ as pow(β, t + 1), which differs from the
    // float32 product of its steps in the last bits (β2 = 0.999: from step 2), so every step after
    // a resume was scaled slightly differently from the uninterrupted run's.
    // loadEngine loads TensorFlow.js once, on the first backend asked for: load wasm, then switch.
    const { tf } = await loadEngine('wasm');
    await tf.setBackend(backend);
    assert.equal(tf.getBackend(), backend);
    const v = tf.variable(tf.ones([3]));
    const opt = fusedAdam(tf, 0.001, 0.9, 0.999, 1e-7);
    const powers = (o: Optimizer) => {
      const s = o as unknown as { accBeta1: { dataSync(): Float32Array }; accBeta2: { dataSync(): Float32Array } };
      return [s.accBeta1.dataSync()[0], s.accBeta2.dataSync()[0]];
    };
    for (let step = 1; step <= 300; step++) {
      const g = tf.fill([3], 0.5);
      opt.applyGradients({ [v.name]: g });
      g.dispose();
      if (step % 50 !== 0 && step !== 2) continue;
      assert.deepEqual(powers(opt), [betaPowerAfter(0.9, step), betaPowerAfter(0.999, step)], `betaPowerAfter at step ${step}`);
      const saved = await opt.getWeights();
      const resumed = fusedAdam(tf, 0.001, 0.9, 0.999, 1e-7);
      await resumed.setWeights(saved);
      assert.deepEqual(powers(resumed), powers(opt), `after setWeights at step ${step}`);
      assert.deepEqual(betaPowers(resumed), powers(opt));
      resumed.dispose();
      tf.dispose(saved[0]!.tensor);
    }
    // Saved values win over the recomputed ones (a checkpoint's meta.json holds them).
    const other = fusedAdam(tf, 0.001, 0.9, 0.999, 1e-7);
    assert.ok(setBetaPowers(tf, other, [0.25, 0.5]));
    assert.deepEqual(betaPowers(other), [0.25, 0.5]);
    assert.equal(betaPowers(tf.train.sgd(0.1)), undefined, 'only strata’s Adam has β powers to save');
    other.dispose();
    opt.dispose();
    v.dispose();
  });
}
