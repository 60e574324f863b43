/**
 * Runs and checkpoints: a resumed run ends where an uninterrupted one does,
 * checkpoints are verified, damaged ones are named and skipped, and retention
 * keeps the last K plus the best.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { resolveCheckpoint } from '../../src/checkpoint/load.js';
import { modelFromFiles } from '../../src/checkpoint/model-files.js';
import { readPointer } from '../../src/checkpoint/store.js';
import { UsageError } from '../../src/errors.js';
import { readMetrics } from '../../src/run/metrics-log.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { spawnWatched } from '../helpers/child.js';
import { blobs, blobsSpec, echoSpec, echoText } from '../helpers/synthetic.js';
import { tempDir } from '../helpers/tmp.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

const tmp = () => tempDir('strata-run-');

const blobsRun = () => ({ text: blobsSpec(8, 3, '  schedule: {type: cosine, warmup_epochs: 1}\n'), dataset: blobs(256) });

async function session(runDir: string, overrides: string[], resumeFrom?: string, interruptAfter?: number, { text, dataset } = blobsRun()) {
  const spec = parseSpec('run.yaml', text, { overrides });
  let batches = 0;
  const r = await runSession({
    engine,
    spec,
    specText: text,
    dataset,
    runDir,
    seed: 3,
    ...(resumeFrom ? { resume: resolveCheckpoint(resumeFrom, '--resume').checkpoint } : {}),
    // interrupted() is asked once after every batch (onBatch reports batches in groups, when losses are read).
    ...(interruptAfter !== undefined ? { interrupted: () => ++batches >= interruptAfter } : {}),
  });
  const weights = await Promise.all(r.model.getWeights().map(async (w) => Array.from(await w.data())));
  r.model.dispose();
  return { r, weights };
}

function maxDiff(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((w, i) => w.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

test('3 epochs straight and 1 epoch + resume for 2 end with the same weights (dropout, adam, cosine schedule)', async () => {
  const straightDir = tmp();
  createRunDir(straightDir, '--out');
  const straight = await session(straightDir, ['train.epochs=3']);
  assert.equal(straight.r.stopped, 'completed');

  const splitDir = tmp();
  createRunDir(splitDir, '--out');
  await session(splitDir, ['train.epochs=1']);
  const resumed = await session(splitDir, ['train.epochs=3'], splitDir);
  assert.equal(resumed.r.history.length, 2, 'the resumed session trains epochs 2 and 3');
  // Bit for bit, not within a tolerance: a resume that recomputes instead of restoring drifts.
  assert.deepEqual(resumed.weights, straight.weights, `max weight difference ${maxDiff(straight.weights, resumed.weights)}`);
  assert.deepEqual(readMetrics(join(splitDir, 'metrics.jsonl')).map((l) => l.epoch), [1, 2, 3]);
});

test('resumed at two epoch boundaries, train.epochs raised each time, a run ends bit for bit where 4 straight epochs end (a small MLP: adam, dropout, no schedule)', async () => {
  // 64 steps an epoch: Adam's β powers recomputed on resume (pow(β, t + 1) instead of the
  // running float32 product) differ in their last bits by then, and so did the weights.
  const run = () => ({ text: blobsSpec(8, 3, ''), dataset: blobs(512) });
  const overrides = (epochs: number) => [`train.epochs=${epochs}`, 'train.batch_size=8', 'train.optimizer.learning_rate=0.001'];
  const straightDir = tmp();
  createRunDir(straightDir, '--out');
  const straight = await session(straightDir, overrides(4), undefined, undefined, run());
  const dir = tmp();
  createRunDir(dir, '--out');
  await session(dir, overrides(1), undefined, undefined, run());
  const two = await session(dir, overrides(2), dir, undefined, run());
  assert.equal(two.r.history.length, 1);
  // A checkpoint without beta_powers (written before strata saved them) resumes exactly too:
  // the powers are recomputed as the steps made them. (meta.json has no checksum of its own.)
  const metaFile = join(dir, 'checkpoints', 'epoch-0002', 'meta.json');
  const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { optimizer: { beta_powers?: number[] } };
  assert.equal(meta.optimizer.beta_powers?.length, 2, 'the checkpoint holds β1ᵗ and β2ᵗ');
  delete meta.optimizer.beta_powers;
  writeFileSync(metaFile, JSON.stringify(meta));
  const four = await session(dir, overrides(4), dir, undefined, run());
  assert.equal(four.r.history.length, 2);
  assert.deepEqual(four.weights, straight.weights, `max weight difference ${maxDiff(straight.weights, four.weights)}`);
  const checkpoint = (d: string, name: string) => readFileSync(join(d, 'checkpoints', name, 'weights.bin'));
  for (const name of ['epoch-0002', 'epoch-0004']) assert.ok(checkpoint(dir, name).equals(checkpoint(straightDir, name)), `${name}/weights.bin differs`);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'checkpoints', 'epoch-0004', 'meta.json'), 'utf8')).optimizer.beta_powers, JSON.parse(readFileSync(join(straightDir, 'checkpoints', 'epoch-0004', 'meta.json'), 'utf8')).optimizer.beta_powers);
  assert.deepEqual(readMetrics(join(dir, 'metrics.jsonl')).map((l) => l.epoch), [1, 2, 3, 4]);
});

test('an interruption mid-epoch saves a checkpoint that resumes at the next batch, to the same weights', async () => {
  const straightDir = tmp();
  createRunDir(straightDir, '--out');
  const straight = await session(straightDir, ['train.epochs=2']);
  const dir = tmp();
  createRunDir(dir, '--out');
  const cut = await session(dir, ['train.epochs=2'], undefined, 21); // 16 batches per epoch: stop in epoch 2
  assert.equal(cut.r.stopped, 'interrupted');
  assert.equal(readPointer(join(dir, 'checkpoints'), 'latest')?.checkpoint, 'epoch-0001-batch-00005');
  const resumed = await session(dir, ['train.epochs=2'], dir);
  assert.deepEqual(resumed.weights, straight.weights, `max weight difference ${maxDiff(straight.weights, resumed.weights)}`);
  // The interrupted epoch's figures cover all of it: the batches before the interruption too.
  const [a, b] = [readMetrics(join(straightDir, 'metrics.jsonl'))[1]!, readMetrics(join(dir, 'metrics.jsonl'))[1]!];
  assert.equal(b.epoch, 2);
  for (const key of ['loss', 'accuracy']) assert.ok(Math.abs(a[key]! - b[key]!) < 1e-6, `epoch 2 ${key}: ${b[key]} resumed, ${a[key]} straight`);
});

test('with carry_state, an interruption mid-epoch saves the carried states, and the resumed run ends with the same weights', async () => {
  // 496 windows in 16 lanes: 31 batches an epoch; stop at batch 9 of epoch 2.
  const echo = () => ({ text: echoSpec('  carry_state: true'), dataset: echoText(248) });
  const straightDir = tmp();
  createRunDir(straightDir, '--out');
  const straight = await session(straightDir, ['train.epochs=2'], undefined, undefined, echo());
  const dir = tmp();
  createRunDir(dir, '--out');
  const cut = await session(dir, ['train.epochs=2'], undefined, 40, echo());
  assert.equal(cut.r.stopped, 'interrupted');
  const latest = readPointer(join(dir, 'checkpoints'), 'latest')!.checkpoint;
  assert.equal(latest, 'epoch-0001-batch-00009');
  const meta = JSON.parse(readFileSync(join(dir, 'checkpoints', latest, 'meta.json'), 'utf8')) as { state: { carried?: { shape: number[] }[][] } };
  assert.deepEqual(meta.state.carried?.map((layer) => layer.map((t) => t.shape)), [[[16, 24]]], "the checkpoint holds the GRU's state, one row per lane");
  const resumed = await session(dir, ['train.epochs=2'], dir, undefined, echo());
  assert.deepEqual(resumed.weights, straight.weights, `max weight difference ${maxDiff(straight.weights, resumed.weights)}`);
});

test('retention keeps the last K checkpoints plus the best, and the pointers name complete checkpoints', async () => {
  const dir = tmp();
  createRunDir(dir, '--out');
  await session(dir, ['train.epochs=4', 'train.checkpoint.keep_last=2']);
  const ckpts = join(dir, 'checkpoints');
  const names = readdirSync(ckpts).filter((n) => n.startsWith('epoch-'));
  const best = readPointer(ckpts, 'best')!.checkpoint;
  assert.ok(names.includes('epoch-0004') && names.includes('epoch-0003'));
  assert.ok(names.includes(best));
  assert.equal(names.length, best >= 'epoch-0003' ? 2 : 3);
  assert.equal(readPointer(ckpts, 'latest')!.checkpoint, 'epoch-0004');
  assert.ok(!readdirSync(ckpts).some((n) => n.startsWith('.tmp-')));
});

test('a flipped byte is detected and named; given a run, the newest good checkpoint is used and the damaged one reported', async () => {
  const dir = tmp();
  createRunDir(dir, '--out');
  await session(dir, ['train.epochs=2']);
  const weights = join(dir, 'checkpoints', 'epoch-0002', 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[17] = bytes[17]! ^ 0x01;
  writeFileSync(weights, bytes);
  assert.throws(
    () => resolveCheckpoint(join(dir, 'checkpoints', 'epoch-0002'), '--resume'),
    (e: unknown) => e instanceof UsageError && /epoch-0002\/weights\.bin is damaged: its sha256 does not match/.test(e.diagnostics[0]!.message),
  );
  const r = resolveCheckpoint(dir, '--resume');
  assert.match(r.checkpoint.dir, /epoch-0001$/);
  assert.equal(r.skipped.length, 1);
  assert.match(r.skipped[0]!.message, /epoch-0002\/weights\.bin/);
});

test('a checkpoint loads with plain tf.loadLayersModel and predicts what the trained model predicts', async () => {
  const dir = tmp();
  createRunDir(dir, '--out');
  const text = blobsSpec();
  const spec = parseSpec('blobs.yaml', text, { overrides: ['train.epochs=1'] });
  const data = blobs(128);
  const r = await runSession({ engine, spec, specText: text, dataset: data, runDir: dir, seed: 3 });
  const { tf, tfl } = engine;
  const ckpt = join(dir, 'checkpoints', 'epoch-0001');
  // What another program does: read model.json and the weights, and hand them to tf.loadLayersModel.
  const json = JSON.parse(readFileSync(join(ckpt, 'model.json'), 'utf8'));
  const data8 = readFileSync(join(ckpt, json.weightsManifest[0].paths[0]));
  const plain = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: data8.buffer.slice(data8.byteOffset, data8.byteOffset + data8.byteLength) }));
  const x = tf.tensor(data.test!.batch([0, 1, 2, 3]).x, [4, 8]);
  const a = (plain.predict(x) as import('@tensorflow/tfjs-core').Tensor).dataSync();
  const b = (r.model.predict(x) as import('@tensorflow/tfjs-core').Tensor).dataSync();
  assert.ok(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))) < 1e-6);
  const viaStrata = await modelFromFiles(engine, resolveCheckpoint(ckpt, 'x').checkpoint.model);
  assert.equal(viaStrata.countParams(), r.model.countParams());
  tf.dispose([x]);
  plain.dispose();
  viaStrata.dispose();
  r.model.dispose();
  assert.ok(existsSync(join(ckpt, 'meta.json')));
});

test('SIGKILL while a checkpoint is being written leaves the previous one loadable, and resume works', async () => {
  const { fileURLToPath } = await import('node:url');
  const dir = join(tmp(), 'run');
  const child = spawnWatched(process.execPath, [fileURLToPath(new URL('../helpers/train-child.js', import.meta.url)), dir, '3'], {
    env: { ...process.env, STRATA_TEST_STALL_CHECKPOINT: 'epoch-0002' },
  });
  // It waits there (up to 30 s, src/checkpoint/store.ts) to be killed.
  await child.waitFor('stalled writing epoch-0002', 120_000);
  child.kill('SIGKILL');
  assert.equal((await child.waitForExit(30_000)).signal, 'SIGKILL');
  const ckpts = join(dir, 'checkpoints');
  assert.ok(readdirSync(ckpts).some((n) => n.startsWith('.tmp-epoch-0002')), 'the half-written checkpoint is left under its temporary name');
  assert.equal(readPointer(ckpts, 'latest')?.checkpoint, 'epoch-0001');
  const r = resolveCheckpoint(dir, '--resume');
  assert.match(r.checkpoint.dir, /epoch-0001$/);
  assert.equal(r.skipped.length, 0);
  const resumed = await session(dir, ['train.epochs=3'], dir);
  assert.equal(resumed.r.stopped, 'completed');
  assert.deepEqual(resumed.r.history.map((h) => h.epoch), [2, 3]);
  assert.ok(!readdirSync(ckpts).some((n) => n.startsWith('.tmp-')), 'leftovers are cleaned up');
});

test("a run keeps its best checkpoint's model at RUN/model/, where loadModel finds it", async () => {
  const { loadModel, modelFilesAt } = await import('../../src/checkpoint/load-model.js');
  const dir = tmp();
  createRunDir(dir, '--out');
  // A learning rate high enough that the loss rises again: the best checkpoint is not the latest.
  await session(dir, ['train.optimizer.learning_rate=0.5', 'train.epochs=5']);
  const checkpoints = join(dir, 'checkpoints');
  const best = readPointer(checkpoints, 'best')!.checkpoint;
  const latest = readPointer(checkpoints, 'latest')!.checkpoint;
  assert.notEqual(best, latest, 'the case this test is about: the best checkpoint is an earlier one');
  for (const f of ['model.json', 'weights.bin', 'data.json']) {
    assert.ok(readFileSync(join(dir, 'model', f)).equals(readFileSync(join(checkpoints, best, f))), `model/${f} is the best checkpoint's`);
  }
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.')), [], 'no temporary folders left');
  // The run, its model/ folder, the model.json and the best checkpoint all give the same weights.
  const weightsOf = async (path: string) => {
    const m = await loadModel(path, engine);
    const w = await Promise.all(m.getWeights().map(async (t) => Array.from(await t.data())));
    m.dispose();
    return w;
  };
  const expected = await weightsOf(join(checkpoints, best));
  for (const p of [dir, join(dir, 'model'), join(dir, 'model', 'model.json')]) assert.deepEqual(await weightsOf(p), expected, p);
  assert.notDeepEqual(await weightsOf(join(checkpoints, latest)), expected);
  // What cannot be loaded is refused with the path and what to give instead.
  const refused = (path: string, pattern: RegExp) => assert.throws(() => modelFilesAt(path), (e: unknown) => e instanceof UsageError && pattern.test(e.message));
  refused(join(dir, 'nothing-here'), /does not exist; give a run directory, its model\/ folder, a checkpoint directory or a model\.json/);
  refused(tmp(), /holds no model \(no model\.json, model\/model\.json or checkpoints\/\)/);
  const outside = join(tmp(), 'model.json');
  writeFileSync(outside, JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['../weights.bin'], weights: [] }] }));
  refused(outside, /names a weights file outside its folder \("\.\.\/weights\.bin"\)/);
  for (const text of ['null', '{"weightsManifest": {}}', '{"weightsManifest": [null]}']) {
    writeFileSync(outside, text);
    refused(outside, /has no weightsManifest list; it is not a TensorFlow\.js layers model/);
  }
});

test("an epoch's metrics line lost after its checkpoint was written comes back from the checkpoint on resume", async () => {
  const dir = tmp();
  createRunDir(dir, '--out');
  await session(dir, ['train.epochs=2']);
  const file = join(dir, 'metrics.jsonl');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  // As a failure between the checkpoint and its line leaves it (a full disk on the append).
  writeFileSync(file, `${lines[0]}\n`);
  const resumed = await session(dir, ['train.epochs=3'], dir);
  assert.deepEqual(resumed.r.history.map((h) => h.epoch), [3]);
  const log = readMetrics(file);
  assert.deepEqual(log.map((l) => l.epoch), [1, 2, 3]);
  assert.equal(JSON.stringify(log[1]), lines[1], 'the line is the one the epoch logged');
});

test('with train.pruning, an interruption mid-epoch saves the masks (masks.bin) and the resumed run ends with the same weights and zeros', async () => {
  // Masks recomputed every 3 steps through epoch 2, so the cut (in epoch 2) falls between two pruning steps.
  const pruned = () => ({ text: blobsSpec(8, 3, '  pruning: {type: polynomial, initial_sparsity: 0.3, final_sparsity: 0.7, begin_epoch: 0, end_epoch: 2, frequency: 3}\n'), dataset: blobs(256) });
  const straightDir = tmp();
  createRunDir(straightDir, '--out');
  const straight = await session(straightDir, ['train.epochs=3'], undefined, undefined, pruned());
  const dir = tmp();
  createRunDir(dir, '--out');
  const cut = await session(dir, ['train.epochs=3'], undefined, 21, pruned());
  assert.equal(cut.r.stopped, 'interrupted');
  const latest = readPointer(join(dir, 'checkpoints'), 'latest')!.checkpoint;
  assert.equal(latest, 'epoch-0001-batch-00005');
  const saved = resolveCheckpoint(join(dir, 'checkpoints', latest), '--resume').checkpoint;
  assert.ok(saved.masks && saved.meta.pruning, 'the checkpoint holds the masks');
  assert.deepEqual(saved.meta.pruning!.masks.map((m) => m.shape), [[8, 16], [16, 3]]);
  assert.ok(existsSync(join(dir, 'checkpoints', latest, 'masks.bin')));
  const resumed = await session(dir, ['train.epochs=3'], dir, undefined, pruned());
  assert.deepEqual(resumed.weights, straight.weights, `max weight difference ${maxDiff(straight.weights, resumed.weights)}`);
  // 0.7 of 128 and of 48 weights: 128 - round(38.4) and 48 - round(14.4).
  const zeros = (w: number[]) => w.filter((v) => v === 0).length;
  assert.deepEqual([zeros(resumed.weights[0]!), zeros(resumed.weights[2]!)], [90, 34]);
  // metrics.jsonl has each pruned layer's sparsity every epoch, the same as the uninterrupted run's.
  const logged = readMetrics(join(dir, 'metrics.jsonl'));
  const straightLogged = readMetrics(join(straightDir, 'metrics.jsonl'));
  const keys = Object.keys(logged[2]!).filter((k) => k.startsWith('sparsity/'));
  assert.equal(keys.length, 2);
  for (const k of keys) assert.deepEqual(logged.map((l) => l[k]), straightLogged.map((l) => l[k]));
});
