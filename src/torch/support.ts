/**
 * The spec layer types the torch engine (python/strata_torch/graph.py, its
 * layers in python/strata_torch/layers/) can build: a type is listed when
 * every TensorFlow.js class it produces is implemented there, with
 * TensorFlow.js's numerics (checked by test/torch/parity.test.ts, which also
 * checks that every class the listed types' examples produce is one the
 * Python side implements). Blocks and wrappers (residual, dense_block,
 * bidirectional, time_distributed) are listed for their own classes; their
 * inner layers must be listed types too.
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

/**
 * The `train:` keys the torch engine honours, in the same list as the layer types it
 * runs: a spec setting any other `train:` key (train.pruning, train.distill) is refused
 * at that key's line on the torch engine (check.ts), before anything starts.
 */
export const TORCH_TRAIN_KEYS: ReadonlySet<string> = new Set([
  'engine',
  'epochs',
  'batch_size',
  'optimizer',
  'loss',
  'metrics',
  'top_k',
  'schedule',
  'clip_norm',
  'clip_value',
  'label_smoothing',
  'class_weights',
  'early_stopping',
  'checkpoint',
  'steps_per_epoch',
  'carry_state',
]);
