/** A split's mean loss and metrics, with training behaviour (dropout) off. */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import type { Dataset, Split } from '../data/types.js';
import { UsageError } from '../errors.js';
import type { LayersModel } from '../tf-types.js';
import { consecutiveRuns, toTensors } from './batches.js';
import { CarriedStates, laneBatches } from './carry-state.js';
import { metricDefs } from './config.js';
import type { TrainConfig } from './config.js';
import { MetricAccumulator } from './metrics.js';
import { metricContext } from './targets.js';

/** Sees each batch's example indices, targets and predictions; the tensors are freed after it returns. */
export type EvaluatedBatch = (indices: Int32Array, yTrue: Tensor, yPred: Tensor) => void;

/**
 * The batches a split is evaluated in, on either engine: with carried states, lanes of the
 * training batch size, as in training (refused for a split whose windows do not follow each
 * other); otherwise runs of consecutive examples.
 */
export function evaluationBatches(split: Split, config: TrainConfig): Int32Array[] {
  if (config.carry_state && !split.continuous) {
    throw new UsageError({ arg: 'train.carry_state', code: 'carry-state', message: "the model was trained with carry_state, which needs windows that follow each other, and this split's do not; evaluate on data whose stride equals its window length" });
  }
  return config.carry_state ? laneBatches(split.size, config.batch_size) : consecutiveRuns(split.size, Math.max(config.batch_size, 256));
}

/**
 * Evaluate a split. With `acc` the sums go there (and stay, for its owner to read, such
 * as a confusion matrix); otherwise an accumulator is made and freed here. `onBatch`
 * sees every batch's predictions, for a caller that wants them one by one.
 */
export async function evaluateSplit(
  engine: Engine,
  model: LayersModel,
  dataset: Dataset,
  split: Split,
  config: TrainConfig,
  acc?: MetricAccumulator,
  onBatch?: EvaluatedBatch,
): Promise<Record<string, number>> {
  const { tf } = engine;
  const lossFn = config.loss.def.make(tf, { labelSmoothing: 0 });
  const accumulator = acc ?? new MetricAccumulator(tf, metricDefs(config.metrics), metricContext(model, config));
  const batches = evaluationBatches(split, config);
  const carried = config.carry_state ? new CarriedStates(tf, model) : undefined;
  try {
    for (const indices of batches) {
      const [x, y] = toTensors(engine, dataset, split.batch(indices));
      tf.tidy(() => {
        const pred = model.apply(x, { training: false }) as Tensor;
        accumulator.update(tf.mean(lossFn(y, pred)), indices.length, y, pred);
        onBatch?.(indices, y, pred);
      });
      tf.dispose([x, y]);
    }
  } finally {
    carried?.release();
  }
  const result = await accumulator.read();
  if (!acc) accumulator.dispose();
  return result;
}
