/**
 * Every loss entry against a float64 reference of the Keras loss it names, on
 * a small batch: one value per example (per step of a sequence), with and
 * without label smoothing where the entry takes it (Keras semantics). The
 * targets are encoded the way the entry's `targets` says datasets must encode
 * them, so an entry whose `targets` disagrees with what its function reads
 * fails. A new loss fails here until REFERENCES has its case.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { trainRegistry } from '../../src/train-registry/catalog.js';
import type { LossTargets } from '../../src/train-registry/entry.js';
import { assertClose, assertNoStaleReferences, referenceFor } from '../helpers/references.js';

const FILE = 'test/train-registry/losses.test.ts';
/** Keras's backend epsilon, which its cross-entropies clip probabilities with. */
const EPS = 1e-7;

/** A batch in plain form: class ids and probability rows for classification, value rows for regression. */
type Batch =
  | { kind: 'classes'; shape: number[]; labels: number[]; probs: number[][] }
  | { kind: 'binary'; labels: number[][]; probs: number[][] }
  | { kind: 'values'; targets: number[][]; preds: number[][] };

interface LossReference {
  /** The encoding the loss expects its targets in. */
  targets: LossTargets;
  batches: Batch[];
  /** The loss of each example (row), in float64, as Keras computes it, with `smoothing` (0 when the entry takes none). */
  perExample(batch: Batch, smoothing: number): number[];
}

const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

