/**
 * Metrics, computed on the device as running sums of sufficient statistics
 * (counts, confusion matrices, score histograms) so that training never waits
 * on a read per batch: `stats` gives one batch's, `result` the metric from
 * their sums (train/metrics.ts keeps the sums).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';
import { defineMetric } from './entry.js';
import type { MetricContext } from './entry.js';

const AUC_BUCKETS = 200;
const EPS = 1e-7;

/**
 * Class ids of targets and predictions, flattened over batch and steps. A sigmoid
 * output is positive strictly above 0.5, as Keras's BinaryAccuracy, Precision and
 * Recall have it (`y_pred > threshold`): an output of exactly 0.5 is negative.
 */
function classIds(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): { t: Tensor; p: Tensor } {
  if (c.kind === 'binary') {
    return { t: tf.cast(tf.greaterEqual(tf.reshape(yTrue, [-1]), 0.5), 'int32'), p: tf.cast(tf.greater(tf.reshape(yPred, [-1]), 0.5), 'int32') };
  }
  const p = tf.reshape(tf.argMax(yPred, -1), [-1]);
  const t = c.kind === 'sparse' ? tf.cast(tf.reshape(yTrue, [-1]), 'int32') : tf.reshape(tf.argMax(yTrue, -1), [-1]);
  return { t, p };
}

/** The confusion matrix of one batch, flat: [true class × predicted class] counts. */
export function confusionStats(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor {
  const k = c.kind === 'binary' ? 2 : c.classes;
  const { t, p } = classIds(tf, yTrue, yPred, c);
  // float32: the wasm backend multiplies no int32 matrices.
  return tf.reshape(tf.matMul(tf.cast(tf.oneHot(t, k), 'float32'), tf.cast(tf.oneHot(p, k), 'float32'), true, false), [-1]);
}

function perClass(s: Float64Array, c: MetricContext, which: 'precision' | 'recall' | 'f1'): number {
  const k = c.kind === 'binary' ? 2 : c.classes;
  let sum = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const tp = s[i * k + i]!;
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += s[j * k + i]!;
      actual += s[i * k + j]!;
    }
    if (actual === 0 && predicted === 0) continue; // a class absent from targets and predictions
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = actual > 0 ? tp / actual : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    sum += which === 'precision' ? precision : which === 'recall' ? recall : f1;
    used++;
  }
  return used > 0 ? sum / used : 0;
}

/** Per-token cross-entropy in nats, summed, and the token count. */
function crossEntropyStats(tf: TfCore, yTrue: Tensor, yPred: Tensor, c: MetricContext): Tensor {
  const k = c.classes;
  const onehot = c.kind === 'sparse' ? tf.oneHot(tf.cast(tf.reshape(yTrue, [-1]), 'int32'), k) : tf.reshape(yTrue, [-1, k]);
  const p = tf.reshape(yPred, [-1, k]);
  const nll = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(p, EPS, 1))), -1));
  return tf.stack([tf.sum(nll), tf.scalar(nll.shape[0]!)]);
}

const count = (t: Tensor, tf: TfCore) => tf.scalar(t.size);

/** A macro-averaged per-class score, from the summed confusion matrix. */
function perClassMetric<const N extends 'precision' | 'recall' | 'f1'>(name: N, description: string) {
  return defineMetric({ name, description, params: {}, direction: 'max', size: (c) => (c.kind === 'binary' ? 4 : c.classes ** 2), stats: confusionStats, result: (s, c) => perClass(s, c, name) });
}

