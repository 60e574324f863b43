/**
 * collectAttention on built (untrained) models: an attention layer fed by the
 * model input itself, inputs without a vocabulary, and models without
 * attention layers.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import type { Dataset } from '../../src/data/types.js';
import { buildModel } from '../../src/model/build.js';
import { collectAttention, drawnSteps } from '../../src/report/attention.js';
import { parseSpec } from '../../src/spec/read.js';
import { blobs } from '../helpers/synthetic.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine('cpu');
});

const spec = (layers: string) => parseSpec('t.yaml', `version: 1\nname: t\nseed: 1\nmodel:\n  layers:\n${layers}`);

test('an attention layer on the model input: maps of every head, positions without tokens, capped by the options', () => {
  const { model } = buildModel(spec('    - {type: input, shape: [60, 3]}\n    - {type: multi_head_attention, heads: 6, key_dim: 2, causal: true}\n    - {type: global_avg_pool1d}\n'), engine);
  const dataset: Dataset = { ...blobs(4, 180), inputShape: [60, 3] };
  const x = engine.tf.randomNormal([1, 60, 3], 0, 1, 'float32', 7);
  const tensors = engine.tf.memory().numTensors;
  const a = collectAttention(engine, model, x, dataset, 0, { maxHeads: 3 })!;
  assert.equal(engine.tf.memory().numTensors, tensors, 'no tensor left behind');
  assert.equal(a.tokens, undefined);
  assert.deepEqual(a.maps.map((m) => [m.part, m.heads, m.shown.length, m.queries, m.keys]), [['attention', 6, 3, 60, 60]]);
  assert.equal(drawnSteps(a, 60), 48, 'the first 48 positions are drawn');
  for (const h of a.maps[0]!.shown) {
    h.weights.forEach((row, t) => {
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-4);
      assert.ok(row.slice(t + 1).every((v) => v < 1e-6), 'causal');
    });
  }
  x.dispose();
  model.dispose();
});

test('a model without attention layers gives no attention maps', () => {
  const { model } = buildModel(spec('    - {type: input, shape: [4]}\n    - {type: dense, units: 2}\n'), engine);
  const x = engine.tf.zeros([1, 4]);
  assert.equal(collectAttention(engine, model, x, blobs(4, 4), 0), undefined);
  x.dispose();
  model.dispose();
});
