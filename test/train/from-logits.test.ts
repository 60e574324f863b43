/**
 * Training from the logits of a dense softmax output: a plain stack of layers on gradients by
 * hand (src/train/stack-gradients.ts), any other such model on the tape with the loss from
 * the logits (src/train/softmax-head.ts). Both give the tape's loss, gradients and outputs
 * through the softmax, to rounding.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor, Variable } from '@tensorflow/tfjs-core';
import { stringify } from 'yaml';
import { SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL } from '../../src/kernel-names.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import { trainConfig } from '../../src/train/config.js';
import { stackGradients } from '../../src/train/stack-gradients.js';
import { softmaxHead } from '../../src/train/softmax-head.js';
import { initialState, train } from '../../src/train/loop.js';
import type { Engine } from '../../src/backend/select.js';
import { kernelsRun, on } from '../helpers/backends.js';
import { maxAbsDiff } from '../helpers/layers.js';
import { arraySplit } from '../helpers/synthetic.js';
import type { Dataset } from '../../src/data/types.js';

const CLASSES = 5;

/** input [4, 4, 2] → flatten → dense 8 relu without bias → dense 6 linear → dense 5 softmax, unless `layers` says otherwise. */
const STACK = [
  { type: 'input', shape: [4, 4, 2] },
  { type: 'flatten' },
  { type: 'dense', units: 8, activation: 'relu', use_bias: false },
  { type: 'dense', units: 6 },
  { type: 'dense', units: CLASSES, activation: 'softmax' },
];

function setup(engine: Engine, train: Record<string, unknown>, layers: object[] = STACK) {
  const text = stringify({ version: 1, name: 'stack', seed: 4, model: { layers }, train: { epochs: 2, batch_size: 8, optimizer: { type: 'adam', learning_rate: 0.01 }, ...train } });
  const spec = parseSpec('stack.yaml', text);
  const { model } = buildModel(spec, engine);
  const config = trainConfig(spec.train, false);
  const fromLogits = config.loss.def.fromLogits?.(engine.tf, { labelSmoothing: config.label_smoothing });
  return { model, config, byHand: stackGradients(engine.tf, model, fromLogits) };
}

const losses = [
  { name: 'sparse', train: { loss: 'sparse_categorical_crossentropy' } },
  { name: 'sparse, smoothed', train: { loss: 'sparse_categorical_crossentropy', label_smoothing: 0.1 } },
  { name: 'one-hot', train: { loss: 'categorical_crossentropy' } },
] as const;

/** The by-hand step against the tape on (x, y): loss, probabilities and every trainable weight's gradient; the kernels the step ran. */
function againstTape(engine: Engine, { model, config, byHand }: ReturnType<typeof setup>, x: Tensor, y: Tensor): Set<string> {
  const { tf } = engine;
  assert.ok(byHand, 'a dense stack takes the step by hand');
  const lossFn = config.loss.def.make(tf, { labelSmoothing: config.label_smoothing });
  const vars = model.trainableWeights.map((w) => w.read() as Variable);
  let tapePred: Tensor | undefined;
  const tape = tf.variableGrads(() => {
    const p = model.apply(x, { training: true }) as Tensor;
    tapePred = tf.keep(p);
    return tf.mean(lossFn(y, p)) as Scalar;
  }, vars);
  let ours: ReturnType<typeof byHand> | undefined;
  const ran = kernelsRun(tf, () => (ours = byHand(x, y)));
  assert.ok(maxAbsDiff(ours!.value.dataSync(), tape.value.dataSync()) < 1e-5, 'loss');
  assert.ok(maxAbsDiff(ours!.pred.dataSync(), tapePred!.dataSync()) < 1e-6, 'probabilities');
  // The same weights in the same order: optimizers keep their state by position in it.
  assert.deepEqual(Object.keys(ours!.grads), Object.keys(tape.grads));
  for (const [name, g] of Object.entries(tape.grads)) {
    assert.ok(maxAbsDiff(ours!.grads[name]!.dataSync(), g.dataSync()) < 1e-5, `${name} differs by ${maxAbsDiff(ours!.grads[name]!.dataSync(), g.dataSync())}`);
  }
  tf.dispose([tape.value, tapePred!, ours!.value, ours!.pred, ...Object.values(tape.grads), ...Object.values(ours!.grads)]);
  return ran;
}

for (const backend of ['cpu', 'wasm'] as const) {
  for (const c of losses) {
    test(`${c.name} cross-entropy on ${backend}: the tape's loss, gradients and probabilities`, async () => {
      const engine = await on(backend);
      const { tf } = engine;
      const stack = setup(engine, c.train);
      const x = tf.randomNormal([6, 4, 4, 2], 0, 1, 'float32', 5);
      const ids = tf.tensor1d([0, 3, 4, 1, 3, 2], 'int32');
      const y = c.name === 'one-hot' ? tf.oneHot(ids, CLASSES).toFloat() : ids;
      const ran = againstTape(engine, stack, x, y);
      // On wasm, sparse targets without smoothing take strata's one kernel for the softmax and the loss.
      assert.equal(ran.has(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL), backend === 'wasm' && c.name === 'sparse');
      assert.equal(ran.has('Log'), !ran.has(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL));
      tf.dispose([x, ids, y]);
      stack.model.dispose();
    });
  }
}

