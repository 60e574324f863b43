/**
 * `strata evaluate`, `predict` and `report` through the real executable on a
 * small CSV run: what they refuse (exit 2, naming the argument and the fix,
 * never an internal error) and how they pass over damaged checkpoints (one
 * warning each).
 */
import assert from 'node:assert/strict';
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
  assert.deepEqual(Object.keys(e), ['checkpoint', 'dataset', 'split', 'examples', 'metrics', 'confusion', 'backend']);
  assert.equal(e.split, 'test');
  assert.deepEqual(Object.keys(e.metrics), ['loss', 'accuracy']);
  assert.deepEqual(e.confusion.classes, ['big', 'small']);
  assert.equal(e.confusion.counts.flat().reduce((a, b) => a + b, 0), e.examples);
  const t = await strata(['evaluate', run, '--backend', 'cpu'], { cwd: dir });
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^run\/checkpoints\/epoch-000\d on .*t\.csv \(test, \d+ examples, cpu backend\)\n\nMetric +Value\n/);
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

test('predict prints each input with its class and probability', async () => {
  const r = await strata(['predict', run, '--input', 'new.csv', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Input +Prediction +Probability\n[─ ]+\nline 2 +(big|small) +0\.\d{4}\nline 3 +(big|small) +0\.\d{4}\n/);
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