/** keras.losses.categorical_crossentropy (from_logits=False): targets mixed with the uniform distribution by `ls` (y·(1−ls) + ls/K), −Σ y·log(clip(p)). */
function categorical(batch: Batch, ls: number): number[] {
  assert.equal(batch.kind, 'classes');
  if (batch.kind !== 'classes') return [];
  return batch.probs.map((row, n) => {
    const k = row.length;
    return -row.reduce((sum, p, j) => sum + ((j === batch.labels[n] ? 1 : 0) * (1 - ls) + ls / k) * Math.log(clip(p)), 0);
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Probability rows (each sums to 1, as a softmax gives) over 4 classes; a confident miss and a probability below epsilon included. */
const PROBS = [
  [0.7, 0.1, 0.15, 0.05],
  [0.1, 0.6, 0.2, 0.1],
  [0.25, 0.25, 0.25, 0.25],
  [1e-9, 0.999999999 - 0.5, 0.3, 0.2],
  [0.05, 0.05, 0.05, 0.85],
  [0.4, 0.3, 0.2, 0.1],
];
const LABELS = [0, 2, 3, 0, 3, 1];
const CLASSES: Batch = { kind: 'classes', shape: [6], labels: LABELS, probs: PROBS };
/** The same rows as a batch of 2 sequences of 3 steps (class ids per step). */
const SEQUENCES: Batch = { kind: 'classes', shape: [2, 3], labels: LABELS, probs: PROBS };
const BINARY: Batch = {
  kind: 'binary',
  labels: [[1], [0], [1], [0], [1]],
  probs: [[0.9], [0.2], [0.3], [0.5], [0.99]],
};
/** Several independent yes/no labels per example. */
const MULTI_LABEL: Batch = {
  kind: 'binary',
  labels: [
    [1, 0, 1],
    [0, 0, 1],
  ],
  probs: [
    [0.8, 0.1, 0.4],
    [0.3, 1e-9, 0.95],
  ],
};
/** Differences below and above Huber's delta of 1. */
const VALUES: Batch = {
  kind: 'values',
  targets: [
    [1, -2],
    [0.5, 3],
    [0, 0],
    [-1, 4],
  ],
  preds: [
    [1.2, -1],
    [0.5, 0.2],
    [0.3, -2.5],
    [-1.9, 4.05],
  ],
};

function values(batch: Batch, f: (d: number) => number): number[] {
  assert.equal(batch.kind, 'values');
  if (batch.kind !== 'values') return [];
  return batch.preds.map((row, n) => mean(row.map((p, j) => f(p - batch.targets[n]![j]!))));
}

const REFERENCES: Record<string, LossReference> = {
  categorical_crossentropy: { targets: 'one_hot', batches: [CLASSES], perExample: categorical },
  // keras.losses.SparseCategoricalCrossentropy takes no label_smoothing; strata smooths the one-hot
  // rows of the ids as CategoricalCrossentropy does (which is also torch.nn.CrossEntropyLoss's
  // label_smoothing with class-id targets).
  sparse_categorical_crossentropy: { targets: 'sparse', batches: [CLASSES, SEQUENCES], perExample: categorical },
  // keras.losses.binary_crossentropy: y·(1−ls) + ls/2, p clipped to [ε, 1−ε], −mean over the last axis of y·log p + (1−y)·log(1−p).
  binary_crossentropy: {
    targets: 'binary',
    batches: [BINARY, MULTI_LABEL],
    perExample(batch, ls) {
      assert.equal(batch.kind, 'binary');
      if (batch.kind !== 'binary') return [];
      return batch.probs.map((row, n) =>
        mean(
          row.map((p, j) => {
            const y = batch.labels[n]![j]! * (1 - ls) + ls / 2;
            return -(y * Math.log(clip(p)) + (1 - y) * Math.log(1 - clip(p)));
          }),
        ),
      );
    },
  },
  mean_squared_error: { targets: 'values', batches: [VALUES], perExample: (b) => values(b, (d) => d * d) },
  mean_absolute_error: { targets: 'values', batches: [VALUES], perExample: (b) => values(b, Math.abs) },
  // keras.losses.Huber(delta=1): ½d² where |d| ≤ 1, |d| − ½ beyond.
  huber: { targets: 'values', batches: [VALUES], perExample: (b) => values(b, (d) => (Math.abs(d) <= 1 ? 0.5 * d * d : Math.abs(d) - 0.5)) },
};

/** The targets as a dataset encodes them for a loss that wants `targets`, and the predictions, as tensors. */
function encode(engine: Engine, targets: LossTargets, batch: Batch): { y: Tensor; p: Tensor; perExampleShape: number[] } {
  const { tf } = engine;
  switch (batch.kind) {
    case 'classes': {
      const k = batch.probs[0]!.length;
      const p = tf.tensor(batch.probs.flat(), [...batch.shape, k]);
      if (targets === 'sparse') return { y: tf.tensor(batch.labels, batch.shape, 'int32'), p, perExampleShape: batch.shape };
      assert.equal(targets, 'one_hot', `a batch of classes reaches a loss as class ids or one-hot rows, not '${targets}'`);
      const rows = batch.labels.flatMap((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)));
      return { y: tf.tensor(rows, [...batch.shape, k]), p, perExampleShape: batch.shape };
    }
    case 'binary':
      assert.equal(targets, 'binary', `a batch of yes/no labels reaches a loss as 0/1 columns, not '${targets}'`);
      return { y: tf.tensor2d(batch.labels), p: tf.tensor2d(batch.probs), perExampleShape: [batch.labels.length] };
    case 'values':
      assert.equal(targets, 'values', `a batch of values reaches a loss as values, not '${targets}'`);
      return { y: tf.tensor2d(batch.targets), p: tf.tensor2d(batch.preds), perExampleShape: [batch.targets.length] };
  }
}

describe('every loss entry', () => {
  let engine: Engine;
  before(async () => {
    engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  });

  test('every reference case belongs to a registered loss', () => {
    assertNoStaleReferences(REFERENCES, 'loss', trainRegistry.losses.names(), FILE);
  });

  for (const def of trainRegistry.losses) {
    test(`loss ${def.name}: Keras ${def.keras}’s value per example on a small batch${def.smoothing ? ', with and without label smoothing' : ''}`, () => {
      const ref = referenceFor(REFERENCES, 'loss', def, FILE);
      assert.equal(def.targets, ref.targets, `${def.name} says it takes '${def.targets}' targets; its reference in ${FILE} encodes them as '${ref.targets}'`);
      const { tf } = engine;
      for (const smoothing of def.smoothing ? [0, 0.1, 0.3] : [0]) {
        const fn = def.make(tf, { labelSmoothing: smoothing });
        for (const batch of ref.batches) {
          const { y, p, perExampleShape } = encode(engine, def.targets, batch);
          const out = tf.tidy(() => fn(y, p));
          try {
            assert.deepEqual(out.shape, perExampleShape, `${def.name} returns one value per example (or sequence step)`);
            assertClose(out.dataSync(), ref.perExample(batch, smoothing), `${def.name}, label_smoothing ${smoothing}, targets of shape [${y.shape.join(', ')}]`, { abs: 1e-5, rel: 1e-5 });
          } finally {
            tf.dispose([y, p, out]);
          }
        }
      }
    });

    test(`loss ${def.name}: label_smoothing is offered only where there are class targets to smooth, and changes the value there`, () => {
      if (def.targets === 'values') assert.equal(def.smoothing, false, `${def.name} takes values as targets, which label smoothing does not apply to`);
      if (!def.smoothing) return;
      const { tf } = engine;
      const ref = referenceFor(REFERENCES, 'loss', def, FILE);
      const { y, p } = encode(engine, def.targets, ref.batches[0]!);
      const [plain, smoothed] = tf.tidy(() => [def.make(tf, { labelSmoothing: 0 })(y, p).dataSync(), def.make(tf, { labelSmoothing: 0.2 })(y, p).dataSync()]);
      tf.dispose([y, p]);
      assert.notDeepEqual(Array.from(plain!), Array.from(smoothed!));
    });
  }
});
