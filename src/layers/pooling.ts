/** Pooling: max and average over windows (1d, 2d), and global pooling. */
import { AdaptivePooling2D } from './custom/adaptive-pool.js';
import { buildCustom } from './custom/build.js';
import { deepEqual } from './keras.js';
import { choice, sizes } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerDef, LayerParams } from './registry.js';
import { expand, expectRank, knownLast, windowOutput } from './shape.js';

type PoolP = LayerParams & { pool_size: number | number[]; strides?: number | number[]; padding: 'valid' | 'same' };

const FORMS: Record<number, string> = { 1: '[batch, steps, channels]', 2: '[batch, height, width, channels]' };
const KERAS_KIND = { max: 'Max', avg: 'Average' } as const;
const TF_KIND = { max: 'max', avg: 'average' } as const;

const reshapeHint = (dims: number) => (rank: number) =>
  rank < dims + 1 ? `add a reshape layer before it that makes ${FORMS[dims]!.replace('batch, ', '')}` : dims === 1 ? 'use the 2d variant for images' : undefined;

function windowPool(kind: 'max' | 'avg', dims: 1 | 2): LayerDef {
  return defineLayer<PoolP>({
    type: `${kind}_pool${dims}d`,
    keras: `${KERAS_KIND[kind]}Pooling${dims}D`,
    category: 'pooling',
    description: `${kind === 'max' ? 'Maximum' : 'Average'} over windows of ${dims === 1 ? 'steps' : 'height × width'}, per channel.`,
    params: {
      pool_size: sizes('The size of the window.', dims, { default: 2 }),
      strides: sizes('The step of the window (default: pool_size).', dims),
      padding: choice("'valid' (no padding) or 'same'.", ['valid', 'same'], { default: 'valid' }),
    },
    arity: 'one',
    outputShape: ([x], p) => {
      expectRank(x!, [dims + 1], FORMS[dims]!, reshapeHint(dims));
      const size = expand(p.pool_size, dims);
      const stride = expand(p.strides ?? p.pool_size, dims);
      return [...x!.slice(0, dims).map((n, i) => windowOutput(n, size[i]!, stride[i]!, p.padding, 1, 'pool window')), x![dims]!];
    },
    build: (p, c) => {
      const args = { name: c.name, poolSize: p.pool_size, strides: p.strides ?? p.pool_size, padding: p.padding };
      const fn = c.tf.layers[`${TF_KIND[kind]}Pooling${dims}d` as 'maxPooling2d'];
      return fn(args as Parameters<typeof fn>[0]);
    },
    // Keras writes strides out even when they are the pool size, strata's default for them.
    fromKeras: (config, ctx) => {
      const r = ctx.generic(config);
      if (deepEqual(r.params.strides, r.params.pool_size ?? 2)) delete r.params.strides;
      return r;
    },
    example: { inputs: [dims === 1 ? [8, 3] : [6, 6, 3]], params: { pool_size: 2 }, kerasParams: 0 },
  });
}

function globalPool(kind: 'max' | 'avg', dims: 1 | 2): LayerDef {
  return defineLayer({
    type: `global_${kind}_pool${dims}d`,
    keras: `Global${KERAS_KIND[kind]}Pooling${dims}D`,
    category: 'pooling',
    description: `${kind === 'max' ? 'Maximum' : 'Average'} over all ${dims === 1 ? 'steps' : 'positions'}, per channel: ${FORMS[dims]} to [batch, channels].`,
    params: {},
    arity: 'one',
    outputShape: ([x]) => {
      expectRank(x!, [dims + 1], FORMS[dims]!, reshapeHint(dims));
      return [x![dims]!];
    },
    build: (_p, c) => c.tf.layers[`global${KERAS_KIND[kind]}Pooling${dims}d` as 'globalMaxPooling2d']({ name: c.name }),
    example: { inputs: [dims === 1 ? [8, 3] : [6, 6, 3]], params: {}, kerasParams: 0 },
  });
}

export const poolingLayers: LayerDef[] = [];
for (const dims of [1, 2] as const) {
  for (const kind of ['max', 'avg'] as const) poolingLayers.push(windowPool(kind, dims));
}
for (const dims of [1, 2] as const) {
  for (const kind of ['max', 'avg'] as const) poolingLayers.push(globalPool(kind, dims));
}

function adaptivePool(kind: 'max' | 'avg'): LayerDef {
  return defineLayer<LayerParams & { output_size: number | number[] }>({
    type: `adaptive_${kind}_pool2d`,
    keras: `Adaptive${kind === 'max' ? 'Max' : 'Avg'}Pool2d (PyTorch)`,
    category: 'pooling',
    description: `${kind === 'max' ? 'Maximum' : 'Average'} over an output_size grid of regions whatever the image size (PyTorch's Adaptive${kind === 'max' ? 'Max' : 'Avg'}Pool2d): region i of n covers input rows floor(i·h/n) to ceil((i+1)·h/n).`,
    params: { output_size: sizes('The output height and width.', 2, { required: true }) },
    arity: 'one',
    outputShape: ([x], p) => {
      expectRank(x!, [3], FORMS[2]!, reshapeHint(2));
      knownLast(x!, 'number of channels');
      return [...expand(p.output_size, 2), x![2]!];
    },
    build: (p, c) => buildCustom(c, AdaptivePooling2D, { ...p, kind }),
    example: { inputs: [[7, 5, 3]], params: { output_size: 2 }, kerasParams: 0 },
  });
}
poolingLayers.push(adaptivePool('avg'), adaptivePool('max'));
