/**
 * Trivial baselines, so a user can see whether a model beats something:
 * the majority class (classification), seasonal-naive MAE (forecasting:
 * each of the next days as the same weekday of the last week seen), and
 * unigram bits per character (language models).
 */
import type { MetricName } from '../train-registry/catalog.js';
import type { Dataset, Split } from './types.js';

export interface Baseline {
  name: string;
  /** The registry's metric the baseline is comparable with. */
  metric: MetricName;
  value: number;
  /** What the value means, for people. */
  note: string;
}

function* batches(split: Split, size = 1024) {
  for (let s = 0; s < split.size; s += size) {
    const n = Math.min(size, split.size - s);
    yield split.batch(Int32Array.from({ length: n }, (_, i) => s + i));
  }
}

function classOf(y: Float32Array | Int32Array, i: number, width: number): number {
  if (width <= 1) return y[i]!;
  let best = 0;
  for (let k = 1; k < width; k++) if (y[i * width + k]! > y[i * width + best]!) best = k;
  return best;
}

/** The baseline on the test split (else validation, else train), from statistics of the training split. */
export function baseline(d: Dataset, season = 7): Baseline | undefined {
  const evalSplit = d.test ?? d.validation ?? d.train;
  const splitName = d.test ? 'test' : d.validation ? 'validation' : 'train';
  const width = d.targetShape.length === 0 ? 1 : d.targetShape[d.targetShape.length - 1]!;
  if (d.task === 'classification') {
    const counts = new Map<number, number>();
    for (const b of batches(d.train)) for (let i = 0; i < b.size; i++) counts.set(classOf(b.y, i, width), (counts.get(classOf(b.y, i, width)) ?? 0) + 1);
    const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    let right = 0;
    for (const b of batches(evalSplit)) for (let i = 0; i < b.size; i++) if (classOf(b.y, i, width) === majority) right++;
    return { name: 'majority class', metric: 'accuracy', value: right / evalSplit.size, note: `always '${d.classes?.[majority] ?? majority}', on the ${splitName} split` };
  }
  if (d.task === 'forecasting') {
    const [window, features] = d.inputShape as [number, number];
    const horizon = d.targetShape[0]!;
    const scale = d.targetScaling?.scale ?? 1;
    let sum = 0;
    let n = 0;
    // The target is the first input column (as the bundled births is); the forecast for step h is the value `season` steps before it.
    for (const b of batches(evalSplit)) {
      const x = b.x as Float32Array;
      for (let i = 0; i < b.size; i++) {
        for (let h = 0; h < horizon; h++) {
          const back = window + h - season * Math.ceil((h + 1) / season);
          sum += Math.abs(x[(i * window + back) * features]! - b.y[i * horizon + h]!);
          n++;
        }
      }
    }
    const mae = sum / n;
    return { name: `seasonal naive (${season} steps)`, metric: 'mae', value: mae, note: `in the model's scaled units (${(mae * scale).toFixed(1)} in the data's), on the ${splitName} split` };
  }
  if (d.task === 'language_model' && d.vocabulary) {
    const counts = new Float64Array(d.vocabulary.length);
    const tokenOf = (y: Float32Array | Int32Array, i: number) => (d.targetDtype === 'int32' ? y[i]! : classOf(y, i, d.vocabulary!.length));
    const per = d.targetShape.length === (d.targetDtype === 'int32' ? 1 : 2) ? d.targetShape[0]! : 1;
    for (const b of batches(d.train)) for (let i = 0; i < b.size * per; i++) counts[tokenOf(b.y, i)]!++;
    const total = counts.reduce((a, b) => a + b, 0);
    let bits = 0;
    let n = 0;
    for (const b of batches(evalSplit)) {
      for (let i = 0; i < b.size * per; i++) {
        // Add-one smoothing, so a token unseen in training costs bits instead of infinity.
        bits -= Math.log2((counts[tokenOf(b.y, i)]! + 1) / (total + counts.length));
        n++;
      }
    }
    return { name: 'unigram', metric: 'bits_per_character', value: bits / n, note: `token frequencies of the training split, on the ${splitName} split` };
  }
  return undefined;
}
