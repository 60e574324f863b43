/** Batch and layer normalization over the last axis. */
import { bool, initializer, num } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { knownLast } from './shape.js';
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
  build: (p, c) =>
    c.tf.layers.batchNormalization({
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
  build: (p, c) =>
    c.tf.layers.layerNormalization({
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

export const normalizationLayers = [batchNorm, layerNorm];
