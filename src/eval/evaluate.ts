/**
 * Evaluating a checkpoint: its loss and metrics on a split of its dataset (or
 * of another one), and for classifiers the confusion matrix and per-class
 * scores. The confusion matrix is the training metrics' (summed on the device
 * by MetricAccumulator); `strata evaluate` and `strata report` both take it
 * from `scoreSplit`.
 */
import { join, relative } from 'node:path';
import type { Engine } from '../backend/select.js';
import type { LoadedCheckpoint } from '../checkpoint/load.js';
import type { DataInfo } from '../checkpoint/meta.js';
import { modelFromFiles } from '../checkpoint/model-files.js';
import { splitRows } from '../data/export.js';
import { applyScaling, undoScaling } from '../data/formats/csv.js';
import { loadDataset } from '../data/load.js';
import type { Dataset, Split } from '../data/types.js';
import { UsageError } from '../errors.js';
import type { Place } from '../errors.js';
import type { LayersModel } from '../tf-types.js';
import { parseSpec } from '../spec/read.js';
import { metricDefs, trainConfig } from '../train/config.js';
import { labelModeFor } from '../train/targets.js';
import type { TrainConfig } from '../train/config.js';
import { evaluateSplit } from '../train/evaluate-split.js';
import type { EvaluatedBatch } from '../train/evaluate-split.js';
import { MetricAccumulator } from '../train/metrics.js';
import { metricContext } from '../train/targets.js';
import { confusionReport } from './report.js';
import type { Confusion } from './report.js';

/** The splits a dataset may have, in the order they are offered. */
export const SPLITS = ['test', 'validation', 'train'] as const;
export type SplitName = (typeof SPLITS)[number];

/** A split's name as given on the command line, checked: `option` names the argument in the error. */
export function splitName(name: string, option = '--split'): SplitName {
  if ((SPLITS as readonly string[]).includes(name)) return name as SplitName;
  throw new UsageError({ arg: `${option} ${name}`, code: 'bad-split', message: `there is no split '${name}'; choose one of ${SPLITS.join(', ')}` });
}

/** A dataset's split by name, or a UsageError listing the splits it has. */
export function splitOf(dataset: Dataset, name: string, option = '--split'): Split {
  const split = dataset[splitName(name, option)];
  if (split) return split;
  const have = SPLITS.filter((s) => dataset[s]);
  throw new UsageError({ arg: `${option} ${name}`, code: 'no-split', message: `dataset '${dataset.name}' has no '${name}' split; choose one of ${have.join(', ')}` });
}

export interface SplitScores {
  /** The mean loss and each metric. */
  metrics: Record<string, number>;
  /** For classifiers: the confusion matrix (the training metrics' own) and per-class scores. */
  confusion?: Confusion;
}

export interface ScoreOptions {
  /** The metrics to compute besides the loss; default the config's. */
  metrics?: readonly string[];
  /** Sees every batch's targets and predictions (report.ts reads its mistakes from them). */
  onBatch?: EvaluatedBatch;
}

/** The class names of a k-class confusion matrix: the dataset's where they fit, else the class ids. */
function classLabels(dataset: Dataset, k: number): string[] {
  return dataset.classes && dataset.classes.length === k ? [...dataset.classes] : Array.from({ length: k }, (_, i) => String(i));
}

/** Loss, metrics and, for a classifier, the confusion matrix of `model` on one split, in one pass. */
export async function scoreSplit(engine: Engine, model: LayersModel, dataset: Dataset, split: Split, config: TrainConfig, o: ScoreOptions = {}): Promise<SplitScores> {
  const ctx = metricContext(model, config);
  const classification = ctx.kind !== 'regression' && dataset.task === 'classification';
  const acc = new MetricAccumulator(engine.tf, metricDefs(o.metrics ?? config.metrics), ctx, classification);
  try {
    const metrics = await evaluateSplit(engine, model, dataset, split, config, acc, o.onBatch);
    if (!classification) return { metrics };
    const k = ctx.kind === 'binary' ? 2 : ctx.classes;
    const counts = (await acc.confusionCounts()) ?? new Float64Array(k * k);
    return { metrics, confusion: confusionReport(counts, classLabels(dataset, k)) };
  } finally {
    acc.dispose();
  }
}

const rel = (p: string) => relative(process.cwd(), p) || '.';
const list = (names: readonly string[], max = 12) => (names.length > max ? `${names.slice(0, max).join(', ')}, … (${names.length} in all)` : names.join(', '));
const shapeText = (s: readonly (number | null)[]) => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
const same = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Whether `dataset` can be fed to the checkpoint's model and scored like its
 * training data: the same input shape and type, feature columns, classes and
 * vocabulary. A mismatch is a UsageError at `place` that says what to give.
 */
