/**
 * Everything the report shows, computed from a run directory: the per-epoch
 * log, the model's layers, and (from the best checkpoint, on the test split)
 * the confusion matrix and mistakes, regression scores with predicted and
 * actual values, forecasts, generated text, activation
 * statistics on a fixed batch, attention maps of the first example, and
 * weight norms of every kept checkpoint.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import { DamagedCheckpoint, readCheckpointDir } from '../checkpoint/load.js';
import { modelFromFiles } from '../checkpoint/model-files.js';
import type { ModelFiles } from '../checkpoint/model-files.js';
import { damagedWarning, openCheckpoint } from '../checkpoint/pick.js';
import type { Warn } from '../checkpoint/pick.js';
import type { Dataset, Split } from '../data/types.js';
import { classOf, decodeOutput, rows, targetClass, unscale } from '../eval/decode.js';
import type { OutputInfo } from '../eval/decode.js';
import { scoreSplit } from '../eval/evaluate.js';
import type { Confusion } from '../eval/report.js';
import { generateText, isCharacterVocabulary } from '../eval/generate.js';
import type { LayersModel } from '../tf-types.js';
import { INTERNALS_FILE, readMetrics, METRICS_FILE } from '../run/metrics-log.js';
import { parseSpec } from '../spec/read.js';
import { trainConfig } from '../train/config.js';
import { labelModeFor } from '../train/targets.js';
import type { TrainConfig } from '../train/config.js';
import type { EvaluatedBatch } from '../train/evaluate-split.js';
import { metricContext } from '../train/targets.js';
import { collectAttention } from './attention.js';
import type { AttentionOptions, AttentionReport } from './attention.js';
import { pngDataUri } from './png.js';

export interface LayerRow {
  name: string;
  type: string;
  inputs: string[];
  outputShape: (number | null)[];
  params: number;
}

export interface ActivationStats {
  layer: string;
  mean: number;
  std: number;
  /** For ReLU outputs: the share of units (last axis) that are zero on every example of the batch. */
  dead?: number;
}

export interface Mistake {
  image: string;
  true: string;
  predicted: string;
}

/** A regression or forecasting model on the report's split. */
export interface RegressionReport {
  /** The target's name, where the data names it. */
  target?: string;
  /** Whether targets were scaled for training (the model's outputs are then in other units than the data's). */
  scaled: boolean;
  examples: number;
  /**
   * The loss, mae, rmse and r2, then the spec's other metrics (evaluate's scoring).
   * mae and rmse are in the data's units; the loss and the spec's other metrics
   * are on the targets as the model was trained on them.
   */
  metrics: Record<string, number>;
  /** Every target value of the split with its prediction, or an evenly spaced sample of at most MAX_POINTS, in the data's units. */
  actual: number[];
  predicted: number[];
  /** How many target values the sample was drawn from. */
  values: number;
}

/** The most points the regression charts draw. */
export const MAX_POINTS = 2000;

/** Scored for every regression report, whatever the spec lists (R² is scale-free; MAE and RMSE are turned into the data's units). */
const REGRESSION_METRICS = ['mae', 'rmse', 'r2'];

export interface ReportData {
  name: string;
  runDir: string;
  checkpoint: string;
  dataset: string;
  task: string;
  created: string;
  epochs: Record<string, number>[];
  layers: LayerRow[];
  totalParams: number;
  /** The layers form more than a chain (skip connections or merges). */
  branched: boolean;
  split?: string;
  confusion?: Confusion;
  mistakes?: Mistake[];
  regression?: RegressionReport;
  forecast?: { target: string; actual: number[]; predicted: number[] };
  samples?: { temperature: number; prompt: string; text: string }[];
  activations?: { examples: number; stats: ActivationStats[] };
  /** Per checkpoint (by epoch): each layer's weight L2 norm. */
  weightNorms?: { epochs: number[]; layers: string[]; norms: number[][] };
  /** From RUN/internals.jsonl when training recorded it. */
  gradientNorms?: { steps: number[]; layers: string[]; norms: number[][] };
  /** The attention weights of every attention layer on the split's first example; absent when the model has no attention layers. */
  attention?: AttentionReport;
}

