/** strata's Conv2D and Dense train their bias and relu fused into the product: TensorFlow.js's outputs and gradients, in fewer kernels. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { kernelsRun, on } from '../helpers/backends.js';
import { maxAbsDiff } from '../helpers/layers.js';
import type { Engine } from '../../src/backend/select.js';
import type { Layer } from '../../src/tf-types.js';

/** A layer's output while training, then the gradients of a weighted sum of it: by its input, then by each trainable weight. */
function trained(tf: Engine['tf'], layer: Layer, x: Tensor): ArrayLike<number>[] {
  const vars = layer.trainableWeights.map((v) => (v as unknown as { val: { name: string } }).val);
  const y = layer.apply(x, { training: true }) as Tensor;
  const w = tf.randomNormal(y.shape, 0, 1, 'float32', 9);
  const loss = (input: Tensor) => tf.sum(tf.mul(w, layer.apply(input, { training: true }) as Tensor)) as Scalar;
  const { grads } = tf.variableGrads(() => loss(x), vars as unknown as Parameters<typeof tf.variableGrads>[1]);
  return [y, tf.grad(loss)(x), ...vars.map((v) => grads[v.name]!)].map((t) => t.dataSync());
}

/** With the same random weights, `ours` gives `builtIn`'s output and gradients while training, within `tolerance`. */
function sameAsBuiltIn(tf: Engine['tf'], ours: Layer, builtIn: Layer, x: Tensor, biased: boolean, tolerance: number): void {
  builtIn.apply(x);
  const weights = ours.getWeights().map((t, i) => tf.randomNormal(t.shape, 0, 0.5, 'float32', 20 + i));
  ours.setWeights(weights);
  builtIn.setWeights(weights);
  const a = trained(tf, ours, x);
  const b = trained(tf, builtIn, x);
  assert.equal(a.length, biased ? 4 : 3);
  a.forEach((t, i) => assert.ok(maxAbsDiff(t, b[i]!) < tolerance, `${['output', 'input gradient', 'kernel gradient', 'bias gradient'][i]} differs by ${maxAbsDiff(t, b[i]!)}`));
}

const cases = [
  { activation: 'relu', use_bias: true, padding: 'valid', strides: 1 },
  { activation: 'relu', use_bias: false, padding: 'same', strides: 2 },
  { activation: 'linear', use_bias: true, padding: 'same', strides: 1 },
  { activation: 'tanh', use_bias: true, padding: 'valid', strides: 1 },
] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of cases) {
    test(`conv2d (${c.activation}, bias ${c.use_bias}, ${c.padding}, stride ${c.strides}) training on ${backend}: TensorFlow.js's outputs and gradients`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const layer = { type: 'conv2d', name: 'c', filters: 4, kernel_size: 3, activation: c.activation, use_bias: c.use_bias, padding: c.padding, strides: c.strides };
      const text = stringify({ version: 1, name: 'conv', seed: 1, model: { layers: [{ type: 'input', shape: [7, 7, 3] }, layer] } });
      const ours = buildModel(parseSpec('conv.yaml', text), engine).model.getLayer('c');
      assert.equal(ours.getClassName(), 'Conv2D');
      const builtIn = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: c.activation, useBias: c.use_bias, padding: c.padding, strides: c.strides });
      const x = tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 3);
      sameAsBuiltIn(tf, ours, builtIn, x, c.use_bias, 1e-4);

      // tanh: TensorFlow.js's own path (its fused convolution with the bias, then Tanh).
      const ran = kernelsRun(tf, () => tf.dispose(tf.grad((input: Tensor) => tf.sum(ours.apply(input, { training: true }) as Tensor))(x)));
      assert.ok(ran.has('FusedConv2D') && !ran.has('Relu') && !ran.has('Add'), [...ran].join(' '));
      assert.equal(ran.has('Tanh'), c.activation === 'tanh');
    });
  }
}

test('conv2d training with only its weights to learn (a first layer) computes no input gradient', async () => {
  const engine = await on('wasm');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'conv', seed: 1, model: { layers: [{ type: 'input', shape: [6, 6, 1] }, { type: 'conv2d', name: 'c', filters: 4, kernel_size: 3, activation: 'relu' }] } });
  const layer = buildModel(parseSpec('conv.yaml', text), engine).model.getLayer('c');
  const x = tf.randomNormal([2, 6, 6, 1], 0, 1, 'float32', 1);
  const vars = layer.trainableWeights.map((v) => (v as unknown as { val: unknown }).val) as unknown as Parameters<typeof tf.variableGrads>[1];
  const before = tf.memory().numTensors;
  const ran = kernelsRun(tf, () => {
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as Tensor) as Scalar, vars);
    tf.dispose([value, grads]);
  });
  assert.ok(ran.has('Conv2DBackpropFilter') && !ran.has('Conv2DBackpropInput'), [...ran].join(' '));
  assert.equal(tf.memory().numTensors, before);
});

