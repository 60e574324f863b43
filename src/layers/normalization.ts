/** Batch and layer normalization over the last axis. */
import { buildCustom, buildFixedBuiltIn } from './custom/build.js';
import { BatchNormalization } from './custom/batch-norm.js';
import { GroupNormalization } from './custom/group-norm.js';
import { LayerNormalization } from './custom/layer-norm.js';
import { bool, initializer, int, num } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { knownLast, ShapeProblem } from './shape.js';
import { weightArgs, weightParams } from './weights.js';

type NormP = LayerParams & { epsilon: number; center: boolean; scale: boolean; momentum?: number };

const common = (epsilon: number) => ({
  epsilon: num('Added to the variance to avoid dividing by zero.', { exclusiveMin: 0, default: epsilon }),
  center: bool('Whether to learn an offset (beta).', true),
  scale: bool('Whether to learn a scale (gamma).', true),
  ...weightParams('beta', 'zeros'),
  ...weightParams('gamma', 'ones'),
});

const batchNorm = defineLayer<NormP>({
  type: 'batch_norm',
  keras: 'BatchNormalization',
  category: 'normalization',
  description: 'Normalizes each channel (the last axis) with batch statistics while training and moving averages at inference. Parameters: 4 per channel, 2 of them not trained.',
  params: {
    momentum: num('Momentum of the moving averages.', { min: 0, max: 1, default: 0.99 }),
    ...common(0.001),
    moving_mean_initializer: initializer('How the moving mean starts.', 'zeros'),
    moving_variance_initializer: initializer('How the moving variance starts.', 'ones'),
  },
  arity: 'one',
  outputShape: ([x]) => {
    knownLast(x!, 'number of channels');
    return x!;
  },
  // strata's BatchNormalization: the built-in's config and weights, trained by one op with its own gradient (src/layers/custom/batch-norm.ts).
  build: (p, c) =>
    buildFixedBuiltIn(c, BatchNormalization, {
      name: c.name,
      axis: -1,
      momentum: p.momentum,
      epsilon: p.epsilon,
      center: p.center,
      scale: p.scale,
      ...weightArgs(p, c, 'beta'),
      ...weightArgs(p, c, 'gamma'),
      movingMeanInitializer: c.initializer(p.moving_mean_initializer, 'moving_mean'),
      movingVarianceInitializer: c.initializer(p.moving_variance_initializer, 'moving_variance'),
    }),
  example: { inputs: [[5, 3]], params: {}, kerasParams: 12 },
});

const layerNorm = defineLayer<NormP>({
  type: 'layer_norm',
  keras: 'LayerNormalization',
  category: 'normalization',
  description: 'Normalizes each example over its last axis, then scales and shifts. Parameters: 2 per feature.',
  params: common(0.001),
  arity: 'one',
  outputShape: ([x]) => {
    knownLast(x!, 'number of features');
    return x!;
  },
  // strata's LayerNormalization: the built-in's config and weights, without its per-call tiling (src/layers/custom/layer-norm.ts).
  build: (p, c) =>
    buildFixedBuiltIn(c, LayerNormalization, {
      name: c.name,
      axis: -1,
      epsilon: p.epsilon,
      center: p.center,
      scale: p.scale,
      ...weightArgs(p, c, 'beta'),
      ...weightArgs(p, c, 'gamma'),
    }),
  example: { inputs: [[5, 3]], params: {}, kerasParams: 6 },
});

const groupNorm = defineLayer<NormP & { groups: number }>({
  type: 'group_norm',
  keras: 'GroupNormalization',
  category: 'normalization',
  description:
    'Splits the channels (the last axis) into `groups` groups and normalizes each example within each group, over its positions and channels, then scales and shifts per channel. Does not depend on the batch. Parameters: 2 per channel.',
  params: {
    groups: int('The number of groups; must divide the number of channels (1 is layer norm over everything, channels is instance norm).', { min: 1, default: 32 }),
    ...common(0.001),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    const c = knownLast(x!, 'number of channels');
    if (c % p.groups !== 0) {
      throw new ShapeProblem(`groups: ${p.groups} does not divide the ${c} channels; use a divisor of ${c}, such as ${[...Array(c).keys()].map((i) => i + 1).filter((g) => c % g === 0 && g <= p.groups).pop()}`);
    }
    return x!;
  },
  build: (p, c) =>
    buildCustom(c, GroupNormalization, p, {
      gamma: { init: 'gamma_initializer', reg: 'gamma_regularizer' },
      beta: { init: 'beta_initializer', reg: 'beta_regularizer' },
    }),
  example: { inputs: [[4, 4, 6]], params: { groups: 3 }, kerasParams: 12 },
});

export const normalizationLayers = [batchNorm, layerNorm, groupNorm];
