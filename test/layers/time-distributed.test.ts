/**
 * time_distributed around every layer type it allows: strata's shape rule
 * agrees with TensorFlow.js, the wrapper adds no weights of its own, the
 * inner weights train, and the model saves and reloads with the same outputs.
 * Each also converts to Keras JSON and back to the same spec, nothing lost
 * (strata's own layers inside are found by the spec keys they save).
 * (The catalog test covers the registry example, a dense layer, in full.)
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import { kerasToSpec } from '../../src/convert/from-keras.js';
import { readTopology } from '../../src/convert/keras-topology.js';
import { specToKeras } from '../../src/convert/to-keras.js';
import type { Engine } from '../../src/backend/select.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { buildModel } from '../../src/model/build.js';
import { withDefaults } from '../../src/spec/graph.js';
import { parseSpec } from '../../src/spec/read.js';
import { maxAbsDiff, saveAndReload } from '../helpers/layers.js';

const STEPS = 3;

const specFor = (type: string, shape: readonly (number | null)[], params: Record<string, unknown>) =>
  JSON.stringify({
    version: 1,
    name: `td-${type}`,
    seed: 1,
    model: { layers: [{ type: 'input', name: 'x', shape }, { type: 'time_distributed', name: 'td', layer: { type, ...params } }] },
  });

/** The types time_distributed wraps: the registry's one-input types that build one layer. */
const TIME_DISTRIBUTED_TYPES = layerRegistry.nestedTypes(layerRegistry.get('time_distributed')!);

describe('time_distributed', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  test('allows only registered one-input types that build as one layer', () => {
    for (const type of TIME_DISTRIBUTED_TYPES) {
      const def = layerRegistry.get(type);
      assert.ok(def, type);
      assert.equal(def.arity, 'one', type);
      assert.equal(def.expand, undefined, `${type} is a block`);
      assert.equal(def.nested, undefined, `${type} is a wrapper`);
    }
  });

  for (const type of TIME_DISTRIBUTED_TYPES) {
    test(`around ${type}`, async () => {
      const inner = layerRegistry.get(type)!;
      const shape = [STEPS, ...inner.example.inputs[0]!];
      const raw = { type: 'time_distributed', layer: { type, ...inner.example.params } };
      const expected = layerRegistry.get('time_distributed')!.outputShape([shape], withDefaults(raw, layerRegistry), layerRegistry);
      const { tf } = engine;
      const spec = parseSpec('td.json', specFor(type, shape, inner.example.params));
      const keras = JSON.parse(JSON.stringify(specToKeras(spec, engine))) as Record<string, unknown>;
      const back = kerasToSpec(readTopology(keras, 'k'), 'k');
      assert.deepEqual(back.lossy, [], 'nothing lost through Keras JSON');
      assert.deepEqual(parseSpec('back.json', JSON.stringify(back.spec)).model.layers.map((l) => l.params), spec.model.layers.map((l) => l.params), 'the same spec back from Keras JSON');
      const { model } = buildModel(spec, engine);
      assert.deepEqual(model.outputs[0]!.shape.slice(1), expected, 'shape rule');
      assert.equal(model.countParams(), inner.example.kerasParams, 'the wrapper adds no weights: one set serves every step');
      // Token ids for an embedding; values of both signs for the rest (prelu's slope moves on negative inputs only).
      const dims = [2, ...shape] as number[];
      const x = type === 'embedding' ? tf.floor(tf.randomUniform(dims, 0, 3, 'float32', 1)) : tf.randomUniform(dims, -1, 1, 'float32', 1);
      if (model.trainableWeights.length > 0) {
        const before = model.trainableWeights.map((w) => w.read().dataSync().slice());
        const opt = tf.train.sgd(0.01);
        for (let i = 0; i < 3; i++) opt.minimize(() => tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as Tensor, 1))) as Scalar);
        opt.dispose();
        const moved = model.trainableWeights.filter((w, i) => maxAbsDiff(w.read().dataSync(), before[i]!) > 1e-6).length;
        assert.ok(moved > 0, 'the inner weights train');
      }
      const y = model.predict(x) as Tensor;
      const reloaded = await saveAndReload(engine, model);
      const y2 = reloaded.predict(x) as Tensor;
      assert.ok(maxAbsDiff(y.dataSync(), y2.dataSync()) < 1e-5, 'same outputs after reload');
      tf.dispose([x, y, y2]);
      model.dispose();
      reloaded.dispose();
    });
  }

  test('needs a steps dimension', () => {
    assert.throws(() => parseSpec('td.json', specFor('dense', [6], { units: 2 })), /time_distributed|steps/);
  });
});
