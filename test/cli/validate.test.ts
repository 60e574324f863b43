/** `strata validate` and the command line's own behaviour, through the real executable. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { CONFIGS, configFiles } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

/** configs/mnist-mlp.yaml with each `from` replaced by its `to`, written to a new temporary directory. */
function mlpWith(changes: Record<string, string>): { dir: string; file: string } {
  let text = readFileSync(join(CONFIGS, 'mnist-mlp.yaml'), 'utf8');
  for (const [from, to] of Object.entries(changes)) {
    assert.ok(text.includes(from), from);
    text = text.replace(from, to);
  }
  const dir = tempDir('strata-validate-');
  const file = join(dir, 'spec.yaml');
  writeFileSync(file, text);
  return { dir, file };
}

test('validate prints exactly "ok" for every config', async () => {
  for (const file of configFiles()) {
    const r = await strata(['validate', file]);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'ok\n', ''], file);
  }
});

test('validate --json prints one JSON document, with the errors when there are some', async () => {
  const ok = await strata(['validate', 'configs/mnist-mlp.yaml', '--json']);
  assert.deepEqual(JSON.parse(ok.stdout), { ok: true });
  const bad = await strata(['validate', 'configs/mnist-mlp.yaml', '--json', '--set', 'model.layers[2].units=-3']);
  assert.equal(bad.code, 2);
  const doc = JSON.parse(bad.stdout) as { ok: boolean; errors: { arg: string; code: string; message: string }[] };
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.errors, [{ arg: '--set model.layers[2].units=-3', code: 'out-of-range', message: 'layers[2].units must be a positive integer, got -3' }]);
});

test('a missing file, a directory and a bad override exit 2 without a stack trace', async () => {
  for (const args of [['validate', 'no/such/spec.yaml'], ['validate', 'configs'], ['validate', 'configs/mnist-mlp.yaml', '--set', 'oops']]) {
    const r = await strata(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /: error: /);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
  }
});

test('--help lists the commands; unknown commands and options exit 2', async () => {
  const help = await strata(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /validate/);
  assert.match(help.stdout, /summary/);
  const unknown = await strata(['valdate', 'x.yaml']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'valdate'/);
  assert.match(unknown.stderr, /validate/);
  const option = await strata(['validate', '--frobnicate', 'configs/mnist-mlp.yaml']);
  assert.equal(option.code, 2);
});

test('validate does not load TensorFlow.js, with or without the data check', async () => {
  // NODE_DEBUG=module logs CommonJS loads, which is how TensorFlow.js's packages load under Node.
  for (const args of [['configs/mnist-cnn.yaml'], ['configs/spam-mlp.yaml'], ['configs/mnist-cnn.yaml', '--no-data']]) {
    const r = await strata(['validate', ...args], { env: { NODE_DEBUG: 'module' } });
    assert.equal(r.code, 0, args.join(' '));
    assert.doesNotMatch(r.stderr, /@tensorflow/, args.join(' '));
  }
});

test('a misspelt dataset is refused at its dataset: value, with the bundled name it is near, and no path never written', async () => {
  const { dir, file } = mlpWith({ 'dataset: mnist': 'dataset: mnsit' });
  const r = await strata(['validate', file]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('dataset: mnsit')) + 1;
  assert.equal(
    r.stderr,
    `${file}:${line}:12: error: no bundled dataset or file named 'mnsit' (did you mean 'mnist'?); the bundled datasets are births, mnist, moby-dick, spam, and a path is read relative to the spec\n`,
  );
  assert.ok(!r.stderr.includes(join(dir, 'mnsit')), r.stderr);
  // train refuses it with the same line: both go through run/dataset.ts.
  const train = await strata(['train', file, '--out', join(dir, 'run')]);
  assert.equal(train.code, 2);
  assert.equal(train.stderr.split('\n').find((l) => l.includes('error:')), r.stderr.trimEnd());
  const json = await strata(['validate', file, '--json']);
  assert.deepEqual(
    (JSON.parse(json.stdout) as { errors: { code: string; suggestion: string; line: number; col: number }[] }).errors.map((e) => [e.code, e.suggestion, e.line, e.col]),
    [['unknown-dataset', 'mnist', line, 12]],
  );
  // Through --set the error names the argument.
  const set = await strata(['validate', 'configs/mnist-mlp.yaml', '--set', 'data.dataset=mnsit']);
  assert.equal(set.code, 2);
  assert.match(set.stderr, /^--set data\.dataset=mnsit: error: no bundled dataset or file named 'mnsit' \(did you mean 'mnist'\?\)/);
});

test('an input shape the data does not have is refused at the shape, as train refuses it', async () => {
  const { file } = mlpWith({ 'shape: [28, 28, 1]': 'shape: [28, 28, 3]' });
  const r = await strata(['validate', file]);
  assert.equal(r.code, 2);
  const line = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('shape: [28, 28, 3]')) + 1;
  assert.equal(r.stderr, `${file}:${line}:14: error: layers[0] (input) has shape [28, 28, 3] but mnist examples have shape [28, 28, 1]; set shape: [28, 28, 1]\n`);
});

test('--no-data checks the spec alone', async () => {
  const typo = mlpWith({ 'dataset: mnist': 'dataset: mnsit' });
  const shape = mlpWith({ 'shape: [28, 28, 1]': 'shape: [28, 28, 3]' });
  for (const file of [typo.file, shape.file]) {
    const r = await strata(['validate', file, '--no-data']);
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'ok\n', ''], file);
  }
  // The spec's own errors are still found.
  const bad = await strata(['validate', 'configs/mnist-mlp.yaml', '--no-data', '--set', 'model.layers[2].units=-3']);
  assert.equal(bad.code, 2);
});

test('a CSV file given as the spec gets one short line, not the file', async () => {
  const dir = tempDir('strata-validate-');
  const rows = ['sepal_length,sepal_width,petal_length,petal_width,species', ...Array.from({ length: 200 }, (_, i) => `${i},3.5,1.4,0.2,setosa`)];
  for (const name of ['iris.csv', 'iris.data']) {
    const file = join(dir, name);
    writeFileSync(file, rows.join('\n') + '\n');
    const r = await strata(['validate', file]);
    assert.equal(r.code, 2, name);
    assert.equal(r.stderr, `${file}:1:1: error: this looks like a CSV file, not a spec (its first line is "sepal_length,sepal_width,petal_length,petal_width,species"); give the spec, which names the data in data.dataset\n`);
  }
  // Any other text is quoted by its first line, cut short.
  const prose = join(dir, 'notes.txt');
  writeFileSync(prose, `${'word '.repeat(40)}\n${'more '.repeat(40)}\n`);
  const r = await strata(['validate', prose]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.split('\n').length, 2, r.stderr);
  assert.doesNotMatch(r.stderr, /more/);
  assert.match(r.stderr, /but the file holds lines of text \(the first is "(word ){12}…"\)\n$/);
});