export interface CollectOptions {
  /** The dataset to evaluate on; by default the run's, loaded from its spec. */
  dataset?: Dataset;
  /** Examples in the fixed batch for activation statistics. */
  batch?: number;
  /** The most misclassified images shown. */
  mistakes?: number;
  /** How many heads and steps of each attention map to keep and draw. */
  attention?: AttentionOptions;
  /** Told about each damaged checkpoint passed over, once (the CLI prints it); default: nothing is said. */
  warn?: Warn;
}

function pickSplit(d: Dataset): [string, Split] | undefined {
  if (d.test) return ['test', d.test];
  if (d.validation) return ['validation', d.validation];
  return undefined;
}

function firstN(split: Split, n: number) {
  return split.batch(Array.from({ length: Math.min(n, split.size) }, (_, i) => i));
}

function layerNorms(engine: Engine, model: LayersModel): { names: string[]; norms: number[] } {
  const names: string[] = [];
  const norms: number[] = [];
  for (const l of model.layers) {
    const ws = l.getWeights();
    if (ws.length === 0) continue;
    names.push(l.name);
    norms.push(engine.tf.tidy(() => Math.sqrt(ws.reduce((s, w) => s + (engine.tf.sum(engine.tf.square(w)).dataSync()[0] ?? 0), 0))));
  }
  return { names, norms };
}

/** Activation statistics of every non-input layer's output on one batch, computed on the device. */
function activationStats(engine: Engine, model: LayersModel, x: Tensor): ActivationStats[] {
  const { tf, tfl } = engine;
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !Array.isArray(l.output));
  if (layers.length === 0) return [];
  const probe = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as ReturnType<typeof tfl.input>) });
  return tf.tidy(() => {
    const outs = probe.predict(x) as Tensor | Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    return list.map((t, i) => {
      const l = layers[i]!;
      const f = tf.cast(t, 'float32');
      const { mean, variance } = tf.moments(f);
      const cfg = l.getConfig() as { activation?: unknown };
      const relu = cfg.activation === 'relu' || l.getClassName() === 'ReLU';
      let dead: number | undefined;
      if (relu && f.rank >= 2) {
        const units = f.shape[f.rank - 1]!;
        const flat = tf.reshape(f, [-1, units]);
        dead = tf.mean(tf.cast(tf.lessEqual(tf.max(flat, 0), 0), 'float32')).dataSync()[0];
      }
      return { layer: l.name, mean: mean.dataSync()[0]!, std: Math.sqrt(variance.dataSync()[0]!), ...(dead !== undefined ? { dead } : {}) };
    });
  });
}

/** Image inputs: [h, w], [h, w, 1] or [h, w, 3]. */
function imageShape(shape: number[]): { w: number; h: number; c: 1 | 3 } | undefined {
  const [h, w, c = 1] = shape;
  if (shape.length < 2 || shape.length > 3 || !h || !w || h < 4 || w < 4 || (c !== 1 && c !== 3)) return undefined;
  return { h, w, c };
}

function listCheckpoints(runDir: string): { epoch: number; dir: string }[] {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((n) => /^epoch-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ epoch: Number(m[1]), dir: join(dir, m[0]) }))
    .sort((a, b) => a.epoch - b.epoch);
}

/**
 * A regression's scores on `split` (evaluate's scoreSplit, with mae, rmse and r2
 * added) and, from the same pass, an evenly spaced sample of its target values
 * and predictions, in the data's units. Undefined when the model's loss does not
 * treat its outputs as values.
 */
