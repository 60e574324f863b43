/** strata's LSTM and GRU sequence operation against TensorFlow.js's own layers: the same outputs and gradients. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { StateSlot } from '../../src/layers/custom/carried-state.js';
import { kernelsRun, on } from '../helpers/backends.js';
import { maxAbsDiff } from '../helpers/layers.js';
import { GRU_CELL_GRAD_KERNEL, GRU_CELL_KERNEL, LSTM_CELL_GRAD_KERNEL, LSTM_CELL_KERNEL } from '../../src/kernel-names.js';

// units in fours: on wasm the LSTM's steps run as strata's cell kernel (kernel-names.ts); 6: as plain ops.
const cases = [
  { type: 'lstm', className: 'LSTM', return_sequences: true, go_backwards: false, units: 6 },
  { type: 'lstm', className: 'LSTM', return_sequences: false, go_backwards: true, units: 6 },
  { type: 'lstm', className: 'LSTM', return_sequences: true, go_backwards: false, units: 8 },
  { type: 'lstm', className: 'LSTM', return_sequences: false, go_backwards: true, units: 12 },
  { type: 'gru', className: 'GRU', return_sequences: true, go_backwards: true, units: 6 },
  { type: 'gru', className: 'GRU', return_sequences: false, go_backwards: false, units: 6 },
] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of cases) {
    const label = `${c.type} of ${c.units} units (return_sequences ${c.return_sequences}, go_backwards ${c.go_backwards}) on ${backend}`;
    test(`${label}: the outputs and every gradient of TensorFlow.js’s ${c.className}, in fewer kernels`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const [batch, steps, features, units] = [3, 7, 5, c.units];
      const layerSpec = { type: c.type, name: 'r', units, return_sequences: c.return_sequences, go_backwards: c.go_backwards };
      const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [steps, features] }, layerSpec] } });
      const ours = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r');
      assert.equal(ours.getClassName(), c.className);
      const args = { units, recurrentActivation: 'sigmoid' as const, returnSequences: c.return_sequences, goBackwards: c.go_backwards };
      const builtIn = c.type === 'lstm' ? tfl.layers.lstm(args) : tfl.layers.gru(args);
      const x = tf.randomNormal([batch, steps, features], 0, 1, 'float32', 4);
      builtIn.apply(x);
      // Weights large enough that every gate is far from its linear range somewhere.
      const weights = ours.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.8, 'float32', 10 + i));
      ours.setWeights(weights);
      builtIn.setWeights(weights);
      const a = ours.apply(x) as Tensor;
      const b = builtIn.apply(x) as Tensor;
      assert.deepEqual(a.shape, b.shape);
      assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-5, `outputs differ by ${maxAbsDiff(a.dataSync(), b.dataSync())}`);

      // A loss that weighs every output differently, so each output's gradient counts.
      const w = tf.randomNormal(a.shape, 0, 1, 'float32', 7);
      const gradients = (layer: typeof ours) => {
        // LayerVariable keeps its tf.Variable in `val`.
        const vars = layer.trainableWeights.map((v) => (v as unknown as { val: unknown }).val);
        const loss = (input: Tensor) => tf.sum(tf.mul(w, layer.apply(input) as Tensor)) as Scalar;
        const { grads } = tf.variableGrads(() => loss(x), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
        const dx = tf.grad(loss)(x);
        return [dx, ...layer.trainableWeights.map((v) => grads[(v as unknown as { val: { name: string } }).val.name]!)].map((t) => t.dataSync());
      };
      const ga = gradients(ours);
      const gb = gradients(builtIn);
      assert.equal(ga.length, 4);
      ga.forEach((g, i) => {
        const scale = Math.max(1, ...Array.from(gb[i]!, Math.abs));
        assert.ok(maxAbsDiff(g, gb[i]!) / scale < 1e-5, `gradient ${i} (input, kernel, recurrent, bias) differs by ${maxAbsDiff(g, gb[i]!)}`);
      });

      const kernels = async (layer: typeof ours) => (await tf.profile(() => tf.grad((input: Tensor) => tf.sum(layer.apply(input) as Tensor))(x))).kernels.length;
      const [na, nb] = [await kernels(ours), await kernels(builtIn)];
      assert.ok(na < nb, `${na} kernels against the built-in's ${nb}`);
      const ran = kernelsRun(tf, () => tf.dispose(tf.grad((input: Tensor) => tf.sum(ours.apply(input) as Tensor))(x)));
      const byCell = backend === 'wasm' && c.type === 'lstm' && units % 4 === 0;
      assert.equal(ran.has(LSTM_CELL_KERNEL) && ran.has(LSTM_CELL_GRAD_KERNEL), byCell, `the cell kernels ${byCell ? 'ran' : 'did not run'}: ${[...ran].join(' ')}`);
    });
  }
}

test('lstm with dropout while training still runs (the built-in path) and the sequence op when predicting', async () => {
  const engine = await loadEngine('wasm');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [4, 3] }, { type: 'lstm', name: 'r', units: 5, dropout: 0.5 }] } });
  const layer = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r');
  const x = tf.ones([2, 4, 3]);
  const trained = layer.apply(x, { training: true }) as Tensor;
  const predicted = layer.apply(x) as Tensor;
  assert.deepEqual(trained.shape, [2, 5]);
  assert.ok(maxAbsDiff(trained.dataSync(), predicted.dataSync()) > 0, 'dropout changed nothing while training');
});

test('building an LSTM (unit_forget_bias) and disposing the model leaves no tensors behind', async () => {
  const engine = await loadEngine('wasm');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [4, 3] }, { type: 'lstm', units: 5, unit_forget_bias: true }] } });
  const before = tf.memory().numTensors;
  const { model } = buildModel(parseSpec('rnn.yaml', text), engine);
  const bias = model.layers[1]!.getWeights()[2]!.dataSync();
  assert.deepEqual(Array.from(bias.slice(5, 10)), [1, 1, 1, 1, 1], 'the forget gate starts at 1');
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

for (const backend of ['cpu', 'wasm'] as const) {
  // 8 LSTM units: on wasm, strata's cell kernel (units in fours).
  for (const [type, units] of [['lstm', 5], ['lstm', 8], ['gru', 5]] as const) {
    test(`${type} of ${units} units on ${backend} with a carried state: two halves give the whole sequence's outputs, and the gradients of the built-in started from that state`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const [batch, steps, features] = [3, 6, 4];
      const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [null, features] }, { type, name: 'r', units, return_sequences: true }] } });
      const layer = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r') as ReturnType<typeof tfl.layers.lstm> & { carried: unknown };
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.8, 'float32', 20 + i)));
      const x = tf.randomNormal([batch, 2 * steps, features], 0, 1, 'float32', 5);
      const whole = layer.apply(x) as Tensor;
      const [first, second] = tf.split(x, 2, 1) as [Tensor, Tensor];
      const slot = new StateSlot(tf);
      layer.carried = slot;
      const halves = tf.concat([layer.apply(first) as Tensor, layer.apply(second) as Tensor], 1);
      assert.ok(maxAbsDiff(halves.dataSync(), whole.dataSync()) < 1e-5, `halves differ from the whole by ${maxAbsDiff(halves.dataSync(), whole.dataSync())}`);
      // A batch of fewer rows continues the first rows of the one before (the end of a split in lanes).
      slot.reset();
      layer.apply(first);
      const start = slot.take(batch)!.map((st) => tf.clone(st));
      const row0 = layer.apply(tf.slice(second, [0, 0, 0], [1, steps, features])) as Tensor;
      const want = tf.slice(whole, [0, steps, 0], [1, steps, units]);
      assert.ok(maxAbsDiff(row0.dataSync(), want.dataSync()) < 1e-5, 'one row continues row 0');

      // Gradients from a fixed starting state, against the built-in given it as initialState.
      const fixed = { take: () => start, put: () => undefined };
      layer.carried = fixed;
      const builtIn = type === 'lstm' ? tfl.layers.lstm({ units, recurrentActivation: 'sigmoid', returnSequences: true }) : tfl.layers.gru({ units, recurrentActivation: 'sigmoid', returnSequences: true });
      builtIn.apply(second);
      builtIn.setWeights(layer.getWeights());
      const w = tf.randomNormal([batch, steps, units], 0, 1, 'float32', 8);
      const grads = (run: (input: Tensor) => Tensor, weights: typeof layer.trainableWeights) => {
        const vars = weights.map((v) => (v as unknown as { val: unknown }).val);
        const loss = (input: Tensor) => tf.sum(tf.mul(w, run(input))) as Scalar;
        const { value, grads: g } = tf.variableGrads(() => loss(second), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
        return [value, tf.grad(loss)(second), ...weights.map((v) => g[(v as unknown as { val: { name: string } }).val.name]!)].map((t) => t.dataSync());
      };
      const ours = grads((input) => layer.apply(input) as Tensor, layer.trainableWeights);
      const theirs = grads((input) => builtIn.apply(input, { initialState: start }) as Tensor, builtIn.trainableWeights);
      ours.forEach((g, i) => {
        const scale = Math.max(1, ...Array.from(theirs[i]!, Math.abs));
        assert.ok(maxAbsDiff(g, theirs[i]!) / scale < 1e-5, `${['loss', 'input', 'kernel', 'recurrent', 'bias'][i]} differs by ${maxAbsDiff(g, theirs[i]!)}`);
      });
      layer.carried = undefined;
      slot.reset();
      tf.dispose([halves, row0, want, ...start]);
    });
  }
}

/**
 * Keras's GRU with reset_after=True, one step at a time in plain TensorFlow.js ops (TensorFlow.js has
 * no such layer to compare with): x·W + b₀ and h·U + b₁ split into (z, r, h) columns,
 * z, r = σ(x_z + h_z), σ(x_r + h_r), candidate tanh(x_h + r ⊙ h_h), h' = z ⊙ h + (1 − z) ⊙ candidate.
 */
