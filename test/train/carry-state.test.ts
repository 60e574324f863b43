/** train.carry_state: lanes of consecutive windows, states carried between batches, and the spec's checks. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { checkModelAgainstData } from '../../src/spec/check-data.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { laneBatches } from '../../src/train/carry-state.js';
import { trainConfig } from '../../src/train/config.js';
import { evaluateSplit } from '../../src/train/evaluate-split.js';
import { initialState, train } from '../../src/train/loop.js';
import { blobs, echoSpec, echoText } from '../helpers/synthetic.js';

let engine: Engine;
before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
});

test('lanes: every example once, and row b of each batch is the example after row b of the batch before', () => {
  for (const [size, lanes] of [[10, 3], [9, 3], [5, 8], [8387, 64], [1, 4]] as const) {
    const batches = laneBatches(size, lanes);
    const seen = batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: size }, (_, i) => i), `${size} in ${lanes} lanes`);
    assert.ok(batches[0]!.length <= lanes);
    for (let t = 1; t < batches.length; t++) {
      const [prev, cur] = [batches[t - 1]!, batches[t]!];
      assert.ok(cur.length <= prev.length, 'a later batch never has more rows');
      cur.forEach((i, b) => assert.equal(i, prev[b]! + 1, `${size}/${lanes}: batch ${t} row ${b}`));
    }
  }
  assert.deepEqual(laneBatches(10, 3).map((b) => Array.from(b)), [[0, 4, 8], [1, 5, 9], [2, 6], [3, 7]]);
});

async function trainEcho(carry: boolean) {
  const spec = parseSpec('echo.yaml', echoSpec(carry ? '  carry_state: true' : ''));
  const { model } = buildModel(spec, engine);
  const config = trainConfig(spec.train, true);
  // 496 windows in 16 lanes of 31: the lanes start at both phases of the period, so a batch is never all of one kind.
  const data = echoText(248);
  const counts: number[] = [];
  const r = await train(engine, model, data, config, 3, initialState(3), { onEpoch: async () => void counts.push(engine.tf.memory().numTensors) });
  return { model, config, data, r, counts };
}

test('a state carried across windows learns what only the window before shows; without it the model cannot', async () => {
  // The echoed key is a coin flip without the previous window: 2·ln 2 / 8 ≈ 0.173 nats a target at best; with it, ln 2 / 8 ≈ 0.087.
  const carried = await trainEcho(true);
  const plain = await trainEcho(false);
  const last = (h: typeof carried.r.history) => h[h.length - 1]!;
  assert.ok(last(carried.r.history).val_loss < 0.12, `with carry_state: val_loss ${last(carried.r.history).val_loss}`);
  assert.ok(last(plain.r.history).val_loss > 0.15, `without: val_loss ${last(plain.r.history).val_loss}`);
  // The same carried-state model, evaluated window by window from zero states, loses what it carried.
  const cold = await evaluateSplit(engine, carried.model, carried.data, carried.data.validation!, { ...carried.config, carry_state: false });
  assert.ok(cold.loss! > 0.15, `carried model without its state: ${cold.loss}`);
  const warm = await evaluateSplit(engine, carried.model, carried.data, carried.data.validation!, carried.config);
  assert.ok(Math.abs(warm.loss! - last(carried.r.history).val_loss) < 1e-6, 'evaluateSplit carries the state as the epoch log did');
  assert.deepEqual(carried.counts.slice(1), new Array(carried.counts.length - 1).fill(carried.counts[1]), `tensors after each epoch: ${carried.counts.join(', ')}`);
  carried.model.dispose();
  plain.model.dispose();
});

const echoWith = (layer: string) =>
  echoSpec('  carry_state: true').replace('    - {type: gru, units: 24, return_sequences: true}', `    - ${layer}`);

test('carry_state is refused, at the line to change, where it cannot work', () => {
  const check = (text: string, data = echoText(16)) => checkModelAgainstData(parseSpec('echo.yaml', text), data);
  assert.deepEqual(check(echoSpec('  carry_state: true')), []);
  const lineOf = (text: string, key: string) => text.split('\n').findIndex((l) => l.includes(key)) + 1;

  const notContinuous = { ...echoText(16), train: { ...echoText(16).train, continuous: false } };
  const [d1, ...more] = check(echoSpec('  carry_state: true'), notContinuous);
  assert.equal(more.length, 0);
  assert.equal(d1!.line, lineOf(echoSpec('  carry_state: true'), 'carry_state'));
  assert.match(d1!.message, /set data\.stride equal to data\.sequence_length \(4\)/);

  for (const [layer, why] of [
    ['{type: gru, units: 16, return_sequences: true, dropout: 0.2}', /dropout \(use a dropout layer after it instead\)/],
    ['{type: lstm, units: 16, return_sequences: true, go_backwards: true}', /go_backwards/],
    ['{type: simple_rnn, units: 16, return_sequences: true}', /layers\[2\] \(simple_rnn\) cannot carry its state/],
    ['{type: bidirectional, layer: {type: gru, units: 8, return_sequences: true}}', /bidirectional\) cannot carry/],
  ] as const) {
    const text = echoWith(layer);
    const d = check(text);
    assert.ok(d.some((x) => why.test(x.message) && x.line === lineOf(text, layer.slice(0, 20))), `${layer}: ${JSON.stringify(d)}`);
  }
  const mlp = parseSpec('blobs.yaml', `version: 1\nname: b\nmodel:\n  layers:\n    - {type: input, shape: [8]}\n    - {type: dense, units: 3, activation: softmax}\ntrain:\n  carry_state: true\n`);
  const d = checkModelAgainstData(mlp, blobs(32));
  assert.ok(d.some((x) => /do not follow each other; it is for text and series windows/.test(x.message)), JSON.stringify(d));
  assert.ok(d.some((x) => /the model has none/.test(x.message)), JSON.stringify(d));
});

test('a snapshot of carried states restores to the same states, and snapshots them again byte for byte', async () => {
  const { CarriedStates } = await import('../../src/train/carry-state.js');
  const { tf } = engine;
  const { model } = buildModel(parseSpec('echo.yaml', echoSpec('  carry_state: true')), engine);
  const carried = new CarriedStates(tf, model);
  const data = echoText(16);
  const b = data.train.batch([0, 1, 2]);
  tf.dispose(model.apply(tf.tensor(b.x, [3, 4], 'int32')) as Tensor);
  const first = await carried.snapshot();
  assert.deepEqual(first.map((l) => l?.map((t) => t.shape)), [[[3, 24]]]);
  carried.reset();
  carried.restore(first);
  const again = await carried.snapshot();
  assert.deepEqual(again, first);
  carried.release();
  model.dispose();
});
