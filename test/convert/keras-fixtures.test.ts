/**
 * Keras 2, Keras 3 and TensorFlow.js model JSON written for these tests
 * (test/fixtures/keras/) convert to specs whose parameter counts equal
 * TensorFlow.js countParams() of the same topology (the Keras 2 twin, read
 * by modelFromJSON), and to the hand-computed Keras counts; given the twin's
 * weights, the converted model computes the same outputs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { kerasToSpec } from '../../src/convert/from-keras.js';
import { UsageError } from '../../src/errors.js';
import { readTopology } from '../../src/convert/keras-topology.js';
import { specToKeras } from '../../src/convert/to-keras.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { FIXTURES } from '../helpers/paths.js';

const DIR = join(FIXTURES, 'keras');
const read = (name: string) => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as unknown;

/** Parameter counts by the Keras formulas, worked out by hand (see test/fixtures/keras/README.md). */
const KERAS_PARAMS: Record<string, number> = {
  'sequential-mlp': 20 * 64 + 64 + (64 * 10 + 10),
  'functional-merge': 16 * 16 + 16 + (8 * 8 + 8) + (24 + 1),
  rnn: 50 * 8 + 4 * (16 * (8 + 16) + 16) + 2 * 3 * (6 * (16 + 6) + 6) + (12 * 3 + 3),
  conv: 3 * 3 * 3 * 8 + 8 + 4 * 8 + (3 * 3 * 8 * 16 + 16) + (16 * 4 + 4),
  // Embedding(50, 8), Bidirectional(LSTM 16, sequences), TimeDistributed(Dense 5): one dense for every step.
  tagger: 50 * 8 + 2 * 4 * (16 * (8 + 16) + 16) + (2 * 16 * 5 + 5),
  // GRU with reset_after=True: two bias vectors, 3 × (units × (features + units) + 2 × units).
  'gru-reset-after': 3 * (8 * (4 + 8) + 2 * 8) + 2 * 3 * (5 * (8 + 5) + 2 * 5) + (10 * 2 + 2),
};

/** Every file that holds each topology: Keras 3, its Keras 2 twin, and older forms of it. */
const FORMS: Record<string, string[]> = {
  'sequential-mlp': ['keras3-sequential-mlp.json', 'keras2-sequential-mlp.json', 'keras2-sequential-list.json'],
  'functional-merge': ['keras3-functional-merge.json', 'keras2-functional-merge.json'],
  rnn: ['keras3-rnn.json', 'keras2-rnn.json'],
  conv: ['keras3-conv.json', 'keras2-conv.json', 'tfjs-conv.model.json', 'keras2-nested-sequential.json'],
  tagger: ['keras3-tagger.json', 'keras2-tagger.json'],
  'gru-reset-after': ['keras3-gru-reset-after.json', 'keras2-gru-reset-after.json'],
};

