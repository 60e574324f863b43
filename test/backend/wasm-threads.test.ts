/**
 * The wasm backend's threaded build under Node: it starts with the threads
 * asked for, trains to the same numbers as the single-threaded build, lets the
 * process end, and STRATA_THREADS is checked like any other input.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { wantedThreads } from '../../src/backend/wasm-threads.js';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { SMALL_DENSE_SPEC } from '../helpers/small-dense.js';
import { tempDir } from '../helpers/tmp.js';

test('STRATA_THREADS: a whole number from 1, capped at the build’s 8; by default every core', () => {
  assert.equal(wantedThreads({ STRATA_THREADS: '3' }), 3);
  assert.equal(wantedThreads({ STRATA_THREADS: '1' }), 1);
  assert.equal(wantedThreads({ STRATA_THREADS: '64' }), 8);
  assert.equal(wantedThreads({}), Math.min(availableParallelism(), 8));
  // A model's preferred count (model/threads.ts) unless STRATA_THREADS says otherwise.
  assert.equal(wantedThreads({}, 1), 1);
  assert.equal(wantedThreads({ STRATA_THREADS: '2' }, 1), 2);
  for (const bad of ['0', '-2', '1.5', 'two']) assert.throws(() => wantedThreads({ STRATA_THREADS: bad }), /STRATA_THREADS is '.*'; give a whole number/);
});

test('a bad STRATA_THREADS is a usage error (exit 2) naming the variable', async () => {
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--backend', 'wasm'], { env: { STRATA_THREADS: 'many' } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^STRATA_THREADS=many: error: STRATA_THREADS is 'many'/m);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test('two threads: the threaded build starts, trains like the single-threaded one, and the command exits', async () => {
  const args = (out: string) => ['train', 'configs/mnist-cnn.yaml', '--backend', 'wasm', '--out', out, '--set', 'train.epochs=1', '--set', 'data.limit=64', '--set', 'train.batch_size=32', '--json'];
  const dir = tempDir('strata-threads-');
  const losses: number[] = [];
  for (const threads of ['2', '1']) {
    const out = join(dir, `t${threads}`);
    // execFile only returns once the child has exited: pool workers left referenced would hang this test.
    const r = await strata(args(out), { env: { STRATA_THREADS: threads } });
    assert.equal(r.code, 0, r.stderr);
    const meta = JSON.parse(readFileSync(join(out, 'checkpoints', 'epoch-0001', 'meta.json'), 'utf8')) as { backend: string };
    assert.equal(meta.backend, 'wasm');
    const line = JSON.parse(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim()) as { loss: number; val_loss: number };
    losses.push(line.loss, line.val_loss);
  }
  const [loss2, val2, loss1, val1] = losses as [number, number, number, number];
  assert.ok(Math.abs(loss2 - loss1) < 1e-4 * Math.max(1, loss1), `training loss ${loss2} (2 threads) vs ${loss1} (1 thread)`);
  assert.ok(Math.abs(val2 - val1) < 1e-4 * Math.max(1, val1), `validation loss ${val2} (2 threads) vs ${val1} (1 thread)`);
});

test('the threaded build reports the threads it runs on', async () => {
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--backend', 'wasm', '--out', join(tempDir('strata-threads-'), 'run'), '--set', 'train.epochs=1', '--set', 'data.limit=32'], {
    env: { STRATA_THREADS: '2' },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /on the wasm backend \(2 threads\)/);
});

test('strata train chooses the threads by the model: one for a small dense one, every core for a convolutional one', async () => {
  const run = (config: string) => strata(['train', config, '--backend', 'wasm', '--out', join(tempDir('strata-threads-'), 'run'), '--set', 'train.epochs=1', '--set', 'data.limit=32']);
  const small = join(tempDir('strata-threads-'), 'small-dense.yaml');
  writeFileSync(small, SMALL_DENSE_SPEC);
  const mlp = await run(small);
  assert.equal(mlp.code, 0, mlp.stderr);
  assert.match(mlp.stderr + mlp.stdout, /on the wasm backend;/);
  if (availableParallelism() > 1) {
    const cnn = await run('configs/mnist-cnn.yaml');
    assert.equal(cnn.code, 0, cnn.stderr);
    assert.match(cnn.stderr + cnn.stdout, new RegExp(`on the wasm backend \\(${Math.min(availableParallelism(), 8)} threads\\)`));
  }
});
