/** strata's BatchNormalization in training against TensorFlow.js's own layer: the same outputs, gradients and moving averages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_SUMS_KERNEL, CHANNEL_AFFINE_KERNEL, CHANNEL_MOMENTS_KERNEL } from '../../src/kernel-names.js';
import { kernelsRun, on } from '../helpers/backends.js';
import { maxAbsDiff } from '../helpers/layers.js';

// Channels in fours: on wasm, strata's kernels (kernel-names.ts); 6: plain ops.
const cases = [
  { shape: [4, 5, 5, 8], center: true, scale: true },
  { shape: [4, 5, 5, 6], center: true, scale: true },
  { shape: [16, 12], center: false, scale: true },
  { shape: [3, 7, 4], center: true, scale: false },
] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of cases) {
    const channels = c.shape[c.shape.length - 1]!;
    test(`batch_norm over [${c.shape.join(', ')}] (center ${c.center}, scale ${c.scale}) on ${backend}: TensorFlow.js's outputs, gradients and moving averages`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const text = stringify({ version: 1, name: 'bn', seed: 1, model: { layers: [{ type: 'input', shape: c.shape.slice(1) }, { type: 'batch_norm', name: 'n', center: c.center, scale: c.scale, momentum: 0.9 }] } });
      const ours = buildModel(parseSpec('bn.yaml', text), engine).model.getLayer('n');
      assert.equal(ours.getClassName(), 'BatchNormalization');
      // TensorFlow.js's own layer cannot train without beta or gamma (it reads both): it has
      // both here, at zero and one where ours has none.
      const builtIn = tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, epsilon: 0.001 });
      // Inputs far from zero mean and unit variance, so the statistics matter.
      const x = tf.add(tf.mul(tf.randomNormal([...c.shape], 0, 1, 'float32', 3), 2.5), 1.5);
      builtIn.apply(x);
      const gamma = tf.randomNormal([channels], 1, 0.5, 'float32', 10);
      const beta = tf.randomNormal([channels], 0, 0.5, 'float32', 11);
      const [ones, zeros] = [tf.ones([channels]), tf.zeros([channels])];
      ours.setWeights([...(c.scale ? [gamma] : []), ...(c.center ? [beta] : []), zeros, ones]);
      builtIn.setWeights([c.scale ? gamma : ones, c.center ? beta : zeros, zeros, ones]);
      const w = tf.randomNormal([...c.shape], 0, 1, 'float32', 7);

      const run = (layer: typeof ours) => {
        const named = (name: string) => layer.trainableWeights.filter((v) => v.originalName.endsWith(name)).map((v) => (v as unknown as { val: { name: string } }).val);
        // The weights ours trains, in the built-in's too.
        const vars = [...(c.scale ? named('gamma') : []), ...(c.center ? named('beta') : [])];
        const loss = (input: Tensor) => tf.sum(tf.mul(w, layer.apply(input, { training: true }) as Tensor)) as Scalar;
        const y = (layer.apply(x, { training: true }) as Tensor).dataSync();
        const { grads } = tf.variableGrads(() => loss(x), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
        const dx = tf.grad(loss)(x).dataSync();
        // After three training calls, each moving the averages.
        const moving = layer.getWeights().slice(-2).map((t) => t.dataSync());
        return { y, grads: [dx, ...vars.map((v) => grads[v.name]!.dataSync())], moving };
      };
      const a = run(ours);
      const b = run(builtIn);
      assert.ok(maxAbsDiff(a.y, b.y) < 1e-5, `outputs differ by ${maxAbsDiff(a.y, b.y)}`);
      assert.equal(a.grads.length, 1 + Number(c.center) + Number(c.scale));
      a.grads.forEach((g, i) => {
        const scale = Math.max(1, ...Array.from(b.grads[i]!, Math.abs));
        assert.ok(maxAbsDiff(g, b.grads[i]!) / scale < 1e-5, `gradient ${i} (input, then gamma and beta as trained) differs by ${maxAbsDiff(g, b.grads[i]!)}`);
      });
      assert.equal(a.moving.length, 2);
      a.moving.forEach((m, i) => assert.ok(maxAbsDiff(m, b.moving[i]!) < 1e-5, `moving ${['mean', 'variance'][i]} differs by ${maxAbsDiff(m, b.moving[i]!)}`));

      // Inference is the built-in's, with the moving averages.
      const infer = (layer: typeof ours) => (layer.apply(x) as Tensor).dataSync();
      assert.ok(maxAbsDiff(infer(ours), infer(builtIn)) < 1e-5);

      const ran = kernelsRun(tf, () => tf.dispose(tf.grad((input: Tensor) => tf.sum(ours.apply(input, { training: true }) as Tensor))(x)));
      const byKernel = backend === 'wasm' && channels % 4 === 0;
      const passes = [CHANNEL_MOMENTS_KERNEL, CHANNEL_AFFINE_KERNEL, BATCH_NORM_SUMS_KERNEL, BATCH_NORM_GRAD_KERNEL];
      assert.equal(passes.every((k) => ran.has(k)), byKernel, `strata's kernels ${byKernel ? 'ran' : 'did not run'}: ${[...ran].join(' ')}`);
      assert.ok(!ran.has('FusedBatchNorm'), 'the built-in path ran');

    });
  }
}

test('training batch_norm leaves no tensors behind', async () => {
  const engine = await on('wasm');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'bn', seed: 1, model: { layers: [{ type: 'input', shape: [3, 3, 8] }, { type: 'batch_norm', name: 'n' }] } });
  const layer = buildModel(parseSpec('bn.yaml', text), engine).model.getLayer('n');
  const x = tf.randomNormal([2, 3, 3, 8], 0, 1, 'float32', 1);
  const once = () => tf.dispose(tf.grad((input: Tensor) => tf.sum(layer.apply(input, { training: true }) as Tensor))(x));
  once();
  const before = tf.memory().numTensors;
  once();
  assert.equal(tf.memory().numTensors, before);
});
