/**
 * Every metric entry against a hand-computed float64 reference on a small
 * batch, for each kind of target it is meant for (one-hot rows, class ids per
 * sequence step, a 0/1 column, regression values): the statistics have the
 * length `size` says, the result of one batch is the reference, and the sums
 * of two half-batches' statistics give the same result (they are sufficient
 * statistics, which is how training sums them over an epoch). Its direction
 * is the reference's. A new metric fails here until REFERENCES has its case.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import type { Direction, MetricContext, MetricDef, TargetKind } from '../../src/train-registry/entry.js';
import { assertClose, assertNoStaleReferences, referenceFor } from '../helpers/references.js';

const FILE = 'test/train-registry/metrics.test.ts';
const TOP_K = 2;

/** Classification: a class id (0/1 for binary) and a row of scores per example (one score for binary). Regression: rows of targets and predictions. */
type Plain = { labels: number[]; scores: number[][] } | { targets: number[][]; preds: number[][] };
type ClassBatch = Extract<Plain, { labels: number[] }>;
type ValueBatch = Extract<Plain, { targets: number[][] }>;

/**
 * Eight examples of four classes (softmax rows). Row 2 ties its top three classes: accuracy takes
 * the first (a miss), top-2 counts the target as in (nothing scores higher, as tf.math.in_top_k
 * has it). The last column's scores fall in distinct AUC buckets.
 */
const CLASSES: ClassBatch = {
  labels: [0, 1, 2, 3, 3, 1, 2, 0],
  scores: [
    [0.55, 0.2, 0.113, 0.137],
    [0.1, 0.52, 0.3, 0.08],
    [0.31, 0.31, 0.31, 0.07],
    [0.1, 0.2, 0.08, 0.62],
    [0.25, 0.35, 0.17, 0.23],
    [0.3, 0.2, 0.09, 0.41],
    [0.05, 0.15, 0.47, 0.33],
    [0.38, 0.43, 0.04, 0.15],
  ],
};
/** One sigmoid unit. 0.5 is not positive (Keras: y_pred > threshold); two examples tie at it. */
const BINARY: ClassBatch = {
  labels: [1, 0, 0, 1, 1, 0, 0, 0, 0, 1],
  scores: [[0.91], [0.5], [0.12], [0.67], [0.33], [0.5], [0.08], [0.74], [0.45], [0.58]],
};
const VALUES: ValueBatch = {
  targets: [
    [1, -2],
    [0.5, 3],
    [0.01, -4],
    [-1, 2.5],
  ],
  preds: [
    [1.2, -1],
    [0.5, 0.2],
    [0.03, -2.5],
    [-1.9, 2.55],
  ],
};

const isClass = (b: Plain): b is ClassBatch => 'labels' in b;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => sum(xs) / xs.length;

/** The predicted class: Keras's binary threshold (strictly above 0.5), else the first highest score. */
function predicted(b: ClassBatch, c: MetricContext): number[] {
  if (c.kind === 'binary') return b.scores.map(([p]) => (p! > 0.5 ? 1 : 0));
  return b.scores.map((row) => row.indexOf(Math.max(...row)));
}

/** Macro average over the classes that occur in the targets or the predictions (scikit-learn's average='macro'; 0 where a ratio's denominator is 0). */
function macro(b: Plain, c: MetricContext, which: 'precision' | 'recall' | 'f1'): number {
  assert.ok(isClass(b));
  const pred = predicted(b, c);
  const classes = [...new Set([...b.labels, ...pred])];
  return mean(
    classes.map((k) => {
      const tp = b.labels.filter((t, i) => t === k && pred[i] === k).length;
      const predictedK = pred.filter((p) => p === k).length;
      const actualK = b.labels.filter((t) => t === k).length;
      const precision = predictedK ? tp / predictedK : 0;
      const recall = actualK ? tp / actualK : 0;
      if (which === 'precision') return precision;
      if (which === 'recall') return recall;
      return precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    }),
  );
}

/** Mean cross-entropy per token in nats, probabilities floored at 1e-7. */
function crossEntropy(b: Plain): number {
  assert.ok(isClass(b));
  return mean(b.scores.map((row, i) => -Math.log(Math.max(row[b.labels[i]!]!, 1e-7))));
}

