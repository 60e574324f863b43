/**
 * The `train:` registry on the torch engine: Python offers exactly the registry's
 * optimizers, losses and metrics (schedules are computed in TypeScript and sent),
 * and each gives what TensorFlow.js gives on the same numbers: every loss per
 * example, every metric's summed statistics under each target encoding, and every
 * optimizer's weights after three steps on the same gradients.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { Variable } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { Rng } from '../../src/rng.js';
import { PYTHON_ROOT } from '../../src/torch/python.js';
import type { MetricContext, Settings } from '../../src/train-registry/entry.js';
import { settingsOf } from '../../src/train-registry/entry.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import { makeOptimizer } from '../../src/train-registry/optimizers.js';
import { tempDir } from '../helpers/tmp.js';
import { skipWithoutTorch, torchPython } from '../helpers/torch.js';

const skip = skipWithoutTorch();
const rng = new Rng(20261202);
const uniform = (n: number) => Float32Array.from({ length: n }, () => rng.next());

interface Case {
  kind: 'loss' | 'metric' | 'optimizer';
  name: string;
  /** What TensorFlow.js gave, to compare with Python's answer. */
  expected: Float32Array;
  tolerance: number;
  json: Record<string, unknown>;
}

let engine: Engine;
let dir: string;
let files = 0;
const cases: Case[] = [];

/** Write an array for Python; its description for cases.json. */
function put(values: Float32Array, shape: number[]): { file: string; shape: number[] } {
  const file = `in-${files++}.bin`;
  writeFileSync(join(dir, file), new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return { file, shape };
}

/** Targets and predictions of each encoding: [batch 6, steps 3, classes 4] for classes, so sequence metrics are covered. */
function data(kind: MetricContext['kind']): { y: Float32Array; yShape: number[]; p: Float32Array; pShape: number[]; classes: number } {
  const { tf } = engine;
  const n = 18;
  if (kind === 'binary') return { y: Float32Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0), yShape: [n, 1], p: uniform(n), pShape: [n, 1], classes: 1 };
  if (kind === 'regression') return { y: uniform(n * 2).map((v) => v * 4 - 2), yShape: [n, 2], p: uniform(n * 2).map((v) => v * 4 - 2), pShape: [n, 2], classes: 2 };
  const logits = tf.tensor(uniform(n * 4).map((v) => v * 6), [6, 3, 4]);
  const p = tf.softmax(logits).dataSync() as Float32Array;
  logits.dispose();
  const ids = Float32Array.from({ length: n }, () => Math.floor(rng.next() * 4));
  if (kind === 'sparse') return { y: ids, yShape: [6, 3], p, pShape: [6, 3, 4], classes: 4 };
  const onehot = new Float32Array(n * 4);
  ids.forEach((c, i) => (onehot[i * 4 + c] = 1));
  return { y: onehot, yShape: [6, 3, 4], p, pShape: [6, 3, 4], classes: 4 };
}

function lossCases(): void {
  const { tf } = engine;
  for (const def of trainRegistry.losses) {
    const kind = def.targets === 'one_hot' ? 'one_hot' : def.targets === 'values' ? 'regression' : def.targets;
    for (const smoothing of def.smoothing ? [0, 0.1] : [0]) {
      const d = data(kind);
      const expected = tf.tidy(() => def.make(tf, { labelSmoothing: smoothing })(tf.tensor(d.y, d.yShape), tf.tensor(d.p, d.pShape)).dataSync() as Float32Array);
      cases.push({ kind: 'loss', name: def.name, expected, tolerance: 1e-5, json: { smoothing, y: put(d.y, d.yShape), p: put(d.p, d.pShape) } });
    }
  }
}

