/**
 * concatenate along a negative axis other than -1: TensorFlow.js's own Concatenate joins
 * along the last axis for every negative axis; strata's joins where the axis says, as its
 * output shape declares, trains, and saves the axis counted from the front, so that plain
 * TensorFlow.js, reloading the model, joins where strata did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { saveAndReload } from '../helpers/layers.js';

const spec = (axis: number) =>
  parseSpec(
    'concat.yaml',
    stringify({
      version: 1,
      name: 'concat',
      seed: 1,
      model: {
        layers: [
          { type: 'input', name: 'a', shape: [3, 4] },
          { type: 'input', name: 'b', shape: [5, 4] },
          { type: 'concatenate', name: 'join', inputs: ['a', 'b'], axis },
        ],
      },
    }),
  );

for (const axis of [-2, 1]) {
  test(`concatenate axis ${axis}: [3, 4] and [5, 4] join along the rows, and reload`, async () => {
    const engine = await loadEngine('wasm');
    const { tf } = engine;
    const { model } = buildModel(spec(axis), engine);
    assert.deepEqual(model.outputs[0]!.shape, [null, 8, 4]);
    const a = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const b = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2);
    const want = tf.concat([a, b], 1);
    const got = model.predict([a, b]) as Tensor;
    assert.deepEqual(got.shape, [2, 8, 4]);
    assert.deepEqual(await got.data(), await want.data());
    const reloaded = await saveAndReload(engine, model);
    assert.equal(reloaded.getLayer('join').getClassName(), 'Concatenate');
    assert.equal(reloaded.getLayer('join').getConfig()['axis'], 1);
    assert.deepEqual(await (reloaded.predict([a, b]) as Tensor).data(), await want.data());
    // TensorFlow.js's own Concatenate from the saved config: what a plain TensorFlow.js loads.
    const plain = engine.tfl.layers.concatenate(reloaded.getLayer('join').getConfig());
    assert.deepEqual(await (plain.apply([a, b]) as Tensor).data(), await want.data());
    tf.dispose([a, b, want, got]);
  });
}

test('concatenate axis -2: the gradient reaches each input by its rows', async () => {
  const engine = await loadEngine('wasm');
  const { tf } = engine;
  const { model } = buildModel(spec(-2), engine);
  const a = tf.ones([1, 3, 4]);
  const b = tf.ones([1, 5, 4]);
  // d/d(a, b) of Σ join · weights, with weights 1, 2, …, 32 over the joined rows.
  const weights = tf.reshape(tf.range(1, 33), [1, 8, 4]);
  const [ga, gb] = tf.grads((x: Tensor, y: Tensor) => tf.sum(tf.mul(model.apply([x, y], { training: true }) as Tensor, weights)))([a, b]);
  assert.deepEqual(Array.from(await ga!.data()), Array.from({ length: 12 }, (_, i) => i + 1));
  assert.deepEqual(Array.from(await gb!.data()), Array.from({ length: 20 }, (_, i) => i + 13));
  tf.dispose([a, b, weights, ga!, gb!]);
});
