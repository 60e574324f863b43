/**
 * Setting up a session (src/run/prepare.ts): a new run, resuming a run in
 * place, forking it, resuming a lone checkpoint, and what is said and refused
 * on the way.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { UsageError } from '../../src/errors.js';
import { discardUnstarted, loadTrainingInputs, prepareRun, resumeDirectory } from '../../src/run/prepare.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { blobs, blobsSpec } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/tmp.js';

let engine: Engine;
/** A run of 2 epochs (blobs, no data section), made once; tests copy it. */
let trained: string;

before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  trained = join(tempDir('strata-prepare-'), 'run');
  createRunDir(trained, '--out');
  const text = blobsSpec(8, 3, '').replace('epochs: 4', 'epochs: 2');
  writeFileSync(join(trained, 'spec.yaml'), text);
  const r = await runSession({ engine, spec: parseSpec(join(trained, 'spec.yaml'), text, {}), specText: text, dataset: blobs(64), runDir: trained, seed: 3 });
  r.model.dispose();
});

/** A copy of the trained run, to change freely. */
function runCopy(): string {
  const dir = join(tempDir('strata-prepare-'), 'run');
  cpSync(trained, dir, { recursive: true });
  return dir;
}

const code = (c: string) => (e: unknown) => e instanceof UsageError && e.diagnostics[0]!.code === c;

test('where a resumed run goes on: the fork, else its own run, else a new directory for a lone checkpoint', () => {
  assert.deepEqual(resumeDirectory({ runDir: '/r' }, {}, 'm'), { runDir: '/r' });
  assert.deepEqual(resumeDirectory({ runDir: '/r' }, { out: '/ignored' }, 'm'), { runDir: '/r' });
  assert.deepEqual(resumeDirectory({ runDir: '/nowhere' }, { fork: '/f' }, 'm'), { runDir: '/f', create: '--fork' });
  assert.deepEqual(resumeDirectory({}, { out: '/o' }, 'm'), { runDir: '/o', create: '--out' });
  const d = resumeDirectory({}, {}, 'm');
  assert.equal(d.create, '--out');
  assert.match(d.runDir, /^runs\/m-\d{8}-\d{6}$/);
  assert.deepEqual(resumeDirectory({ runDir: trained }, { fork: '/f' }, 'm'), { runDir: '/f', create: '--fork', copyMetricsFrom: join(trained, 'metrics.jsonl') });
});

test('a new run: its directory made, the spec written with its seed and the dataset path made absolute', () => {
  const dir = tempDir('strata-prepare-new-');
  writeFileSync(join(dir, 'data.csv'), 'a,label\n1,x\n');
  writeFileSync(join(dir, 's.yaml'), `${blobsSpec()}data: {dataset: data.csv}\n`);
  const out = join(dir, 'run');
  const p = prepareRun({ spec: join(dir, 's.yaml'), out, seed: 9, set: ['train.epochs=1'] });
  assert.equal(p.runDir, out);
  assert.equal(p.seed, 9);
  assert.equal(p.created, true);
  assert.equal(p.resume, undefined);
  const written = readFileSync(join(out, 'spec.yaml'), 'utf8');
  assert.equal(written, p.specText);
  assert.match(written, /^seed: 9$/m);
  assert.match(written, /^ {2}epochs: 1$/m);
  assert.ok(written.includes(`dataset: ${join(dir, 'data.csv')}`), written);
  assert.ok(existsSync(join(out, 'checkpoints')));
  // It failed before a checkpoint: nothing is left.
  discardUnstarted(p);
  assert.ok(!existsSync(out));
});

test('refused: --fork without --resume, no spec and no --resume, an existing run as --out or --fork', () => {
  assert.throws(() => prepareRun({ fork: '/tmp/x', spec: 'a.yaml' }), code('fork-without-resume'));
  assert.throws(() => prepareRun({}), code('missing-spec'));
  const dir = tempDir('strata-prepare-exists-');
  writeFileSync(join(dir, 's.yaml'), blobsSpec());
  assert.throws(() => prepareRun({ spec: join(dir, 's.yaml'), out: trained }), code('run-exists'));
  assert.throws(() => prepareRun({ resume: runCopy(), fork: trained }), code('run-exists'));
});

test('resuming a run goes on in it from its latest checkpoint, keeps its seed and says what changed', () => {
  const run = runCopy();
  const said: [string, boolean][] = [];
  const p = prepareRun({ resume: run, set: ['train.epochs=5'], say: (l, i) => said.push([l, i]) });
  assert.equal(p.runDir, run);
  assert.equal(p.created, false);
  assert.equal(p.seed, 3);
  assert.equal(p.resume!.dir, join(run, 'checkpoints', 'epoch-0002'));
  assert.deepEqual(said, [["Changes from the run's spec:\n  train.epochs: 2 → 5", false]]);
  assert.match(readFileSync(join(run, 'spec.yaml'), 'utf8'), /^ {2}epochs: 5$/m);
  // A resumed run is never discarded.
  discardUnstarted(p);
  assert.ok(existsSync(join(run, 'checkpoints', 'epoch-0002')));
});

