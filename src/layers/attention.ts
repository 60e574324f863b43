/**
 * Attention and transformer blocks, which TensorFlow.js lacks: strata's own
 * layers (src/layers/custom/), with Keras's weight layout and parameter counts.
 */
import { DotAttention, MultiHeadAttention } from './custom/attention.js';
import { buildCustom } from './custom/build.js';
import { TransformerDecoder, TransformerEncoder } from './custom/transformer.js';
import { activation, bool, int, num } from './params.js';
import type { ActivationName } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { knownLast, ShapeProblem } from './shape.js';
import type { Shape } from './shape.js';
import { biasParams, weightParams } from './weights.js';

const SEQ = '[batch, steps, features]';

/** Require a sequence [steps, features] with known features; `which` names the input for messages. */
function sequence(x: Shape, inputIndex: number, which: string): number {
  if (x.length !== 2) {
    throw new ShapeProblem('', {
      expects: SEQ,
      inputIndex,
      hint: x.length === 1 ? `the ${which} needs a steps dimension: put an embedding or a reshape such as target_shape: [-1, 1] before it` : `flatten or reshape the ${which} to [steps, features]`,
    });
  }
  return knownLast(x, `number of ${which} features`);
}

const WEIGHT_SLOTS = { kernel: { init: 'kernel_initializer', reg: 'kernel_regularizer' }, bias: { init: 'bias_initializer', reg: 'bias_regularizer' } };

type MhaP = LayerParams & { heads: number; key_dim: number; value_dim?: number; output_dim?: number; dropout: number; causal: boolean; use_bias: boolean };

const multiHeadAttention = defineLayer<MhaP>({
  type: 'multi_head_attention',
  keras: 'MultiHeadAttention',
  category: 'attention',
  description:
    'Multi-head scaled dot-product attention. With one input it is self-attention; with `inputs: [query, key_value]` the query sequence attends to the other. Output [batch, query_steps, output_dim].',
  params: {
    heads: int('The number of attention heads.', { min: 1, required: true }),
    key_dim: int('The size of each head for query and key.', { min: 1, required: true }),
    value_dim: int('The size of each head for value (default: key_dim).', { min: 1 }),
    output_dim: int('The size of the output features (default: the query features).', { min: 1 }),
    dropout: num('Dropout on the attention weights while training.', { min: 0, exclusiveMax: 1, default: 0 }),
    causal: bool('Whether step t may attend only to steps ≤ t (for language models and decoders).', false),
    ...weightParams('kernel', 'glorot_uniform'),
    ...biasParams(),
  },
  arity: 'one_or_two',
  outputShape: (inputs, p) => {
    const dq = sequence(inputs[0]!, 0, 'query');
    if (inputs.length > 1) sequence(inputs[1]!, 1, 'key/value');
    return [inputs[0]![0]!, p.output_dim ?? dq];
  },
  build: (p, c) => buildCustom(c, MultiHeadAttention, p, WEIGHT_SLOTS),
  example: { inputs: [[5, 8], [7, 6]], params: { heads: 2, key_dim: 4 }, kerasParams: 256 },
});

const attention = defineLayer<LayerParams & { use_scale: boolean; causal: boolean; dropout: number }>({
  type: 'attention',
  keras: 'Attention',
  category: 'attention',
  description:
    'Dot-product (Luong-style) attention without projections: softmax(query · valueᵀ) · value. One input attends to itself; `inputs: [query, value]` attends to another sequence with the same features.',
  params: {
    use_scale: bool('Whether to learn a scalar that multiplies the scores.', false),
    causal: bool('Whether step t may attend only to steps ≤ t.', false),
    dropout: num('Dropout on the attention weights while training.', { min: 0, exclusiveMax: 1, default: 0 }),
  },
  arity: 'one_or_two',
  outputShape: (inputs) => {
    const dq = sequence(inputs[0]!, 0, 'query');
    if (inputs.length === 1) return inputs[0]!;
    const dv = sequence(inputs[1]!, 1, 'value');
    if (dq !== dv) {
      throw new ShapeProblem(`query features (${dq}) and value features (${dv}) must be equal for dot-product attention; use multi_head_attention, which projects both, or a dense layer before one of them`, { pair: [0, 1] });
    }
    return [inputs[0]![0]!, dv];
  },
  build: (p, c) => buildCustom(c, DotAttention, p, { scale: { init: 'ones' } }),
  example: { inputs: [[5, 4], [6, 4]], params: { use_scale: true }, kerasParams: 1 },
});