function resetAfterReference(tf: Awaited<ReturnType<typeof loadEngine>>['tf'], x: Tensor, kernel: Tensor, recurrent: Tensor, bias: Tensor, returnSequences: boolean, goBackwards: boolean): Tensor {
  const [batch, steps] = x.shape as [number, number, number];
  const units = recurrent.shape[0]!;
  const [bIn, bRec] = tf.unstack(bias, 0) as [Tensor, Tensor];
  let h: Tensor = tf.zeros([batch, units]);
  const outputs: Tensor[] = [];
  for (let k = 0; k < steps; k++) {
    const t = goBackwards ? steps - 1 - k : k;
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, -1]), [batch, -1]);
    const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, kernel), bIn), 3, 1) as [Tensor, Tensor, Tensor];
    const [hz, hr, hh] = tf.split(tf.add(tf.matMul(h, recurrent), bRec), 3, 1) as [Tensor, Tensor, Tensor];
    const z = tf.sigmoid(tf.add(xz, hz));
    const r = tf.sigmoid(tf.add(xr, hr));
    const cand = tf.tanh(tf.add(xh, tf.mul(r, hh)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), cand));
    outputs.push(h);
  }
  return returnSequences ? tf.stack(outputs, 1) : h;
}

// units in fours: on wasm the sequence op's steps run as strata's GRU cell kernel (kernel-names.ts).
const resetAfterCases = [
  { return_sequences: true, go_backwards: true, use_bias: true, units: 6 },
  { return_sequences: false, go_backwards: false, use_bias: true, units: 6 },
  { return_sequences: true, go_backwards: false, use_bias: false, units: 6 },
  { return_sequences: true, go_backwards: false, use_bias: true, units: 8 },
  { return_sequences: false, go_backwards: true, use_bias: false, units: 12 },
] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of resetAfterCases) {
    test(`gru reset_after of ${c.units} units (return_sequences ${c.return_sequences}, go_backwards ${c.go_backwards}, use_bias ${c.use_bias}) on ${backend}: the sequence op and the step-by-step cell give a plain reference's outputs and gradients`, async () => {
      const engine = await on(backend);
      const { tf } = engine;
      const [batch, steps, features, units] = [3, 7, 5, c.units];
      const layerSpec = { type: 'gru', name: 'r', reset_after: true, ...c };
      const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [steps, features] }, layerSpec] } });
      const layer = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r');
      assert.equal(layer.getClassName(), 'strata>GRU');
      assert.deepEqual(layer.getWeights().map((w) => w.shape), [[features, 3 * units], [units, 3 * units], ...(c.use_bias ? [[2, 3 * units]] : [])]);
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.8, 'float32', 30 + i)));
      const x = tf.randomNormal([batch, steps, features], 0, 1, 'float32', 4);
      const w = tf.randomNormal(c.return_sequences ? [batch, steps, units] : [batch, units], 0, 1, 'float32', 7);
      const vars = layer.trainableWeights.map((v) => (v as unknown as { val: unknown }).val);
      const names = layer.trainableWeights.map((v) => (v as unknown as { val: { name: string } }).val.name);
      const bias = () => (c.use_bias ? layer.trainableWeights[2]!.read() : tf.zeros([2, 3 * units]));
      const reference = (input: Tensor) => resetAfterReference(tf, input, layer.trainableWeights[0]!.read(), layer.trainableWeights[1]!.read(), bias(), c.return_sequences, c.go_backwards);
      // A mask of ones changes nothing but sends the layer through TensorFlow.js's step loop and strata's reset-after cell.
      const mask = tf.ones([batch, steps], 'bool');
      const runs: Record<string, (input: Tensor) => Tensor> = {
        'sequence op': (input) => layer.apply(input) as Tensor,
        'cell': (input) => layer.apply(input, { mask }) as Tensor,
        reference,
      };
      const results = Object.fromEntries(
        Object.entries(runs).map(([label, run]) => {
          const loss = (input: Tensor) => tf.sum(tf.mul(w, run(input))) as Scalar;
          const { grads } = tf.variableGrads(() => loss(x), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
          return [label, [run(x), tf.grad(loss)(x), ...names.map((n) => grads[n]!)].map((t) => t.dataSync())];
        }),
      );
      const ran = kernelsRun(tf, () => tf.dispose(tf.grad((input: Tensor) => tf.sum(layer.apply(input) as Tensor))(x)));
      const byCell = backend === 'wasm' && units % 4 === 0;
      assert.equal(ran.has(GRU_CELL_KERNEL) && ran.has(GRU_CELL_GRAD_KERNEL), byCell, `the cell kernels ${byCell ? 'ran' : 'did not run'}: ${[...ran].join(' ')}`);
      for (const label of ['sequence op', 'cell']) {
        results[label]!.forEach((g, i) => {
          const want = results.reference![i]!;
          const scale = Math.max(1, ...Array.from(want, Math.abs));
          assert.ok(maxAbsDiff(g, want) / scale < 1e-5, `${label}: ${['output', 'input', 'kernel', 'recurrent', 'bias'][i]} differs by ${maxAbsDiff(g, want)}`);
        });
      }
    });
  }
}