test('resuming with no changes says nothing; a damaged latest checkpoint is reported once and the one before it resumed', () => {
  const run = runCopy();
  const quiet: string[] = [];
  prepareRun({ resume: run, say: (l) => quiet.push(l) }).lock.release();
  assert.deepEqual(quiet, []);
  appendFileSync(join(run, 'checkpoints', 'epoch-0002', 'weights.bin'), 'x');
  const said: [string, boolean][] = [];
  const p = prepareRun({ resume: run, say: (l, i) => said.push([l, i]) });
  assert.equal(p.resume!.dir, join(run, 'checkpoints', 'epoch-0001'));
  assert.equal(said.length, 1, said.map((s) => s[0]).join('\n'));
  assert.match(said[0]![0], /^strata: warning: .*epoch-0002\/weights\.bin is damaged: its sha256 does not match the one in meta\.json; using the previous checkpoint, .*epoch-0001$/);
  assert.equal(said[0]![1], true);
});

test('--fork continues into a new directory with the old metrics and leaves the old run as it was', () => {
  const run = runCopy();
  const before = readFileSync(join(run, 'spec.yaml'), 'utf8');
  const fork = join(tempDir('strata-prepare-fork-'), 'fork');
  const p = prepareRun({ resume: run, fork, set: ['train.epochs=3'] });
  assert.equal(p.runDir, fork);
  assert.equal(p.created, true);
  assert.equal(p.resume!.dir, join(run, 'checkpoints', 'epoch-0002'));
  assert.equal(readFileSync(join(fork, 'metrics.jsonl'), 'utf8'), readFileSync(join(run, 'metrics.jsonl'), 'utf8'));
  assert.match(readFileSync(join(fork, 'spec.yaml'), 'utf8'), /^ {2}epochs: 3$/m);
  assert.equal(readFileSync(join(run, 'spec.yaml'), 'utf8'), before);
  // A fork is a resumed run: not discarded even before its first checkpoint.
  discardUnstarted(p);
  assert.ok(existsSync(fork));
});

test('a checkpoint directory on its own resumes into --out, from its own spec', () => {
  // Two levels down, so that nothing above it looks like a run.
  const lone = join(tempDir('strata-prepare-lone-'), 'a', 'ckpt');
  cpSync(join(trained, 'checkpoints', 'epoch-0001'), lone, { recursive: true });
  const out = join(tempDir('strata-prepare-lone-'), 'run');
  const p = prepareRun({ resume: lone, out });
  assert.equal(p.runDir, out);
  assert.equal(p.resume!.dir, lone);
  assert.equal(p.resume!.runDir, undefined);
  assert.equal(p.spec.name, 'blobs-mlp');
  assert.ok(existsSync(join(out, 'spec.yaml')));
});

test('training inputs: a spec without data is refused at its first line', async () => {
  const run = runCopy();
  const p = prepareRun({ resume: run });
  await assert.rejects(loadTrainingInputs(p), (e: unknown) => e instanceof UsageError && e.diagnostics[0]!.code === 'no-data' && e.diagnostics[0]!.line === 1);
});

test('prepareRun holds the run\'s lock until it is released: a second session of the run is refused meanwhile', () => {
  const run = runCopy();
  const p = prepareRun({ resume: run });
  assert.ok(existsSync(join(run, 'strata.lock')));
  assert.throws(() => prepareRun({ resume: run }), (e: unknown) => code('run-locked')(e) && /is in use by strata \(pid \d+ on host .*, since \d\d:\d\d\); wait for it to finish or stop it$/.test((e as UsageError).diagnostics[0]!.message));
  p.lock.release();
  assert.ok(!existsSync(join(run, 'strata.lock')));
  prepareRun({ resume: run }).lock.release();
});

test('a run with its spec.yaml and no checkpoint resumes from the beginning, with its seed, saying so', () => {
  const run = join(tempDir('strata-prepare-'), 'run');
  createRunDir(run, '--out');
  writeFileSync(join(run, 'spec.yaml'), blobsSpec(8, 3, '').replace('seed: 3', 'seed: 11'));
  writeFileSync(join(run, 'metrics.jsonl'), '{"epoch": 1, "loss": 1}\n');
  const said: [string, boolean][] = [];
  const p = prepareRun({ resume: run, say: (l, i) => said.push([l, i]) });
  assert.equal(p.resume, undefined);
  assert.equal(p.runDir, run);
  assert.equal(p.seed, 11);
  assert.equal(p.created, false);
  assert.match(said[0]![0], /holds no checkpoint \(it stopped before its first one\); starting it from the beginning with its spec\.yaml and seed 11$/);
  assert.ok(!existsSync(join(run, 'metrics.jsonl')), 'what the killed start logged goes');
  // Not a new run: a failure now keeps it, so it can be resumed again.
  discardUnstarted(p);
  assert.ok(existsSync(join(run, 'spec.yaml')));
  p.lock.release();
});
