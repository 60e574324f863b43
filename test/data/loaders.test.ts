/** The loaders on small files the tests write, and the bundled datasets' shapes. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCsv } from '../../src/data/csv.js';
import { loadDataset } from '../../src/data/load.js';
import { mixSeed, permutation } from '../../src/rng.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('strata-loaders-');
const rows = Array.from({ length: 200 }, (_, i) => `${i},${(i * 7) % 13},${i % 3 === 0 ? 'a' : 'b'}`);
writeFileSync(join(dir, 'table.csv'), `x,y,label\n${rows.join('\n')}\n`);
writeFileSync(join(dir, 'table.yaml'), 'name: table\ntask: classification\nformat: csv\ntrain: table.csv\nlabel: label\ntest_fraction: 0.25\nnormalize: none\n');

const firstValues = async (seed: number) => {
  const d = await loadDataset({ dataset: 'table.yaml', validation: 0.2 }, { seed, baseDir: dir });
  // The split, and the first batch of epoch 1 in the order training draws it.
  const order = permutation(d.train.size, mixSeed(seed, 1)).subarray(0, 8);
  return { validation: Array.from(d.validation!.batch(Int32Array.from({ length: 8 }, (_, i) => i)).x), batch: Array.from(d.train.batch(order).x) };
};

test('the same seed gives the same validation split and batch order; another seed another', async () => {
  const a = await firstValues(1);
  const b = await firstValues(1);
  const c = await firstValues(2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.validation, c.validation);
  assert.notDeepEqual(a.batch, c.batch);
});

test('the test split is fixed by the descriptor, whatever the spec seed', async () => {
  const t = async (seed: number) => {
    const d = await loadDataset({ dataset: 'table.yaml' }, { seed, baseDir: dir });
    return Array.from(d.test!.batch(Int32Array.from({ length: d.test!.size }, (_, i) => i)).x);
  };
  assert.deepEqual(await t(1), await t(99));
});

test('CSV: quoted fields hold commas, quotes and line breaks, and rows keep their line numbers', () => {
  const t = parseCsv('q.csv', 'a,b\n"x, y","say ""hi"""\n"two\nlines",3\n');
  assert.deepEqual(t.rows, [['x, y', 'say "hi"'], ['two\nlines', '3']]);
  assert.deepEqual(t.lines, [2, 3]);
});

test('classification labels are one-hot or sparse as asked, classes named from the column', async () => {
  const one = await loadDataset({ dataset: 'table.yaml' }, { seed: 1, baseDir: dir });
  const sparse = await loadDataset({ dataset: 'table.yaml' }, { seed: 1, baseDir: dir, labels: 'sparse' });
  assert.deepEqual(one.classes, ['a', 'b']);
  assert.deepEqual(one.targetShape, [2]);
  assert.deepEqual(sparse.targetShape, []);
  const i = Int32Array.of(0, 1, 2);
  const ys = Array.from(sparse.train.batch(i).y);
  const yo = Array.from(one.train.batch(i).y);
  assert.deepEqual(yo, ys.flatMap((c) => (c === 0 ? [1, 0] : [0, 1])));
});

test('series: chronological parts, scaling from the training part only, windows aligned with their targets', async () => {
  const values = Array.from({ length: 100 }, (_, t) => t);
  writeFileSync(join(dir, 'series.csv'), `t,v\n${values.map((v, t) => `${t},${v}`).join('\n')}\n`);
  writeFileSync(join(dir, 'series.yaml'), 'name: s\ntask: forecasting\nformat: csv_series\ntrain: series.csv\ntarget: v\nwindow: 5\nhorizon: 2\ntest_fraction: 0.2\n');
  const d = await loadDataset({ dataset: 'series.yaml', validation: 0.1 }, { seed: 1, baseDir: dir });
  const s = d.targetScaling!;
  // Training part: the first 72 steps (100 - 20 test - 8 validation); its mean is 35.5.
  assert.ok(Math.abs(s.offset - 35.5) < 1e-9, `offset ${s.offset}`);
  const unscale = (v: number) => Math.round(v * s.scale + s.offset) + 0;
  const b = d.train.batch(Int32Array.of(0));
  assert.deepEqual(Array.from(b.x).map(unscale), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(b.y).map(unscale), [5, 6]);
  // The last training window's targets end inside the training part; validation targets start after it.
  const lastTrain = d.train.batch(Int32Array.of(d.train.size - 1));
  assert.equal(unscale(lastTrain.y[1]!), 71);
  assert.equal(unscale(d.validation!.batch(Int32Array.of(0)).y[0]!), 72);
});

test('series known_ahead: each row also carries the known columns `horizon` steps later, so the last rows show the forecast steps', async () => {
  // t is the step; day = t mod 7 is a calendar column known in advance.
  const rows = Array.from({ length: 60 }, (_, t) => `${t},${t % 7},${t * 10}`);
  writeFileSync(join(dir, 'ahead.csv'), `t,day,v\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'ahead.yaml'), 'name: a\ntask: forecasting\nformat: csv_series\ntrain: ahead.csv\ntarget: v\ncolumns: [v]\nknown_ahead: [day]\nwindow: 4\nhorizon: 3\ntest_fraction: 0.2\nnormalize: none\n');
  const d = await loadDataset({ dataset: 'ahead.yaml' }, { seed: 1, baseDir: dir });
  assert.deepEqual(d.inputShape, [4, 2]);
  for (const split of [d.train, d.test!]) {
    for (const i of [0, split.size - 1]) {
      const b = split.batch(Int32Array.of(i));
      const x = Array.from(b.x);
      const first = x[0]! / 10; // the step of the window's first row
      // Row r: [v at step first+r, day of step first+r+3]; targets are steps first+4 … first+6.
      assert.deepEqual(x, [0, 1, 2, 3].flatMap((r) => [(first + r) * 10, (first + r + 3) % 7]));
      assert.deepEqual(Array.from(b.y), [4, 5, 6].map((h) => (first + h) * 10));
      // The last `horizon` rows announce the days of the targets.
      assert.deepEqual([1, 2, 3].map((r) => x[r * 2 + 1]), Array.from(b.y).map((v) => (v / 10) % 7));
    }
  }
});

test('bundled mnist: 60,000 + 10,000 examples of [28, 28, 1] in [0, 1], ten classes', async () => {
  const d = await loadDataset({ dataset: 'mnist', validation: 0.1, limit: 100 }, { seed: 1, baseDir: '.' });
  assert.deepEqual(d.inputShape, [28, 28, 1]);
  assert.equal(d.classes!.length, 10);
  assert.equal(d.train.size, 100);
  const x = d.train.batch(Int32Array.from({ length: 100 }, (_, i) => i)).x;
  assert.ok(x.every((v) => v >= 0 && v <= 1));
  assert.ok(x.some((v) => v > 0.99));
});

test('a probe of mnist tells what a load does (shapes, classes, split sizes) without its pixels, and hands out no batches', async () => {
  const data = { dataset: 'mnist', validation: 0.1 };
  const full = await loadDataset(data, { seed: 1, baseDir: '.' });
  const probe = await loadDataset(data, { seed: 1, baseDir: '.', probe: true });
  const shape = (d: typeof full) => [d.name, d.task, d.inputShape, d.inputDtype, d.targetShape, d.targetDtype, d.classes, d.train.size, d.validation?.size, d.test?.size, d.fingerprint];
  assert.deepEqual(shape(probe), shape(full));
  assert.throws(() => probe.train.batch(Int32Array.of(0)), /probed dataset/);
});

test('a probe of labelled text builds the vocabulary (it decides the shapes) but encodes no document', async () => {
  const words = ['free', 'money', 'now', 'meeting', 'at', 'noon', 'lunch', 'prize'];
  const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `${words[i % 8]} ${words[(i * 3) % 8]} ${words[(i * 5) % 8]}`, label: i % 2 ? 'spam' : 'ham' }));
  writeFileSync(join(dir, 'mails.jsonl'), lines.join('\n') + '\n');
  for (const encoding of ['multi_hot', 'sequence']) {
    const desc = `mails-${encoding}.yaml`;
    writeFileSync(join(dir, desc), `name: mails\ntask: classification\nformat: jsonl\ntrain: mails.jsonl\ntest_fraction: 0.25\nencoding: ${encoding}\nsequence_length: 4\n`);
    const full = await loadDataset({ dataset: desc, validation: 0.2 }, { seed: 3, baseDir: dir });
    const probe = await loadDataset({ dataset: desc, validation: 0.2 }, { seed: 3, baseDir: dir, probe: true });
    const shape = (d: typeof full) => [d.inputShape, d.inputDtype, d.targetShape, d.classes, d.vocabulary, d.train.size, d.validation?.size, d.test?.size];
    assert.deepEqual(shape(probe), shape(full), encoding);
    assert.throws(() => probe.test!.batch(Int32Array.of(0)), /probed dataset/);
  }
});
