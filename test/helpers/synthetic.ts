/** Small in-memory datasets for training tests, implementing the data contract. */
import type { Dataset, Split } from '../../src/data/types.js';
import { Rng } from '../../src/rng.js';

export function arraySplit(x: Float32Array, y: Float32Array | Int32Array, xSize: number, ySize: number): Split {
  const size = x.length / xSize;
  return {
    size,
    batch(indices) {
      const n = indices.length;
      const bx = new Float32Array(n * xSize);
      const by = y instanceof Int32Array ? new Int32Array(n * ySize) : new Float32Array(n * ySize);
      for (let i = 0; i < n; i++) {
        const j = indices[i]!;
        bx.set(x.subarray(j * xSize, (j + 1) * xSize), i * xSize);
        by.set(y.subarray(j * ySize, (j + 1) * ySize), i * ySize);
      }
      return { x: bx, y: by, size: n };
    },
  };
}

/**
 * Points in `features` dimensions labelled by which of `classes` fixed random
 * directions they lie closest to: learnable, not trivial. One-hot labels.
 */
export function blobs(n: number, features = 8, classes = 3, seed = 1): Dataset {
  const rng = new Rng(seed);
  const centers = Array.from({ length: classes }, () => Array.from({ length: features }, () => rng.next() * 4 - 2));
  const make = (count: number) => {
    const x = new Float32Array(count * features);
    const y = new Float32Array(count * classes);
    for (let i = 0; i < count; i++) {
      const c = Math.floor(rng.next() * classes);
      for (let f = 0; f < features; f++) x[i * features + f] = centers[c]![f]! + (rng.next() - 0.5) * 1.5;
      y[i * classes + c] = 1;
    }
    return arraySplit(x, y, features, classes);
  };
  return {
    name: 'blobs',
    task: 'classification',
    inputShape: [features],
    inputDtype: 'float32',
    targetShape: [classes],
    targetDtype: 'float32',
    classes: Array.from({ length: classes }, (_, i) => `c${i}`),
    train: make(n),
    validation: make(Math.floor(n / 4)),
    test: make(Math.floor(n / 4)),
    fingerprint: `blobs-${n}-${features}-${classes}-${seed}`,
  };
}

/** The spec of a small MLP for `blobs`. */
export function blobsSpec(features = 8, classes = 3, extra = ''): string {
  return `version: 1
name: blobs-mlp
seed: 3
model:
  layers:
    - type: input
      shape: [${features}]
    - type: dense
      units: 16
      activation: relu
    - type: dropout
      rate: 0.2
    - type: dense
      units: ${classes}
      activation: softmax
train:
  epochs: 4
  batch_size: 16
  optimizer: {type: adam, learning_rate: 0.01}
  loss: categorical_crossentropy
  metrics: [accuracy]
${extra}`;
}

/**
 * A token stream in periods of 8: a key (1 or 2, at random), 0, 0, the key,
 * three 0s, the key again. Cut into windows of 4 (stride 4, so they follow
 * each other), the key's last echo is predictable only from the window before:
 * with targets at every position, a model that starts each window from a zero
 * state can do no better than a coin flip there, and one that carries its
 * state can. (The first echo, inside the first window, is what teaches a
 * model to keep the key at all: truncated backpropagation sends no gradient
 * across a window boundary.)
 */
export function echoText(periods: number, seed = 1): Dataset {
  const rng = new Rng(seed);
  const make = (n: number): Split => {
    const stream = new Int32Array(n * 8 + 1);
    for (let p = 0; p < n; p++) {
      const key = rng.next() < 0.5 ? 1 : 2;
      stream[p * 8] = key;
      stream[p * 8 + 3] = key;
      stream[p * 8 + 7] = key;
    }
    stream[n * 8] = 1;
    const size = n * 2;
    return {
      size,
      continuous: true,
      batch(indices) {
        const k = indices.length;
        const x = new Int32Array(k * 4);
        const y = new Int32Array(k * 4);
        for (let i = 0; i < k; i++) {
          const s = indices[i]! * 4;
          x.set(stream.subarray(s, s + 4), i * 4);
          y.set(stream.subarray(s + 1, s + 5), i * 4);
        }
        return { x, y, size: k };
      },
    };
  };
  return {
    name: 'echo',
    task: 'language_model',
    inputShape: [4],
    inputDtype: 'int32',
    targetShape: [4],
    targetDtype: 'int32',
    vocabulary: ['0', '1', '2'],
    train: make(periods),
    validation: make(Math.max(16, Math.floor(periods / 4))),
    fingerprint: `echo-${periods}-${seed}`,
  };
}

/** A GRU language model for `echoText`. */
export function echoSpec(extra = ''): string {
  return `version: 1
name: echo-gru
seed: 3
model:
  layers:
    - {type: input, shape: [4], dtype: int32}
    - {type: embedding, input_dim: 3, output_dim: 8}
    - {type: gru, units: 24, return_sequences: true}
    - {type: dense, units: 3, activation: softmax}
train:
  epochs: 12
  batch_size: 16
  optimizer: {type: adam, learning_rate: 0.02}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
${extra}`;
}