type BlockP = LayerParams & {
  heads: number;
  ff_units: number;
  key_dim?: number;
  dropout: number;
  activation: ActivationName;
  norm_first: boolean;
  layer_norm_epsilon: number;
  causal?: boolean;
};

const blockParams = {
  heads: int('The number of attention heads.', { min: 1, required: true }),
  ff_units: int('The hidden size of the feed-forward network.', { min: 1, required: true }),
  key_dim: int('The size of each attention head (default: features / heads, which must then divide evenly).', { min: 1 }),
  dropout: num('Dropout on attention weights and on each sub-block output while training.', { min: 0, exclusiveMax: 1, default: 0 }),
  activation: activation('The activation of the feed-forward hidden layer.', 'relu'),
  norm_first: bool('Pre-norm (normalize before attention and feed-forward) instead of post-norm.', false),
  layer_norm_epsilon: num('Added to the variance in the layer norms.', { exclusiveMin: 0, default: 1e-5 }),
  ...weightParams('kernel', 'glorot_uniform'),
  ...biasParams(),
};

/** The model width d; with no key_dim, heads must divide it. */
function blockWidth(x: Shape, p: BlockP): number {
  const d = sequence(x, 0, 'input');
  if (p.key_dim === undefined && d % p.heads !== 0) {
    throw new ShapeProblem(`${p.heads} heads do not divide the ${d} input features evenly; set key_dim, or use a number of heads that divides ${d}`);
  }
  return d;
}

const BLOCK_SLOTS = { ...WEIGHT_SLOTS, gamma: { init: 'ones' }, beta: { init: 'zeros' } };

const transformerEncoder = defineLayer<BlockP>({
  type: 'transformer_encoder',
  keras: 'TransformerEncoder',
  category: 'attention',
  description:
    'One transformer encoder block (Keras Hub TransformerEncoder): multi-head self-attention and a two-layer feed-forward network, each with a residual connection and a layer norm. Input and output [batch, steps, features]; stack blocks with `repeat`.',
  params: { ...blockParams, causal: bool('Whether step t may attend only to steps ≤ t (a decoder-only language model).', false) },
  arity: 'one',
  outputShape: ([x], p) => {
    blockWidth(x!, p);
    return x!;
  },
  build: (p, c) => buildCustom(c, TransformerEncoder, p, BLOCK_SLOTS),
  example: { inputs: [[5, 8]], params: { heads: 2, ff_units: 16 }, kerasParams: 600 },
});

const transformerDecoder = defineLayer<BlockP>({
  type: 'transformer_decoder',
  keras: 'TransformerDecoder',
  category: 'attention',
  description:
    'One transformer decoder block (Keras Hub TransformerDecoder): causal self-attention, then cross-attention to an encoder output given as the second of `inputs: [target, encoder_output]`, then a feed-forward network; each with a residual connection and a layer norm. With one input there is no cross-attention (a decoder-only block).',
  params: blockParams,
  arity: 'one_or_two',
  outputShape: (inputs, p) => {
    blockWidth(inputs[0]!, p);
    if (inputs.length > 1) sequence(inputs[1]!, 1, 'encoder output');
    return inputs[0]!;
  },
  build: (p, c) => buildCustom(c, TransformerDecoder, p, BLOCK_SLOTS),
  example: { inputs: [[5, 8], [6, 8]], params: { heads: 2, ff_units: 16 }, kerasParams: 904 },
});

export const attentionLayers = [multiHeadAttention, attention, transformerEncoder, transformerDecoder];