function regression(b: Plain, f: (p: number, t: number) => number): number {
  assert.ok(!isClass(b));
  return mean(b.preds.flatMap((row, i) => row.map((p, j) => f(p, b.targets[i]![j]!))));
}

interface MetricReference {
  direction: Direction;
  /** The target kinds the metric is checked on: those it is meant for. */
  kinds: TargetKind[];
  value(b: Plain, c: MetricContext): number;
}

const CLASSIFICATION: TargetKind[] = ['one_hot', 'sparse', 'binary'];

const REFERENCES: Record<string, MetricReference> = {
  // keras.metrics.CategoricalAccuracy / SparseCategoricalAccuracy / BinaryAccuracy(threshold=0.5).
  accuracy: {
    direction: 'max',
    kinds: CLASSIFICATION,
    value(b, c) {
      assert.ok(isClass(b));
      const pred = predicted(b, c);
      return mean(b.labels.map((t, i) => (t === pred[i] ? 1 : 0)));
    },
  },
  // keras.metrics.TopKCategoricalAccuracy (tf.math.in_top_k): in when fewer than k classes score strictly higher than the target.
  top_k_accuracy: {
    direction: 'max',
    kinds: ['one_hot', 'sparse'],
    value(b, c) {
      assert.ok(isClass(b));
      return mean(b.scores.map((row, i) => (row.filter((s) => s > row[b.labels[i]!]!).length < Math.min(c.topK, c.classes) ? 1 : 0)));
    },
  },
  precision: { direction: 'max', kinds: CLASSIFICATION, value: (b, c) => macro(b, c, 'precision') },
  recall: { direction: 'max', kinds: CLASSIFICATION, value: (b, c) => macro(b, c, 'recall') },
  f1: { direction: 'max', kinds: CLASSIFICATION, value: (b, c) => macro(b, c, 'f1') },
  // The exact ROC AUC (Mann–Whitney: P(positive scores above negative), ties half) of the positive
  // class, or of the last class against the rest; the batches put distinct scores in distinct buckets,
  // so strata's 200 buckets give it exactly.
  auc: {
    direction: 'max',
    kinds: CLASSIFICATION,
    value(b, c) {
      assert.ok(isClass(b));
      const last = c.kind === 'binary' ? 0 : c.classes - 1;
      const positive = c.kind === 'binary' ? 1 : c.classes - 1;
      const pos = b.scores.filter((_, i) => b.labels[i] === positive).map((r) => r[last]!);
      const neg = b.scores.filter((_, i) => b.labels[i] !== positive).map((r) => r[last]!);
      return sum(pos.flatMap((p) => neg.map((n) => (p > n ? 1 : p === n ? 0.5 : 0)))) / (pos.length * neg.length);
    },
  },
  // keras.metrics.MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError (|y| floored at ε = 1e-7).
  mae: { direction: 'min', kinds: ['regression'], value: (b) => regression(b, (p, t) => Math.abs(p - t)) },
  rmse: { direction: 'min', kinds: ['regression'], value: (b) => Math.sqrt(regression(b, (p, t) => (p - t) ** 2)) },
  mape: { direction: 'min', kinds: ['regression'], value: (b) => 100 * regression(b, (p, t) => Math.abs(p - t) / Math.max(Math.abs(t), 1e-7)) },
  // sklearn.metrics.r2_score (multioutput='uniform_average', force_finite=True), keras.metrics.R2Score: per output column, averaged.
  r2: {
    direction: 'max',
    kinds: ['regression'],
    value(b) {
      assert.ok(!isClass(b));
      const columns = b.targets[0]!.length;
      return mean(
        Array.from({ length: columns }, (_, j) => {
          const t = b.targets.map((row) => row[j]!);
          const m = mean(t);
          const sse = sum(b.preds.map((row, i) => (row[j]! - t[i]!) ** 2));
          const sst = sum(t.map((v) => (v - m) ** 2));
          return sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0;
        }),
      );
    },
  },
  perplexity: { direction: 'min', kinds: ['one_hot', 'sparse'], value: (b) => Math.exp(crossEntropy(b)) },
  bits_per_character: { direction: 'min', kinds: ['one_hot', 'sparse'], value: (b) => crossEntropy(b) / Math.LN2 },
};