export function checkDataFits(info: DataInfo, model: LayersModel, dataset: Dataset, place: Place, what: string): void {
  const problem = (code: string, message: string) => new UsageError({ ...place, code, message });
  const trained = `the model was trained on ${info.name}`;
  const cols = info.inputScaling?.columns;
  const got = dataset.inputScaling?.columns;
  if (cols && got && !same(cols, got)) {
    throw problem('data-mismatch', `${what} has the feature columns ${list(got)}, but the model was trained on ${list(cols)}; give a CSV file with the columns ${list(cols)} in that order, and the label column`);
  }
  const input = model.inputs[0]!;
  const shape = input.shape.slice(1);
  if (shape.length !== dataset.inputShape.length || shape.some((d, i) => d !== null && d !== dataset.inputShape[i])) {
    throw problem('data-mismatch', `${what} gives examples of shape ${shapeText(dataset.inputShape)}, but the model takes ${shapeText(shape)} (${trained}); give data shaped like that`);
  }
  if (input.dtype !== dataset.inputDtype) {
    throw problem('data-mismatch', `${what} gives ${dataset.inputDtype === 'int32' ? 'token ids' : 'real values'} (${dataset.inputDtype}), but the model takes ${input.dtype} (${trained}); give data of the same kind`);
  }
  if (info.vocabulary && dataset.vocabulary && !same(info.vocabulary, dataset.vocabulary)) {
    throw problem('data-mismatch', `${what} has a vocabulary of ${dataset.vocabulary.length} tokens that is not the model's (${info.vocabulary.length} tokens, ${trained}), so its token ids mean other tokens; evaluate on the training dataset's own splits`);
  }
  if (dataset.task === 'classification' && info.classes && dataset.classes && !same(info.classes, dataset.classes)) {
    const subset = dataset.classes.every((c) => info.classes!.includes(c));
    const fix = subset ? "give data with examples of each of the model's classes (a class's id comes from the classes present)" : "give data labelled with the model's classes";
    throw problem('data-mismatch', `${what} has the classes ${list(dataset.classes)}, but the model was trained on ${list(info.classes)}; ${fix}`);
  }
}

export interface EvaluateOptions {
  /** Another dataset (a bundled name or a path) instead of the run's. */
  data?: string;
  /** The split: test, validation or train. */
  split: string;
  /** Where a relative `data` path is found; default the working directory. */
  baseDir?: string;
}

export interface Evaluation {
  checkpoint: string;
  dataset: string;
  split: string;
  examples: number;
  /** CSV and JSON-lines data: the 1-based line in the data file of each example evaluated, in order. */
  rows?: number[];
  metrics: Record<string, number>;
  confusion?: Confusion;
  backend: string;
}

/**
 * `split` of another dataset with its inputs scaled as the model's training data
 * was: a CSV given with --data is scaled by its own rows' statistics when it
 * loads, which undoes to the raw values and scales again with the training
 * statistics the checkpoint keeps (as `predict` does). Unchanged where either
 * has no scaling or both have the same.
 */
function inTrainingScale(split: Split, dataset: Dataset, info: DataInfo): Split {
  const from = dataset.inputScaling;
  const to = info.inputScaling;
  if (!from || !to || from.offset.length !== to.offset.length) return split;
  const width = from.offset.length;
  if (from.offset.every((v, i) => v === to.offset[i]) && from.scale.every((v, i) => v === to.scale[i])) return split;
  const rescaled = Object.create(split) as { batch: Split['batch'] };
  rescaled.batch = (indices) => {
    const b = split.batch(indices);
    undoScaling(b.x as Float32Array, width, from);
    applyScaling(b.x as Float32Array, width, to);
    return b;
  };
  return rescaled as Split;
}

/**
 * Load the data, and when it is the run's own (no --data) and fails, say after
 * the error which data that was and where the name came from: a run directory
 * from elsewhere names whatever its spec.yaml names, which the user never typed.
 */
async function withDataSource<T>(load: () => Promise<T>, source: { dataset: string; spec: string; target: string } | undefined): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (!source || !(e instanceof UsageError)) throw e;
    throw new UsageError([
      ...e.diagnostics,
      { arg: `evaluate ${source.target}`, code: 'data-source', message: `that is the run's own data, '${source.dataset}', as data.dataset in ${source.spec} names it; evaluate on other data with --data NAME|PATH` },
    ]);
  }
}

/** Evaluate a checkpoint on a split of its dataset, or of the dataset `o.data` names. */
export async function evaluate(engine: Engine, checkpoint: LoadedCheckpoint, o: EvaluateOptions): Promise<Evaluation> {
  const name = splitName(o.split);
  const spec = parseSpec(join(checkpoint.dir, 'spec.yaml'), checkpoint.specText, { saved: true });
  const dataSection = { ...(spec.data ?? {}), ...(o.data ? { dataset: o.data } : {}) };
  if (!dataSection.dataset) throw new UsageError({ arg: 'evaluate', code: 'no-data', message: "the run's spec names no dataset; give one with --data NAME|PATH" });
  const config = trainConfig(spec.train, false);
  const labels = labelModeFor(config.loss, spec);
  const dataset = await withDataSource(
    () => loadDataset(dataSection, { seed: checkpoint.meta.seed, baseDir: o.baseDir ?? process.cwd(), labels }),
    o.data ? undefined : { dataset: String(dataSection.dataset), spec: rel(join(checkpoint.dir, 'spec.yaml')), target: rel(checkpoint.runDir ?? checkpoint.dir) },
  );
  const split = o.data ? inTrainingScale(splitOf(dataset, name), dataset, checkpoint.data) : splitOf(dataset, name);
  const model = await modelFromFiles(engine, checkpoint.model);
  try {
    const place: Place = o.data ? { arg: `--data ${o.data}` } : { arg: `evaluate ${rel(checkpoint.dir)}` };
    checkDataFits(checkpoint.data, model, dataset, place, o.data ? `'${o.data}'` : `the run's dataset '${dataset.name}'`);
    // A regression is also scored by R² (scale-free, so the same in the data's units), whatever the spec lists.
    const scoreWith = metricContext(model, config).kind === 'regression' && !config.metrics.includes('r2') ? { metrics: [...config.metrics, 'r2'] } : {};
    const { metrics, confusion } = await scoreSplit(engine, model, dataset, split, config, scoreWith);
    const rows = splitRows(dataset, split);
    return { checkpoint: checkpoint.dir, dataset: dataset.name, split: name, examples: split.size, ...(rows ? { rows } : {}), metrics, ...(confusion ? { confusion } : {}), backend: engine.backend };
  } finally {
    model.dispose();
  }
}