export const metricEntries = [
  defineMetric({
    name: 'accuracy',
    description: 'The share of examples (or sequence steps) whose most likely class is the target’s; for one sigmoid unit, whether it is on the right side of 0.5.',
    params: {},
    direction: 'max',
    size: () => 2,
    stats: (tf, y, p, c) => {
      const { t, p: q } = classIds(tf, y, p, c);
      return tf.stack([tf.sum(tf.cast(tf.equal(t, q), 'float32')), count(t, tf)]);
    },
    result: (s) => s[0]! / Math.max(1, s[1]!),
  }),
  defineMetric({
    name: 'top_k_accuracy',
    description: 'The share whose target is among the top_k most likely classes (train.top_k, default 5).',
    params: {},
    direction: 'max',
    size: () => 2,
    stats: (tf, y, p, c) => {
      const k = c.classes;
      const flat = tf.reshape(p, [-1, k]);
      const t = c.kind === 'sparse' ? tf.cast(tf.reshape(y, [-1]), 'int32') : tf.cast(tf.argMax(tf.reshape(y, [-1, k]), -1), 'int32');
      // The target is in the top k when fewer than k classes score higher than it.
      const targetScore = tf.sum(tf.mul(flat, tf.oneHot(t, k)), -1, true);
      const higher = tf.sum(tf.cast(tf.greater(flat, targetScore), 'float32'), -1);
      return tf.stack([tf.sum(tf.cast(tf.less(higher, Math.min(c.topK, k)), 'float32')), tf.scalar(t.size)]);
    },
    result: (s) => s[0]! / Math.max(1, s[1]!),
  }),
  perClassMetric('precision', 'Of the examples predicted as a class, the share that are of it: the macro average over classes.'),
  perClassMetric('recall', 'Of the examples of a class, the share predicted as it: the macro average over classes.'),
  perClassMetric('f1', 'The harmonic mean of precision and recall per class, macro-averaged.'),
  defineMetric({
    name: 'auc',
    description: 'The area under the ROC curve of a binary (or last-class-versus-rest) classifier, from 200 score buckets.',
    params: {},
    direction: 'max',
    size: () => 2 * AUC_BUCKETS,
    stats: (tf, y, p, c) => {
      // Score of the positive class, bucketed; histograms of positives and negatives.
      const score = c.kind === 'binary' ? tf.reshape(p, [-1]) : tf.reshape(tf.slice(tf.reshape(p, [-1, c.classes]), [0, c.classes - 1], [-1, 1]), [-1]);
      const label = c.kind === 'binary' ? tf.reshape(y, [-1]) : c.kind === 'sparse' ? tf.cast(tf.equal(tf.reshape(y, [-1]), c.classes - 1), 'float32') : tf.reshape(tf.slice(tf.reshape(y, [-1, c.classes]), [0, c.classes - 1], [-1, 1]), [-1]);
      const bucket = tf.oneHot(tf.cast(tf.clipByValue(tf.floor(tf.mul(score, AUC_BUCKETS)), 0, AUC_BUCKETS - 1), 'int32'), AUC_BUCKETS);
      const pos = tf.sum(tf.mul(bucket, tf.expandDims(label, 1)), 0);
      const neg = tf.sum(tf.mul(bucket, tf.expandDims(tf.sub(1, label), 1)), 0);
      return tf.concat([pos, neg]);
    },
    result: (s) => {
      // Area under the ROC curve from the histograms: P(score_pos > score_neg), ties counted half.
      let negBelow = 0;
      let area = 0;
      let totalPos = 0;
      let totalNeg = 0;
      for (let b = 0; b < AUC_BUCKETS; b++) {
        const pos = s[b]!;
        const neg = s[AUC_BUCKETS + b]!;
        area += pos * (negBelow + neg / 2);
        negBelow += neg;
        totalPos += pos;
        totalNeg += neg;
      }
      return totalPos > 0 && totalNeg > 0 ? area / (totalPos * totalNeg) : 0;
    },
  }),
  defineMetric({
    name: 'mae',
    description: 'The mean absolute error, in the model’s output units.',
    params: {},
    direction: 'min',
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.abs(tf.sub(p, y))), tf.scalar(y.size)]),
    result: (s) => s[0]! / Math.max(1, s[1]!),
  }),
  defineMetric({
    name: 'rmse',
    description: 'The root mean squared error.',
    params: {},
    direction: 'min',
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.square(tf.sub(p, y))), tf.scalar(y.size)]),
    result: (s) => Math.sqrt(s[0]! / Math.max(1, s[1]!)),
  }),
  defineMetric({
    name: 'mape',
    description: 'The mean absolute percentage error (each error over the target’s size, |y| floored at 1e-7), in percent.',
    params: {},
    direction: 'min',
    size: () => 2,
    stats: (tf, y, p) => tf.stack([tf.sum(tf.div(tf.abs(tf.sub(p, y)), tf.maximum(tf.abs(y), EPS))), tf.scalar(y.size)]),
    result: (s) => (100 * s[0]!) / Math.max(1, s[1]!),
  }),
  defineMetric({
    name: 'r2',
    description: 'The coefficient of determination, 1 − (squared error) / (squared deviation of the targets from their mean), per output and averaged over outputs: 1 is perfect, 0 no better than predicting the mean. From sums of the targets and their squares, so targets far from 0 relative to their spread (standardize them) lose float32 precision.',
    params: {},
    direction: 'max',
    // Per output column: the squared error, the targets' sum and the sum of their squares; then the row count.
    size: (c) => 3 * c.classes + 1,
    stats: (tf, y, p, c) => {
      const t = tf.reshape(tf.cast(y, 'float32'), [-1, c.classes]);
      const q = tf.reshape(p, [-1, c.classes]);
      return tf.concat([tf.sum(tf.square(tf.sub(q, t)), 0), tf.sum(t, 0), tf.sum(tf.square(t), 0), tf.tensor1d([t.shape[0]!])]);
    },
    result: (s, c) => {
      const k = c.classes;
      const n = s[3 * k]!;
      if (n === 0) return 0;
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const sse = s[j]!;
        const sst = Math.max(0, s[2 * k + j]! - (s[k + j]! * s[k + j]!) / n);
        // A constant target: perfect predictions score 1, any error 0 (scikit-learn's force_finite).
        sum += sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
      }
      return sum / k;
    },
  }),
  defineMetric({ name: 'perplexity', description: 'e to the mean cross-entropy per token: a language model’s effective number of choices at each step.', params: {}, direction: 'min', size: () => 2, stats: crossEntropyStats, result: (s) => Math.exp(s[0]! / Math.max(1, s[1]!)) }),
  defineMetric({ name: 'bits_per_character', description: 'The mean cross-entropy per token in bits (for character-level language models).', params: {}, direction: 'min', size: () => 2, stats: crossEntropyStats, result: (s) => s[0]! / Math.max(1, s[1]!) / Math.LN2 }),
];
