/**
 * The schema of the spec's top-level sections other than the layers:
 * `data` and `train`. Their full catalogs grow with the dataset and training
 * issues; every key listed here is one strata reads.
 */
import type { JsonSchema } from '../layers/params.js';
import { preprocessingProperties } from '../data/descriptor.js';

export const SPEC_VERSION = 1;

export const OPTIMIZERS = ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'] as const;
export const LOSSES = ['categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy', 'mean_squared_error', 'mean_absolute_error', 'huber'] as const;
export const METRICS = ['accuracy', 'top_k_accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'rmse', 'mape', 'perplexity', 'bits_per_character'] as const;

export const dataSchema: JsonSchema = {
  type: 'object',
  description: 'Where the training data comes from.',
  required: ['dataset'],
  properties: {
    dataset: { type: 'string', minLength: 1, description: 'A bundled dataset (see `strata datasets`) or a path to a dataset descriptor or data file.' },
    validation: {
      type: ['number', 'string'],
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      minLength: 1,
      description: 'The validation split: a fraction of the training data, such as 0.1, or the name of a split of the dataset.',
    },
    augment: {
      type: 'object',
      description: 'Random changes to training images (never to validation or test): shift, rotation, zoom, noise.',
      properties: {
        shift: { type: 'number', minimum: 0, maximum: 0.5, description: 'Largest shift, as a fraction of the height and width.' },
        rotation: { type: 'number', minimum: 0, maximum: 180, description: 'Largest rotation, in degrees.' },
        zoom: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'Largest zoom in or out, as a fraction (0.1: 90% to 110%).' },
        noise: { type: 'number', minimum: 0, description: 'Standard deviation of added Gaussian noise.' },
      },
      additionalProperties: false,
    },
    ...preprocessingProperties,
  },
  additionalProperties: false,
};

export const optimizerSchema: JsonSchema = {
  type: 'object',
  description: 'The optimizer and its settings.',
  required: ['type'],
  properties: {
    type: { enum: [...OPTIMIZERS], description: 'The optimizer.' },
    learning_rate: { type: 'number', exclusiveMinimum: 0, description: 'The step size.' },
    momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'sgd, rmsprop: momentum.' },
    nesterov: { type: 'boolean', description: 'sgd: use Nesterov momentum.' },
    beta_1: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'adam, adamw: decay of the first moment.' },
    beta_2: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'adam, adamw: decay of the second moment.' },
    epsilon: { type: 'number', exclusiveMinimum: 0, description: 'A small constant for numerical stability.' },
    rho: { type: 'number', minimum: 0, exclusiveMaximum: 1, description: 'rmsprop: decay of the squared-gradient average.' },
    weight_decay: { type: 'number', minimum: 0, description: 'adamw: decoupled weight decay.' },
  },
  additionalProperties: false,
};

export const SCHEDULES = ['constant', 'step', 'exponential', 'cosine', 'one_cycle', 'reduce_on_plateau'] as const;

export const scheduleSchema: JsonSchema = {
  type: 'object',
  description: 'How the learning rate changes during training, each with optional linear warmup.',
  required: ['type'],
  properties: {
    type: { enum: [...SCHEDULES], description: 'The schedule.' },
    warmup_epochs: { type: 'number', minimum: 0, description: 'Rise linearly from 0 over this many epochs.' },
    warmup_steps: { type: 'integer', minimum: 0, description: 'Rise linearly from 0 over this many steps.' },
    step_size: { type: 'number', exclusiveMinimum: 0, description: 'step: multiply by gamma every this many epochs (default 10).' },
    gamma: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'step: the factor per step (default 0.1); exponential: per epoch (default 0.95).' },
    min_learning_rate: { type: 'number', minimum: 0, description: 'cosine: the final rate; reduce_on_plateau: the lowest rate.' },
    max_learning_rate: { type: 'number', exclusiveMinimum: 0, description: 'one_cycle: the peak rate (default 10 × learning_rate).' },
    pct_start: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'one_cycle: the fraction of the run spent rising (default 0.3).' },
    monitor: { type: 'string', minLength: 1, description: 'reduce_on_plateau: the metric watched (default val_loss).' },
    mode: { enum: ['min', 'max'], description: 'reduce_on_plateau: whether lower or higher is better.' },
    factor: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'reduce_on_plateau: the factor applied on a plateau (default 0.1).' },
    patience: { type: 'integer', minimum: 1, description: 'reduce_on_plateau: epochs without improvement before reducing (default 10).' },
    min_delta: { type: 'number', minimum: 0, description: 'reduce_on_plateau: the smallest change that counts as an improvement (default 1e-4).' },
  },
  additionalProperties: false,
};

