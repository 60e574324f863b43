/** The time_distributed wrapper: one layer applied to every step of a sequence. */
import { ref } from './params.js';
import { defineLayer } from './registry.js';
import type { LayerParams } from './registry.js';
import { ShapeProblem } from './shape.js';

type TdP = LayerParams & { layer: LayerParams & { type: string } };

/**
 * The layer types time_distributed may wrap: those that take one input and are built as one
 * TensorFlow.js layer (blocks, which expand into several, cannot be wrapped). Each is checked in
 * test/layers/time-distributed.test.ts: shape rule, training and save and reload.
 */
export const TIME_DISTRIBUTED_TYPES = [
  'dense', 'activation', 'dropout', 'flatten', 'reshape', 'leaky_relu', 'elu', 'relu', 'softmax', 'prelu',
  'conv1d', 'conv2d', 'separable_conv2d', 'depthwise_conv2d', 'conv2d_transpose', 'upsampling2d', 'zero_padding2d', 'cropping2d',
  'max_pool1d', 'avg_pool1d', 'max_pool2d', 'avg_pool2d', 'global_max_pool1d', 'global_avg_pool1d', 'global_max_pool2d', 'global_avg_pool2d',
  'adaptive_avg_pool2d', 'adaptive_max_pool2d', 'batch_norm', 'layer_norm', 'group_norm', 'embedding', 'positional_encoding', 'positional_embedding',
  'transformer_encoder', 'simple_rnn', 'lstm', 'gru', 'mixture_of_experts',
];

const timeDistributed = defineLayer<TdP>({
  type: 'time_distributed',
  keras: 'TimeDistributed',
  category: 'core',
  description:
    'Applies one layer to every step of a sequence: [batch, steps, ...] to [batch, steps, ...the layer\'s output], with the same weights at every step, such as a dense layer on each output of a recurrent layer with return_sequences: true. TensorFlow.js runs it one step at a time; a dense layer alone does the same on [batch, steps, features] in one product (it applies to the last dimension), with the same weights.',
  params: {
    layer: ref(
      `The layer applied to each step, such as {type: dense, units: 10}; it sees one step, [batch, ...] without the steps dimension. One of ${TIME_DISTRIBUTED_TYPES.join(', ')}.`,
      'nested.time_distributed',
      { required: true },
    ),
  },
  arity: 'one',
  nested: { key: 'layer', types: TIME_DISTRIBUTED_TYPES },
  outputShape: ([x], p, registry) => {
    if (x!.length < 2) {
      throw new ShapeProblem('', {
        expects: '[batch, steps, ...]',
        hint: 'it needs a steps dimension and at least one more; for [batch, features], use the inner layer itself',
      });
    }
    const inner = registry.get(p.layer.type);
    if (!inner || !TIME_DISTRIBUTED_TYPES.includes(p.layer.type)) {
      throw new ShapeProblem(`layer.type must be one of ${TIME_DISTRIBUTED_TYPES.join(', ')}`);
    }
    return [x![0]!, ...inner.outputShape([x!.slice(1)], p.layer, registry)];
  },
  build: (p, c) =>
    c.tf.layers.timeDistributed({
      name: c.name,
      layer: c.nested(p.layer, 'layer') as Parameters<typeof c.tf.layers.timeDistributed>[0]['layer'],
    }),
  fromKeras: (config, ctx) => {
    // The inner layer sees one step: its input shapes lose the steps dimension.
    const { layer, ...rest } = config;
    const outer = ctx.generic(rest);
    if (layer === undefined || layer === null) return outer;
    const inner = ctx.nested(layer, ctx.inputShapes.map((s) => s.slice(1)));
    return {
      params: { ...outer.params, layer: inner.spec },
      lossy: [...outer.lossy, ...inner.lossy.map((l) => ({ field: `layer.${l.field}`, why: l.why }))],
    };
  },
  example: { inputs: [[5, 3]], params: { layer: { type: 'dense', units: 4 } }, kerasParams: 16 },
});

export const wrapperLayers = [timeDistributed];
