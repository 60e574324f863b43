/** Token embeddings: integer ids to learned vectors. */
import { buildCustom } from './custom/build.js';
import { PositionalEmbedding, PositionalEncoding } from './custom/position.js';
import { bool, int, num } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { knownLast, ShapeProblem } from './shape.js';
import type { Shape } from './shape.js';
import { weightArgs, weightParams } from './weights.js';

function sequenceOf(x: Shape, what: string): number {
  if (x.length !== 2) {
    throw new ShapeProblem('', { expects: '[batch, steps, features]', hint: x.length === 1 ? `${what} are added to a sequence of vectors; put an embedding layer before it` : undefined });
  }
  return knownLast(x, 'number of features');
}

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
  weights: (_inputs, p) => [p.input_dim * p.output_dim],
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

const positionalEncoding = defineLayer<LayerParams & { max_wavelength: number }>({
  type: 'positional_encoding',
  keras: 'SinePositionEncoding',
  category: 'embedding',
  description:
    'Adds fixed sinusoidal position encodings to a sequence of vectors (such as token embeddings): feature 2i of step t gets sin(t / max_wavelength^(2i/features)), feature 2i+1 the cosine. No weights; works for any number of steps. (Keras Hub returns the encodings alone; this layer returns input + encodings.)',
  params: { max_wavelength: num('The longest wavelength of the sinusoids.', { exclusiveMin: 0, default: 10000 }) },
  arity: 'one',
  outputShape: ([x]) => {
    sequenceOf(x!, 'position encodings');
    return x!;
  },
  build: (p, c) => buildCustom(c, PositionalEncoding, p),
  example: { inputs: [[5, 8]], params: {}, kerasParams: 0 },
});

const positionalEmbedding = defineLayer<LayerParams & { max_length: number }>({
  type: 'positional_embedding',
  keras: 'PositionEmbedding',
  category: 'embedding',
  description:
    'Adds a learned vector per position to a sequence of vectors (such as token embeddings): [batch, steps, features] in and out, steps ≤ max_length. Parameters: max_length × features. (Keras Hub returns the position vectors alone; this layer returns input + positions.)',
  params: {
    max_length: int('The longest sequence it accepts.', { min: 1, required: true }),
    ...weightParams('embeddings', 'glorot_uniform'),
  },
  arity: 'one',
  outputShape: ([x], p) => {
    sequenceOf(x!, 'position embeddings');
    const steps = x![0];
    if (steps !== null && steps !== undefined && steps > p.max_length) {
      throw new ShapeProblem(`the input has ${steps} steps but max_length is ${p.max_length}; raise max_length to at least ${steps}`);
    }
    return x!;
  },
  build: (p, c) => buildCustom(c, PositionalEmbedding, p, { embeddings: { init: 'embeddings_initializer', reg: 'embeddings_regularizer' } }),
  example: { inputs: [[5, 8]], params: { max_length: 10 }, kerasParams: 80 },
});

export const embeddingLayers = [embedding, positionalEncoding, positionalEmbedding];
