/**
 * Turning a model's outputs (and a dataset's targets) into what a person reads:
 * the class and its probability for classifiers and language models, values in
 * the data's units for regression and forecasting. The one place that does it:
 * `predict`, `report` and the mistakes a report shows all decode here.
 *
 * A row of outputs is one example's last axis. One sigmoid unit picks class 1
 * above 0.5 (as Keras and the metrics on the device do); several units pick the largest, the first of equals (as
 * tf.argMax does, so a decoded class is the class the confusion matrix counts).
 */

/** What decoding needs to know of the data: a checkpoint's DataInfo and a loaded Dataset both fit. */
export interface OutputInfo {
  task: string;
  classes?: readonly string[];
  vocabulary?: readonly string[];
  targetScaling?: { offset: number; scale: number; target: string };
}

/** One example's decoded output. */
export type Decoded =
  /** Classification and language models: the most likely class or token, its id and probability. */
  | { class: string; id: number; probability: number }
  /** Regression and forecasting: the values, in the data's units where the scaling is known. */
  | { values: number[] };

/** The class id a row of outputs picks and the probability the model gives it. */
export function classOf(row: ArrayLike<number>): { id: number; probability: number } {
  if (row.length === 1) {
    const p = row[0]!;
    return p > 0.5 ? { id: 1, probability: p } : { id: 0, probability: 1 - p };
  }
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return { id: best, probability: row[best]! };
}

/** The class id a target encodes: a class id (sparse), a 0/1 value (binary) or a one-hot row. */
export function targetClass(y: ArrayLike<number>): number {
  if (y.length === 1) return Math.round(y[0]!); // an id, or 0/1 where 0.5 counts as 1, as on the device
  return classOf(y).id;
}

/** The names of the classes a model's outputs stand for, when its task has them. */
export function classNames(info: OutputInfo): readonly string[] | undefined {
  if (info.task !== 'classification' && info.task !== 'language_model') return undefined;
  return info.classes ?? info.vocabulary;
}

/** Values in the data's units: the target scaling undone. */
export function unscale(row: ArrayLike<number>, info: OutputInfo): number[] {
  const t = info.targetScaling;
  return Array.from(row, (v) => (t ? v * t.scale + t.offset : v));
}

/** Decode one example's outputs (its last axis). */
export function decodeOutput(row: ArrayLike<number>, info: OutputInfo): Decoded {
  const names = classNames(info);
  if (!names) return { values: unscale(row, info) };
  const { id, probability } = classOf(row);
  return { class: names[id] ?? String(id), id, probability };
}

/** Split flat outputs into `count` rows of equal width. */
export function rows(flat: ArrayLike<number>, count: number): number[][] {
  const width = count > 0 ? flat.length / count : 0;
  return Array.from({ length: count }, (_, i) => Array.prototype.slice.call(flat, i * width, (i + 1) * width) as number[]);
}
