/**
 * What `strata datasets` says about a dataset, bundled or the user's own
 * (a descriptor or a bare data file): its task, shapes, classes or
 * vocabulary, a CSV's columns, the split sizes and, if asked, a trivial
 * baseline. The data is loaded as training loads it, so what is described is
 * what a model would be trained on.
 */
import { baseline } from './baselines.js';
import type { Baseline } from './baselines.js';
import { exportSplits } from './export.js';
import type { ExportedSplit } from './export.js';
import { loadDataset } from './load.js';
import type { Dataset, Split } from './types.js';

export interface ClassCount {
  name: string;
  train: number;
  validation?: number;
  test?: number;
}

export interface DatasetDescription {
  /** The bundled name, or the path as given. */
  name: string;
  task: string;
  input_shape: number[];
  input_dtype: string;
  /** With sparse labels (class ids); one-hot labels add the class axis. */
  label_shape: number[];
  classes?: number;
  vocabulary?: number;
  /** Each class with its number of examples in each split (`classCounts`). */
  class_counts?: ClassCount[];
  /** csv: every column in header order, the label column and the feature columns. */
  columns?: { names: string[]; label: string; features: string[] };
  /** csv: how features are scaled (`normalize`, fitted on the training rows) and the label (never: a regression target keeps its units). */
  scaling?: { features: 'standard' | 'minmax' | 'none'; label: 'none' };
  splits: { train: number; validation?: number; test?: number };
  baseline?: Baseline;
  /** A warning for people, such as numbers read as classes. */
  note?: string;
  /** The files `exportTo` wrote, one per split. */
  exported?: ExportedSplit[];
}

export interface DescribeOptions {
  baseDir: string;
  /** What relative paths are read from, for messages. */
  pathsFrom?: string;
  baselines?: boolean;
  /** Count the examples of each class in each split (reads every label). */
  classCounts?: boolean;
  /** The seed a fraction in `data.validation` is held out with, as a run's seed does (default 0). */
  seed?: number;
  /** Write each split's rows to this folder (CSV and JSON-lines data; see export.ts). */
  exportTo?: string;
}

/** Examples of each class id in a split whose labels are class ids. */
function countClasses(split: Split, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let s = 0; s < split.size; s += 1024) {
    const n = Math.min(1024, split.size - s);
    const b = split.batch(Int32Array.from({ length: n }, (_, i) => s + i));
    for (let i = 0; i < b.size; i++) counts[b.y[i]!]!++;
  }
  return counts;
}

function classCounts(d: Dataset): ClassCount[] {
  const names = d.classes!;
  const per = (split: Split | undefined) => (split ? countClasses(split, names.length) : undefined);
  const train = per(d.train)!;
  const validation = per(d.validation);
  const test = per(d.test);
  return names.map((name, k) => ({ name, train: train[k]!, ...(validation ? { validation: validation[k]! } : {}), ...(test ? { test: test[k]! } : {}) }));
}

/**
 * Describe the dataset `data` names (a spec's `data:` section: `dataset`,
 * and optionally `label`, `validation` and the preprocessing keys).
 */
export async function describeDataset(data: Record<string, unknown>, options: DescribeOptions): Promise<DatasetDescription> {
  // Sparse labels: the label shape a model with sparse_categorical_crossentropy sees, and class ids to count.
  const d = await loadDataset(data, { seed: options.seed ?? 0, baseDir: options.baseDir, labels: 'sparse', ...(options.pathsFrom ? { pathsFrom: options.pathsFrom } : {}) });
  const exported = options.exportTo !== undefined ? exportSplits(d, options.exportTo) : undefined;
  const b = options.baselines ? baseline(d) : undefined;
  const numericClasses = d.table && d.classes && d.classes.length > 10 && d.classes.every((c) => Number.isFinite(Number(c)));
  const note = numericClasses
    ? `every label is a number and there are ${d.classes!.length} classes; if '${d.table!.label}' is a quantity to predict, write a dataset descriptor with task: regression (see datasets/README.md)`
    : undefined;
  return {
    name: String(data.dataset),
    task: d.task,
    input_shape: d.inputShape,
    input_dtype: d.inputDtype,
    label_shape: d.targetShape,
    ...(d.classes ? { classes: d.classes.length } : {}),
    ...(d.vocabulary ? { vocabulary: d.vocabulary.length } : {}),
    ...(d.classes && options.classCounts ? { class_counts: classCounts(d) } : {}),
    ...(d.table ? { columns: { names: d.table.columns, label: d.table.label, features: d.table.features } } : {}),
    // normalize scales the features only: a regression label stays in its own units.
    ...(d.table ? { scaling: { features: d.table.normalize, label: 'none' } } : {}),
    splits: { train: d.train.size, ...(d.validation ? { validation: d.validation.size } : {}), ...(d.test ? { test: d.test.size } : {}) },
    ...(b ? { baseline: b } : {}),
    ...(note ? { note } : {}),
    ...(exported ? { exported } : {}),
  };
}
