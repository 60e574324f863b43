/**
 * Training from the logits of a dense softmax output: a stack of dense layers on gradients by
 * hand (src/train/dense-gradients.ts), any other such model on the tape with the loss from
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
import { denseStackGradients } from '../../src/train/dense-gradients.js';
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
  return { model, config, byHand: denseStackGradients(engine.tf, model, fromLogits) };
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
  assert.deepEqual(Object.keys(ours!.grads).sort(), Object.keys(tape.grads).sort());
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
  ];
  for (const [what, trainKeys, layers] of others) {
    const { model, byHand } = setup(engine, trainKeys, layers);
    assert.equal(byHand, undefined, what);
    model.dispose();
  }
});

/** Random inputs of [4, 4, 2] with class ids below CLASSES. */
function randomData(n: number): Dataset {
  const x = Float32Array.from({ length: n * 32 }, (_, i) => Math.sin(i * 12.9898) * 2);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % CLASSES);
  return {
    name: 'random', task: 'classification', inputShape: [4, 4, 2], inputDtype: 'float32', targetShape: [], targetDtype: 'int32',
    classes: Array.from({ length: CLASSES }, (_, i) => `c${i}`), train: arraySplit(x, y, 32, 1), fingerprint: `random-${n}`,
  };
}

/** Train `layers` on 64 random examples on wasm: whether strata's loss kernel ran (only a loss from logits runs it), the last loss, the weights. */
async function trainedOn(engine: Engine, layers: object[], extra: Record<string, unknown>) {
    const data = randomData(64);
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
  ['a convolution (on the tape, the loss from the logits)', [input!, { type: 'conv2d', filters: 3, kernel_size: 2, activation: 'relu' }, flatten!, last!]],
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