/** Convolution stacks: relu and linear, valid and same padding, strides, pooling, no bias. */
const CONV_STACKS: [string, object[]][] = [
  ['conv relu → pool → conv → flatten → dense', [
    { type: 'input', shape: [9, 9, 2] },
    { type: 'conv2d', filters: 4, kernel_size: 3, activation: 'relu' },
    { type: 'max_pool2d', pool_size: 2 },
    { type: 'conv2d', filters: 8, kernel_size: 2, padding: 'same', use_bias: false },
    { type: 'flatten' },
    { type: 'dense', units: CLASSES, activation: 'softmax' },
  ]],
  ['a first conv on one channel (strided, same) → pool (same) → flatten → dense relu → dense', [
    { type: 'input', shape: [8, 8, 1] },
    { type: 'conv2d', filters: 8, kernel_size: 3, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'max_pool2d', pool_size: 3, strides: 2, padding: 'same' },
    { type: 'flatten' },
    { type: 'dense', units: 6, activation: 'relu' },
    { type: 'dense', units: CLASSES, activation: 'softmax' },
  ]],
];
for (const backend of ['cpu', 'wasm'] as const) {
  for (const [what, layers] of CONV_STACKS) {
    test(`${what} on ${backend}: the tape's loss, gradients and probabilities`, async () => {
      const engine = await on(backend);
      const { tf } = engine;
      const stack = setup(engine, { loss: 'sparse_categorical_crossentropy' }, layers);
      const shape = (layers[0] as { shape: number[] }).shape;
      const x = tf.randomNormal([5, ...shape], 0, 1, 'float32', 8);
      const y = tf.tensor1d([4, 0, 2, 2, 1], 'int32');
      const ran = againstTape(engine, stack, x, y);
      // An input gradient only for a convolution after the first: the first one's is not computed.
      assert.equal(ran.has('Conv2DBackpropInput'), layers.filter((l) => (l as { type: string }).type === 'conv2d').length > 1, [...ran].join(' '));
      tf.dispose([x, y]);
      stack.model.dispose();
    });
  }
}

test('the first layer with weights computes no input gradient, after flatten too', async () => {
  const engine = await on('cpu');
  const { tf } = engine;
  const { model, byHand } = setup(engine, { loss: 'sparse_categorical_crossentropy' });
  const x = tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 7);
  const y = tf.tensor1d([1, 0, 4], 'int32');
  // Input gradients are the products with the kernel transposed: one each for the second and third dense layers.
  const runner = tf.engine() as unknown as { runKernel: (name: string, inputs: unknown, attrs?: { transposeB?: boolean }) => unknown };
  const runKernel = runner.runKernel;
  let inputGradients = 0;
  runner.runKernel = function (name, inputs, attrs) {
    if (name === 'BatchMatMul' && attrs?.transposeB) inputGradients++;
    return runKernel.call(this, name, inputs, attrs);
  };
  try {
    byHand!(x, y);
  } finally {
    runner.runKernel = runKernel;
  }
  assert.equal(inputGradients, 2);
  model.dispose();
});

test('a frozen layer gets no gradient and still passes one on', async () => {
  const engine = await on('cpu');
  const { tf } = engine;
  const stack = setup(engine, { loss: 'sparse_categorical_crossentropy' });
  stack.model.layers[3]!.trainable = false;
  assert.equal(stack.model.trainableWeights.length, 3);
  againstTape(engine, stack, tf.randomNormal([3, 4, 4, 2], 0, 1, 'float32', 6), tf.tensor1d([1, 0, 4], 'int32'));
  stack.model.dispose();
});