describe('Keras and TensorFlow.js model JSON fixtures → specs', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  for (const [topology, files] of Object.entries(FORMS)) {
    test(`${topology}: ${files.join(', ')}`, async () => {
      const twin = await engine.tfl.models.modelFromJSON(read(`keras2-${topology}.json`) as Parameters<Engine['tfl']['models']['modelFromJSON']>[0]);
      const expected = twin.countParams();
      assert.equal(expected, KERAS_PARAMS[topology], 'TensorFlow.js agrees with the Keras formula');
      const { tf } = engine;
      const xs = twin.inputs.map((t) => tf.floor(tf.randomUniform([2, ...t.shape.slice(1).map((d) => d ?? 4)] as number[], 0, 5, 'float32', 5)));
      const reference = twin.predict(xs.length === 1 ? xs[0]! : xs) as Tensor;
      const specs: unknown[] = [];
      for (const file of files) {
        const { spec, lossy } = kerasToSpec(readTopology(read(file), file), file);
        assert.deepEqual(lossy, [], `${file}: nothing lost`);
        const { model } = buildModel(parseSpec(file, JSON.stringify(spec)), engine);
        assert.equal(model.countParams(), expected, `${file}: parameters`);
        // With the twin's weights, the converted model computes what TensorFlow.js's own reading does.
        model.setWeights(twin.getWeights());
        const y = model.predict(xs.length === 1 ? xs[0]! : xs) as Tensor;
        const diff = tf.max(tf.abs(tf.sub(y, reference))).dataSync()[0]!;
        assert.ok(diff < 1e-5, `${file}: max abs difference ${diff}`);
        tf.dispose(y);
        model.dispose();
        specs.push(spec);
      }
      tf.dispose([...xs, reference]);
      twin.dispose();
      // Keras 3 and Keras 2 forms of one topology give the same spec.
      assert.deepEqual(specs[1], specs[0]);
    });
  }

  test('a nested model is inlined: its layers take its place', () => {
    const { spec } = kerasToSpec(readTopology(read('keras2-nested-sequential.json'), 'n'), 'n');
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers;
    assert.deepEqual(layers.map((l) => l.name), ['image', 'conv1', 'bn1', 'pool1', 'conv2', 'gap', 'classes']);
    assert.ok(layers.every((l) => l.inputs === undefined), 'a plain chain');
  });

  test('names, several inputs and merges are kept', () => {
    const { spec } = kerasToSpec(readTopology(read('keras3-functional-merge.json'), 'f'), 'f');
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers;
    assert.deepEqual(layers.map((l) => [l.type, l.name]), [
      ['input', 'a'], ['input', 'b'], ['dense', 'd1'], ['add', 'residual'], ['dense', 'd2'], ['concatenate', 'join'], ['dense', 'score'],
    ]);
    assert.deepEqual(layers[3]!.inputs, ['a', 'd1']);
    assert.deepEqual(layers[4]!.inputs, ['b']);
    assert.deepEqual(layers[5]!.inputs, ['residual', 'd2']);
    assert.equal(spec.name, 'two_towers');
  });

  test('Keras 3 details: dtype policies, batch_shape, initializer objects, regularizers, int inputs', () => {
    const { spec } = kerasToSpec(readTopology(read('keras3-rnn.json'), 'r'), 'r');
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers;
    assert.deepEqual(layers[0], { type: 'input', name: 'tokens', shape: [12], dtype: 'int32' });
    assert.deepEqual(layers[3], { type: 'bidirectional', name: 'bigru', layer: { type: 'gru', units: 6 } });
    const mlp = kerasToSpec(readTopology(read('keras3-sequential-mlp.json'), 'm'), 'm').spec;
    const hidden = (mlp.model as { layers: Record<string, unknown>[] }).layers[1]!;
    assert.deepEqual(hidden, { type: 'dense', name: 'hidden', units: 64, activation: 'relu', kernel_regularizer: { l2: 0.0001 } });
  });

  test('a tagger (embedding → bidirectional LSTM → TimeDistributed(Dense)) converts, and back to Keras JSON that TensorFlow.js loads', async () => {
    const { spec, lossy } = kerasToSpec(readTopology(read('keras3-tagger.json'), 't'), 't');
    assert.deepEqual(lossy, []);
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers;
    assert.deepEqual(layers[3], { type: 'time_distributed', name: 'tags', layer: { type: 'dense', units: 5, activation: 'softmax' } });
    const parsed = parseSpec('t', JSON.stringify(spec));
    assert.deepEqual(parsed.model.layers.at(-1)!.outputShape, [12, 5], 'a tag distribution for every token');
    const { model } = buildModel(parsed, engine);
    const weights = model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 0), 1), 0);
    assert.equal(model.countParams(), KERAS_PARAMS.tagger);
    assert.equal(weights, KERAS_PARAMS.tagger, 'the parameter count is the sum of the weight shapes');
    model.dispose();

    const keras = JSON.parse(JSON.stringify(specToKeras(parsed, engine))) as Record<string, unknown>;
    const td = (keras.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers.find((l) => l.class_name === 'TimeDistributed');
    assert.equal((td?.config.layer as { class_name: string }).class_name, 'Dense');
    const loaded = await engine.tfl.models.modelFromJSON(keras as Parameters<Engine['tfl']['models']['modelFromJSON']>[0]);
    assert.equal(loaded.countParams(), KERAS_PARAMS.tagger);
    assert.deepEqual(loaded.outputs[0]!.shape, [null, 12, 5]);
    loaded.dispose();
    // And back again: the same spec.
    assert.deepEqual(kerasToSpec(readTopology(keras, 'k'), 'k').spec.model, spec.model);
  });

  test('GRU with reset_after=True (Keras\'s default) converts without loss, and back to Keras\'s GRU with reset_after true', async () => {
    const { spec, lossy } = kerasToSpec(readTopology(read('keras3-gru-reset-after.json'), 'g'), 'g');
    assert.deepEqual(lossy, []);
    const layers = (spec.model as { layers: Record<string, unknown>[] }).layers;
    assert.deepEqual(layers[1], { type: 'gru', name: 'gru', units: 8, return_sequences: true, reset_after: true });
    assert.deepEqual(layers[2], { type: 'bidirectional', name: 'bigru', layer: { type: 'gru', units: 5, reset_after: true } });
    const parsed = parseSpec('g', JSON.stringify(spec));
    const { model } = buildModel(parsed, engine);
    assert.deepEqual(
      model.weights.map((w) => [w.originalName, w.shape]),
      [
        ['gru/kernel', [4, 24]], ['gru/recurrent_kernel', [8, 24]], ['gru/bias', [2, 24]],
        ['bigru/forward_bigru_layer/kernel', [8, 15]], ['bigru/forward_bigru_layer/recurrent_kernel', [5, 15]], ['bigru/forward_bigru_layer/bias', [2, 15]],
        ['bigru/backward_bigru_layer/kernel', [8, 15]], ['bigru/backward_bigru_layer/recurrent_kernel', [5, 15]], ['bigru/backward_bigru_layer/bias', [2, 15]],
        ['head/kernel', [10, 2]], ['head/bias', [2]],
      ],
    );
    model.dispose();

    const keras = JSON.parse(JSON.stringify(specToKeras(parsed, engine))) as Record<string, unknown>;
    const saved = (keras.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
    assert.equal(saved[1]!.class_name, 'GRU');
    assert.equal(saved[1]!.config.reset_after, true);
    const inner = saved[2]!.config.layer as { class_name: string; config: Record<string, unknown> };
    assert.equal(inner.class_name, 'GRU');
    assert.equal(inner.config.reset_after, true);
    // TensorFlow.js reads it with strata's classes registered (its own GRU refuses reset_after).
    const loaded = await engine.tfl.models.modelFromJSON(keras as Parameters<Engine['tfl']['models']['modelFromJSON']>[0]);
    assert.equal(loaded.countParams(), KERAS_PARAMS['gru-reset-after']);
    loaded.dispose();
    assert.deepEqual(kerasToSpec(readTopology(keras, 'k'), 'k').spec.model, spec.model);
  });

  test('a class strata has no type for: one short line with the nearest known classes', () => {
    const model = read('invalid/unsupported-lambda.json') as { config: { layers: { class_name: string }[] } };
    const message = (cls: string) => {
      model.config.layers[1]!.class_name = cls;
      try {
        kerasToSpec(readTopology(model, 'u'), 'u');
      } catch (e) {
        assert.ok(e instanceof UsageError);
        assert.equal(e.diagnostics.length, 1);
        return e.diagnostics[0]!.message;
      }
      assert.fail(`${cls} converted`);
    };
    const conv3d = message('Conv3D');
    assert.equal(conv3d, "Keras class Conv3D (layer 'fn') has no strata layer type; nearest known: Conv1D, Conv2D; docs/layers.md gives the Keras class of every layer type");
    assert.match(message('CuDNNLSTM'), /; nearest known: LSTM;/);
    const lambda = message('Lambda');
    assert.equal(lambda, "Keras class Lambda (layer 'fn') has no strata layer type; docs/layers.md gives the Keras class of every layer type");
    for (const m of [conv3d, lambda]) assert.ok(m.length < 200, `${m.length} characters`);
    // A wrapper holding a class strata cannot put there: the nearest classes it can, not all forty.
    const tagger = read('keras2-tagger.json') as { config: { layers: { config: { layer?: { class_name: string } } }[] } };
    tagger.config.layers[3]!.config.layer!.class_name = 'Conv3D';
    assert.throws(
      () => kerasToSpec(readTopology(tagger, 't'), 't'),
      (e: unknown) =>
        e instanceof UsageError &&
        e.diagnostics[0]!.message ===
          "layer 'tags' (TimeDistributed) wraps Keras class Conv3D, which strata cannot put there; nearest it wraps: Conv1D, Conv2D; docs/layers.md lists the layer types time_distributed wraps",
    );
  });
});

test("config fields and classes named like Object's own properties are just unknown ones", () => {
  const doc = read('keras2-sequential-mlp.json') as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const dense = doc.config.layers.find((l) => l.class_name === 'Dense')!;
  // JSON.parse makes "__proto__" an own key, as a model file from anywhere would.
  dense.config = JSON.parse(JSON.stringify(dense.config).replace(/^\{/, '{"__proto__": {"a": 1}, "constructor": 2, '));
  dense.config.kernel_initializer = { class_name: 'constructor', config: {} };
  const { lossy } = kerasToSpec(readTopology(doc, 'p.json'), 'p.json');
  assert.deepEqual(lossy.map((l) => l.field).sort(), ['__proto__', 'constructor', 'kernel_initializer']);
});
