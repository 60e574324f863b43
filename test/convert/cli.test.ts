/** `strata convert` and `strata summary` on model JSON, through the real executable. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Summary } from '../../src/cli/commands/summary.js';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { CONFIGS, FIXTURES } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const KERAS = join(FIXTURES, 'keras');
const tmp = () => tempDir('strata-convert-');

test('a lossy conversion lists layer, field and why, and exits 2 unless --lossy', async () => {
  const file = join(KERAS, 'invalid', 'lossy.json');
  const r = await strata(['convert', file, '--to', 'yaml']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.deepEqual(lines.map((l) => /layer '(\w+)': (\w+):/.exec(l)?.slice(1, 3).join('.')), ['conv.groups', 'conv.kernel_constraint', 'gru.stateful', 'out.activation']);
  assert.ok(lines.every((l) => l.startsWith(`${file}: error: `) && l.endsWith('pass --lossy to convert without it')));

  const asJson = await strata(['convert', file, '--to', 'yaml', '--json']);
  assert.equal(asJson.code, 2);
  const doc = JSON.parse(asJson.stdout) as { ok: boolean; errors: { code: string }[] };
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.errors.map((e) => e.code), ['lossy', 'lossy', 'lossy', 'lossy']);

  const ok = await strata(['convert', file, '--to', 'yaml', '--lossy']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr.trim().split('\n').filter((l) => l.includes(': warning: ')).length, 4);
  const spec = parse(ok.stdout) as { model: { layers: { type: string }[] } };
  assert.deepEqual(spec.model.layers.map((l) => l.type), ['input', 'conv2d', 'reshape', 'gru', 'dense']);
});

test('what cannot be converted at all is an error naming the layer, without a stack trace', async () => {
  const lambda = await strata(['convert', join(KERAS, 'invalid', 'unsupported-lambda.json'), '--to', 'yaml', '--lossy']);
  assert.equal(lambda.code, 2);
  assert.match(lambda.stderr, /Keras class Lambda \(layer 'fn'\) has no strata layer type/);
  const shared = await strata(['convert', join(KERAS, 'invalid', 'shared-layer.json'), '--to', 'json']);
  assert.equal(shared.code, 2);
  assert.match(shared.stderr, /layer 'shared' \(Dense\) is shared: it is called 2 times/);
  const invalid = await strata(['summary', join(KERAS, 'invalid', 'dropout-rate-1.json')]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /error: the converted spec would not be valid: layer 'drop': layers\[2\]\.rate must be less than 1/);
  const bad = await strata(['convert', join(CONFIGS, 'mnist-cnn.yaml'), '--to', 'tflite']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--to tflite: error: unknown output format 'tflite'; choose one of yaml, json, keras, onnx/);
  for (const r of [lambda, shared, invalid, bad]) assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test('the input format comes from the content, not the file name', async () => {
  const dir = tmp();
  const kerasAsYaml = join(dir, 'model.yaml');
  writeFileSync(kerasAsYaml, readFileSync(join(KERAS, 'keras2-conv.json')));
  const specAsTxt = join(dir, 'spec.txt');
  writeFileSync(specAsTxt, readFileSync(join(CONFIGS, 'mnist-mlp.yaml')));
  const a = await strata(['convert', kerasAsYaml, '--to', 'json', '--json']);
  assert.equal(a.code, 0, a.stderr);
  const da = JSON.parse(a.stdout) as { ok: boolean; from: string; lossy: unknown[]; text: string };
  assert.equal(da.ok, true);
  assert.equal(da.from, 'keras');
  assert.deepEqual(da.lossy, []);
  assert.equal((JSON.parse(da.text) as { name: string }).name, 'cnn');
  const b = await strata(['convert', specAsTxt, '--to', 'json', '--json']);
  assert.equal(b.code, 0, b.stderr);
  assert.equal((JSON.parse(b.stdout) as { from: string }).from, 'yaml');
});

test('spec → Keras with -o, then a checkpoint directory and model.json → spec and summary', async () => {
  const dir = tmp();
  const out = join(dir, 'keras.json');
  const r = await strata(['convert', join(CONFIGS, 'mnist-resnet.yaml'), '--to', 'keras', '-o', out, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const keras = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown>;
  // A checkpoint: TensorFlow.js's layers-model format, in a directory.
  const ckpt = join(dir, 'checkpoints', 'epoch-3');
  mkdirSync(ckpt, { recursive: true });
  writeFileSync(join(ckpt, 'model.json'), JSON.stringify({ format: 'layers-model', generatedBy: 'TensorFlow.js tfjs-layers v4.22.0', modelTopology: { ...keras, strata: undefined }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
  const y = await strata(['convert', ckpt, '--to', 'yaml']);
  assert.equal(y.code, 0, y.stderr);
  const spec = parse(y.stdout) as { model: { layers: { name: string }[] } };
  assert.ok(spec.model.layers.some((l) => l.name === 'block1'));

  const targets = [ckpt, join(ckpt, 'model.json'), out];
  const [original, ...results] = await Promise.all([join(CONFIGS, 'mnist-resnet.yaml'), ...targets].map((t) => strata(['summary', t, '--json', '--backend', 'cpu'])));
  for (const [i, target] of targets.entries()) {
    const s = results[i]!;
    assert.equal(s.code, 0, s.stderr);
    const a = JSON.parse(original!.stdout) as Summary;
    const b = JSON.parse(s.stdout) as Summary;
    assert.equal(b.total_params, a.total_params, target);
    assert.equal(b.non_trainable_params, a.non_trainable_params, target);
    assert.deepEqual(b.layers.map((l) => l.type), a.layers.map((l) => l.type), target);
  }
  const empty = await strata(['summary', dir, '--backend', 'cpu']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /this directory has no model\.json, so it is not a checkpoint/);
});

test('an output that cannot be written exits 1 with the path and a plain reason, not a bug', async () => {
  const out = join(tmp(), 'missing', 'model.json');
  const r = await strata(['convert', join(CONFIGS, 'mnist-mlp.yaml'), '--to', 'keras', '-o', out, '--backend', 'cpu']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /model\.json: error: cannot write the output: the folder it goes in does not exist \(ENOENT\)$/m);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
});
