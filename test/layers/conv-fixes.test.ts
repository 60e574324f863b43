/**
 * conv1d with `padding: causal` (TensorFlow.js accepts it and throws when it
 * runs) and dilated conv1d/conv2d (TensorFlow.js runs them but has no gradient):
 * strata's subclasses, checked against a float64 loop and TensorFlow.js's own
 * dilated forward pass, for causality, for gradients against finite
 * differences, for training, and for a reload that stays a plain Conv1D.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { dilateKernel } from '../../src/layers/custom/conv-fixes.js';
import { maxAbsDiff, saveAndReload } from '../helpers/layers.js';

const T = 10;
const C = 3;
const F = 4;

function model(engine: Awaited<ReturnType<typeof loadEngine>>, k: number, dilation: number) {
  const text = stringify({
    version: 1,
    name: 'causal',
    seed: 1,
    model: { layers: [{ type: 'input', shape: [T, C] }, { type: 'conv1d', name: 'c', filters: F, kernel_size: k, dilation_rate: dilation, padding: 'causal', bias_initializer: 'glorot_uniform' }] },
  });
  return buildModel(parseSpec('causal.yaml', text), engine).model;
}

/** y[b, t, f] = bias[f] + Σ_{i, c} x[b, t − d·(k−1−i), c] · w[i, c, f], with x = 0 before the first step. */
function reference(x: Float32Array, w: Float32Array, bias: Float32Array, B: number, k: number, d: number): Float64Array {
  const y = new Float64Array(B * T * F);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let f = 0; f < F; f++) {
        let s = bias[f]!;
        for (let i = 0; i < k; i++) {
          const src = t - d * (k - 1 - i);
          if (src < 0) continue;
          for (let c = 0; c < C; c++) s += x[(b * T + src) * C + c]! * w[(i * C + c) * F + f]!;
        }
        y[(b * T + t) * F + f] = s;
      }
  return y;
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`conv1d causal: the float64 reference, dilated or not (${backend})`, async () => {
    const engine = await loadEngine('wasm');
    await import('@tensorflow/tfjs-backend-cpu');
    assert.ok(await engine.tf.setBackend(backend));
    const { tf } = engine;
    for (const [k, d] of [
      [3, 1],
      [3, 2],
      [2, 4],
    ] as const) {
      const m = model(engine, k, d);
      const x = tf.randomNormal([2, T, C], 0, 1, 'float32', 5);
      const y = m.predict(x) as import('@tensorflow/tfjs-core').Tensor;
      assert.deepEqual(y.shape, [2, T, F]);
      const [w, bias] = m.getLayer('c').getWeights();
      const want = reference(x.dataSync() as Float32Array, w!.dataSync() as Float32Array, bias!.dataSync() as Float32Array, 2, k, d);
      assert.ok(maxAbsDiff(y.dataSync(), want) < 1e-4, `k ${k}, dilation ${d}: differs by ${maxAbsDiff(y.dataSync(), want)}`);
      // Step t sees nothing after t: changing the last step changes only the last output.
      const x2 = tf.concat([tf.slice(x, [0, 0, 0], [2, T - 1, C]), tf.fill([2, 1, C], 9)], 1);
      const y2 = m.predict(x2) as import('@tensorflow/tfjs-core').Tensor;
      assert.equal(maxAbsDiff(tf.slice(y, [0, 0, 0], [2, T - 1, F]).dataSync(), tf.slice(y2, [0, 0, 0], [2, T - 1, F]).dataSync()), 0);
      assert.ok(maxAbsDiff(tf.slice(y, [0, T - 1, 0], [2, 1, F]).dataSync(), tf.slice(y2, [0, T - 1, 0], [2, 1, F]).dataSync()) > 0);
      m.dispose();
    }
  });
}

test('conv1d causal trains, and reloads as a plain Conv1D with causal padding', async () => {
  const engine = await loadEngine('wasm');
  const { tf } = engine;
  const m = model(engine, 3, 2);
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const x = tf.randomNormal([4, T, C], 0, 1, 'float32', 1);
  const before = m.getLayer('c').getWeights()[0]!.dataSync().slice();
  await m.fit(x, tf.zeros([4, T, F]), { epochs: 1, verbose: 0 });
  assert.ok(maxAbsDiff(before, m.getLayer('c').getWeights()[0]!.dataSync()) > 0, 'the kernel did not change');
  const topology = m.toJSON(null, false) as unknown as { config: { layers: { class_name: string; config: { name: string; padding?: string } }[] } };
  const saved = topology.config.layers.find((l) => l.config.name === 'c')!;
  assert.equal(saved.class_name, 'Conv1D');
  assert.equal(saved.config.padding, 'causal');
  const again = await saveAndReload(engine, m);
  assert.ok(maxAbsDiff((m.predict(x) as import('@tensorflow/tfjs-core').Tensor).dataSync(), (again.predict(x) as import('@tensorflow/tfjs-core').Tensor).dataSync()) < 1e-6);
});

