/**
 * A run directory under `strata train`: the lock that keeps two sessions out of
 * one run, resuming a run killed before its first checkpoint, and failures of the
 * operating system told as such (exit 1 or 2, never "a bug"), with the run left
 * resumable.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpointDir } from '../../src/checkpoint/load.js';
import { listCheckpoints, readPointer } from '../../src/checkpoint/store.js';
import { hasStackTrace, ROOT, strata } from '../helpers/cli.js';
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
