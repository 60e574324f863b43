/**
 * The schema of the spec's top-level sections other than the layers:
 * `data` and `train`. Their full catalogs grow with the dataset and training
 * issues; every key listed here is one strata reads.
 */
import type { JsonSchema } from '../layers/params.js';

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
  },
  additionalProperties: false,
};
