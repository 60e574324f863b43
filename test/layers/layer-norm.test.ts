/** strata's LayerNormalization against TensorFlow.js's own: the same outputs and gradients, without Tile. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { maxAbsDiff } from '../helpers/layers.js';

test('layer_norm: TensorFlow.js’s LayerNormalization outputs and input gradients, with no Tile kernel', async () => {
  const engine = await loadEngine('wasm');
  const { tf, tfl } = engine;
  const text = stringify({ version: 1, name: 'ln', seed: 1, model: { layers: [{ type: 'input', shape: [6, 8] }, { type: 'layer_norm', name: 'n', epsilon: 1e-3 }] } });
  const ours = buildModel(parseSpec('ln.yaml', text), engine).model.getLayer('n');
  assert.equal(ours.getClassName(), 'LayerNormalization');
  const builtIn = tfl.layers.layerNormalization({ axis: -1, epsilon: 1e-3 });
  const x = tf.randomNormal([3, 6, 8], 2, 3, 'float32', 4);
  builtIn.apply(x);
  // Non-trivial gamma and beta, the same in both.
  const gamma = tf.randomNormal([8], 1, 0.5, 'float32', 5);
  const beta = tf.randomNormal([8], 0, 0.5, 'float32', 6);
  ours.setWeights([gamma, beta]);
  builtIn.setWeights([gamma, beta]);
  const a = ours.apply(x) as Tensor;
  const b = builtIn.apply(x) as Tensor;
  assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-4, `outputs differ by ${maxAbsDiff(a.dataSync(), b.dataSync())}`);
  const w = tf.randomNormal([3, 6, 8], 0, 1, 'float32', 7);
  const gradOf = (layer: typeof ours) => tf.grad((z: Tensor) => tf.sum(tf.mul(w, layer.apply(z) as Tensor)))(x).dataSync();
  assert.ok(maxAbsDiff(gradOf(ours), gradOf(builtIn)) < 1e-3, `input gradients differ by ${maxAbsDiff(gradOf(ours), gradOf(builtIn))}`);
  const kernels = (await tf.profile(() => tf.grad((z: Tensor) => tf.sum(ours.apply(z) as Tensor))(x))).kernels.map((k) => k.name);
  assert.ok(!kernels.includes('Tile'), kernels.join(' '));
});
