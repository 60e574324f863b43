/** `strata summary` through the real executable: counts equal TensorFlow.js's and Keras's. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import type { Summary } from '../../src/cli/commands/summary.js';
import { buildModel } from '../../src/model/build.js';
import { readSpecFile } from '../../src/spec/read.js';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { configFiles } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const dense = (inp: number, units: number, bias = true) => inp * units + (bias ? units : 0);
const conv = (k: number, cin: number, filters: number, bias = true) => k * k * cin * filters + (bias ? filters : 0);
const lstm = (inp: number, units: number) => 4 * (units * (inp + units) + units);
/** Keras GRU with reset_after=False, the form TensorFlow.js implements. */
const gru = (inp: number, units: number) => 3 * (units * (inp + units) + units);

/** Per-layer parameter counts Keras gives for the same layers, computed by hand from the formulas. */
const KERAS: Record<string, number[]> = {
  'mnist-mlp': [0, 0, dense(784, 768), 0, dense(768, 64), dense(64, 10)],
  // The earlier 256-128 mnist-mlp the search starts from: its search: section does not change the spec's own model.
  'mnist-mlp-search': [0, 0, dense(784, 256), 0, dense(256, 128), dense(128, 10)],
  // A small student of mnist-cnn (train.distill does not change its model).
  'mnist-student': [0, 0, dense(784, 32), dense(32, 10)],
  // Batch normalization after each bias-free convolution: 4 per channel, 2 of them not trained.
  'mnist-cnn': [0, conv(3, 1, 32, false), 4 * 32, 0, 0, conv(3, 32, 64, false), 4 * 64, 0, 0, 0, 0, dense(5 * 5 * 64, 10)],
  'mnist-resnet': [0, conv(3, 1, 32), conv(3, 32, 32, false), 128, 0, conv(3, 32, 32, false), 128, 0, 0, 0, conv(3, 32, 32, false), 128, 0, conv(3, 32, 32, false), 128, 0, 0, 0, dense(32, 10)],
  'moby-dick-lstm': [0, 82 * 32, lstm(32, 384), 0, lstm(384, 384), 0, dense(384, 82)],
  // 10,000 word features, dropout on them, then the hidden layer.
  'spam-mlp': [0, 0, dense(10000, 64), 0, dense(64, 2)],
  'births-gru': [0, gru(5, 64), dense(64, 7)],
  // A 112-day window, flattened; the MLP and the linear path from the flat window, added.
  'births-mlp': [0, 0, dense(112 * 5, 256), dense(256, 256), dense(256, 7), dense(112 * 5, 7), 0],
  // Keras MultiHeadAttention (4 projections) + 2 LayerNormalization + the feed-forward Dense pair, as Keras Hub's TransformerEncoder.
  'spam-transformer': [0, 10000 * 64, 128 * 64, ...[1, 2].map(() => 4 * dense(64, 64) + 2 * 2 * 64 + dense(64, 128) + dense(128, 64)), 0, dense(64, 2)],
  // Residual blocks expand into their layers, then Add (and Activation); the third block projects its input with a strided 1×1 Conv2D.
  'mnist-resnet-blocks': [
    0,
    conv(3, 1, 16),
    ...[1, 2].flatMap(() => [conv(3, 16, 16, false), 64, 0, conv(3, 16, 16, false), 64, 0, 0]),
    ...[conv(3, 16, 32, false), 128, 0, conv(3, 32, 32, false), 128, conv(1, 16, 32), 0, 0],
    0,
    dense(32, 10),
  ],
  // Dense blocks expand into their Conv2D layers and the Concatenates that feed them.
  'mnist-densenet': [0, conv(3, 1, 16), conv(3, 16, 12), 0, conv(3, 28, 12), 0, conv(3, 40, 12), 0, 2 * 52, conv(1, 52, 32), 0, conv(3, 32, 12), 0, conv(3, 44, 12), 0, 0, dense(56, 10)],
  // No Keras layer: gate kernel (128 × 8) + 8 experts of two Dense layers.
  'mnist-moe': [0, 0, dense(784, 128), 128 * 8 + 8 * (dense(128, 128) + dense(128, 128)), dense(128, 10)],
};

