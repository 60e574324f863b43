/**
 * The spec layer types the torch engine (python/strata_torch/graph.py) can
 * build: a type is listed when every TensorFlow.js class it produces is
 * implemented there, with TensorFlow.js's numerics (checked by
 * test/torch/parity.test.ts, which also checks that every class the listed
 * types' examples produce is one the Python side implements). Blocks and
 * wrappers (residual, dense_block, bidirectional, time_distributed) are
 * listed for their own classes; their inner layers must be listed types too.
 * Known gap: embedding with mask_zero: true (masks are not carried to the
 * recurrent layers) is refused by the Python side when the model is built.
 */
export const TORCH_LAYER_TYPES: ReadonlySet<string> = new Set([
  'input',
  'dense',
  'activation',
  'dropout',
  'flatten',
  'reshape',
  'leaky_relu',
  'elu',
  'relu',
  'softmax',
  'prelu',
  'conv1d',
  'conv2d',
  'separable_conv2d',
  'depthwise_conv2d',
  'conv2d_transpose',
  'upsampling2d',
  'zero_padding2d',
  'cropping2d',
  'max_pool1d',
  'avg_pool1d',
  'max_pool2d',
  'avg_pool2d',
  'global_max_pool1d',
  'global_avg_pool1d',
  'global_max_pool2d',
  'global_avg_pool2d',
  'adaptive_avg_pool2d',
  'adaptive_max_pool2d',
  'batch_norm',
  'layer_norm',
  'group_norm',
  'embedding',
  'positional_encoding',
  'positional_embedding',
  'multi_head_attention',
  'attention',
  'transformer_encoder',
  'transformer_decoder',
  'simple_rnn',
  'lstm',
  'gru',
  'bidirectional',
  'time_distributed',
  'add',
  'multiply',
  'average',
  'maximum',
  'minimum',
  'concatenate',
  'residual',
  'dense_block',
  'mixture_of_experts',
]);
