/**
 * Losses, as functions of (targets, predictions) returning one value per
 * example, so class weights can scale them before the mean. Predictions are
 * the model's outputs (probabilities after softmax or sigmoid), as in Keras.
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import { defineLoss } from './entry.js';
import type { LogitsLoss, LossDef, LossFn } from './entry.js';
import { hasKernels } from '../kernel-calls.js';
import { SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL } from '../kernel-names.js';

/** Keras's clipping epsilon for log of probabilities. */
const EPS = 1e-7;

/** One-hot (or probability) rows mixed with the uniform distribution over their k classes by `smooth`. */
function smoothed(tf: TfCore, y: Tensor, k: number, smooth: number): Tensor {
  return smooth > 0 ? tf.add(tf.mul(y, 1 - smooth), smooth / k) : y;
}

/** −Σ t·log p over the last axis, p clipped away from 0 and 1 as Keras clips it. */
function crossEntropyOf(tf: TfCore, t: Tensor, p: Tensor): Tensor {
  return tf.neg(tf.sum(tf.mul(t, tf.log(tf.clipByValue(p, EPS, 1 - EPS))), -1));
}

/** Cross-entropy of (targets, probabilities), the targets one-hot or probability rows as `toRows` makes them. */
function crossEntropy(tf: TfCore, smooth: number, toRows: (y: Tensor, p: Tensor) => Tensor = (y) => y): LossFn {
  return (y, p) => crossEntropyOf(tf, smoothed(tf, toRows(y, p), p.shape[p.shape.length - 1]!, smooth), p);
}

/**
 * The same from a softmax's logits. −Σ t·log softmax(z) differentiated with respect to z is
 * p·Σt − t (p − t for targets that sum to 1). It differs from the derivative through the
 * clipped log only where that clip holds a probability (under 1e-7 or over 1 − 1e-7), whose
 * gradient the clip sets to zero.
 */
function crossEntropyFromLogits(tf: TfCore, smooth: number, toRows: (y: Tensor, p: Tensor) => Tensor = (y) => y): (y: Tensor, logits: Tensor) => LogitsLoss {
  return (y, logits) => {
    const probabilities = tf.softmax(logits);
    const t = smoothed(tf, toRows(y, probabilities), logits.shape[logits.shape.length - 1]!, smooth);
    const rows = logits.size / logits.shape[logits.shape.length - 1]!;
    const meanGradient = tf.div(tf.sub(tf.mul(probabilities, tf.sum(t, -1, true)), t), rows);
    return { probabilities, meanLoss: tf.mean(crossEntropyOf(tf, t, probabilities)) as Scalar, meanGradient };
  };
}

/** Class ids (one per example, or per step of a sequence) as one-hot rows of the predictions' shape. */
function oneHotLike(tf: TfCore, y: Tensor, p: Tensor): Tensor {
  return tf.oneHot(tf.cast(tf.reshape(y, p.shape.slice(0, -1)), 'int32'), p.shape[p.shape.length - 1]!);
}

/**
 * Sparse cross-entropy from logits: with no smoothing, strata's one kernel where the backend
 * has it (the softmax, each example's loss and its gradient in one pass), else the ops of
 * crossEntropyFromLogits.
 */
function sparseCrossEntropyFromLogits(tf: TfCore, smooth: number): (y: Tensor, logits: Tensor) => LogitsLoss {
  const ops = crossEntropyFromLogits(tf, smooth, (y, p) => oneHotLike(tf, y, p));
  return (y, logits) => {
    if (smooth > 0 || logits.dtype !== 'float32' || !hasKernels(tf, SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL)) return ops(y, logits);
    const classes = logits.shape[logits.shape.length - 1]!;
    const attrs = { epsilon: EPS, scale: classes / logits.size };
    const [probabilities, meanLoss, meanGradient] = tf.engine().runKernel(SPARSE_SOFTMAX_CROSS_ENTROPY_KERNEL, { logits, labels: y }, attrs) as Tensor[];
    return { probabilities: probabilities!, meanLoss: meanLoss as Scalar, meanGradient: meanGradient! };
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
    fromLogits: (tf, o) => crossEntropyFromLogits(tf, o.labelSmoothing),
  }),
  defineLoss({
    name: 'sparse_categorical_crossentropy',
    keras: 'SparseCategoricalCrossentropy',
    description: 'The same cross-entropy with class ids as targets (one per example, or per step of a sequence): no one-hot vectors in memory, which suits large vocabularies.',
    params: {},
    targets: 'sparse',
    smoothing: true,
    make: (tf, o) => crossEntropy(tf, o.labelSmoothing, (y, p) => oneHotLike(tf, y, p)),
    fromLogits: (tf, o) => sparseCrossEntropyFromLogits(tf, o.labelSmoothing),
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
