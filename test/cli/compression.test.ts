/**
 * train.pruning and train.distill through the real executable: a pruned run logs
 * each layer's sparsity and its report charts it; a distilled run finds its
 * teacher relative to the spec and records it absolute; a missing teacher is
 * exit 2 at its line; the torch engine refuses both keys at their lines.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** A two-feature CSV classification and a spec on it, with `train` extra lines. */
function project(train: string, units = 8): string {
  const dir = tempDir('strata-cli-compression-');
  const rows = Array.from({ length: 120 }, (_, i) => `${i % 10},${(i * 3) % 7},${i % 10 >= 5 ? 'big' : 'small'}`);
  writeFileSync(join(dir, 't.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'teacher.yaml'), spec('', 32));
  writeFileSync(join(dir, 'student.yaml'), spec(train, units));
  return dir;
}

function spec(train: string, units: number): string {
  return `version: 1\nseed: 1\ndata: {dataset: t.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, name: hidden, units: ${units}, activation: relu}\n    - {type: dense, name: out, units: 2, activation: softmax}\ntrain:\n  epochs: 3\n  batch_size: 16\n${train}`;
}

test('a pruned run logs each layer’s sparsity every epoch, and its report draws them', async () => {
  const dir = project('  pruning: {type: polynomial, final_sparsity: 0.5, end_epoch: 2, frequency: 2}\n');
  const r = await strata(['train', 'student.yaml', '--out', 'run', '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  assert.deepEqual(lines.map((l) => [l['sparsity/hidden'], l['sparsity/out']]).slice(1), [[0.5, 0.5], [0.5, 0.5]]);
  const report = await strata(['report', 'run', '--backend', 'cpu'], { cwd: dir });
  assert.equal(report.code, 0, report.stderr);
  const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
  // One chart with a line per pruned layer; no learning-curve chart of its own for a sparsity key.
  assert.match(html, /<figure class="chart" data-chart="sparsity" data-series="2"><figcaption>Sparsity per pruned layer<\/figcaption>/);
  assert.doesNotMatch(html, /data-chart="sparsity\//);
});

test('a distilled run finds its teacher beside the spec and keeps it absolute in its spec.yaml; a missing teacher is exit 2 at its line', async () => {
  const dir = project('  distill: {teacher: teacher-run, temperature: 2, alpha: 0.5}\n', 4);
  const missing = await strata(['train', 'student.yaml', '--out', 'student-run', '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.ok(!hasStackTrace(missing.stderr));
  assert.match(missing.stderr.split('\n')[0]!, /^student\.yaml:12:22: error: the teacher 'teacher-run' does not exist; give a strata run directory/);
  assert.ok(!existsSync(join(dir, 'student-run')), 'the run that never started is gone');
  assert.equal((await strata(['train', 'teacher.yaml', '--out', 'teacher-run', '--backend', 'cpu', '--quiet'], { cwd: dir })).code, 0);
  const r = await strata(['train', 'student.yaml', '--out', 'student-run', '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const saved = parse(readFileSync(join(dir, 'student-run', 'spec.yaml'), 'utf8')) as { train: { distill: { teacher: string } } };
  assert.equal(saved.train.distill.teacher, join(dir, 'teacher-run'));
});

test('the torch engine refuses train.pruning and train.distill at their lines, exit 2', async () => {
  const dir = project('  pruning: {type: constant, target_sparsity: 0.5}\n  distill: {teacher: teacher-run}\n');
  const r = await strata(['train', 'student.yaml', '--engine', 'torch', '--quiet'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes('error:')).map((l) => l.replace(/;.*$/, '')), [
    'student.yaml:12:12: error: train.pruning is not supported by the torch engine',
    'student.yaml:13:12: error: train.distill is not supported by the torch engine',
  ]);
});
