/**
 * One table-driven test over every registry entry: build the layer's example
 * from a spec, and check that the shape rule strata validates with agrees
 * with TensorFlow.js, that the parameter count is the one Keras gives, that a
 * forward pass produces that shape, that a few gradient steps change every
 * trainable weight (but the few listed in FROZEN, which cannot change), and
 * that the model saves, reloads with `tf.loadLayersModel` (strata's custom
 * layers registered) and gives the same outputs. A new layer type is
 * covered as soon as it is registered.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { exampleSpec, examplesOf } from '../helpers/examples.js';
import { maxAbsDiff, saveAndReload } from '../helpers/layers.js';

/** Examples per batch and SGD steps: enough that every weight sees a non-zero gradient. */
const BATCH = 8;
const STEPS = 3;
/**
 * A weight "moved" when some element changed by more than this. Real updates
 * here are 1e-3 or more; a weight whose gradient is zero in exact arithmetic
 * still picks up float rounding (about 1e-9), which this threshold ignores.
 */
const MOVED = 1e-6;

/**
 * Trainable weights whose gradient is zero in exact arithmetic, by layer type.
 * Each entry is a reason, not an observed failure; the test checks that these
 * weights exist and do not move, so a stale entry fails too.
 *
 * The key-projection bias of multi-head attention: the score of query i for
 * key j is q_i · (W_k x_j + b_k) / √d = q_i · W_k x_j / √d + q_i · b_k / √d.
 * The second term is the same for every key j, and softmax over j is
 * unchanged by adding the same number to every entry (the causal mask adds
 * -1e9 to some entries, but still adds q_i · b_k to all of them). So b_k
 * changes no output and its gradient is exactly 0. (Keras's MultiHeadAttention
 * has the same property; the bias is kept for its weight layout and parameter
 * count.) The transformer blocks use the same attention, once per attention
 * sublayer.
 */
const FROZEN: Record<string, string[]> = {
  multi_head_attention: ['under_test/key_bias'],
  transformer_encoder: ['under_test/attention_key_bias'],
  transformer_decoder: ['under_test/self_attention_key_bias', 'under_test/cross_attention_key_bias'],
};

describe('every registered layer type', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  for (const { def, label } of [...layerRegistry].flatMap(examplesOf)) {
    test(`${label}: shape rule, Keras parameter count, forward pass, every weight trains, save and reload`, async () => {
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
        const xs = def.example.inputs.map((shape, i) => tf.floor(tf.randomUniform([BATCH, ...(shape as number[])], low, low + 5, 'float32', 7 + i)));
        const x = xs.length === 1 ? xs[0]! : xs;
        const y = model.predict(x) as Tensor;
        assert.deepEqual(y.shape, [BATCH, ...node.outputShape]);
        assert.ok((y.dataSync() as Float32Array).every(Number.isFinite), 'finite outputs');

        // A few SGD steps on mean((output - target)²) plus any layer losses, with a
        // random target (a constant one can leave gradients zero by symmetry): every
        // trainable weight moves, except the ones that cannot (FROZEN, below), which
        // must stay put up to float rounding.
        const frozen = FROZEN[def.type] ?? [];
        const weights = model.trainableWeights;
        const names = weights.map((w) => w.originalName);
        for (const name of frozen) assert.ok(names.includes(name), `FROZEN lists ${name}, which ${def.type} does not have (weights: ${names.join(', ')})`);
        if (weights.length > 0) {
          const vars = weights.map((w) => w.read() as Variable);
          const before = vars.map((v) => v.dataSync().slice());
          const target = tf.randomNormal([BATCH, ...(node.outputShape as number[])], 0, 1, 'float32', 11);
          const sgd = tf.train.sgd(0.1);
          for (let step = 0; step < STEPS; step++) {
            const { value, grads } = tf.variableGrads(() => {
              let loss = tf.mean(tf.square(tf.sub(model.apply(x, { training: true }) as Tensor, target))) as Scalar;
              for (const l of model.calculateLosses()) loss = tf.add(loss, l);
              return loss;
            }, vars);
            assert.ok(Number.isFinite(value.dataSync()[0]!), `finite loss at step ${step}`);
            sgd.applyGradients(grads);
            tf.dispose([value, ...Object.values(grads)]);
          }
          const moved = vars.map((v, i) => maxAbsDiff(v.dataSync(), before[i]!));
          const stuck = names.filter((n, i) => !frozen.includes(n) && !(moved[i]! > MOVED));
          assert.deepEqual(stuck, [], `trainable weights that did not move: ${stuck.map((n) => `${n} (by ${moved[names.indexOf(n)]})`).join(', ')}`);
          const drifted = names.filter((n, i) => frozen.includes(n) && !(moved[i]! <= MOVED));
          assert.deepEqual(drifted, [], `weights listed in FROZEN moved after all: ${drifted.map((n) => `${n} (by ${moved[names.indexOf(n)]})`).join(', ')}`);
          sgd.dispose();
          target.dispose();
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