async function regressionReport(engine: Engine, model: LayersModel, dataset: Dataset, split: Split, config: TrainConfig, scale: OutputInfo['targetScaling']): Promise<RegressionReport | undefined> {
  if (metricContext(model, config).kind !== 'regression') return undefined;
  const metrics = [...REGRESSION_METRICS, ...config.metrics.filter((m) => !REGRESSION_METRICS.includes(m))];
  const info: OutputInfo = { task: dataset.task, ...(scale ? { targetScaling: scale } : {}) };
  const actual: number[] = [];
  const predicted: number[] = [];
  let every = 0;
  let values = 0;
  const onBatch: EvaluatedBatch = (indices, yTrue, yPred) => {
    const n = indices.length;
    if (n === 0 || yTrue.size !== yPred.size) return;
    const width = yTrue.size / n;
    if (every === 0) {
      values = split.size * width;
      every = Math.max(1, Math.ceil(values / MAX_POINTS));
    }
    const t = yTrue.dataSync();
    const p = yPred.dataSync();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < width; j++) {
        // Value g of the split is kept when g is a multiple of `every`, whatever the batches.
        if ((indices[i]! * width + j) % every !== 0) continue;
        actual.push(unscale([t[i * width + j]!], info)[0]!);
        predicted.push(unscale([p[i * width + j]!], info)[0]!);
      }
    }
  };
  const scores = await scoreSplit(engine, model, dataset, split, config, { metrics, onBatch });
  const factor = Math.abs(scale?.scale ?? 1);
  const inUnits = Object.fromEntries(Object.entries(scores.metrics).map(([k, v]) => [k, k === 'mae' || k === 'rmse' ? v * factor : v]));
  const target = scale?.target ?? dataset.table?.label;
  return { ...(target ? { target } : {}), scaled: !!scale && (scale.scale !== 1 || scale.offset !== 0), examples: split.size, metrics: inUnits, actual, predicted, values };
}