test('a spread-out kernel: taps d apart with zeros between, along each spatial axis', async () => {
  const { tf } = await loadEngine('wasm');
  const k = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
  const d = dilateKernel(tf, k, [2, 3]);
  assert.deepEqual(d.shape, [3, 4, 1, 1]);
  assert.deepEqual(Array.from(d.dataSync()), [1, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 4]);
});

type T4 = import('@tensorflow/tfjs-core').Tensor4D;
type Tn = import('@tensorflow/tfjs-core').Tensor;
type Core = Awaited<ReturnType<typeof loadEngine>>['tf'];

/** Each dilated 2D layer, and its output from its weights through tfjs-core's own dilated forward ops. */
const CASES: { type: string; params: Record<string, unknown>; own: (tf: Core, x: T4, w: Tn[], pad: 'valid' | 'same') => Tn }[] = [
  { type: 'conv2d', params: { filters: 3 }, own: (tf, x, [k, b], pad) => tf.add(tf.conv2d(x, k as T4, 1, pad, 'NHWC', [2, 3]), b!) },
  { type: 'depthwise_conv2d', params: { depth_multiplier: 2 }, own: (tf, x, [k, b], pad) => tf.add(tf.depthwiseConv2d(x, k as T4, 1, pad, 'NHWC', [2, 3]), b!) },
  { type: 'separable_conv2d', params: { filters: 3 }, own: (tf, x, [dk, pk, b], pad) => tf.add(tf.separableConv2d(x, dk as T4, pk as T4, 1, pad, [2, 3], 'NHWC'), b!) },
];

for (const { type, params, own } of CASES) {
  for (const padding of ['valid', 'same'] as const) {
    test(`dilated ${type} (${padding}): tfjs-core's own dilated forward pass, kernel gradient by finite differences, training`, async () => {
      const engine = await loadEngine('wasm');
      const { tf } = engine;
      const text = stringify({
        version: 1,
        name: 'dilated',
        seed: 1,
        model: { layers: [{ type: 'input', shape: [9, 8, 2] }, { type, name: 'c', ...params, kernel_size: [3, 2], dilation_rate: [2, 3], padding, activation: 'tanh' }] },
      });
      const m = buildModel(parseSpec('dilated.yaml', text), engine).model;
      const layer = m.getLayer('c');
      const x = tf.randomNormal([2, 9, 8, 2], 0, 1, 'float32', 2) as T4;
      // Random biases too, so that they are checked.
      const ws = layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 10 + i));
      layer.setWeights(ws);
      const want = tf.tanh(own(tf, x, ws, padding));
      const y = m.predict(x) as Tn;
      assert.deepEqual(y.shape, want.shape);
      assert.ok(maxAbsDiff(y.dataSync(), want.dataSync()) < 1e-4, `differs from tfjs-core's dilated ${type} by ${maxAbsDiff(y.dataSync(), want.dataSync())}`);
      // The layer's own gradient for its first kernel, against central differences of the same loss at 12 entries.
      const weights = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
      const loss = () => tf.sum(tf.mul(weights, m.apply(x) as Tn)) as import('@tensorflow/tfjs-core').Scalar;
      const { grads } = tf.variableGrads(loss, [layer.trainableWeights[0]!.read() as import('@tensorflow/tfjs-core').Variable]);
      const analytic = Object.values(grads)[0]!.dataSync();
      const base = ws[0]!.dataSync().slice();
      const h = 1e-2; // tanh is smooth, so central differences are accurate to O(h²)
      for (let n = 0; n < 12; n++) {
        const i = (n * 7919) % base.length;
        const at = (v: number) => {
          const k = base.slice();
          k[i] = v;
          layer.setWeights([tf.tensor(k, ws[0]!.shape), ...ws.slice(1)]);
          return loss().dataSync()[0]!;
        };
        const numeric = (at(base[i]! + h) - at(base[i]! - h)) / (2 * h);
        assert.ok(Math.abs(numeric - analytic[i]!) < 2e-2 * Math.max(1, Math.abs(numeric)), `kernel[${i}]: ${analytic[i]} vs ${numeric} by differences`);
      }
      layer.setWeights(ws);
      m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
      await m.fit(x, tf.zeros(y.shape), { epochs: 1, verbose: 0 });
      assert.ok(maxAbsDiff(base, layer.getWeights()[0]!.dataSync()) > 0, 'the kernel did not change');
    });
  }
}
