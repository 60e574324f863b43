/**
 * `strata compress` through the real executable: sizes and metrics before and
 * after, the compressed model read by evaluate, predict and report, what it
 * refuses (exit 2 naming the argument), and that nothing is overwritten.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import type { CompressResult } from '../../src/compress/compress.js';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

let dir: string;
/** A 3-epoch run on t.csv (features a, b; classes far, near) of a model whose weights outweigh its model.json. */
let run: string;

before(async () => {
  dir = tempDir('strata-cli-compress-');
  let seed = 5;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 6 - 3;
  const rows = Array.from({ length: 300 }, () => {
    const a = rand();
    const b = rand();
    return `${a.toFixed(3)},${b.toFixed(3)},${a * a + b * b > 4 ? 'far' : 'near'}`;
  });
  writeFileSync(join(dir, 't.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 't.yaml'), 'version: 1\nseed: 1\ndata: {dataset: t.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 64, activation: relu}\n    - {type: dense, units: 64, activation: relu}\n    - {type: dense, units: 2, activation: softmax}\ntrain: {epochs: 3, batch_size: 16, metrics: [accuracy], optimizer: {type: adam, learning_rate: 0.02}}\n');
  writeFileSync(join(dir, 'new.csv'), 'a,b\n0,0.5\n2.5,2.5\n');
  run = join(dir, 'run');
  const r = await strata(['train', 't.yaml', '--out', run, '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
});

test('compress --quantize uint8 --json: the sizes (weights 4× smaller) and the test metrics before and after; the output is a model evaluate, predict and report read', async () => {
  const r = await strata(['compress', run, '--quantize', 'uint8', '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const c = JSON.parse(r.stdout) as CompressResult;
  assert.deepEqual(Object.keys(c), ['checkpoint', 'out', 'quantize', 'weights', 'size', 'metrics']);
  const out = join(run, 'compressed-uint8');
  assert.equal(c.out, out);
  assert.equal(c.quantize, 'uint8');
  assert.deepEqual(c.weights, { quantized: ['dense_1/kernel', 'dense_1/bias', 'dense_2/kernel', 'dense_2/bias', 'dense_3/kernel', 'dense_3/bias'], kept: [] });
  // The sizes are the files' own: model.json + weights.bin, raw and gzipped.
  const size = (folder: string) => statSync(join(folder, 'model.json')).size + statSync(join(folder, 'weights.bin')).size;
  assert.equal(c.size.before.raw, size(c.checkpoint));
  assert.equal(c.size.after.raw, size(out));
  assert.equal(statSync(join(out, 'weights.bin')).size * 4, statSync(join(c.checkpoint, 'weights.bin')).size);
  assert.ok(c.size.after.raw < c.size.before.raw / 2.5, JSON.stringify(c.size));
  assert.ok(c.size.after.gzip < c.size.before.gzip / 2, JSON.stringify(c.size));
  for (const s of [c.size.before, c.size.after]) assert.ok(s.gzip > 0 && s.gzip < s.raw);
  // The metrics are strata evaluate's, on the same split, of each model.
  const m = c.metrics!;
  assert.equal(m.split, 'test');
  assert.deepEqual(Object.keys(m.before), ['loss', 'accuracy']);
  assert.deepEqual(Object.keys(m.after), ['loss', 'accuracy']);
  const before = await strata(['evaluate', run, '--json', '--backend', 'cpu'], { cwd: dir });
  const after = await strata(['evaluate', out, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(after.code, 0, after.stderr);
  assert.deepEqual((JSON.parse(before.stdout) as { metrics: unknown }).metrics, m.before);
  assert.deepEqual((JSON.parse(after.stdout) as { metrics: unknown }).metrics, m.after);
  assert.notEqual(m.after.loss, m.before.loss, 'the quantized weights changed nothing');
  assert.ok(Math.abs(m.after.loss! - m.before.loss!) < 0.05, JSON.stringify(m));
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { compression: { quantize: string; source: string }; optimizer: { weights: unknown[] } };
  assert.equal(meta.compression.quantize, 'uint8');
  assert.equal(join(out, meta.compression.source), c.checkpoint);
  assert.deepEqual(meta.optimizer.weights, []);
  const p = await strata(['predict', out, '--input', 'new.csv', '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual((JSON.parse(p.stdout) as { predictions: { class: string }[] }).predictions.map((x) => typeof x.class), ['string', 'string']);
  const rep = await strata(['report', out, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(rep.code, 0, rep.stderr);
  // The run's log came along: the report has its learning curves.
  assert.equal((JSON.parse(rep.stdout) as { epochs: number }).epochs, 3);
});

test('the human output: what was written, a size table and a metrics table; a checkpoint given is compressed beside itself', async () => {
  const checkpoint = join(run, 'checkpoints', 'epoch-0002');
  const r = await strata(['compress', checkpoint, '--quantize', 'float16', '--only', '*/kernel', '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run\/checkpoints\/epoch-0002 \(end of epoch 2\) → run\/checkpoints\/epoch-0002-float16: 3 of 6 weights stored as float16\n\n/);
  assert.match(r.stdout, /Size \(bytes\) +Before +After +Smaller by\n─+.*\nraw +[\d,]+ +[\d,]+ +\d\.\d\d×\ngzipped +[\d,]+ +[\d,]+ +\d\.\d\d×\n/);
  assert.match(r.stdout, /On .*t\.csv \(test, \d+ examples\)\nMetric +Before +After +Change\n─+.*\nloss +\d\.\d{4} +\d\.\d{4} +[+−]\d\.\d{4}\naccuracy /);
  const json = JSON.parse(readFileSync(join(checkpoint + '-float16', 'model.json'), 'utf8')) as { weightsManifest: { weights: { name: string; quantization?: { dtype: string } }[] }[] };
  assert.deepEqual(
    json.weightsManifest[0]!.weights.map((w) => [w.name, w.quantization?.dtype ?? null]),
    [['dense_1/kernel', 'float16'], ['dense_1/bias', null], ['dense_2/kernel', 'float16'], ['dense_2/bias', null], ['dense_3/kernel', 'float16'], ['dense_3/bias', null]],
  );
  // A run's checkpoints are still the ones it had: the compressed folder is not one of them.
  const e = await strata(['evaluate', run, '--json', '--backend', 'cpu'], { cwd: dir });
  assert.match((JSON.parse(e.stdout) as { checkpoint: string }).checkpoint, /epoch-000\d$/);
});

test('an unknown --quantize, an --only matching nothing, a target that is no run: exit 2 naming the argument and the choices', async () => {
  const bad = await strata(['compress', run, '--quantize', 'int8', '--backend', 'cpu'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, "--quantize int8: error: unknown storage type 'int8'; choose one of uint8, uint16, float16\n");
  const missing = await strata(['compress', run], { cwd: dir });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /required option '--quantize <dtype>' not specified/);
  const only = await strata(['compress', run, '--quantize', 'uint8', '--only', 'conv*', '--out', 'x', '--backend', 'cpu'], { cwd: dir });
  assert.equal(only.code, 2);
  assert.match(only.stderr, /^--only conv\*: error: 'conv\*' matches no weight; the float32 weights are dense_1\/kernel, dense_1\/bias, dense_2\/kernel, dense_2\/bias, dense_3\/kernel, dense_3\/bias \(/);
  assert.ok(!existsSync(join(dir, 'x')));
  const none = await strata(['compress', 'nowhere', '--quantize', 'uint8'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.equal(none.stderr, "compress nowhere: error: 'nowhere' is not a directory; give a run directory (such as runs/mnist-cnn-20261125-101500) or one of its checkpoints\n");
  const split = await strata(['compress', run, '--quantize', 'uint8', '--split', 'dev'], { cwd: dir });
  assert.equal(split.code, 2);
  assert.match(split.stderr, /^--split dev: error: there is no split 'dev'/);
  for (const r of [bad, only, none, split]) assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test('an --out that exists and is not empty is refused (exit 2) and left as it was; an empty one is used; --no-evaluate gives sizes only', async () => {
  const full = join(dir, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'keep.txt'), 'mine');
  const r = await strata(['compress', run, '--quantize', 'uint16', '--out', full, '--backend', 'cpu'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `--out ${full}: error: '${full}' already exists and is not an empty folder; remove it or give another --out DIR\n`);
  assert.equal(readFileSync(join(full, 'keep.txt'), 'utf8'), 'mine');
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const ok = await strata(['compress', run, '--quantize', 'uint16', '--out', empty, '--no-evaluate', '--json', '--backend', 'cpu'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  const c = JSON.parse(ok.stdout) as CompressResult;
  assert.equal(c.metrics, undefined);
  assert.equal(statSync(join(empty, 'weights.bin')).size * 2, statSync(join(c.checkpoint, 'weights.bin')).size);
  // A compressed model is not resumed: it keeps no optimizer state.
  const resume = await strata(['train', '--resume', empty, '--backend', 'cpu', '--quiet'], { cwd: dir });
  assert.equal(resume.code, 2);
  assert.match(resume.stderr, /^--resume .*empty: error: empty is a compressed model \(strata compress: its weights stored as uint16, no optimizer state\), which training does not continue from; resume the checkpoint it was made from, run\/checkpoints\/epoch-000\d\n$/);
});
