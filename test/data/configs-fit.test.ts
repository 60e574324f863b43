/** Every spec in configs/ fits the bundled dataset it names: input shape and type, output units. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkModelAgainstData } from '../../src/spec/check-data.js';
import { loadDataset } from '../../src/data/load.js';
import { readSpecFile } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { labelModeFor } from '../../src/train/targets.js';
import { ROOT } from '../helpers/cli.js';

for (const f of readdirSync(join(ROOT, 'configs')).filter((n) => n.endsWith('.yaml'))) {
  test(`configs/${f} fits its dataset`, async () => {
    const spec = readSpecFile(join(ROOT, 'configs', f));
    if (!spec.data) return;
    const labels = labelModeFor(trainConfig(spec.train, false).loss, spec);
    const d = await loadDataset({ ...spec.data, limit: 16 }, { seed: 1, baseDir: join(ROOT, 'configs'), labels });
    assert.deepEqual(checkModelAgainstData(spec, d).map((x) => x.message), []);
  });
}

test('a model that does not fit is refused at the layer, with the fix', async () => {
  const { parseSpec } = await import('../../src/spec/read.js');
  const spec = parseSpec('m.yaml', 'version: 1\ndata: {dataset: mnist}\nmodel:\n  layers:\n    - {type: input, shape: [784]}\n    - {type: dense, units: 12, activation: softmax}\n');
  const d = await loadDataset({ dataset: 'mnist', limit: 8 }, { seed: 1, baseDir: '.' });
  const problems = checkModelAgainstData(spec, d);
  assert.deepEqual(problems.map((p) => `${p.line}:${p.col}: ${p.message}`), [
    '5:28: layers[0] (input) has shape [784] but mnist examples have shape [28, 28, 1]; set shape: [28, 28, 1]',
    '6:28: layers[1] (dense) outputs [12] but mnist has 10 classes, so its last layer needs 10 units (softmax)',
  ]);
});

test('one sigmoid unit over two classes needs a loss that takes 0/1 targets; a val_ monitor needs validation data', async () => {
  const { parseSpec } = await import('../../src/spec/read.js');
  const { tempDir } = await import('../helpers/tmp.js');
  const { writeFileSync } = await import('node:fs');
  const dir = tempDir('strata-fit-');
  writeFileSync(join(dir, 'd.csv'), 'a,b,label\n0,1,no\n1,0,yes\n1,1,yes\n0,0,no\n');
  const check = async (loss: string, extra = '') => {
    const spec = parseSpec(
      join(dir, 's.yaml'),
      `version: 1\ndata: {dataset: d.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 1, activation: sigmoid}\ntrain:\n  loss: ${loss}\n${extra}`,
    );
    const labels = labelModeFor(trainConfig(spec.train, false).loss, spec);
    const d = await loadDataset({ dataset: 'd.csv' }, { seed: 1, baseDir: dir, labels });
    return checkModelAgainstData(spec, d).map((p) => `${p.line}:${p.col}: ${p.message.replace(`${dir}/`, '')}`);
  };
  assert.deepEqual(await check('binary_crossentropy'), []);
  assert.deepEqual(await check('categorical_crossentropy'), [
    '6:28: layers[1] (dense) outputs [1] but d.csv has 2 classes, and one sigmoid unit needs a loss that takes 0/1 targets; set train.loss: binary_crossentropy, or give the layer 2 units (softmax)',
  ]);
  assert.deepEqual(await check('binary_crossentropy', '  metrics: [accuracy]\n  early_stopping: {monitor: val_accuracy}\n'), [
    '10:29: train.early_stopping.monitor watches val_accuracy, but the data has no validation split, so it is never computed; set data.validation (such as 0.1) or watch accuracy',
  ]);
});
