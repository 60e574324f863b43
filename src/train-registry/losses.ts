/**
 * Losses, as functions of (targets, predictions) returning one value per
 * example, so class weights can scale them before the mean. Predictions are
 * the model's outputs (probabilities after softmax or sigmoid), as in Keras.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import { defineLoss } from './entry.js';
import type { LossDef, LossFn } from './entry.js';

/** Keras's clipping epsilon for log of probabilities. */
const EPS = 1e-7;

function crossEntropy(tf: TfCore, smooth: number): LossFn {
  return (y: Tensor, p: Tensor) => {
    const k = p.shape[p.shape.length - 1]!;
    const target = smooth > 0 ? tf.add(tf.mul(y, 1 - smooth), smooth / k) : y;
    return tf.neg(tf.sum(tf.mul(target, tf.log(tf.clipByValue(p, EPS, 1 - EPS))), -1));
  };
}

export const lossEntries = [
  defineLoss({
    name: 'categorical_crossentropy',
    keras: 'CategoricalCrossentropy',
    description: 'Cross-entropy between one-hot targets and a softmax output: the usual loss of a classifier. Labels reach it one-hot.',
    params: {},
    targets: 'one_hot',
    smoothing: true,
    make: (tf, o) => crossEntropy(tf, o.labelSmoothing),
  }),
  defineLoss({
    name: 'sparse_categorical_crossentropy',
    keras: 'SparseCategoricalCrossentropy',
    description: 'The same cross-entropy with class ids as targets (one per example, or per step of a sequence): no one-hot vectors in memory, which suits large vocabularies.',
    params: {},
    targets: 'sparse',
    smoothing: true,
    make: (tf, o) => {
      const ce = crossEntropy(tf, o.labelSmoothing);
      return (y, p) => ce(tf.oneHot(tf.cast(tf.reshape(y, p.shape.slice(0, -1)), 'int32'), p.shape[p.shape.length - 1]!), p);
    },
  }),
  defineLoss({
    name: 'binary_crossentropy',
    keras: 'BinaryCrossentropy',
    description: 'Cross-entropy of independent yes/no outputs (sigmoid): a two-class classifier with one unit, or several labels at once.',
    params: {},
    targets: 'binary',
    smoothing: true,
    make: (tf, o) => (y, p) => {
      const smooth = o.labelSmoothing;
      const target = smooth > 0 ? tf.add(tf.mul(y, 1 - smooth), smooth / 2) : y;
      const q = tf.clipByValue(p, EPS, 1 - EPS);
      const ll = tf.add(tf.mul(target, tf.log(q)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, q))));
      return tf.neg(tf.mean(ll, -1));
    },
  }),
  defineLoss({
    name: 'mean_squared_error',
    keras: 'MeanSquaredError',
    description: 'The mean of squared differences: regression and forecasting.',
    params: {},
    targets: 'values',
    smoothing: false,
    make: (tf) => (y, p) => tf.mean(tf.square(tf.sub(p, y)), -1),
  }),
  defineLoss({
    name: 'mean_absolute_error',
    keras: 'MeanAbsoluteError',
    description: 'The mean of absolute differences: regression that is less swayed by outliers than squared error.',
    params: {},
    targets: 'values',
    smoothing: false,
    make: (tf) => (y, p) => tf.mean(tf.abs(tf.sub(p, y)), -1),
  }),
  defineLoss({
    name: 'huber',
    keras: 'Huber',
    description: 'Squared error for differences below 1 and absolute error above (delta 1): regression robust to outliers.',
    params: {},
    targets: 'values',
    smoothing: false,
    make: (tf) => (y, p) => {
      const e = tf.abs(tf.sub(p, y));
      const quad = tf.minimum(e, 1);
      return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.sub(e, quad)), -1);
    },
  }),
];
