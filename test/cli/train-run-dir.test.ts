/**
 * A run directory under `strata train`: the lock that keeps two sessions out of
 * one run, resuming a run killed before its first checkpoint, and failures of the
 * operating system told as such (exit 1 or 2, never "a bug"), with the run left
 * resumable.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpointDir } from '../../src/checkpoint/load.js';
import { listCheckpoints, readPointer } from '../../src/checkpoint/store.js';
import { spawnWatched } from '../helpers/child.js';
import { BIN, hasStackTrace, ROOT, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = () => tempDir('strata-cli-rundir-');
const quick = ['--backend', 'cpu', '--set', 'train.batch_size=16', '--set', 'data.limit=48'];

const epochsOf = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { epoch: number }).epoch);

/** Every checkpoint of the run verifies, no temporary one is left, and `latest` names the last. */
function assertCheckpointsIntact(run: string): string[] {
  const dir = join(run, 'checkpoints');
  const names = listCheckpoints(dir);
  for (const n of names) readCheckpointDir(join(dir, n));
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.tmp-') || n.startsWith('.old-')), [], 'no temporary checkpoint is left');
  assert.equal(readPointer(dir, 'latest')?.checkpoint, names[names.length - 1]);
  return names;
}

/** The pid of a process that has exited (a lock naming it is stale). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

test('two resumes of one run at once: one is refused with exit 2 and who holds it, the other finishes it intact', async () => {
  const out = join(tmp(), 'run');
  const first = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, '--backend', 'cpu', '--set', 'train.epochs=1', '--set', 'data.limit=400', '--set', 'train.batch_size=16']);
  assert.equal(first.code, 0, first.stderr);
  const resume = ['train', '--resume', out, '--backend', 'cpu', '--set', 'train.epochs=5', '--quiet'];
  const [a, b] = await Promise.all([strata(resume), strata(resume)]);
  const codes = [a.code, b.code].sort();
  assert.deepEqual(codes, [0, 2], `exit codes ${a.code} and ${b.code}\n--- a:\n${a.stderr}\n--- b:\n${b.stderr}`);
  const refused = a.code === 2 ? a : b;
  assert.match(refused.stderr, /is in use by strata \(pid \d+ on host [^,]+, since \d\d:\d\d\); wait for it to finish or stop it/);
  assert.ok(!hasStackTrace(refused.stderr), refused.stderr);
  assert.deepEqual(epochsOf(out), [1, 2, 3, 4, 5]);
  const names = assertCheckpointsIntact(out);
  assert.equal(names[names.length - 1], 'epoch-0005');
  assert.ok(!existsSync(join(out, 'strata.lock')), 'the lock is released at the end');
});

test('a live lock of this host, or any lock of another host, is respected: exit 2 saying whose it is', async () => {
  const dir = tmp();
  const out = join(dir, 'run');
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=1']);
  assert.equal(r.code, 0, r.stderr);
  // This test's own process is alive on this host: its lock is respected.
  writeFileSync(join(out, 'strata.lock'), `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() })}\n`);
  const again = await strata(['train', '--resume', out, ...quick, '--set', 'train.epochs=2']);
  assert.equal(again.code, 2, again.stderr);
  assert.match(again.stderr, new RegExp(`is in use by strata \\(pid ${process.pid} on host `));
  // A lock from another host cannot be checked: it is respected, and the message says how to remove it.
  writeFileSync(join(out, 'strata.lock'), `${JSON.stringify({ pid: 1234, host: 'elsewhere.example', started: new Date().toISOString() })}\n`);
  const other = await strata(['train', '--resume', out, ...quick, '--set', 'train.epochs=2']);
  assert.equal(other.code, 2, other.stderr);
  assert.match(other.stderr, /in use by strata on host elsewhere\.example \(pid 1234, since \d\d:\d\d\).*remove .*strata\.lock/);
  assert.deepEqual(epochsOf(out), [1]);
});

test('a stale lock (a dead pid on this host, or a lock cut short) is taken over with a warning', async () => {
  const out = join(tmp(), 'run');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=1'])).code, 0);
  const pid = await deadPid();
  writeFileSync(join(out, 'strata.lock'), `${JSON.stringify({ pid, host: hostname(), started: '2026-01-02T03:04:05.000Z' })}\n`);
  const r = await strata(['train', '--resume', out, ...quick, '--set', 'train.epochs=2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^strata: warning: .*strata\\.lock was left by strata pid ${pid} on this host, which is no longer running; taking it over$`, 'm'));
  writeFileSync(join(out, 'strata.lock'), '{"pid": 12');
  const cut = await strata(['train', '--resume', out, ...quick, '--set', 'train.epochs=3']);
  assert.equal(cut.code, 0, cut.stderr);
  assert.match(cut.stderr, /^strata: warning: .*strata\.lock cannot be read \(a crash cut it short\?\); taking it over$/m);
  // A lock from before a reboot: its pid may be alive again (here: this test's own), but it is another boot's.
  writeFileSync(join(out, 'strata.lock'), `${JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-01-02T03:04:05.000Z', boot: 'a-boot-before-this-one' })}\n`);
  const rebooted = await strata(['train', '--resume', out, ...quick, '--set', 'train.epochs=4']);
  assert.equal(rebooted.code, 0, rebooted.stderr);
  assert.match(rebooted.stderr, new RegExp(`^strata: warning: .*strata\\.lock was left by strata pid ${process.pid} on this host, which is no longer running \\(the host has restarted since\\); taking it over$`, 'm'));
  assert.deepEqual(epochsOf(out), [1, 2, 3, 4]);
  assert.ok(!existsSync(join(out, 'strata.lock')));
});

test('a run killed before its first checkpoint resumes from the beginning with its own spec and seed', async () => {
  const out = join(tmp(), 'run');
  const args = ['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=2', '--seed', '7'];
  const child = spawnWatched(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, STRATA_TEST_STALL_CHECKPOINT: 'epoch-0001' } });
  await child.waitFor('stalled writing epoch-0001', 120_000);
  child.kill('SIGKILL');
  assert.equal((await child.waitForExit(30_000)).signal, 'SIGKILL');
  assert.deepEqual(listCheckpoints(join(out, 'checkpoints')), []);
  assert.ok(!existsSync(join(out, 'metrics.jsonl')) || epochsOf(out).length === 0, 'no metrics line is ahead of the checkpoints');
  const r = await strata(['train', '--resume', out, '--backend', 'cpu']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /holds no checkpoint \(it stopped before its first one\); starting it from the beginning with its spec\.yaml and seed 7/);
  // The killed process left its lock: the same host, a pid no longer running.
  assert.match(r.stderr, /^strata: warning: .*strata\.lock was left by strata pid \d+ on this host, which is no longer running; taking it over$/m);
  assert.deepEqual(epochsOf(out), [1, 2]);
  assert.deepEqual(assertCheckpointsIntact(out), ['epoch-0001', 'epoch-0002']);
  assert.equal(readCheckpointDir(join(out, 'checkpoints', 'epoch-0002')).meta.seed, 7);
  // The same as a run that was never killed.
  const straight = join(tmp(), 'straight');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', straight, ...quick, '--set', 'train.epochs=2', '--seed', '7'])).code, 0);
  const w = (run: string) => readFileSync(join(run, 'checkpoints', 'epoch-0002', 'weights.bin')).toString('hex');
  assert.equal(w(out), w(straight));
});

test('no space left while writing a checkpoint: exit 1 with the path and the reason, nothing half-written, and --resume goes on', async () => {
  const out = join(tmp(), 'run');
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=3'], { env: { STRATA_TEST_FAIL_WRITE: 'epoch-0002' } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: cannot write the checkpoint .*checkpoints\/epoch-0002: no space left on the device \(ENOSPC\)/);
  assert.doesNotMatch(r.stderr, /bug|internal error/);
  assert.deepEqual(assertCheckpointsIntact(out), ['epoch-0001']);
  assert.deepEqual(epochsOf(out), [1], 'metrics.jsonl has a line for each checkpoint, none ahead');
  assert.ok(!existsSync(join(out, 'strata.lock')), 'the lock is released on an error');
  const again = await strata(['train', '--resume', out, ...quick]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(epochsOf(out), [1, 2, 3]);
  assert.deepEqual(assertCheckpointsIntact(out), ['epoch-0001', 'epoch-0002', 'epoch-0003']);
});

test('permission denied writing the first checkpoint: exit 1 with the path and the reason', async () => {
  // The tests run as root, where a read-only folder does not stop a write: the failure is injected.
  const out = join(tmp(), 'run');
  const r = await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=1'], { env: { STRATA_TEST_FAIL_WRITE: 'epoch-0001:EACCES' } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: cannot write the checkpoint .*checkpoints\/epoch-0001: permission denied \(EACCES\)/);
  assert.doesNotMatch(r.stderr, /bug|internal error/);
});

test('a spec name too long for a directory name: exit 2 suggesting --out or a shorter name', async () => {
  const dir = tmp();
  const name = `m${'x'.repeat(299)}`;
  const spec = readFileSync(join(ROOT, 'configs/mnist-mlp.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`);
  writeFileSync(join(dir, 'long.yaml'), spec);
  const r = await strata(['train', 'long.yaml', ...quick, '--set', 'train.epochs=1'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the run directory runs\/mx+-\d{8}-\d{6} is a name too long for the file system \(ENAMETOOLONG\); choose the directory with --out DIR, or give the spec a shorter name/);
  assert.doesNotMatch(r.stderr, /bug|internal error/);
  assert.ok(!existsSync(join(dir, 'runs')) || readdirSync(join(dir, 'runs')).length === 0);
});

test('Ctrl-C before training starts (the backend and data loading) quits with 130 and leaves no lock behind', async () => {
  const out = join(tmp(), 'run');
  const child = spawnWatched(process.execPath, [BIN, 'train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=1'], { cwd: ROOT });
  const lock = join(out, 'strata.lock');
  const until = Date.now() + 120_000;
  while (!existsSync(lock) && child.exit === undefined && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(existsSync(lock), `the lock is taken before anything loads. ${child.stderr}`);
  child.kill('SIGINT');
  const exit = await child.waitForExit(60_000);
  assert.equal(exit.code, 130, `${exit.signal ?? ''} ${child.stderr}`);
  assert.ok(!existsSync(lock), 'the lock goes with the process');
});

test('a fork holds the checkpoint it started from: loadable and resumable before an epoch of its own', async () => {
  const out = join(tmp(), 'run');
  assert.equal((await strata(['train', 'configs/mnist-mlp.yaml', '--out', out, ...quick, '--set', 'train.epochs=1'])).code, 0);
  const fork = join(tmp(), 'fork');
  // No epochs left: the fork is made and nothing trains.
  const forked = await strata(['train', '--resume', out, '--fork', fork, ...quick, '--set', 'train.epochs=1']);
  assert.equal(forked.code, 0, forked.stderr);
  assert.deepEqual(listCheckpoints(join(fork, 'checkpoints')), ['epoch-0001']);
  assert.ok(existsSync(join(fork, 'model', 'weights.bin')), 'the fork has its model/ folder');
  const more = await strata(['train', '--resume', fork, ...quick, '--set', 'train.epochs=2']);
  assert.equal(more.code, 0, more.stderr);
  assert.doesNotMatch(more.stderr, /starting it from the beginning/);
  assert.deepEqual(epochsOf(fork), [1, 2]);
});