function batchOf(kind: TargetKind): Plain {
  return kind === 'binary' ? BINARY : kind === 'regression' ? VALUES : CLASSES;
}

/** Examples `from`..`to` of a batch. */
function slice(b: Plain, from: number, to: number): Plain {
  return isClass(b) ? { labels: b.labels.slice(from, to), scores: b.scores.slice(from, to) } : { targets: b.targets.slice(from, to), preds: b.preds.slice(from, to) };
}

/**
 * The batch as training hands it to a metric: one-hot rows; class ids as 2 sequences of
 * (examples / 2) steps, so per-step targets are covered; a 0/1 column; value rows.
 */
function tensors(engine: Engine, kind: TargetKind, b: Plain): { y: Tensor; p: Tensor } {
  const { tf } = engine;
  if (!isClass(b)) return { y: tf.tensor2d(b.targets), p: tf.tensor2d(b.preds) };
  const n = b.labels.length;
  const k = b.scores[0]!.length;
  switch (kind) {
    case 'one_hot':
      return { y: tf.tensor2d(b.labels.map((t) => Array.from({ length: k }, (_, j) => (j === t ? 1 : 0)))), p: tf.tensor2d(b.scores) };
    case 'sparse':
      return { y: tf.tensor(b.labels, [2, n / 2], 'int32'), p: tf.tensor(b.scores.flat(), [2, n / 2, k]) };
    case 'binary':
      return { y: tf.tensor2d(b.labels.map((t) => [t])), p: tf.tensor2d(b.scores) };
    default:
      throw new Error(`no classes in a ${kind} batch`);
  }
}

function statsOf(engine: Engine, def: MetricDef, kind: TargetKind, b: Plain, c: MetricContext): Float64Array {
  const { tf } = engine;
  const { y, p } = tensors(engine, kind, b);
  try {
    const s = tf.tidy(() => def.stats(tf, y, p, c));
    const values = Float64Array.from(s.dataSync());
    s.dispose();
    assert.equal(values.length, def.size(c), `${def.name} on ${kind} targets: ${values.length} statistics, but size() says ${def.size(c)}`);
    return values;
  } finally {
    tf.dispose([y, p]);
  }
}

describe('every metric entry', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  test('every reference case belongs to a registered metric', () => {
    assertNoStaleReferences(REFERENCES, 'metric', trainRegistry.metrics.names(), FILE);
  });

  for (const def of trainRegistry.metrics) {
    describe(`metric ${def.name}`, () => {
      test('its direction: higher is better for accuracy-like scores, lower for errors', () => {
        const ref = referenceFor(REFERENCES, 'metric', def, FILE);
        assert.equal(def.direction, ref.direction);
      });

      test('one batch gives the reference, and two half-batches’ summed statistics give the same', () => {
        const ref = referenceFor(REFERENCES, 'metric', def, FILE);
        assert.ok(ref.kinds.length > 0, `the reference case of '${def.name}' in ${FILE} names no target kinds`);
        for (const kind of ref.kinds) {
          const b = batchOf(kind);
          const width = isClass(b) ? b.scores[0]!.length : b.preds[0]!.length;
          const c: MetricContext = { kind, classes: width, topK: TOP_K };
          const expected = ref.value(b, c);
          const whole = def.result(statsOf(engine, def, kind, b, c), c);
          assertClose([whole], [expected], `${def.name} on ${kind} targets`, { abs: 1e-6, rel: 1e-5 });
          const n = isClass(b) ? b.labels.length : b.targets.length;
          const halves = [slice(b, 0, n / 2), slice(b, n / 2, n)].map((h) => statsOf(engine, def, kind, h, c));
          const summed = halves[0]!.map((v, i) => v + halves[1]![i]!);
          assertClose([def.result(summed, c)], [whole], `${def.name} on ${kind} targets: the sums of two halves’ statistics`, { abs: 1e-6, rel: 1e-6 });
        }
      });
    });
  }
});
