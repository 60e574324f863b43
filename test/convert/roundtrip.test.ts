/**
 * The acceptance round trip: every configs/ spec and every registry layer
 * type goes spec → Keras JSON → spec, and the second model has the same
 * parameter count and, given the first model's weights, the same outputs.
 * The Keras JSON is also read back by TensorFlow.js's own modelFromJSON.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { kerasToSpec } from '../../src/convert/from-keras.js';
import { readTopology } from '../../src/convert/keras-topology.js';
import { specToKeras } from '../../src/convert/to-keras.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import type { Spec } from '../../src/spec/types.js';
import { exampleSpec, examplesOf } from '../helpers/examples.js';
import { configFiles, FIXTURES } from '../helpers/paths.js';

let engine: Engine;

function roundTrip(file: string, text: string): void {
  const original = parseSpec(file, text);
  const keras = JSON.parse(JSON.stringify(specToKeras(original, engine))) as Record<string, unknown>;
  const { spec: value, lossy } = kerasToSpec(readTopology(keras, file), file);
  assert.deepEqual(lossy, [], 'nothing lost');
  const back: Spec = parseSpec(`${file} (back)`, JSON.stringify(value));
  assert.deepEqual({ ...back.raw, model: undefined }, { ...original.raw, model: undefined }, 'name, seed, data and train ride along');

  // Every layer comes back with the same type, keys (defaults filled in), trainability and inputs,
  // unless the spec holds blocks that build as several layers (they come back as those layers).
  const blocks = original.model.layers.some((l) => 'expand' in (layerRegistry.get(l.type) ?? {}));
  if (!blocks) {
    const layers = (spec: Spec) => spec.model.layers.map((l) => ({ name: l.name, type: l.type, params: l.params, trainable: l.trainable, inputs: l.inputs }));
    assert.deepEqual(layers(back), layers(original));
    assert.deepEqual(back.model.outputs, original.model.outputs);
  }

  const { tf } = engine;
  const a = buildModel(original, engine).model;
  const b = buildModel(back, engine).model;
  try {
    assert.equal(b.countParams(), a.countParams(), 'parameter count');
    b.setWeights(a.getWeights());
    const xs = original.model.inputs.map((name) => {
      const node = original.model.layers.find((l) => l.name === name)!;
      const shape = node.outputShape.map((d) => d ?? 4) as number[];
      return tf.floor(tf.randomUniform([2, ...shape], 0, 5, 'float32', 11));
    });
    const ya = [a.predict(xs.length === 1 ? xs[0]! : xs)].flat() as Tensor[];
    const yb = [b.predict(xs.length === 1 ? xs[0]! : xs)].flat() as Tensor[];
    ya.forEach((t, i) => {
      const diff = tf.max(tf.abs(tf.sub(t, yb[i]!))).dataSync()[0]!;
      assert.ok(diff < 1e-5, `output ${i}: max abs difference ${diff}`);
    });
    tf.dispose([...xs, ...ya, ...yb]);
  } finally {
    a.dispose();
    b.dispose();
  }
}

describe('spec → Keras JSON → spec', () => {
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  for (const file of configFiles()) {
    test(`configs/${basename(file)}`, () => roundTrip(file, readFileSync(file, 'utf8')));
  }
  test('non-default values of many keys (test/fixtures/convert/kitchen-sink.yaml)', () => {
    const file = join(FIXTURES, 'convert', 'kitchen-sink.yaml');
    roundTrip(file, readFileSync(file, 'utf8'));
  });
  for (const { def, label } of [...layerRegistry].flatMap(examplesOf)) {
    test(`layer type ${label} (its registry example)`, () => roundTrip(`${def.type}.yaml`, exampleSpec(def)));
  }

  test('the Keras JSON is what TensorFlow.js modelFromJSON reads', async () => {
    for (const file of configFiles()) {
      const spec = parseSpec(file, readFileSync(file, 'utf8'));
      const keras = JSON.parse(JSON.stringify(specToKeras(spec, engine))) as Record<string, unknown>;
      assert.equal(keras.class_name, 'Model');
      const layers = (keras.config as { layers: { inbound_nodes: unknown[] }[] }).layers;
      assert.ok(layers.every((l) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.every(Array.isArray)), 'inbound_nodes as nested lists');
      const loaded = await engine.tfl.models.modelFromJSON(keras as unknown as Parameters<Engine['tfl']['models']['modelFromJSON']>[0]);
      const built = buildModel(spec, engine).model;
      assert.equal(loaded.countParams(), built.countParams(), basename(file));
      loaded.dispose();
      built.dispose();
    }
  });
});
