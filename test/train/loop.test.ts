/** The training loop on a small synthetic problem: it learns, it is deterministic, it does not leak. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { evaluateSplit } from '../../src/train/evaluate-split.js';
import { initialState, train } from '../../src/train/loop.js';
import { blobs, blobsSpec } from '../helpers/synthetic.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

function setup(extra = '', overrides: string[] = []) {
  const spec = parseSpec('blobs.yaml', blobsSpec(8, 3, extra), { overrides });
  const { model } = buildModel(spec, engine);
  const config = trainConfig(spec.train, true);
  return { spec, model, config };
}

async function weightsOf(model: ReturnType<typeof setup>['model']): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

test('it learns a separable problem and reports loss, accuracy and validation metrics per epoch', async () => {
  const data = blobs(512);
  const { model, config } = setup();
  const r = await train(engine, model, data, config, 3, initialState(3));
  assert.equal(r.stopped, 'completed');
  assert.equal(r.history.length, 4);
  const last = r.history[3]!;
  for (const k of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'seconds', 'samples_per_second']) assert.ok(k in last, k);
  assert.ok(last.loss < r.history[0]!.loss, 'loss falls');
  assert.ok(last.val_accuracy > 0.9, `val_accuracy ${last.val_accuracy}`);
  const test = await evaluateSplit(engine, model, data, data.test!, config);
  assert.ok(test.accuracy! > 0.9);
  model.dispose();
});

test('the same seed gives the same weights; another seed other weights', async () => {
  const data = blobs(256);
  const run = async (seed: number) => {
    const { model, config } = setup('', [`seed=${seed}`]);
    await train(engine, model, data, config, seed, initialState(seed));
    const w = await weightsOf(model);
    model.dispose();
    return w;
  };
  const a = await run(5);
  const b = await run(5);
  const c = await run(6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('the number of live tensors is the same after every epoch', async () => {
  const data = blobs(256);
  const { model, config } = setup('', ['train.epochs=5', 'train.metrics=[accuracy, f1, auc, top_k_accuracy]']);
  const counts: number[] = [];
  await train(engine, model, data, config, 1, initialState(1), {
    onEpoch: async () => {
      counts.push(engine.tf.memory().numTensors);
    },
  });
  assert.equal(counts.length, 5);
  assert.deepEqual(counts.slice(1), new Array(4).fill(counts[1]), `tensors after each epoch: ${counts.join(', ')}`);
  model.dispose();
});

test('train() frees the optimizer it made, and leaves alone one it was given', async () => {
  const data = blobs(128);
  const { makeOptimizer } = await import('../../src/train-registry/optimizers.js');
  const { model, config } = setup('', ['train.epochs=2', 'train.optimizer.type=adam']);
  const before = engine.tf.memory().numTensors;
  await train(engine, model, data, config, 1, initialState(1));
  assert.equal(engine.tf.memory().numTensors, before, 'no tensors left by its own Adam');
  const opt = makeOptimizer(engine.tf, config.optimizer);
  await train(engine, model, data, config, 1, initialState(1), {}, opt);
  // Adam's two moments per weight and its two running beta powers are still there for the caller.
  assert.equal(engine.tf.memory().numTensors, before + 2 * model.trainableWeights.length + 2);
  opt.optimizer.dispose();
  assert.equal(engine.tf.memory().numTensors, before);
  model.dispose();
});

test('a non-finite loss stops training and names the epoch and batch', async () => {
  const data = blobs(64);
  const bad = data.train;
  // Batch 3 of epoch 1 holds a NaN input (with batch size 16, whichever examples it holds).
  data.train = {
    size: bad.size,
    batch(indices) {
      const b = bad.batch(indices);
      if (indices[0] === firstOfBatch3) b.x[0] = Number.NaN;
      return b;
    },
  };
  const { permutation, mixSeed } = await import('../../src/rng.js');
  const firstOfBatch3 = permutation(64, mixSeed(2, 1))[32]!;
  const { model, config } = setup();
  const r = await train(engine, model, data, config, 2, initialState(2));
  assert.equal(r.stopped, 'non_finite');
  assert.deepEqual(r.at, { epoch: 1, batch: 3 });
  assert.equal(r.history.length, 0);
  model.dispose();
});

test('losses read in groups still name the first non-finite batch, and every batch before it is reported once, in order', async () => {
  const data = blobs(1024);
  const bad = data.train;
  const { permutation, mixSeed } = await import('../../src/rng.js');
  // 64 batches of 16 in epoch 1; batch 41 holds an infinite input, which makes every later loss NaN too.
  const firstOfBatch41 = permutation(1024, mixSeed(4, 1))[40 * 16]!;
  data.train = {
    size: bad.size,
    batch(indices) {
      const b = bad.batch(indices);
      if (indices[0] === firstOfBatch41) b.x[0] = Number.POSITIVE_INFINITY;
      return b;
    },
  };
  const { model, config } = setup('', ['train.epochs=2']);
  const seen: number[] = [];
  const r = await train(engine, model, data, config, 4, initialState(4), {
    onBatch: (p) => {
      assert.ok(Number.isFinite(p.loss));
      assert.equal(p.samples, p.batch * 16);
      seen.push(p.batch);
    },
  });
  assert.equal(r.stopped, 'non_finite');
  assert.deepEqual(r.at, { epoch: 1, batch: 41 });
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i + 1));
  model.dispose();
});

test('early stopping stops when the monitored metric stops improving', async () => {
  const data = blobs(128);
  const { model, config } = setup('', ['train.epochs=50', 'train.early_stopping={monitor: val_loss, patience: 2, min_delta: 0.5}']);
  const r = await train(engine, model, data, config, 1, initialState(1));
  assert.equal(r.stopped, 'early_stopping');
  assert.ok(r.history.length < 50 && r.history.length >= 3);
  model.dispose();
});