test('other models and losses take the tape', async () => {
  const engine = await on('cpu');
  const sparse = { loss: 'sparse_categorical_crossentropy' };
  const others: [string, Record<string, unknown>, object[]][] = [
    ['dropout', sparse, [input!, flatten!, hidden!, { type: 'dropout', rate: 0.1 }, last!]],
    ['a tanh layer', sparse, [input!, flatten!, { ...hidden, activation: 'tanh' }, last!]],
    ['a regularized layer', sparse, [input!, flatten!, { ...hidden, kernel_regularizer: { l2: 0.01 } }, last!]],
    ['no softmax at the end', { loss: 'mean_squared_error' }, [input!, flatten!, hidden!, linear!]],
    ['binary cross-entropy', { loss: 'binary_crossentropy' }, [input!, flatten!, hidden!, { type: 'dense', units: 1, activation: 'sigmoid' }]],
    ['dense over a sequence', sparse, [{ type: 'input', shape: [4, 8] }, hidden!, last!]],
    ['a residual', sparse, [{ type: 'input', shape: [8] }, { type: 'residual', layers: [hidden] }, last!]],
    ['batch norm', sparse, [input!, { type: 'conv2d', filters: 2, kernel_size: 2 }, { type: 'batch_norm' }, flatten!, last!]],
    ['a dilated convolution', sparse, [input!, { type: 'conv2d', filters: 2, kernel_size: 2, dilation_rate: 2 }, flatten!, last!]],
    ['average pooling', sparse, [input!, { type: 'avg_pool2d', pool_size: 2 }, flatten!, last!]],
    ['a softmax convolution at the end', sparse, [input!, { type: 'conv2d', filters: 2, kernel_size: 4, activation: 'softmax' }]],
  ];
  for (const [what, trainKeys, layers] of others) {
    const { model, byHand } = setup(engine, trainKeys, layers);
    assert.equal(byHand, undefined, what);
    model.dispose();
  }
});

/** n random inputs of `shape` with class ids below CLASSES. */
function randomData(n: number, shape: number[]): Dataset {
  const size = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n * size }, (_, i) => Math.sin(i * 12.9898) * 2);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % CLASSES);
  return {
    name: 'random', task: 'classification', inputShape: shape, inputDtype: 'float32', targetShape: [], targetDtype: 'int32',
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`), train: arraySplit(x, y, size, 1), fingerprint: `random-${n}`,
  };
}

/** Train `layers` on 64 random examples on wasm: whether strata's loss kernel ran (only a loss from logits runs it), the last loss, the weights. */
async function trainedOn(engine: Engine, layers: object[], extra: Record<string, unknown>) {
    const data = randomData(64, (layers[0] as { shape: number[] }).shape);
    const { model, config } = setup(engine, { loss: 'sparse_categorical_crossentropy', ...extra }, layers);
    // Whether the step ran strata's loss kernel, which only the step by hand calls.
    const runner = engine.tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
    const runKernel = runner.runKernel;
    let byHand = false;
    runner.runKernel = function (name, ...rest) {
      byHand ||= name === SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL;
      return runKernel.call(this, name, ...rest);
    };
    const result = await train(engine, model, data, config, 4, initialState(4)).finally(() => (runner.runKernel = runKernel));
    const weights = model.getWeights().map((w) => w.dataSync());
    model.dispose();
    return { fromLogits: byHand, loss: result.history.at(-1)!.loss, weights };
}

const [input, flatten, hidden, linear, last] = STACK;
const trainings: [string, object[]][] = [
  ['a dense stack (by hand)', STACK],
  ['dropout before the output (on the tape, the loss from the logits)', [input!, flatten!, hidden!, { type: 'dropout', rate: 0.2 }, linear!, last!]],
  ['a convolution stack (by hand)', CONV_STACKS[0]![1]],
  ['batch norm after a convolution (on the tape, the loss from the logits)', [input!, { type: 'conv2d', filters: 3, kernel_size: 2, use_bias: false }, { type: 'batch_norm' }, flatten!, last!]],
];
for (const [what, layers] of trainings) {
  test(`training ${what} ends where the tape through the softmax does`, async () => {
    const engine = await on('wasm');
    const ours = await trainedOn(engine, layers, {});
    // Class weights of 1 change nothing but the path: the whole model on the tape, the loss from the probabilities.
    const tape = await trainedOn(engine, layers, { class_weights: { 0: 1 } });
    assert.ok(ours.fromLogits && !tape.fromLogits);
    assert.ok(Math.abs(ours.loss - tape.loss) < 1e-4, `${ours.loss} against ${tape.loss}`);
    ours.weights.forEach((w, i) => assert.ok(maxAbsDiff(w, tape.weights[i]!) < 1e-4, `weight ${i} differs by ${maxAbsDiff(w, tape.weights[i]!)}`));
  });
}

test('the model splits at a dense softmax output, and only there', async () => {
  const engine = await on('cpu');
  const split = (layers: object[]) => {
    const { model } = setup(engine, { loss: 'sparse_categorical_crossentropy' }, layers);
    const head = softmaxHead(engine.tfl, model);
    const got = head ? { body: head.body?.layers.map((l) => l.getClassName()) } : undefined;
    model.dispose();
    return got;
  };
  assert.deepEqual(split(STACK), { body: ['InputLayer', 'Flatten', 'Dense', 'Dense'] });
  assert.deepEqual(split([{ type: 'input', shape: [8] }, last!]), { body: undefined });
  assert.equal(split([input!, flatten!, linear!]), undefined);
  assert.equal(split([input!, flatten!, { ...last, activation: 'sigmoid' }]), undefined);
});
