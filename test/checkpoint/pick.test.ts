/** Opening the checkpoint a command works on: the best, else the newest good one, each damaged one passed over named once. */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import { openCheckpoint } from '../../src/checkpoint/pick.js';
import { UsageError } from '../../src/errors.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { blobs, blobsSpec } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/tmp.js';

test('openCheckpoint: best first; a damaged best that is also the latest is warned about once', async () => {
  const engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  const run = join(tempDir('strata-pick-'), 'run');
  createRunDir(run, '--out');
  const text = blobsSpec(8, 3, '').replace('epochs: 4', 'epochs: 3');
  const r = await runSession({ engine, spec: parseSpec('run.yaml', text, {}), specText: text, dataset: blobs(64), runDir: run, seed: 3 });
  r.model.dispose();
  const ckpts = join(run, 'checkpoints');
  const lines: string[] = [];
  const warn = (l: string) => lines.push(l);

  writeFileSync(join(ckpts, 'best'), `${JSON.stringify({ checkpoint: 'epoch-0002' })}\n`);
  assert.equal(openCheckpoint(run, 'evaluate', 'best', warn).dir, join(ckpts, 'epoch-0002'));
  assert.equal(openCheckpoint(run, 'evaluate', 'latest', warn).dir, join(ckpts, 'epoch-0003'));
  assert.deepEqual(lines, []);

  // A damaged best gives way to the latest, which is newer: the warning does not call it the previous one.
  writeFileSync(join(ckpts, 'best'), `${JSON.stringify({ checkpoint: 'epoch-0001' })}\n`);
  appendFileSync(join(ckpts, 'epoch-0001', 'weights.bin'), 'x');
  assert.equal(openCheckpoint(run, 'evaluate', 'best', warn).dir, join(ckpts, 'epoch-0003'));
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^strata: warning: .*epoch-0001\/weights\.bin is damaged: .*; using the latest checkpoint, .*epoch-0003, instead$/);

  // The latest damaged too: the one used is newer than the best and older than the latest.
  lines.length = 0;
  appendFileSync(join(ckpts, 'epoch-0003', 'weights.bin'), 'x');
  assert.equal(openCheckpoint(run, 'evaluate', 'best', warn).dir, join(ckpts, 'epoch-0002'));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^strata: warning: .*epoch-0001\/weights\.bin is damaged: .*; using a newer checkpoint, .*epoch-0002, instead$/);
  assert.match(lines[1]!, /^strata: warning: .*epoch-0003\/weights\.bin is damaged: .*; using the previous checkpoint, .*epoch-0002$/);

  // A damaged best that is also the latest: named once, and the one before it used.
  lines.length = 0;
  writeFileSync(join(ckpts, 'best'), `${JSON.stringify({ checkpoint: 'epoch-0003' })}\n`);
  assert.equal(openCheckpoint(run, 'evaluate', 'best', warn).dir, join(ckpts, 'epoch-0002'));
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^strata: warning: .*epoch-0003\/weights\.bin is damaged: .*; using the previous checkpoint, .*epoch-0002$/);

  // Nothing left to use: a UsageError naming the argument.
  lines.length = 0;
  appendFileSync(join(ckpts, 'epoch-0002', 'weights.bin'), 'x');
  assert.throws(() => openCheckpoint(run, 'predict', 'best', warn), (e: unknown) => e instanceof UsageError && e.diagnostics[0]!.arg === `predict ${run}` && e.diagnostics[0]!.code === 'damaged-checkpoint');
  assert.deepEqual(lines, []);
});