const denseCases = [
  { activation: 'relu', use_bias: true, rank: 2 },
  { activation: 'linear', use_bias: false, rank: 3 },
  { activation: 'relu', use_bias: true, rank: 3 },
  { activation: 'tanh', use_bias: true, rank: 2 },
] as const;

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of denseCases) {
    test(`dense (${c.activation}, bias ${c.use_bias}, rank ${c.rank}) training on ${backend}: TensorFlow.js's outputs and gradients`, async () => {
      const engine = await on(backend);
      const { tf, tfl } = engine;
      const shape = c.rank === 2 ? [12] : [5, 12];
      const text = stringify({ version: 1, name: 'dense', seed: 1, model: { layers: [{ type: 'input', shape }, { type: 'dense', name: 'd', units: 10, activation: c.activation, use_bias: c.use_bias }] } });
      const ours = buildModel(parseSpec('dense.yaml', text), engine).model.getLayer('d');
      assert.equal(ours.getClassName(), 'Dense');
      const builtIn = tfl.layers.dense({ units: 10, activation: c.activation, useBias: c.use_bias });
      const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 3);
      sameAsBuiltIn(tf, ours, builtIn, x, c.use_bias, 1e-5);
      const ran = kernelsRun(tf, () => tf.dispose(tf.grad((input: Tensor) => tf.sum(ours.apply(input, { training: true }) as Tensor))(x)));
      // relu and linear: one fused kernel, no Add and no Relu (tanh: the built-in's product, bias Add and Tanh).
      assert.ok(ran.has('_FusedMatMul') && !ran.has('Relu'), [...ran].join(' '));
      assert.equal(ran.has('Add'), c.activation === 'tanh' && c.use_bias, [...ran].join(' '));
    });
  }
}

test('dense training as a first layer computes no input gradient', async () => {
  const engine = await on('wasm');
  const { tf } = engine;
  const text = stringify({ version: 1, name: 'dense', seed: 1, model: { layers: [{ type: 'input', shape: [12] }, { type: 'dense', name: 'd', units: 8, activation: 'relu' }] } });
  const layer = buildModel(parseSpec('dense.yaml', text), engine).model.getLayer('d');
  const x = tf.randomNormal([4, 12], 0, 1, 'float32', 1);
  const vars = layer.trainableWeights.map((v) => (v as unknown as { val: unknown }).val) as unknown as Parameters<typeof tf.variableGrads>[1];
  const before = tf.memory().numTensors;
  // The kernels run, counted.
  const ran = new Map<string, number>();
  const engineRun = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const own = engineRun.runKernel;
  engineRun.runKernel = function (name, ...rest) {
    ran.set(name, (ran.get(name) ?? 0) + 1);
    return own.call(this, name, ...rest);
  };
  try {
    const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, { training: true }) as Tensor) as Scalar, vars);
    tf.dispose([value, grads]);
  } finally {
    engineRun.runKernel = own;
  }
  const products = ran.get('BatchMatMul') ?? 0;
  assert.ok(ran.has('_FusedMatMul'), [...ran.keys()].join(' '));
  assert.equal(products, 1, 'one product in the gradient: the kernel\'s, not the input\'s');
  assert.equal(tf.memory().numTensors, before);
});

test('without strata\'s gradients of the fused kernels (strata\'s layers in a plain TensorFlow.js program), the same outputs and gradients by plain ops', async () => {
  const engine = await on('wasm');
  const { tf } = engine;
  const { fusedConv2d, fusedDense } = await import('../../src/layers/custom/fused.js');
  // The same TensorFlow.js, as a program that registered strata's layers and not its gradients sees it.
  const plainTf = { ...tf, getGradient: () => undefined } as unknown as typeof tf;
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, 3, 8], 0, 0.5, 'float32', 2);
  const b = tf.randomNormal([8], 0, 0.5, 'float32', 3);
  const xd = tf.randomNormal([2, 5, 12], 0, 1, 'float32', 4);
  const wd = tf.randomNormal([12, 8], 0, 0.5, 'float32', 5);
  for (const [name, f] of [
    ['conv2d', (t: typeof tf, input: Tensor, k: Tensor) => fusedConv2d(t, input as never, k as never, b, [1, 1], 'same', true)],
    ['dense', (t: typeof tf, input: Tensor, k: Tensor) => fusedDense(t, input, k, b, true)],
  ] as const) {
    const [input, kernel] = name === 'conv2d' ? [x, w] : [xd, wd];
    const grads = (t: typeof tf) => tf.grads((i: Tensor, k: Tensor) => tf.sum(tf.square(f(t, i, k))))([input, kernel]).map((g) => g.dataSync());
    let ran = new Set<string>();
    let viaPlain: ArrayLike<number>[] = [];
    ran = kernelsRun(tf, () => {
      viaPlain = grads(plainTf);
    });
    assert.ok(!ran.has('FusedConv2D') && !ran.has('_FusedMatMul'), `${name}: ${[...ran].join(' ')}`);
    const viaFused = grads(tf);
    viaFused.forEach((g, i) => assert.ok(maxAbsDiff(g, viaPlain[i]!) < 1e-4, `${name} gradient ${i} differs by ${maxAbsDiff(g, viaPlain[i]!)}`));
  }
});
