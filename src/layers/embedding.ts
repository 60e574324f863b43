/** Token embeddings: integer ids to learned vectors. */
import { bool, int } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { weightArgs, weightParams } from './weights.js';

const embedding = defineLayer<LayerParams & { input_dim: number; output_dim: number; mask_zero: boolean }>({
  type: 'embedding',
  keras: 'Embedding',
  category: 'embedding',
  description: 'Maps integer ids in [0, input_dim) to learned vectors of size output_dim: [batch, steps] to [batch, steps, output_dim].',
  params: {
    input_dim: int('The vocabulary size: ids run from 0 to input_dim - 1.', { min: 1, required: true }),
    output_dim: int('The size of each vector.', { min: 1, required: true }),
    mask_zero: bool('Whether id 0 is padding that later recurrent layers skip.', false),
    ...weightParams('embeddings', 'random_uniform'),
  },
  arity: 'one',
  outputShape: ([x], p) => [...x!, p.output_dim],
  build: (p, c) =>
    c.tf.layers.embedding({
      name: c.name,
      inputDim: p.input_dim,
      outputDim: p.output_dim,
      maskZero: p.mask_zero,
      ...weightArgs(p, c, 'embeddings'),
    }),
  example: { inputs: [[7]], params: { input_dim: 20, output_dim: 4 }, kerasParams: 80 },
});

export const embeddingLayers = [embedding];
