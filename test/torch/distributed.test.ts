/**
 * Data-parallel training on the torch engine (`--workers`, `--nodes`), end to
 * end through the real executable on this machine's loopback: several workers
 * train to the weights one worker reaches with the same global batch and seed
 * (and do not when the gradients are not averaged: the mutation), two
 * "machines" as two strata processes, a worker killed mid-epoch, and what a
 * user can get wrong. Needs PyTorch (see engine.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { spawnWatched } from '../helpers/child.js';
import { BIN, hasStackTrace, ROOT, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { skipWithoutTorch } from '../helpers/torch.js';

const skip = skipWithoutTorch();
const tmp = () => tempDir('strata-torch-distributed-');
// 194 examples in batches of 32: the last batch has 2, so with 4 workers two shards are empty.
const small = ['--engine', 'torch', '--backend', 'cpu', '--seed', '3', '--set', 'train.epochs=2', '--set', 'train.batch_size=32', '--set', 'data.limit=194', '--set', 'model.layers[3].rate=0'];

function finalWeights(run: string): Float32Array {
  return new Float32Array(new Uint8Array(readFileSync(join(run, 'checkpoints', 'epoch-0002', 'weights.bin'))).buffer);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function losses(run: string): number[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { loss: number }).loss);
}

async function train(out: string, extra: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...small, ...extra], env ? { env: { ...process.env, ...env } } : {});
  assert.equal(r.code, 0, r.stderr);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

test('2 and 4 workers reach the weights of one worker with the same global batch and seed; without the gradient average they do not', { skip }, async () => {
  const dir = tmp();
  await train(join(dir, 'one'), []);
  await train(join(dir, 'two'), ['--workers', '2']);
  await train(join(dir, 'four'), ['--workers', '4']);
  const one = finalWeights(join(dir, 'one'));
  assert.ok(maxDiff(one, finalWeights(join(dir, 'two'))) < 1e-5, `2 workers: ${maxDiff(one, finalWeights(join(dir, 'two')))}`);
  assert.ok(maxDiff(one, finalWeights(join(dir, 'four'))) < 1e-5, `4 workers, two of them with empty shards in each epoch's last batch: ${maxDiff(one, finalWeights(join(dir, 'four')))}`);
  for (const [a, b] of losses(join(dir, 'one')).map((l, i) => [l, losses(join(dir, 'four'))[i]!])) assert.ok(Math.abs(a! - b!) < 1e-5 * a!, `the logged loss is the global batch's: ${a} and ${b}`);
  // The mutation: each worker trains on its shard alone.
  await train(join(dir, 'alone'), ['--workers', '2'], { STRATA_TEST_NO_GRADIENT_AVERAGE: '1' });
  assert.ok(maxDiff(one, finalWeights(join(dir, 'alone'))) > 1e-3, 'without averaging the gradients the weights differ, so the comparison above can fail');
});

test('two machines simulated on one (node 0 and node 1 on 127.0.0.1, a worker each) give the weights of --workers 2', { skip }, async () => {
  const dir = tmp();
  await train(join(dir, 'two'), ['--workers', '2']);
  const master = `127.0.0.1:${await freePort()}`;
  const nodes = ['--workers', '1', '--nodes', '2', '--master', master, '--join-timeout', '60'];
  const [zero, one] = await Promise.all([
    strata(['train', 'configs/mnist-mlp.yaml', '--out', join(dir, 'node0'), ...small, ...nodes, '--node-rank', '0']),
    strata(['train', 'configs/mnist-mlp.yaml', ...small, ...nodes, '--node-rank', '1']),
  ]);
  assert.equal(zero.code, 0, zero.stderr);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stderr, /node 1 done \(completed\); node 0 keeps the run/);
  assert.ok(maxDiff(finalWeights(join(dir, 'two')), finalWeights(join(dir, 'node0'))) < 1e-5);
});

/** The pids of a process's children (Linux /proc), with their environments. */
function childrenOf(pid: number): { pid: number; env: string[] }[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        if (readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] !== String(pid)) return [];
        return [{ pid: Number(d), env: readFileSync(`/proc/${d}/environ`, 'utf8').split('\0') }];
      } catch {
        return [];
      }
    });
}