for (const [backend, units] of [['cpu', 5], ['wasm', 8]] as const) {
  test(`gru reset_after of ${units} units on ${backend} with a carried state: two halves give the whole sequence`, async () => {
    const engine = await on(backend);
    const { tf } = engine;
    const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [null, 4] }, { type: 'gru', name: 'r', units, reset_after: true, return_sequences: true }] } });
    const layer = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r') as ReturnType<typeof engine.tfl.layers.gru> & { carried: unknown };
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.8, 'float32', 40 + i)));
    const x = tf.randomNormal([3, 12, 4], 0, 1, 'float32', 5);
    const whole = layer.apply(x) as Tensor;
    const [first, second] = tf.split(x, 2, 1) as [Tensor, Tensor];
    layer.carried = new StateSlot(tf);
    const halves = tf.concat([layer.apply(first) as Tensor, layer.apply(second) as Tensor], 1);
    layer.carried = undefined;
    assert.ok(maxAbsDiff(halves.dataSync(), whole.dataSync()) < 1e-5, `halves differ from the whole by ${maxAbsDiff(halves.dataSync(), whole.dataSync())}`);
  });
}

test('gru reset_after with dropout while training runs the cell, and the sequence op when predicting', async () => {
  const engine = await loadEngine('cpu');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'rnn', seed: 1, model: { layers: [{ type: 'input', shape: [4, 3] }, { type: 'gru', name: 'r', units: 5, reset_after: true, dropout: 0.5, recurrent_dropout: 0.3 }] } });
  const layer = buildModel(parseSpec('rnn.yaml', text), engine).model.getLayer('r');
  const x = tf.ones([2, 4, 3]);
  const trained = layer.apply(x, { training: true }) as Tensor;
  const predicted = layer.apply(x) as Tensor;
  const viaCell = layer.apply(x, { mask: tf.ones([2, 4], 'bool') }) as Tensor;
  assert.deepEqual(trained.shape, [2, 5]);
  assert.ok(maxAbsDiff(trained.dataSync(), predicted.dataSync()) > 0, 'dropout changed nothing while training');
  assert.ok(maxAbsDiff(viaCell.dataSync(), predicted.dataSync()) < 1e-5, 'no dropout outside training');
});
