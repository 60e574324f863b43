/** Core layers: input, dense, activation, dropout, flatten, reshape. */
import { buildFixedBuiltIn } from './custom/build.js';
import { Dense } from './custom/dense.js';
import { ACTIVATIONS, activation, choice, int, num, shape } from './params.js';
import type { ActivationName } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { expectRank, knownLast, product, ShapeProblem } from './shape.js';
import type { Shape } from './shape.js';
import { kernelArgs, kernelParams } from './weights.js';

export const act = (name: unknown): string => ACTIVATIONS[name as ActivationName];

const input = defineLayer<LayerParams & { shape: Shape; dtype: 'float32' | 'int32' }>({
  type: 'input',
  keras: 'InputLayer',
  category: 'core',
  description: 'A model input. `shape` leaves out the batch dimension; use null for a dimension of any size (such as sequence length).',
  params: {
    shape: shape('The shape of one example, without the batch dimension, such as [28, 28, 1].', { required: true }),
    dtype: choice('The element type: float32 for features, int32 for token ids.', ['float32', 'int32'], { default: 'float32' }),
  },
  arity: 'none',
  outputShape: (_inputs, p) => p.shape,
  build: () => {
    throw new Error('input layers are created with input(), not build()');
  },
  input: (p, c) => c.tf.input({ shape: [...p.shape], dtype: p.dtype, name: c.name }),
  example: { inputs: [], params: { shape: [8] }, kerasParams: 0 },
});

const dense = defineLayer<LayerParams & { units: number; activation: ActivationName }>({
  type: 'dense',
  keras: 'Dense',
  category: 'core',
  description: 'A fully connected layer: `activation(input · kernel + bias)`, applied to the last dimension.',
  params: {
    units: int('The number of outputs.', { min: 1, required: true }),
    activation: activation('The activation applied to the output.', 'linear'),
    ...kernelParams(),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    expectRank(x!, [1, 2], '[batch, features]', (rank) => (rank > 2 ? 'add a flatten layer before it' : undefined));
    knownLast(x!, 'number of features');
    return [...x!.slice(0, -1), p.units];
  },
  weights: ([x], p) => [(x![x!.length - 1] ?? 1) * p.units, p.units],
  // strata's Dense: the built-in's config and weights, its bias and relu fused into the product while training (custom/dense.ts).
  build: (p, c) => buildFixedBuiltIn(c, Dense, { name: c.name, units: p.units, activation: act(p.activation) as 'linear', ...kernelArgs(p, c) }),
  example: { inputs: [[6]], params: { units: 4, activation: 'relu' }, kerasParams: 28 },
});

const activationLayer = defineLayer<LayerParams & { activation: ActivationName }>({
  type: 'activation',
  keras: 'Activation',
  category: 'core',
  description: 'Applies an activation function to its input.',
  params: { activation: activation('The activation function.', 'linear') },
  arity: 'one',
  outputShape: ([x]) => x!,
  build: (p, c) => c.tf.layers.activation({ name: c.name, activation: act(p.activation) as 'linear' }),
  example: { inputs: [[6]], params: { activation: 'tanh' }, kerasParams: 0 },
});

const dropout = defineLayer<LayerParams & { rate: number }>({
  type: 'dropout',
  keras: 'Dropout',
  category: 'core',
  description: 'Sets a random fraction `rate` of its inputs to zero during training (and scales the rest up), nothing at inference.',
  params: { rate: num('The fraction of inputs to drop, in [0, 1).', { min: 0, exclusiveMax: 1, required: true }) },
  arity: 'one',
  outputShape: ([x]) => x!,
  build: (p, c) => c.tf.layers.dropout({ name: c.name, rate: p.rate }),
  example: { inputs: [[6]], params: { rate: 0.5 }, kerasParams: 0 },
});

const flatten = defineLayer({
  type: 'flatten',
  keras: 'Flatten',
  category: 'core',
  description: 'Flattens each example to one dimension, such as [batch, 13, 13, 32] to [batch, 5408].',
  params: {},
  arity: 'one',
  outputShape: ([x]) => {
    const n = product(x!);
    if (n === null) throw new ShapeProblem(`cannot flatten an input with a dimension of unknown size (${x!.map((d) => d ?? '?').join(' × ')}); give the input layer a fixed shape`);
    return [n];
  },
  build: (_p, c) => c.tf.layers.flatten({ name: c.name }),
  example: { inputs: [[3, 4, 2]], params: {}, kerasParams: 0 },
});

const reshape = defineLayer<LayerParams & { target_shape: number[] }>({
  type: 'reshape',
  keras: 'Reshape',
  category: 'core',
  description: 'Reshapes each example to `target_shape` (without the batch dimension); one entry may be -1 to be inferred.',
  params: { target_shape: shape('The new shape, without the batch dimension, such as [28, 28, 1].', { required: true, allowMinusOne: true }) },
  arity: 'one',
  outputShape: ([x], p) => {
    const n = product(x!);
    const t = p.target_shape;
    const free = t.filter((d) => d === -1).length;
    if (free > 1) throw new ShapeProblem(`target_shape ${JSON.stringify(t)} has more than one -1; only one dimension can be inferred`);
    const known = t.reduce((a, d) => (d === -1 ? a : a * d), 1);
    if (n === null) return t.map((d) => (d === -1 ? null : d));
    if (free === 1) {
      if (n % known !== 0) throw new ShapeProblem(`cannot reshape ${n} values to ${JSON.stringify(t)}: ${n} is not a multiple of ${known}`);
      return t.map((d) => (d === -1 ? n / known : d));
    }
    if (known !== n) {
      throw new ShapeProblem(`cannot reshape ${n} values${x!.length > 1 ? ` (${x!.join(' × ')})` : ''} to [${t.join(', ')}], which holds ${known}; the sizes must match`);
    }
    return t;
  },
  build: (p, c) => c.tf.layers.reshape({ name: c.name, targetShape: p.target_shape }),
  example: { inputs: [[12]], params: { target_shape: [3, 4] }, kerasParams: 0 },
});

export const coreLayers = [input, dense, activationLayer, dropout, flatten, reshape];
