/**
 * Losses, as functions of (targets, predictions) returning one value per
 * example, so class weights can scale them before the mean. Predictions are
 * the model's outputs (probabilities after softmax or sigmoid), as in Keras.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../backend/select.js';

export type LossName = 'categorical_crossentropy' | 'sparse_categorical_crossentropy' | 'binary_crossentropy' | 'mean_squared_error' | 'mean_absolute_error' | 'huber';

export interface LossOptions {
  labelSmoothing?: number;
}

/** Keras's clipping epsilon for log of probabilities. */
const EPS = 1e-7;

export type LossFn = (yTrue: Tensor, yPred: Tensor) => Tensor;

export function makeLoss(tf: TfCore, name: LossName, o: LossOptions = {}): LossFn {
  const smooth = o.labelSmoothing ?? 0;
  const crossEntropy = (y: Tensor, p: Tensor) => {
    const k = p.shape[p.shape.length - 1]!;
    const target = smooth > 0 ? tf.add(tf.mul(y, 1 - smooth), smooth / k) : y;
    return tf.neg(tf.sum(tf.mul(target, tf.log(tf.clipByValue(p, EPS, 1 - EPS))), -1));
  };
  switch (name) {
    case 'categorical_crossentropy':
      return crossEntropy;
    case 'sparse_categorical_crossentropy':
      return (y, p) => crossEntropy(tf.oneHot(tf.cast(tf.reshape(y, p.shape.slice(0, -1)), 'int32'), p.shape[p.shape.length - 1]!), p);
    case 'binary_crossentropy':
      return (y, p) => {
        const target = smooth > 0 ? tf.add(tf.mul(y, 1 - smooth), smooth / 2) : y;
        const q = tf.clipByValue(p, EPS, 1 - EPS);
        const ll = tf.add(tf.mul(target, tf.log(q)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, q))));
        return tf.neg(tf.mean(ll, -1));
      };
    case 'mean_squared_error':
      return (y, p) => tf.mean(tf.square(tf.sub(p, y)), -1);
    case 'mean_absolute_error':
      return (y, p) => tf.mean(tf.abs(tf.sub(p, y)), -1);
    case 'huber':
      return (y, p) => {
        const e = tf.abs(tf.sub(p, y));
        const quad = tf.minimum(e, 1);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(quad)), tf.sub(e, quad)), -1);
      };
  }
}