function metricCases(): void {
  const { tf } = engine;
  for (const def of trainRegistry.metrics) {
    for (const kind of ['sparse', 'one_hot', 'binary', 'regression'] as const) {
      const classy = !['mae', 'rmse', 'mape', 'r2'].includes(def.name);
      if (classy === (kind === 'regression')) continue;
      if ((def.name === 'top_k_accuracy' || def.name === 'perplexity' || def.name === 'bits_per_character') && kind === 'binary') continue;
      const d = data(kind);
      const context: MetricContext = { kind, classes: d.classes, topK: 2 };
      const expected = tf.tidy(() => def.stats(tf, tf.tensor(d.y, d.yShape), tf.tensor(d.p, d.pShape), context).dataSync() as Float32Array);
      cases.push({ kind: 'metric', name: `${def.name}/${kind}`, expected, tolerance: 1e-4, json: { name: def.name, context, y: put(d.y, d.yShape), p: put(d.p, d.pShape) } });
    }
  }
}

function optimizerCases(): void {
  const { tf } = engine;
  const variants: Record<string, Record<string, unknown>[]> = { sgd: [{}, { momentum: 0.9 }, { momentum: 0.9, nesterov: true }], rmsprop: [{}, { momentum: 0.5 }], adamw: [{ weight_decay: 0.1 }] };
  for (const def of trainRegistry.optimizers) {
    for (const given of variants[def.name] ?? [{}]) {
      const settings: Settings = settingsOf(def, { type: def.name, learning_rate: 0.05, ...given });
      const w0 = uniform(12).map((v) => v - 0.5);
      const grads = uniform(36).map((v) => v * 2 - 1);
      const opt = makeOptimizer(tf, { def, settings });
      const w = tf.variable(tf.tensor(w0, [3, 4]), true, `w_${def.name}_${cases.length}`);
      for (let s = 0; s < 3; s++) {
        opt.decay([w as Variable], 0.05);
        const g = tf.tensor(grads.subarray(s * 12, (s + 1) * 12), [3, 4]);
        opt.optimizer.applyGradients({ [w.name]: g });
        g.dispose();
      }
      const expected = w.dataSync() as Float32Array;
      opt.optimizer.dispose();
      w.dispose();
      cases.push({ kind: 'optimizer', name: `${def.name} ${JSON.stringify(given)}`, expected, tolerance: 1e-5, json: { name: def.name, settings, w: put(w0, [3, 4]), grads: put(grads, [3, 3, 4]) } });
    }
  }
}

let listed: { losses: string[]; metrics: string[]; optimizers: string[] };

before(async () => {
  if (skip) return;
  engine = await loadEngine('cpu');
  dir = tempDir('strata-train-ops-');
  lossCases();
  metricCases();
  optimizerCases();
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases.map((c) => ({ kind: c.kind, name: c.name, ...c.json }))));
  execFileSync(torchPython().command, ['-m', 'strata_torch.ops_parity', dir], { env: { ...process.env, PYTHONPATH: PYTHON_ROOT }, stdio: ['ignore', 'inherit', 'inherit'] });
  listed = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as typeof listed;
});

test('Python offers exactly the registry\'s optimizers, losses and metrics', { skip }, () => {
  assert.deepEqual(listed.losses, trainRegistry.losses.names().slice().sort());
  assert.deepEqual(listed.metrics, trainRegistry.metrics.names().slice().sort());
  assert.deepEqual(listed.optimizers, trainRegistry.optimizers.names().slice().sort());
});

test('every loss, metric and optimizer gives on PyTorch what it gives on TensorFlow.js', { skip }, () => {
  const wrong: string[] = [];
  cases.forEach((c, i) => {
    const b = readFileSync(join(dir, `out-${i}.bin`));
    const got = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const scale = Math.max(1, ...Array.from(c.expected, Math.abs));
    const off = got.length !== c.expected.length ? Infinity : Math.max(0, ...Array.from(got, (v, j) => Math.abs(v - c.expected[j]!)));
    if (!(off <= c.tolerance * scale)) wrong.push(`${c.kind} ${c.name}: off by ${off} (expected ${Array.from(c.expected.slice(0, 6)).join(', ')}…, got ${Array.from(got.slice(0, 6)).join(', ')}…)`);
  });
  assert.deepEqual(wrong, []);
  assert.ok(cases.length > 30, `${cases.length} cases`);
});