export const trainSchema: JsonSchema = {
  type: 'object',
  description: 'How the model is trained.',
  properties: {
    epochs: { type: 'integer', minimum: 1, description: 'Passes over the training data.' },
    batch_size: { type: 'integer', minimum: 1, description: 'Examples per gradient step.' },
    optimizer: {
      type: ['string', 'object'],
      description: 'An optimizer name, or a mapping with `type` and settings.',
      if: { type: 'string' },
      then: { enum: [...OPTIMIZERS] },
      else: { $ref: '#/$defs/optimizer' },
    },
    loss: { enum: [...LOSSES], description: 'The loss to minimize.' },
    metrics: { type: 'array', items: { enum: [...METRICS] }, uniqueItems: true, description: 'Metrics reported each epoch.' },
    top_k: { type: 'integer', minimum: 1, default: 5, description: 'k for top_k_accuracy.' },
    schedule: { $ref: '#/$defs/schedule' },
    clip_norm: { type: 'number', exclusiveMinimum: 0, description: 'Scale gradients down so that their global L2 norm is at most this.' },
    clip_value: { type: 'number', exclusiveMinimum: 0, description: 'Clip each gradient element to [-clip_value, clip_value].' },
    label_smoothing: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0, description: 'Mix one-hot targets with the uniform distribution by this much (cross-entropy losses).' },
    class_weights: {
      type: 'object',
      additionalProperties: { type: 'number', minimum: 0 },
      minProperties: 1,
      description: 'Weight of each class in the loss, by class index or name, such as {"0": 1, "1": 5}; unlisted classes weigh 1.',
    },
    early_stopping: {
      type: 'object',
      description: 'Stop when the monitored metric has not improved for `patience` epochs.',
      properties: {
        monitor: { type: 'string', minLength: 1, description: 'The metric watched, such as val_loss or val_accuracy (default: val_loss, or loss without validation data).' },
        mode: { enum: ['min', 'max'], description: 'Whether lower or higher is better (default: from the name; accuracy-like metrics are max).' },
        patience: { type: 'integer', minimum: 1, default: 5, description: 'Epochs without improvement before stopping.' },
        min_delta: { type: 'number', minimum: 0, default: 0, description: 'The smallest change that counts as an improvement.' },
        restore_best: { type: 'boolean', default: true, description: 'End with the weights of the best epoch.' },
      },
      additionalProperties: false,
    },
    checkpoint: {
      type: 'object',
      description: 'Which checkpoints a run keeps.',
      properties: {
        keep_last: { type: 'integer', minimum: 1, default: 3, description: 'How many of the most recent checkpoints to keep (the best is kept as well).' },
        monitor: { type: 'string', minLength: 1, description: 'The metric that decides the best checkpoint (default: val_loss, or loss).' },
        mode: { enum: ['min', 'max'], description: 'Whether lower or higher is better.' },
      },
      additionalProperties: false,
    },
    steps_per_epoch: { type: 'integer', minimum: 1, description: 'Stop each epoch after this many batches (for quick trials).' },
    carry_state: {
      type: 'boolean',
      default: false,
      description:
        'Truncated backpropagation through time: deal the consecutive windows of text or series data (stride equal to sequence_length or window) into batch_size lanes, and start each batch of every lstm and gru layer from the state the previous batch ended in, in training and evaluation; states restart from zeros each epoch.',
    },
  },
  additionalProperties: false,
};
