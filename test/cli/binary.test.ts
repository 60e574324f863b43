/**
 * Two classes and one sigmoid unit with binary_crossentropy, as Keras users
 * write a yes/no classifier: labels reach the loss as one 0/1 value, and
 * train, evaluate and predict agree on which class is which.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('a two-class CSV trains, evaluates and predicts with one sigmoid unit and binary_crossentropy', async () => {
  const dir = tempDir('strata-binary-');
  // yes when a + b > 1: separable, so a few epochs learn most of it.
  const rows = ['a,b,label'];
  for (let i = 0; i < 240; i++) {
    const a = ((i * 37) % 100) / 100;
    const b = ((i * 53 + 11) % 100) / 100;
    rows.push(`${a},${b},${a + b > 1 ? 'yes' : 'no'}`);
  }
  writeFileSync(join(dir, 'd.csv'), `${rows.join('\n')}\n`);
  writeFileSync(
    join(dir, 's.yaml'),
    `version: 1
seed: 3
data: {dataset: d.csv, validation: 0.2}
model:
  layers:
    - {type: input, shape: [2]}
    - {type: dense, units: 16, activation: relu}
    - {type: dense, units: 1, activation: sigmoid}
train:
  epochs: 30
  batch_size: 16
  optimizer: {type: adam, learning_rate: 0.03}
  loss: binary_crossentropy
  metrics: [accuracy, auc]
`,
  );
  const run = join(dir, 'run');
  const t = await strata(['train', join(dir, 's.yaml'), '--out', run, '--backend', 'cpu', '--json']);
  assert.equal(t.code, 0, t.stderr);
  const last = t.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).filter((r) => typeof r.val_accuracy === 'number').pop()!;
  assert.ok(last.val_accuracy! > 0.8, `validation accuracy ${last.val_accuracy}`);

  const e = await strata(['evaluate', run, '--backend', 'cpu', '--split', 'validation']);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /no\s+yes/, 'the confusion matrix has both classes');

  writeFileSync(join(dir, 'in.csv'), 'a,b\n0.95,0.9\n0.05,0.1\n');
  const p = await strata(['predict', run, '--input', join(dir, 'in.csv'), '--backend', 'cpu']);
  assert.equal(p.code, 0, p.stderr);
  assert.ok(!hasStackTrace(p.stderr));
  assert.match(p.stdout, /line 2\s+yes/);
  assert.match(p.stdout, /line 3\s+no/);
});
