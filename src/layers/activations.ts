/** Activation functions as layers with their own arguments (Keras LeakyReLU, ELU, ReLU, Softmax, PReLU). */
import { int, num } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { knownLast, product, ShapeProblem } from './shape.js';
import { weightArgs, weightParams } from './weights.js';

const same = ([x]: readonly (readonly (number | null)[])[]) => x!;

const leakyRelu = defineLayer<LayerParams & { alpha: number }>({
  type: 'leaky_relu',
  keras: 'LeakyReLU',
  category: 'activation',
  description: 'x for x ≥ 0, alpha·x below zero. (As an `activation:` value, leaky_relu uses alpha 0.2, as Keras does.)',
  params: { alpha: num('The slope below zero.', { min: 0, default: 0.3 }) },
  arity: 'one',
  outputShape: same,
  build: (p, c) => c.tf.layers.leakyReLU({ name: c.name, alpha: p.alpha }),
  example: { inputs: [[6]], params: { alpha: 0.1 }, kerasParams: 0 },
});

const elu = defineLayer<LayerParams & { alpha: number }>({
  type: 'elu',
  keras: 'ELU',
  category: 'activation',
  description: 'x for x > 0, alpha·(exp(x) − 1) below.',
  params: { alpha: num('The scale of the negative part.', { min: 0, default: 1 }) },
  arity: 'one',
  outputShape: same,
  build: (p, c) => c.tf.layers.elu({ name: c.name, alpha: p.alpha }),
  example: { inputs: [[6]], params: {}, kerasParams: 0 },
});

const relu = defineLayer<LayerParams & { max_value?: number }>({
  type: 'relu',
  keras: 'ReLU',
  category: 'activation',
  description: 'max(x, 0), capped at max_value when given.',
  params: { max_value: num('The largest output (default: none).', { exclusiveMin: 0 }) },
  arity: 'one',
  outputShape: same,
  build: (p, c) => c.tf.layers.reLU({ name: c.name, maxValue: p.max_value }),
  example: { inputs: [[6]], params: { max_value: 6 }, kerasParams: 0 },
});

const softmax = defineLayer<LayerParams & { axis: number }>({
  type: 'softmax',
  keras: 'Softmax',
  category: 'activation',
  description: 'exp(x) normalized to sum to 1 along `axis`.',
  params: { axis: int('The axis to normalize along; -1 is the last.', { default: -1 }) },
  arity: 'one',
  outputShape: ([x], p) => {
    if (p.axis === 0 || p.axis > x!.length || p.axis < -x!.length) {
      throw new ShapeProblem(`axis ${p.axis} is not an axis of a ${x!.length}-dimensional example (axis 0 is the batch); use -1 for the last`);
    }
    return x!;
  },
  build: (p, c) => c.tf.layers.softmax({ name: c.name, axis: p.axis }),
  example: { inputs: [[6]], params: {}, kerasParams: 0 },
});

const prelu = defineLayer<LayerParams>({
  type: 'prelu',
  keras: 'PReLU',
  category: 'activation',
  description: 'A leaky ReLU whose slope below zero is learned, one per input value.',
  params: { ...weightParams('alpha', 'zeros') },
  arity: 'one',
  outputShape: ([x]) => {
    knownLast(x!, 'size');
    if (product(x!) === null) throw new ShapeProblem('learns one slope per input value, so every dimension must be known; give the input layer a fixed shape');
    return x!;
  },
  build: (p, c) => c.tf.layers.prelu({ name: c.name, ...weightArgs(p, c, 'alpha') }),
  example: { inputs: [[6]], params: {}, kerasParams: 6 },
});

export const activationLayers = [leakyRelu, elu, relu, softmax, prelu];
