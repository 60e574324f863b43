/**
 * train.pruning: the schedules against TF-MOT's formulas, and training with
 * masks: exactly the final fraction of each pruned kernel is zero, biases are
 * never pruned, pruned weights stay zero, the sparsity is logged per layer.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { initialState, train } from '../../src/train/loop.js';
import { Pruner } from '../../src/train/pruning.js';
import { keptCount, pruningPlan, prunesAt, sparsityAt } from '../../src/train-registry/pruning.js';
import { UsageError } from '../../src/errors.js';
import { blobs, blobsSpec } from '../helpers/synthetic.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

test('polynomial sparsity follows TF-MOT PolynomialDecay: final + (initial - final)(1 - p)^3', () => {
  const plan = pruningPlan({ type: 'polynomial', initial_sparsity: 0.2, final_sparsity: 0.8, begin_step: 100, end_step: 1100, frequency: 100 }, 50);
  // TF-MOT: p = min(1, max(0, (step - begin) / (end - begin))); sparsity = (initial - final) * (1 - p)^power + final.
  const tfmot = (step: number) => {
    const p = Math.min(1, Math.max(0, (step - 100) / 1000));
    return (0.2 - 0.8) * Math.pow(1 - p, 3) + 0.8;
  };
  for (const step of [0, 100, 350, 600, 1099, 1100, 5000]) assert.ok(Math.abs(sparsityAt(plan, step) - tfmot(step)) < 1e-12, `step ${step}`);
  // Hand values: at the begin 0.2; halfway 0.8 - 0.6/8 = 0.725; at and after the end 0.8.
  assert.ok(Math.abs(sparsityAt(plan, 100) - 0.2) < 1e-12);
  assert.ok(Math.abs(sparsityAt(plan, 600) - 0.725) < 1e-12);
  assert.equal(sparsityAt(plan, 1100), 0.8);
  assert.equal(sparsityAt(plan, 2000), 0.8);
  // Pruning steps: from the begin every `frequency` steps up to the end.
  assert.deepEqual([0, 99, 100, 150, 200, 1000, 1100, 1200].map((t) => prunesAt(plan, t)), [false, false, true, false, true, true, true, false]);
});

test('epoch bounds become steps, the end step always prunes, and constant sparsity needs no end', () => {
  const plan = pruningPlan({ type: 'polynomial', final_sparsity: 0.5, begin_epoch: 1, end_epoch: 3, frequency: 7 }, 10);
  assert.equal(plan.begin, 10);
  assert.equal(plan.end, 30);
  assert.equal(plan.initial, 0);
  assert.equal(prunesAt(plan, 24), true);
  assert.equal(prunesAt(plan, 30), true, '(30 - 10) % 7 is not 0, but the end step prunes so that the final sparsity is reached');
  assert.equal(prunesAt(plan, 31), false);
  const constant = pruningPlan({ type: 'constant', target_sparsity: 0.6, begin_step: 5, frequency: 10 }, 10);
  assert.equal(constant.end, undefined);
  assert.equal(sparsityAt(constant, 5), 0.6);
  assert.equal(sparsityAt(constant, 10_000), 0.6);
  assert.deepEqual([4, 5, 15, 10_005, 10_006].map((t) => prunesAt(constant, t)), [false, true, true, true, false]);
});

test("a mask keeps TF-MOT's max(1, round(n (1 - sparsity))) weights, rounding half to even as tf.math.round", () => {
  assert.equal(keptCount(128, 0.75), 32);
  assert.equal(keptCount(10, 0.95), 1); // round(0.5) = 0, and at least one is kept
  assert.equal(keptCount(5, 0.5), 2); // 2.5 rounds to 2
  assert.equal(keptCount(7, 0.5), 4); // 3.5 rounds to 4
  assert.equal(keptCount(100, 0), 100);
});

const PRUNING = `  pruning: {type: polynomial, initial_sparsity: 0.25, final_sparsity: 0.75, begin_epoch: 0, end_epoch: 2, frequency: 3}
`;

function setup(extra: string) {
  const spec = parseSpec('blobs.yaml', blobsSpec(8, 3, extra));
  const { model } = buildModel(spec, engine);
  const config = trainConfig(spec.train, true);
  return { spec, model, config };
}

async function byName(model: ReturnType<typeof setup>['model']): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const w of model.weights) out.set(w.originalName, (await w.read().data()) as Float32Array);
  return out;
}

const zeros = (a: Float32Array) => a.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);

test('after training, each pruned kernel has exactly the final fraction of zeros, biases none, and pruned weights stayed zero after the end', async () => {
  const data = blobs(256);
  const { model, config } = setup(PRUNING);
  const atEpoch: Map<string, Float32Array>[] = [];
  const r = await train(engine, model, data, config, 3, initialState(3), { onEpoch: async () => void atEpoch.push(await byName(model)) });
  assert.equal(r.stopped, 'completed');
  const last = atEpoch[3]!;
  // blobsSpec: dense (8 → 16) and dense_1 (16 → 3); 0.75 of 128 and of 48 weights.
  const kernels = [...last.keys()].filter((n) => n.endsWith('/kernel'));
  assert.equal(kernels.length, 2);
  for (const k of kernels) {
    const w = last.get(k)!;
    assert.equal(zeros(w), w.length - keptCount(w.length, 0.75), `${k}: ${zeros(w)} zeros of ${w.length}`);
  }
  assert.deepEqual(kernels.map((k) => zeros(last.get(k)!)), [96, 36]);
  for (const [name, w] of last) if (name.endsWith('/bias')) assert.equal(zeros(w), 0, `${name} is not pruned`);
  // The masks stopped changing at the end (epoch 2): the zeros of epochs 3 and 4 are those of epoch 2, while the kept weights still train.
  for (const k of kernels) {
    const [e2, e3, e4] = [atEpoch[1]!.get(k)!, atEpoch[2]!.get(k)!, last.get(k)!];
    const where = (a: Float32Array) => [...a].flatMap((v, i) => (v === 0 ? [i] : []));
    assert.deepEqual(where(e3), where(e2));
    assert.deepEqual(where(e4), where(e2));
    assert.notDeepEqual(e4, e2, 'the kept weights go on training');
  }
  // The log: the sparsity of each pruned layer, rising from the initial toward the final value.
  const layers = kernels.map((k) => `sparsity/${k.split('/')[0]}`);
  for (const key of layers) {
    assert.equal(r.history[3]![key], zeros(last.get(`${key.slice('sparsity/'.length)}/kernel`)!) / last.get(`${key.slice('sparsity/'.length)}/kernel`)!.length);
    assert.ok(r.history[0]![key]! > 0.25 && r.history[0]![key]! < 0.75, `${key} epoch 1: ${r.history[0]![key]}`);
    assert.equal(r.history[1]![key], r.history[3]![key]);
  }
  model.dispose();
});

test('constant sparsity with layers by name prunes that layer only', async () => {
  const data = blobs(256);
  const { spec, model, config } = setup('  pruning: {type: constant, target_sparsity: 0.5, frequency: 4}\n');
  const name = spec.model.layers.filter((l) => l.type === 'dense')[1]!.name;
  const { model: m2, config: c2 } = setup(`  pruning: {type: constant, target_sparsity: 0.5, frequency: 4, layers: [${name}]}\n`);
  model.dispose();
  const r = await train(engine, m2, data, c2, 3, initialState(3));
  const w = await byName(m2);
  const first = spec.model.layers.filter((l) => l.type === 'dense')[0]!.name;
  assert.equal(zeros(w.get(`${name}/kernel`)!), 24);
  assert.equal(zeros(w.get(`${first}/kernel`)!), 0);
  assert.deepEqual(Object.keys(r.history[0]!).filter((k) => k.startsWith('sparsity/')), [`sparsity/${name}`]);
  assert.ok(config.pruning);
  m2.dispose();
});

test('a layers entry with no kernel (a dropout) is refused at its place', () => {
  const { spec, model, config } = setup('  pruning: {type: constant, target_sparsity: 0.5, layers: [dropout]}\n');
  assert.throws(
    () => new Pruner(engine.tf, model, config.pruning!, { layers: spec.model.layers, at: () => ({ file: 'blobs.yaml', line: 7 }) }),
    (e: unknown) => e instanceof UsageError && /train\.pruning\.layers names 'dropout', which has no trainable kernel/.test(e.message),
  );
  model.dispose();
});
