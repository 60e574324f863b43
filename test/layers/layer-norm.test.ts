/** strata's LayerNormalization against TensorFlow.js's own: the same outputs and gradients, in fewer kernels. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { LAYER_NORM_AFFINE_KERNEL, LAYER_NORM_GRAD_KERNEL, ROW_MOMENTS_KERNEL } from '../../src/kernel-names.js';
import { LayerNormalization } from '../../src/layers/custom/layer-norm.js';
import { kernelsRun, on } from '../helpers/backends.js';
import { maxAbsDiff } from '../helpers/layers.js';

// 8 features: on wasm, strata's kernels (kernel-names.ts, a multiple of 4); 6: plain ops.
for (const backend of ['cpu', 'wasm'] as const) {
  for (const features of [8, 6]) {
    test(`layer_norm over ${features} features on ${backend}: TensorFlow.js’s LayerNormalization outputs and gradients, with no Tile kernel`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const text = stringify({ version: 1, name: 'ln', seed: 1, model: { layers: [{ type: 'input', shape: [6, features] }, { type: 'layer_norm', name: 'n', epsilon: 1e-3 }] } });
      const ours = buildModel(parseSpec('ln.yaml', text), engine).model.getLayer('n');
      assert.equal(ours.getClassName(), 'LayerNormalization');
      const builtIn = tfl.layers.layerNormalization({ axis: -1, epsilon: 1e-3 });
      const x = tf.randomNormal([3, 6, features], 2, 3, 'float32', 4);
      builtIn.apply(x);
      // Non-trivial gamma and beta, the same in both.
      const gamma = tf.randomNormal([features], 1, 0.5, 'float32', 5);
      const beta = tf.randomNormal([features], 0, 0.5, 'float32', 6);
      ours.setWeights([gamma, beta]);
      builtIn.setWeights([gamma, beta]);
      const a = ours.apply(x) as Tensor;
      const b = builtIn.apply(x) as Tensor;
      assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-5, `outputs differ by ${maxAbsDiff(a.dataSync(), b.dataSync())}`);
      const w = tf.randomNormal([3, 6, features], 0, 1, 'float32', 7);
      const gradients = (layer: typeof ours) => {
        const vars = layer.trainableWeights.map((v) => (v as unknown as { val: { name: string } }).val);
        const loss = (z: Tensor) => tf.sum(tf.mul(w, layer.apply(z) as Tensor)) as Scalar;
        const { grads } = tf.variableGrads(() => loss(x), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
        return [tf.grad(loss)(x), ...vars.map((v) => grads[v.name]!)].map((t) => t.dataSync());
      };
      const [ga, gb] = [gradients(ours), gradients(builtIn)];
      assert.equal(ga.length, 3);
      ga.forEach((g, i) => assert.ok(maxAbsDiff(g, gb[i]!) < 1e-4, `gradient ${i} (input, gamma, beta) differs by ${maxAbsDiff(g, gb[i]!)}`));
      const grad = () => tf.grad((z: Tensor) => tf.sum(ours.apply(z) as Tensor))(x);
      const kernels = (await tf.profile(grad)).kernels.map((k) => k.name);
      assert.ok(!kernels.includes('Tile'), kernels.join(' '));
      const ran = kernelsRun(tf, () => tf.dispose(grad()));
      const byKernel = backend === 'wasm' && features % 4 === 0;
      assert.equal([ROW_MOMENTS_KERNEL, LAYER_NORM_AFFINE_KERNEL, LAYER_NORM_GRAD_KERNEL].every((k) => ran.has(k)), byKernel, [...ran].join(' '));
    });
  }
}

test('strata’s LayerNormalization over two axes (a Keras model’s) keeps the general path', async () => {
  const { tf, tfl } = await on('wasm');
  const Ours = LayerNormalization.of({ tf, tfl });
  const layer = new Ours({ axis: [-2, -1] });
  const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
  const y = layer.apply(x) as Tensor;
  const { mean, variance } = tf.moments(y, [1, 2]);
  assert.ok(maxAbsDiff(mean.dataSync(), [0, 0]) < 1e-5 && maxAbsDiff(variance.dataSync(), [1, 1]) < 1e-2);
});