export async function collectReport(engine: Engine, runDir: string, o: CollectOptions = {}): Promise<ReportData> {
  const { tf } = engine;
  // Each damaged checkpoint is reported once: where the best is chosen, or else where the weight norms leave it out.
  const damaged = new Set<string>();
  const warn: Warn = (line, d) => {
    if (damaged.has(d.dir)) return;
    damaged.add(d.dir);
    o.warn?.(line, d);
  };
  const checkpoint = openCheckpoint(runDir, 'report', 'best', warn);
  const spec = parseSpec(join(checkpoint.dir, 'spec.yaml'), checkpoint.specText, { saved: true });
  const config = trainConfig(spec.train, false);
  let dataset = o.dataset;
  if (!dataset && spec.data?.dataset) {
    const { loadDataset } = await import('../data/load.js');
    const labels = labelModeFor(config.loss, spec);
    dataset = await loadDataset(spec.data, { seed: checkpoint.meta.seed, baseDir: process.cwd(), labels });
  }
  const model = await modelFromFiles(engine, checkpoint.model);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const layers: LayerRow[] = spec.model.layers.map((l) => ({
    name: l.name,
    type: l.type,
    inputs: l.inputs,
    outputShape: [null, ...l.outputShape] as (number | null)[],
    params: byName.get(l.name)?.countParams() ?? 0,
  }));
  const used = new Map<string, number>();
  for (const l of spec.model.layers) for (const i of l.inputs) used.set(i, (used.get(i) ?? 0) + 1);
  const branched = spec.model.layers.some((l) => l.inputs.length > 1) || [...used.values()].some((n) => n > 1);
  const data: ReportData = {
    name: spec.name,
    runDir,
    checkpoint: checkpoint.dir,
    dataset: dataset?.name ?? checkpoint.data.name,
    task: dataset?.task ?? checkpoint.data.task,
    created: new Date().toISOString(),
    epochs: readMetrics(join(runDir, METRICS_FILE)),
    layers,
    totalParams: model.countParams(),
    branched,
  };
  try {
    const picked = dataset ? pickSplit(dataset) : undefined;
    if (dataset && picked) {
      const [splitName, split] = picked;
      data.split = splitName;
      const toX = (b: { x: Float32Array | Int32Array; size: number }) => tf.tensor(b.x, [b.size, ...dataset.inputShape], dataset.inputDtype);
      const fixed = firstN(split, o.batch ?? 64);
      const fx = toX(fixed);
      data.activations = { examples: fixed.size, stats: activationStats(engine, model, fx) };
      fx.dispose();
      const sample = toX(firstN(split, 1));
      try {
        data.attention = collectAttention(engine, model, sample, dataset, 0, o.attention);
      } finally {
        sample.dispose();
      }

      if (dataset.task === 'regression' || dataset.task === 'forecasting') {
        const scale = dataset.targetScaling ?? checkpoint.data.targetScaling;
        const r = await regressionReport(engine, model, dataset, split, config, scale);
        if (r) data.regression = r;
      }
      if (dataset.task === 'classification') {
        // The matrix is evaluate's (scoreSplit); the mistakes are read from the same pass's predictions.
        const image = imageShape(dataset.inputShape);
        const maxMistakes = o.mistakes ?? 24;
        const wrong: { index: number; truth: number; pred: number }[] = [];
        const onBatch: EvaluatedBatch = (indices, yTrue, yPred) => {
          const n = indices.length;
          if (wrong.length >= maxMistakes || yPred.shape[0] !== n || yPred.rank > 2) return;
          const preds = rows(yPred.dataSync(), n);
          const truths = rows(yTrue.dataSync(), n);
          for (let i = 0; i < n && wrong.length < maxMistakes; i++) {
            const pred = classOf(preds[i]!).id;
            const truth = targetClass(truths[i]!);
            if (pred !== truth) wrong.push({ index: indices[i]!, truth, pred });
          }
        };
        const scores = await scoreSplit(engine, model, dataset, split, config, { metrics: [], ...(image ? { onBatch } : {}) });
        data.confusion = scores.confusion;
        if (image) {
          const names = scores.confusion?.classes ?? [];
          data.mistakes = wrong.map((m) => ({
            image: pngDataUri(split.batch([m.index]).x, image.w, image.h, image.c),
            true: names[m.truth] ?? String(m.truth),
            predicted: names[m.pred] ?? String(m.pred),
          }));
        }
      } else if (dataset.task === 'forecasting') {
        const scale = dataset.targetScaling ?? checkpoint.data.targetScaling ?? { offset: 0, scale: 1, target: 'value' };
        const info: OutputInfo = { task: dataset.task, targetScaling: scale };
        const actual: number[] = [];
        const predicted: number[] = [];
        for (let start = 0; start < split.size; start += 256) {
          const n = Math.min(256, split.size - start);
          const b = split.batch(Array.from({ length: n }, (_, i) => start + i));
          const x = toX(b);
          const p = tf.tidy(() => tf.reshape(model.predict(x) as Tensor, [n, -1]).dataSync());
          x.dispose();
          // The first step of each forecast and of its target, in the data's units.
          for (const y of rows(b.y, n)) actual.push(unscale(y.slice(0, 1), info)[0]!);
          for (const row of rows(p, n)) {
            const d = decodeOutput(row.slice(0, 1), info);
            predicted.push('values' in d ? d.values[0]! : Number.NaN);
          }
        }
        data.forecast = { target: scale.target, actual, predicted };
      } else if (dataset.task === 'language_model' && dataset.vocabulary) {
        const vocab = dataset.vocabulary;
        const first = firstN(split, 1);
        const ids = Array.from(first.x).slice(-40);
        const tokens = ids.map((t) => vocab[t] ?? '').filter((t) => !/^<.+>$/.test(t));
        const prompt = isCharacterVocabulary(vocab) ? tokens.join('') : tokens.join(' ');
        data.samples = [0.2, 0.7, 1.0].map((temperature) => ({ temperature, prompt, text: generateText(engine, model, vocab, { prompt, length: 160, temperature, seed: 1 }) }));
      }
    }
    const kept = listCheckpoints(runDir);
    if (kept.length > 0) {
      const epochs: number[] = [];
      let names: string[] = [];
      const norms: number[][] = [];
      for (const c of kept) {
        let files: ModelFiles;
        try {
          files = readCheckpointDir(c.dir).model;
        } catch (e) {
          if (!(e instanceof DamagedCheckpoint)) throw e;
          warn(damagedWarning(e, `the weight norms leave out epoch ${c.epoch}`), e);
          continue;
        }
        const m = await modelFromFiles(engine, files);
        const r = layerNorms(engine, m);
        m.dispose();
        names = r.names;
        epochs.push(c.epoch);
        norms.push(r.norms);
      }
      if (epochs.length > 0) data.weightNorms = { epochs, layers: names, norms };
    }
    const internals = readMetrics(join(runDir, INTERNALS_FILE)) as unknown as { step: number; grad_norms?: Record<string, number> }[];
    const withNorms = internals.filter((r) => r.grad_norms);
    if (withNorms.length > 0) {
      const layers = [...new Set(withNorms.flatMap((r) => Object.keys(r.grad_norms!)))];
      data.gradientNorms = { steps: withNorms.map((r) => r.step), layers, norms: withNorms.map((r) => layers.map((l) => r.grad_norms![l] ?? Number.NaN)) };
    }
  } finally {
    model.dispose();
  }
  return data;
}
