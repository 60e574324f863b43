/** Every spec in configs/ fits the bundled dataset it names: input shape and type, output units. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkModelAgainstData } from '../../src/spec/check-data.js';
import { loadDataset } from '../../src/data/load.js';
import { readSpecFile } from '../../src/spec/read.js';
import { labelModeFor, trainConfig } from '../../src/train/config.js';
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
