/**
 * `strata evaluate`, `predict` and `report` through the real executable on a
 * small CSV run: what they refuse (exit 2, naming the argument and the fix,
 * never an internal error) and how they pass over damaged checkpoints (one
 * warning each).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
/** A 3-epoch run on t.csv (features a, b; classes big, small). */
let run: string;

before(async () => {
  dir = tempDir('strata-cli-evaluate-');
  const rows = Array.from({ length: 120 }, (_, i) => `${i % 10},${(i * 3) % 7},${i % 10 >= 5 ? 'big' : 'small'}`);
  writeFileSync(join(dir, 't.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 't.yaml'), 'version: 1\nseed: 1\ndata: {dataset: t.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 2, activation: softmax}\ntrain: {epochs: 3, batch_size: 16, metrics: [accuracy], optimizer: {type: adam, learning_rate: 0.05}}\n');
  run = join(dir, 'run');
  const r = await strata(['train', 't.yaml', '--out', run, '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  writeFileSync(join(dir, 'new.csv'), 'a,b\n0,1\n9,2\n');
});

/** A copy of the run, to damage, whose best checkpoint is its latest, epoch-0003. */
function runCopy(name: string): string {
  const copy = join(dir, name);
  cpSync(run, copy, { recursive: true });
  writeFileSync(join(copy, 'checkpoints', 'best'), `${JSON.stringify({ checkpoint: 'epoch-0003', monitor: 'loss', value: 0.5 })}\n`);
  return copy;
}

const damage = (runDir: string, checkpoint: string) => appendFileSync(join(runDir, 'checkpoints', checkpoint, 'weights.bin'), 'x');
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('strata: warning: '));

test('evaluate prints its table and JSON as before: metrics, confusion matrix, per-class scores', async () => {
  const j = await strata(['evaluate', run, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(j.code, 0, j.stderr);
  const e = JSON.parse(j.stdout) as { checkpoint: string; split: string; examples: number; metrics: Record<string, number>; confusion: { classes: string[]; counts: number[][]; per_class: unknown[] } };
  assert.deepEqual(Object.keys(e), ['checkpoint', 'dataset', 'split', 'examples', 'rows', 'metrics', 'confusion', 'backend']);
  assert.equal(e.split, 'test');
  assert.deepEqual(Object.keys(e.metrics), ['loss', 'accuracy']);
  assert.deepEqual(e.confusion.classes, ['big', 'small']);
  assert.equal(e.confusion.counts.flat().reduce((a, b) => a + b, 0), e.examples);
  const t = await strata(['evaluate', run, '--backend', 'cpu'], { cwd: dir });
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^run\/checkpoints\/epoch-000(\d) \(end of epoch \1\) on .*t\.csv \(test, \d+ examples, cpu backend\)\n\nMetric +Value\n/);
  assert.match(t.stdout, /Confusion matrix \(rows: true class, columns: predicted\)\n +big +small\n/);
  assert.match(t.stdout, /Class +Precision +Recall +F1 +Support\n/);
});

test('--split takes test, validation or train only: anything else exits 2 listing them', async () => {
  for (const odd of ['constructor', 'toString', '__proto__', 'Test']) {
    const r = await strata(['evaluate', run, '--split', odd, '--backend', 'cpu'], { cwd: dir });
    assert.equal(r.code, 2, `${odd}: ${r.stderr}`);
    assert.equal(r.stderr, `--split ${odd}: error: there is no split '${odd}'; choose one of test, validation, train\n`);
  }
  // A split the dataset lacks: the ones it has.
  const v = await strata(['evaluate', run, '--split', 'validation', '--backend', 'cpu'], { cwd: dir });
  assert.equal(v.code, 2);
  assert.match(v.stderr, /^--split validation: error: dataset '.*t\.csv' has no 'validation' split; choose one of test, train\n$/);
});

test('evaluate --data with other columns, other classes or other shapes exits 2 naming the file and what to give', async () => {
  const body = (labels: string[]) => labels.map((l, i) => `${i % 5},${i % 3},${i % 2},${l}`).join('\n');
  writeFileSync(join(dir, 'xyz.csv'), `x,y,z,label\n${body(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'big' : 'small')))}\n`);
  const cols = await strata(['evaluate', run, '--data', 'xyz.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(cols.code, 2, cols.stderr);
  assert.ok(!hasStackTrace(cols.stderr), cols.stderr);
  assert.equal(cols.stderr, "--data xyz.csv: error: 'xyz.csv' has the feature columns x, y, z, but the model was trained on a, b; give a CSV file with the columns a, b in that order, and the label column\n");
  writeFileSync(join(dir, 'ba.csv'), `b,a,label\n${Array.from({ length: 10 }, (_, i) => `${i % 3},${i % 5},${i % 2 ? 'big' : 'small'}`).join('\n')}\n`);
  const order = await strata(['evaluate', run, '--data', 'ba.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(order.code, 2);
  assert.match(order.stderr, /^--data ba\.csv: error: 'ba\.csv' has the feature columns b, a, but the model was trained on a, b; /);
  writeFileSync(join(dir, 'abc.csv'), `a,b,label\n${Array.from({ length: 12 }, (_, i) => `${i % 3},${i % 5},${['x', 'y', 'z'][i % 3]}`).join('\n')}\n`);
  const classes = await strata(['evaluate', run, '--data', 'abc.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(classes.code, 2);
  assert.equal(classes.stderr, "--data abc.csv: error: 'abc.csv' has the classes x, y, z, but the model was trained on big, small; give data labelled with the model's classes\n");
  // The same columns and classes evaluate.
  writeFileSync(join(dir, 'same.csv'), `a,b,label\n${Array.from({ length: 20 }, (_, i) => `${i % 10},${i % 7},${i % 10 >= 5 ? 'big' : 'small'}`).join('\n')}\n`);
  const ok = await strata(['evaluate', run, '--data', 'same.csv', '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  // Another kind of data altogether: a bundled image dataset.
  const images = await strata(['evaluate', run, '--data', 'mnist', '--backend', 'cpu'], { cwd: dir });
  assert.equal(images.code, 2, images.stderr);
  assert.ok(!hasStackTrace(images.stderr), images.stderr);
  assert.match(images.stderr, /^--data mnist: error: 'mnist' gives examples of shape \[28, 28(, 1)?\], but the model takes \[2\]/);
});

test("evaluate --data scales another CSV with the training data's statistics, not its own", async () => {
  // sub.csv holds exactly the run's test rows; its own statistics differ from the training rows'.
  const whole = await strata(['evaluate', run, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(whole.code, 0, whole.stderr);
  const e = JSON.parse(whole.stdout) as { examples: number; rows: number[]; metrics: Record<string, number> };
  const lines = readFileSync(join(dir, 't.csv'), 'utf8').split('\n');
  writeFileSync(join(dir, 'sub.csv'), `${lines[0]}\n${e.rows.map((r) => lines[r - 1]).join('\n')}\n`);
  // The spec's split applies to sub.csv too: its train and test parts together are those rows.
  let sum = 0;
  let n = 0;
  for (const split of ['train', 'test']) {
    const r = await strata(['evaluate', run, '--data', 'sub.csv', '--split', split, '--json', '--backend', 'cpu'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const part = JSON.parse(r.stdout) as { examples: number; metrics: Record<string, number> };
    sum += part.metrics.loss! * part.examples;
    n += part.examples;
  }
  assert.equal(n, e.examples);
  assert.ok(Math.abs(sum / n - e.metrics.loss!) < 1e-5 * Math.max(1, e.metrics.loss!), `loss on sub.csv ${sum / n}, on the run's test split ${e.metrics.loss}`);
});

test('predict --input of a file that is not there, or a directory, exits 2 naming it and what to give', async () => {
  const missing = await strata(['predict', run, '--input', 'missing.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(missing.code, 2, missing.stderr);
  assert.equal(missing.stderr, "--input missing.csv: error: 'missing.csv' does not exist; give the file of inputs to predict: an IDX file of images, a CSV file with the training columns, or a text file with one example per line\n");
  const folder = await strata(['predict', run, '--input', run, '--backend', 'cpu'], { cwd: dir });
  assert.equal(folder.code, 2, folder.stderr);
  assert.match(folder.stderr, /^--input .*run: error: '.*run' is not a file; give the file of inputs to predict/);
});

test('predict prints each input with its class and probability', async () => {
  const r = await strata(['predict', run, '--input', 'new.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Input +Prediction +Probability\n[─ ]+\nline 2 +(big|small) +0\.\d{4}\nline 3 +(big|small) +0\.\d{4}\n/);
});

test('a regression: evaluate adds R² to the spec\'s metrics; predict prints values without a probability column', async () => {
  // y = 2a − b + 1 exactly, so a linear unit learns it and R² is near 1.
  const rows = Array.from({ length: 120 }, (_, i) => [i % 10, (i * 3) % 7]).map(([a, b]) => `${a},${b},${2 * a! - b! + 1}`);
  writeFileSync(join(dir, 'r.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'r-data.yaml'), 'name: r\ntask: regression\nformat: csv\ntrain: r.csv\nlabel: label\ntest_fraction: 0.2\n');
  writeFileSync(join(dir, 'r.yaml'), 'version: 1\nseed: 1\ndata: {dataset: r-data.yaml}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 1}\ntrain: {epochs: 30, batch_size: 16, loss: mean_squared_error, metrics: [mae, rmse], optimizer: {type: adam, learning_rate: 0.1}}\n');
  const regression = join(dir, 'regression');
  const t = await strata(['train', 'r.yaml', '--out', regression, '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(t.code, 0, t.stderr);
  const e = await strata(['evaluate', regression, '--backend', 'cpu', '--json'], { cwd: dir });
  assert.equal(e.code, 0, e.stderr);
  const metrics = (JSON.parse(e.stdout) as { metrics: Record<string, number> }).metrics;
  assert.deepEqual(Object.keys(metrics), ['loss', 'mae', 'rmse', 'r2']);
  assert.ok(metrics.r2! > 0.9 && metrics.r2! <= 1, `R² ${metrics.r2}`);
  const text = await strata(['evaluate', regression, '--backend', 'cpu'], { cwd: dir });
  assert.match(text.stdout, /\nrmse +\d+\.\d{4}\nr2 +(0\.9\d{3}|1\.0000)\n/);
  const p = await strata(['predict', regression, '--input', 'new.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^Input +Prediction\n[─ ]+\nline 2 +-?\d+\.\d{3}\nline 3 +-?\d+\.\d{3}\n/);
  assert.doesNotMatch(p.stdout, /Probability/);
});

test('a damaged best checkpoint that is also the latest is named once, and the one before it used', async () => {
  const copy = runCopy('damaged-latest');
  assert.equal((JSON.parse(readFileSync(join(copy, 'checkpoints', 'latest'), 'utf8')) as { checkpoint: string }).checkpoint, 'epoch-0003');
  damage(copy, 'epoch-0003');
  for (const command of [['evaluate', copy], ['predict', copy, '--input', join(dir, 'new.csv')]]) {
    const r = await strata([...command, '--json', '--backend', 'cpu'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(warnings(r.stderr), ['strata: warning: damaged-latest/checkpoints/epoch-0003/weights.bin is damaged: its sha256 does not match the one in meta.json; using the previous checkpoint, damaged-latest/checkpoints/epoch-0002']);
    assert.equal((JSON.parse(r.stdout) as { checkpoint: string }).checkpoint, join(copy, 'checkpoints', 'epoch-0002'));
  }
});

test('report passes over a damaged epoch checkpoint with one warning, and writes the report', async () => {
  const copy = runCopy('damaged-epoch');
  damage(copy, 'epoch-0002');
  const r = await strata(['report', copy, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.deepEqual(warnings(r.stderr), ['strata: warning: damaged-epoch/checkpoints/epoch-0002/weights.bin is damaged: its sha256 does not match the one in meta.json; the weight norms leave out epoch 2']);
  const out = JSON.parse(r.stdout) as { report: string; checkpoint: string };
  assert.ok(existsSync(out.report));
  assert.equal(out.checkpoint, join(copy, 'checkpoints', 'epoch-0003'));
  // The best damaged too: each named once (not again by the weight norms), the report made from epoch 1.
  damage(copy, 'epoch-0003');
  const again = await strata(['report', copy, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(warnings(again.stderr).map((w) => w.replace(/ is damaged.*; /, ': ')), [
    'strata: warning: damaged-epoch/checkpoints/epoch-0003/weights.bin: using the previous checkpoint, damaged-epoch/checkpoints/epoch-0001',
    'strata: warning: damaged-epoch/checkpoints/epoch-0002/weights.bin: using the previous checkpoint, damaged-epoch/checkpoints/epoch-0001',
  ]);
  assert.equal((JSON.parse(again.stdout) as { checkpoint: string }).checkpoint, join(copy, 'checkpoints', 'epoch-0001'));
  // Every checkpoint damaged: exit 2 with a sentence, not an internal error.
  damage(copy, 'epoch-0001');
  const none = await strata(['report', copy, '--backend', 'cpu'], { cwd: dir });
  assert.equal(none.code, 2, none.stderr);
  assert.ok(!hasStackTrace(none.stderr), none.stderr);
  assert.match(none.stderr, /^report .*damaged-epoch: error: no checkpoint in '.*damaged-epoch' can be used: /m);
});

test('evaluate --json names the rows it evaluated: the lines of the rows strata datasets --export writes for the test split', async () => {
  const j = await strata(['evaluate', run, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(j.code, 0, j.stderr);
  const e = JSON.parse(j.stdout) as { examples: number; rows: number[] };
  assert.equal(e.rows.length, e.examples);
  // The run's seed (1) does not move test_fraction's rows; it would move data.validation's.
  const x = await strata(['datasets', 't.csv', '--seed', '1', '--export', 'held-out'], { cwd: dir });
  assert.equal(x.code, 0, x.stderr);
  const lines = readFileSync(join(dir, 't.csv'), 'utf8').split('\n');
  const [header, ...exported] = readFileSync(join(dir, 'held-out', 'test.csv'), 'utf8').split('\n').filter((l) => l !== '');
  assert.equal(header, lines[0]);
  assert.deepEqual(e.rows.map((line) => lines[line - 1]), exported);
  assert.ok(e.rows.every((line, i) => line > 1 && (i === 0 || line > e.rows[i - 1]!)));
});

test("a run's own data that fails to load is named as the run's, with where its name came from", async () => {
  const copy = runCopy('run-moved-data');
  // The run's spec names a data file that is no longer there (checksums kept true, so the checkpoint is sound).
  const ckpt = join(copy, 'checkpoints', 'epoch-0003');
  const specText = readFileSync(join(ckpt, 'spec.yaml'), 'utf8').replace(/dataset: .*/, `dataset: ${join(dir, 'gone.csv')}`);
  writeFileSync(join(ckpt, 'spec.yaml'), specText);
  const meta = JSON.parse(readFileSync(join(ckpt, 'meta.json'), 'utf8')) as { files: Record<string, string> };
  meta.files['spec.yaml'] = createHash('sha256').update(specText).digest('hex');
  writeFileSync(join(ckpt, 'meta.json'), JSON.stringify(meta));
  const r = await strata(['evaluate', copy, '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[lines.length - 1]!, /^evaluate run-moved-data: error: that is the run's own data, '.*gone\.csv', as data\.dataset in run-moved-data\/checkpoints\/epoch-0003\/spec\.yaml names it; evaluate on other data with --data NAME\|PATH$/);
});