test('a worker killed mid-epoch: strata exits 1 within 30 s naming it, no worker is left, and --resume (on one worker) finishes the run', { skip }, async () => {
  const out = join(tmp(), 'run');
  const args = ['train', 'configs/mnist-mlp.yaml', '--out', out, '--engine', 'torch', '--backend', 'cpu', '--workers', '2', '--set', 'data.limit=20000', '--set', 'train.epochs=3'];
  const child = spawnWatched(process.execPath, [BIN, ...args], { cwd: ROOT });
  // Into the second epoch: the first one's checkpoint is written.
  for (const t0 = Date.now(); !existsSync(join(out, 'checkpoints', 'epoch-0001')); ) {
    assert.ok(Date.now() - t0 < 180_000, 'the first epoch ends');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const workers = childrenOf(child.child.pid!);
  assert.equal(workers.length, 2, 'two worker processes');
  const victim = workers.find((w) => w.env.includes('RANK=1'))!;
  process.kill(victim.pid, 'SIGKILL');
  const killedAt = Date.now();
  const { code } = await child.waitForExit(60_000);
  assert.equal(code, 1, child.stderr);
  assert.ok(Date.now() - killedAt < 30_000, 'within 30 s');
  assert.match(child.stderr, /worker 1 of 2\) was killed by SIGKILL/);
  assert.ok(!hasStackTrace(child.stderr));
  for (const w of workers) assert.ok(!existsSync(`/proc/${w.pid}`) || readFileSync(`/proc/${w.pid}/stat`, 'utf8').includes(') Z '), `worker ${w.pid} is gone`);
  assert.ok(existsSync(join(out, 'checkpoints', 'epoch-0001')), "epoch 1's checkpoint is kept");
  // Resumed with another worker count (one): a checkpoint does not know how many wrote it.
  const r = await strata(['train', '--resume', out, '--engine', 'torch', '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(join(out, 'checkpoints', 'epoch-0003')), 'the resumed run finished');
});

test('what a user can get wrong: an uneven batch, carried states, --workers on tfjs, a missing --master, a node rank out of range', async () => {
  const out = join(tmp(), 'run');
  const batchLine = readFileSync(join(ROOT, 'configs', 'mnist-mlp.yaml'), 'utf8').split('\n').findIndex((l) => l.trim().startsWith('batch_size:')) + 1;
  const cases: [string[], RegExp][] = [
    [['--engine', 'torch', '--workers', '3'], new RegExp(`mnist-mlp\\.yaml:${batchLine}:\\d+: error: train\\.batch_size 128 is the global batch, split among 3 workers; choose a size that 3 divides, such as 126 or 129`)],
    [['--engine', 'torch', '--workers', '2', '--nodes', '2', '--master', '127.0.0.1:29500', '--set', 'train.batch_size=2'], /--set train\.batch_size=2: error: train\.batch_size 2 is the global batch, split among 4 workers; choose a size that 4 divides, such as 4/],
    [['--engine', 'torch', '--workers', '2', '--set', 'train.carry_state=true'], /train\.carry_state .* cannot be split among 2 workers/],
    [['--workers', '2'], /--workers 2: error: data-parallel training runs on the torch engine: add --engine torch/],
    [['--engine', 'torch', '--nodes', '2'], /--nodes 2: error: several nodes meet at node 0: add --master HOST:PORT/],
    [['--engine', 'torch', '--nodes', '2', '--node-rank', '2', '--master', '127.0.0.1:29500'], /--node-rank 2: error: the node rank is 0 to 1/],
    [['--engine', 'torch', '--workers', 'two'], /--workers two: error: the worker count must be a whole number ≥ 1/],
    [['--engine', 'torch', '--nodes', '2', '--master', 'nohost'], /--master nohost: error: give node 0's address and a free port/],
  ];
  for (const [extra, expected] of cases) {
    const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, '--backend', 'cpu', '--set', 'data.limit=64', ...extra]);
    assert.equal(r.code, 2, `${extra.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.ok(!existsSync(out), 'no run directory is left');
  }
});

test('workers that cannot meet: a node that never joins (exit 1 after --join-timeout), a port in use and a node with another seed (exit 2), never a hang', { skip }, async () => {
  const dir = tmp();
  const quick = [...small, '--set', 'train.epochs=1'];
  let master = `127.0.0.1:${await freePort()}`;
  let r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', join(dir, 'alone'), ...quick, '--nodes', '2', '--node-rank', '0', '--master', master, '--join-timeout', '3']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /the 2 workers did not all join at 127\.0\.0\.1:\d+ within 3 s: start the same command on every node/);
  assert.ok(!hasStackTrace(r.stderr));
  const port = await freePort();
  const blocker = createServer().listen(port, '127.0.0.1');
  try {
    r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', join(dir, 'busy'), ...quick, '--nodes', '2', '--node-rank', '0', '--master', `127.0.0.1:${port}`, '--join-timeout', '10']);
  } finally {
    blocker.close();
  }
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`--master: error: port ${port} on 127\\.0\\.0\\.1 is already in use`));
  master = `127.0.0.1:${await freePort()}`;
  const nodes = ['--nodes', '2', '--master', master, '--join-timeout', '60'];
  const [zero, one] = await Promise.all([
    strata(['train', 'configs/mnist-mlp.yaml', '--out', join(dir, 'n0'), ...quick, ...nodes, '--node-rank', '0']),
    strata(['train', 'configs/mnist-mlp.yaml', ...quick, ...nodes, '--node-rank', '1', '--seed', '4']),
  ]);
  for (const x of [zero, one]) {
    assert.equal(x.code, 2, x.stderr);
    assert.match(x.stderr, /worker 1 runs a different .* than worker 0 .*: start the same strata with the same spec, data and --seed on every node/);
  }
});
