/**
 * The one decoding path (src/eval/decode.ts) for every kind of output and
 * target, and the one confusion matrix: the training metrics' counts on the
 * device agree with decoding, and `strata evaluate` and `strata report` show
 * the same matrix for the same checkpoint and split.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { openCheckpoint } from '../../src/checkpoint/pick.js';
import { loadDataset } from '../../src/data/load.js';
import { classOf, decodeOutput, rows, targetClass } from '../../src/eval/decode.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { collectReport } from '../../src/report/collect.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { MetricAccumulator } from '../../src/train/metrics.js';
import type { TargetKind } from '../../src/train/metrics.js';
import { tempDir } from '../helpers/tmp.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

const approx = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test('a softmax row (one-hot or sparse targets alike) decodes to its most likely class and that probability', () => {
  const d = decodeOutput([0.1, 0.7, 0.2], { task: 'classification', classes: ['cat', 'dog', 'eel'] });
  assert.ok('class' in d);
  assert.equal(d.class, 'dog');
  assert.equal(d.id, 1);
  assert.ok(approx(d.probability, 0.7));
  // Equal scores pick the first, as tf.argMax does.
  assert.equal(classOf([0.4, 0.4, 0.2]).id, 0);
  // A language model's row names a token of its vocabulary.
  const t = decodeOutput([0.2, 0.1, 0.7], { task: 'language_model', vocabulary: ['a', 'b', 'c'] });
  assert.ok('class' in t && t.class === 'c');
  // Without class names the outputs are given as they are.
  assert.deepEqual(decodeOutput([0.25, 0.75], { task: 'classification' }), { values: [0.25, 0.75] });
});

test('one sigmoid unit is class 1 above 0.5 (0.5 itself is class 0, as in Keras), with the probability of the class it picks', () => {
  const info = { task: 'classification', classes: ['ham', 'spam'] };
  const on = decodeOutput([0.8], info);
  const off = decodeOutput([0.3], info);
  const edge = decodeOutput([0.5], info);
  assert.ok('class' in on && 'class' in off && 'class' in edge);
  assert.deepEqual([on.class, off.class, edge.class], ['spam', 'ham', 'ham']);
  assert.ok(approx(on.probability, 0.8) && approx(off.probability, 0.7) && approx(edge.probability, 0.5));
});

test('regression and forecasting outputs decode to values in the data’s units', () => {
  const d = decodeOutput([0.5, -1], { task: 'forecasting', targetScaling: { offset: 10, scale: 4, target: 'births' } });
  assert.deepEqual(d, { values: [12, 6] });
  assert.deepEqual(decodeOutput([0.25], { task: 'regression' }), { values: [0.25] });
});

test('targets decode to class ids: one-hot rows, sparse ids and 0/1 values', () => {
  assert.equal(targetClass([0, 0, 1]), 2);
  assert.equal(targetClass([3]), 3);
  assert.equal(targetClass([1]), 1);
  assert.equal(targetClass([0]), 0);
  assert.deepEqual(rows(Float32Array.from([1, 2, 3, 4, 5, 6]), 3), [[1, 2], [3, 4], [5, 6]]);
});

/** The confusion matrix decoding gives: counts[truth][pred]. */
function decodedMatrix(yTrue: number[][], yPred: number[][], k: number): number[] {
  const m = new Array<number>(k * k).fill(0);
  yTrue.forEach((t, i) => m[targetClass(t) * k + classOf(yPred[i]!).id]!++);
  return m;
}

test('the training metrics’ confusion counts (what evaluate and report show) agree with decoding, for every kind of target', async () => {
  const { tf } = engine;
  const preds = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.3, 0.3, 0.4],
    [0.5, 0.5, 0],
    [0.2, 0.6, 0.2],
  ];
  const ids = [0, 1, 2, 1, 1];
  const cases: { kind: TargetKind; k: number; yTrue: number[][]; yPred: number[][] }[] = [
    { kind: 'one_hot', k: 3, yTrue: ids.map((c) => [0, 1, 2].map((j) => (j === c ? 1 : 0))), yPred: preds },
    { kind: 'sparse', k: 3, yTrue: ids.map((c) => [c]), yPred: preds },
    { kind: 'binary', k: 2, yTrue: [[1], [0], [1], [0], [1]], yPred: [[0.9], [0.5], [0.2], [0.1], [0.7]] },
  ];
  for (const c of cases) {
    const acc = new MetricAccumulator(tf, [], { kind: c.kind, classes: c.kind === 'binary' ? 1 : c.k, topK: 5 }, true);
    const yTrue = c.kind === 'sparse' ? tf.tensor1d(c.yTrue.flat(), 'int32') : tf.tensor2d(c.yTrue);
    const yPred = tf.tensor2d(c.yPred);
    acc.update(tf.scalar(0), c.yTrue.length, yTrue, yPred);
    const counts = Array.from((await acc.confusionCounts())!);
    tf.dispose([yTrue, yPred]);
    acc.dispose();
    assert.deepEqual(counts, decodedMatrix(c.yTrue, c.yPred, c.k), c.kind);
  }
});

test('evaluate and report show the same confusion matrix for the same checkpoint and split, the one decoding gives', async () => {
  const dir = tempDir('strata-confusion-');
  // Three classes from two features; a short run leaves mistakes to count.
  const lines = Array.from({ length: 150 }, (_, i) => `${(i * 7) % 11},${(i * 5) % 13},${['a', 'b', 'c'][(i * 7) % 11 < 4 ? 0 : (i * 5) % 13 < 6 ? 1 : 2]}`);
  writeFileSync(join(dir, 'd.csv'), `x,y,label\n${lines.join('\n')}\n`);
  const text = `version: 1\nname: confusion\nseed: 2\ndata: {dataset: ${join(dir, 'd.csv')}}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 3, activation: softmax}\ntrain: {epochs: 2, batch_size: 16, loss: sparse_categorical_crossentropy, metrics: [accuracy], optimizer: {type: adam, learning_rate: 0.01}}\n`;
  const spec = parseSpec(join(dir, 'spec.yaml'), text, {});
  const dataset = await loadDataset(spec.data!, { seed: 2, baseDir: dir, labels: 'sparse' });
  const runDir = join(dir, 'run');
  createRunDir(runDir, '--out');
  const r = await runSession({ engine, spec, specText: text, dataset, runDir, seed: 2 });

  const checkpoint = openCheckpoint(runDir, 'evaluate', 'best', () => assert.fail('no checkpoint is damaged'));
  const e = await evaluate(engine, checkpoint, { split: 'test' });
  const report = await collectReport(engine, runDir);
  assert.equal(report.split, 'test');
  assert.deepEqual(report.confusion, e.confusion);

  // The same matrix from the best checkpoint's predictions, decoded one by one.
  const { modelFromFiles } = await import('../../src/checkpoint/model-files.js');
  const model = await modelFromFiles(engine, checkpoint.model);
  const test = dataset.test!;
  const batch = test.batch(Array.from({ length: test.size }, (_, i) => i));
  const out = engine.tf.tidy(() => (model.predict(engine.tf.tensor2d(batch.x, [batch.size, 2])) as import('@tensorflow/tfjs-core').Tensor).dataSync());
  model.dispose();
  r.model.dispose();
  const flat = decodedMatrix(rows(batch.y, batch.size), rows(out, batch.size), 3);
  assert.deepEqual(e.confusion!.counts.flat(), flat);
  assert.equal(flat.reduce((a, b) => a + b, 0), test.size);
  assert.deepEqual(e.confusion!.classes, ['a', 'b', 'c']);
});
