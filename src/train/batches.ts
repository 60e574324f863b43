/** A split's examples as tensors, and the order they are read in. */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import { range } from '../data/splits.js';
import type { Batch, Dataset } from '../data/types.js';

export function toTensors(engine: Engine, dataset: Dataset, batch: Pick<Batch, 'x' | 'y' | 'size'>): [Tensor, Tensor] {
  const { tf } = engine;
  return [tf.tensor(batch.x, [batch.size, ...dataset.inputShape], dataset.inputDtype), tf.tensor(batch.y, [batch.size, ...dataset.targetShape], dataset.targetDtype)];
}

/** Runs of `size` consecutive example indices covering 0..n-1. */
export function consecutiveRuns(n: number, size: number): Int32Array[] {
  return Array.from({ length: Math.ceil(n / size) }, (_, k) => range(Math.min(size, n - k * size), k * size));
}
