/**
 * `strata predict`'s work: run a checkpoint's model on inputs read like its
 * training data (predict-input.ts) and decode each output (decode.ts).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import type { DataInfo } from '../checkpoint/meta.js';
import type { LayersModel } from '../tf-types.js';
import { decodeOutput, rows } from './decode.js';
import type { PredictInput } from './predict-input.js';

export interface Prediction {
  input: string;
  /** Classification and language models: the most likely class or token and its probability. */
  class?: string;
  probability?: number;
  /** Regression and forecasting: the values, in the data's units where the scaling is known. */
  values?: number[];
}

/** The model's outputs for `input`, one row per example; a model that answers every step answers with its last. */
export function modelOutputs(engine: Engine, model: LayersModel, input: PredictInput, info: DataInfo): number[][] {
  const { tf } = engine;
  const flat = tf.tidy(() => {
    const x = tf.tensor(input.x, [input.count, ...info.inputShape], info.inputDtype as 'float32' | 'int32');
    let y = model.predict(x) as Tensor;
    if (y.rank === 3) y = tf.squeeze(tf.slice(y, [0, y.shape[1]! - 1, 0], [-1, 1, -1]), [1]);
    return y.dataSync() as Float32Array;
  });
  return rows(flat, input.count);
}

/** Each input with the model's decoded answer. */
export function predict(engine: Engine, model: LayersModel, input: PredictInput, info: DataInfo): Prediction[] {
  const out = modelOutputs(engine, model, input, info);
  return input.labels.map((label, i) => {
    const d = decodeOutput(out[i]!, info);
    return 'values' in d ? { input: label, values: d.values } : { input: label, class: d.class, probability: d.probability };
  });
}