for (const file of configFiles()) {
  const name = basename(file).replace(/\.ya?ml$/, '');
  test(`summary --json of ${name}: parameters equal countParams() and Keras`, async () => {
    const r = await strata(['summary', file, '--json', '--backend', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.deepEqual(Object.keys(s).sort(), ['backend', 'layers', 'name', 'non_trainable_params', 'total_params', 'trainable_params']);
    assert.equal(s.backend, 'cpu');
    for (const l of s.layers) assert.deepEqual(Object.keys(l).sort(), ['name', 'output_shape', 'params', 'type']);

    const { model } = buildModel(readSpecFile(file), await loadEngine('cpu'));
    assert.equal(s.total_params, model.countParams());
    model.dispose();

    const expected = KERAS[name];
    assert.ok(expected, `no Keras reference counts for ${name}; add them to this test`);
    assert.deepEqual(s.layers.map((l) => l.params), expected);
    assert.equal(s.total_params, expected.reduce((a, b) => a + b, 0));
    assert.equal(s.trainable_params + s.non_trainable_params, s.total_params);
  });
}

test('summary prints a table with totals and the backend', async () => {
  const r = await strata(['summary', 'configs/mnist-cnn.yaml', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /conv2d_1\s+conv2d\s+\[batch, 26, 26, 32\]\s+288/);
  assert.match(r.stdout, /Total params: 35,114/);
  assert.match(r.stdout, /Trainable params: 34,922/);
  assert.match(r.stdout, /Non-trainable params: 192/);
  assert.match(r.stdout, /Backend: cpu/);
});

test('batch norm statistics count as non-trainable, as in Keras', async () => {
  const r = await strata(['summary', 'configs/mnist-resnet.yaml', '--json', '--backend', 'cpu']);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.non_trainable_params, 4 * 2 * 32);
});

test('a spec of 200 layers builds and is summarized', async () => {
  const dir = tempDir('strata-');
  const layers: object[] = [{ type: 'input', shape: [16] }];
  for (let i = 0; i < 199; i++) layers.push(i % 2 === 0 ? { type: 'dense', units: 16, activation: 'relu' } : { type: 'layer_norm' });
  const file = join(dir, 'deep.yaml');
  writeFileSync(file, stringify({ version: 1, name: 'deep', model: { layers } }));
  const r = await strata(['summary', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.layers.length, 200);
  assert.equal(s.total_params, 100 * dense(16, 16) + 99 * 32);
});

test('--backend names an unknown or unavailable backend: exit 2 with the choices', async () => {
  const r = await strata(['summary', 'configs/mnist-cnn.yaml', '--backend', 'gpu']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "--backend gpu: error: unknown backend 'gpu'; choose one of tensorflow, wasm, cpu");
  let nativeInstalled = true;
  try {
    await import('@tensorflow/tfjs-node' as string);
  } catch {
    nativeInstalled = false;
  }
  const t = await strata(['summary', 'configs/mnist-cnn.yaml', '--backend', 'tensorflow']);
  if (nativeInstalled) assert.equal(t.code, 0);
  else {
    assert.equal(t.code, 2);
    assert.match(t.stderr, /^--backend tensorflow: error: the tensorflow backend cannot be used here: .*; choose another with --backend \(wasm, cpu\)/);
    assert.ok(!hasStackTrace(t.stderr));
  }
});

test('summary with --set reports override errors like file errors', async () => {
  const r = await strata(['summary', 'configs/mnist-cnn.yaml', '--set', 'model.layers[1].filters=0']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, '--set model.layers[1].filters=0: error: layers[1].filters must be a positive integer, got 0\n');
  assert.equal(r.stdout, '');
});
