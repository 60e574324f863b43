/**
 * One table-driven test over every registry entry: build the layer's example
 * from a spec, and check that the shape rule strata validates with agrees
 * with TensorFlow.js, that the parameter count is the one Keras gives, that a
 * forward pass produces that shape, that one gradient step changes the
 * weights, and that the model saves, reloads with `tf.loadLayersModel` (strata's
 * custom layers registered) and gives the same outputs. A new layer type is
 * covered as soon as it is registered.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { exampleSpec } from '../helpers/examples.js';
import { maxAbsDiff, saveAndReload } from '../helpers/layers.js';

describe('every registered layer type', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  for (const def of layerRegistry) {
    test(`${def.type}: shape rule, Keras parameter count, forward pass, gradient step, save and reload`, async () => {
      const spec = parseSpec(`${def.type}.yaml`, exampleSpec(def));
      const node = spec.model.layers.find((l) => l.name === 'under_test')!;
      const { model } = buildModel(spec, engine);
      const { tf } = engine;
      try {
        assert.deepEqual(model.outputs[0]!.shape, [null, ...node.outputShape], 'shape rule vs TensorFlow.js');
        assert.equal(model.countParams(), def.example.kerasParams, 'parameter count vs Keras');
        if (def.arity === 'none') return;
        // Small integers, negative too unless the layer takes ids (it has an input_dim).
        const low = def.params.input_dim ? 0 : -2;
        const xs = def.example.inputs.map((shape, i) => tf.floor(tf.randomUniform([2, ...(shape as number[])], low, low + 5, 'float32', 7 + i)));
        const x = xs.length === 1 ? xs[0]! : xs;
        const y = model.predict(x) as Tensor;
        assert.deepEqual(y.shape, [2, ...node.outputShape]);
        assert.ok((y.dataSync() as Float32Array).every(Number.isFinite), 'finite outputs');

        // One gradient step on mean((output - 1)²) plus any layer losses: every trainable weight moves.
        const vars = model.trainableWeights.map((w) => w.read() as import('@tensorflow/tfjs-core').Variable);
        if (vars.length > 0) {
          const before = vars.map((v) => v.dataSync().slice());
          const { value, grads } = tf.variableGrads(() => {
            let loss = tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as Tensor, 1))) as import('@tensorflow/tfjs-core').Scalar;
            for (const l of model.calculateLosses()) loss = tf.add(loss, l);
            return loss;
          }, vars);
          assert.ok(Number.isFinite(value.dataSync()[0]!), 'finite loss');
          tf.train.sgd(0.1).applyGradients(grads);
          const moved = vars.filter((v, i) => maxAbsDiff(v.dataSync(), before[i]!) > 0).length;
          assert.ok(moved > 0, 'a gradient step changes the weights');
          tf.dispose([value, ...Object.values(grads)]);
        }

        // Save, reload, same outputs.
        const y1 = model.predict(x) as Tensor;
        const reloaded = await saveAndReload(engine, model);
        const y2 = reloaded.predict(x) as Tensor;
        assert.equal(reloaded.countParams(), def.example.kerasParams, 'parameter count after reload');
        assert.ok(maxAbsDiff(y1.dataSync(), y2.dataSync()) < 1e-5, `reloaded outputs differ by ${maxAbsDiff(y1.dataSync(), y2.dataSync())}`);
        reloaded.dispose();
        tf.dispose([...xs, y, y1, y2]);
      } finally {
        model.dispose();
      }
    });
  }
});
