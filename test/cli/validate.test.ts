/** `strata validate` and the command line's own behaviour, through the real executable. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { configFiles } from '../helpers/paths.js';

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

test('validate does not load TensorFlow.js', async () => {
  const r = await strata(['validate', 'configs/mnist-cnn.yaml'], { env: { NODE_DEBUG: 'module' } });
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stderr, /@tensorflow/);
});
