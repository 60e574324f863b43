/**
 * Recurrent layers' weight penalties reach model.calculateLosses(): TensorFlow.js keeps them
 * on the layer's cell, which neither the layer nor a Bidirectional over it reported, so a spec's
 * kernel_regularizer on an LSTM trained without it. Each is checked against the penalty
 * computed from the weights, before and after a save and reload.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import type { LayersModel } from '../../src/tf-types.js';
import { saveAndReload } from '../helpers/layers.js';

const PENALTY = { kernel_regularizer: { l2: 0.05 }, recurrent_regularizer: { l1: 0.01 }, bias_regularizer: { l1: 0.2, l2: 0.3 } };

const cases: Record<string, object> = {
  lstm: { type: 'lstm', units: 3, ...PENALTY },
  gru: { type: 'gru', units: 3, ...PENALTY },
  'gru reset_after': { type: 'gru', units: 3, reset_after: true, ...PENALTY },
  simple_rnn: { type: 'simple_rnn', units: 3, ...PENALTY },
  'bidirectional lstm': { type: 'bidirectional', layer: { type: 'lstm', units: 3, ...PENALTY } },
};

/** Σ over the model's weights of l1·|w| + l2·w², by each weight's kind (kernel, recurrent_kernel, bias). */
function byHand(model: LayersModel): number {
  let total = 0;
  for (const w of model.weights) {
    const kind = w.name.split('/').pop()!.replace(/_\d+$/, '');
    const values = w.read().dataSync();
    const sum = (f: (v: number) => number) => Array.from(values).reduce((s, v) => s + f(v), 0);
    if (kind === 'kernel') total += 0.05 * sum((v) => v * v);
    else if (kind === 'recurrent_kernel') total += 0.01 * sum(Math.abs);
    else if (kind === 'bias') total += 0.2 * sum(Math.abs) + 0.3 * sum((v) => v * v);
  }
  return total;
}

for (const [name, layer] of Object.entries(cases)) {
  test(`${name}: the weight penalties are the model's losses, before and after a reload`, async () => {
    const engine = await loadEngine('wasm');
    const { tf } = engine;
    const spec = parseSpec('rnn.yaml', stringify({ version: 1, name: 'rnn', seed: 3, model: { layers: [{ type: 'input', shape: [4, 2] }, layer] } }));
    const { model } = buildModel(spec, engine);
    // Non-zero biases, so each penalty counts.
    for (const w of model.weights) if (w.name.includes('bias')) w.write(tf.fill(w.shape as number[], 0.5));
    const want = byHand(model);
    assert.ok(want > 0.5, `the penalty by hand, ${want}`);
    for (const m of [model, await saveAndReload(engine, model)]) {
      const losses = m.calculateLosses() as Tensor[];
      assert.ok(losses.length >= 3, `${losses.length} losses`);
      const got = (tf.addN(losses) as Tensor).dataSync()[0]!;
      assert.ok(Math.abs(got - want) < 1e-4 * want, `${got} against ${want}`);
      tf.dispose(losses);
    }
  });
}
