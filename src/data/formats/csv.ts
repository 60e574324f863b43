/**
 * Tables from CSV: feature columns and a label column. A label column of
 * numbers makes a regression task (unless the task says classification);
 * anything else is a class name. Features are numbers, scaled with
 * statistics of the training rows only (`normalize`); a regression label is
 * left in its own units, so a model predicts it unscaled.
 */
import { columnIndex, numberAt, parseCsv } from '../csv.js';
import type { CsvTable } from '../csv.js';
import { dataError } from '../problem.js';
import { holdOut } from '../shuffle.js';
import { labelledRows, labelTarget, range, regressionRows } from '../splits.js';
import { readUtf8 } from '../text-file.js';
import type { FormatContext, Loaded } from './context.js';
import { arrangeSplits } from './validation.js';

export interface Scaling {
  offset: number[];
  scale: number[];
}

/** Per-column offset and scale from the rows in `fit` (training rows only). */
export function fitScaling(values: Float32Array, width: number, fit: ArrayLike<number>, how: 'standard' | 'minmax' | 'none'): Scaling {
  const offset = new Array<number>(width).fill(0);
  const scale = new Array<number>(width).fill(1);
  if (how === 'none') return { offset, scale };
  for (let c = 0; c < width; c++) {
    let sum = 0;
    let sq = 0;
    let min = Infinity;
    let max = -Infinity;
    let n = 0;
    for (let k = 0; k < fit.length; k++) {
      const v = values[fit[k]! * width + c]!;
      if (Number.isNaN(v)) continue;
      sum += v;
      sq += v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
      n++;
    }
    if (n === 0) continue;
    const mean = sum / n;
    const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
    if (how === 'standard') {
      offset[c] = mean;
      scale[c] = std > 0 ? std : 1;
    } else {
      offset[c] = min;
      scale[c] = max > min ? max - min : 1;
    }
  }
  return { offset, scale };
}

/** Scale rows of `width` columns in place: (value - offset) / scale, per column (what a model is given). */
export function applyScaling(values: Float32Array, width: number, s: Scaling): void {
  for (let i = 0; i < values.length; i++) values[i] = (values[i]! - s.offset[i % width]!) / s.scale[i % width]!;
}

/** The inverse of applyScaling: the raw values back. */
export function undoScaling(values: Float32Array, width: number, s: Scaling): void {
  for (let i = 0; i < values.length; i++) values[i] = values[i]! * s.scale[i % width]! + s.offset[i % width]!;
}

function readTable(ctx: FormatContext, file: string): CsvTable {
  return parseCsv(file, readUtf8(file, 'CSV'));
}

export function loadCsv(ctx: FormatContext): Loaded {
  if (typeof ctx.d.train !== 'string') throw dataError(ctx.descriptorFile, 'the csv format needs train: FILE.csv');
  if (!ctx.d.label) throw dataError(ctx.descriptorFile, 'the csv format needs label: COLUMN (the column to predict)');
  const files = [ctx.path(ctx.d.train), ...(typeof ctx.d.test === 'string' ? [ctx.path(ctx.d.test)] : [])];
  const tables = files.map((f) => readTable(ctx, f));
  const first = tables[0]!;
  const hint = '; name the label column with data.label in the spec (label: in a dataset descriptor, --label with strata datasets)';
  const labelCol = columnIndex(files[0]!, first, ctx.d.label, 'label', hint);
  const featureNames = ctx.d.columns ?? first.header.filter((h) => h !== ctx.d.label);
  tables.forEach((t, k) => {
    columnIndex(files[k]!, t, ctx.d.label!, 'label', hint);
    featureNames.forEach((c) => columnIndex(files[k]!, t, c, 'feature'));
  });
  const width = featureNames.length;
  const n = tables.reduce((a, t) => a + t.rows.length, 0);
  const x = new Float32Array(n * width);
  const rawLabels: string[] = [];
  const sourceFile = new Int32Array(n);
  const sourceLines = new Int32Array(n);
  const missing = ctx.d.missing ?? 'error';
  let row = 0;
  tables.forEach((t, k) => {
    const cols = featureNames.map((c) => t.header.indexOf(c));
    for (let r = 0; r < t.rows.length; r++, row++) {
      sourceFile[row] = k;
      sourceLines[row] = t.lines[r]!;
      cols.forEach((c, j) => (x[row * width + j] = numberAt(files[k]!, t, r, c, missing !== 'error')));
      const label = t.rows[r]![t.header.indexOf(ctx.d.label!)]!.trim();
      if (label === '') throw dataError(files[k]!, `the label column '${ctx.d.label}' is empty in this row`, { line: t.lines[r]! });
      rawLabels.push(label);
    }
  });
  const nTrainFile = first.rows.length;
  let trainIdx = range(nTrainFile);
  let testIdx = tables.length > 1 ? range(n - nTrainFile, nTrainFile) : undefined;
  if (!testIdx && ctx.d.test_fraction) {
    const { keep, held } = holdOut(nTrainFile, ctx.d.test_fraction, ctx.d.split_seed ?? 0);
    trainIdx = keep;
    testIdx = held;
  }
  // Missing values: the training mean (or zero), then scaling fitted on training rows.
  if (missing !== 'error') {
    const { offset } = fitScaling(x, width, trainIdx, 'standard');
    for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i]!)) x[i] = missing === 'mean' ? offset[i % width]! : 0;
  }
  const normalize = ctx.d.normalize ?? 'standard';
  const scaling = fitScaling(x, width, trainIdx, normalize);
  applyScaling(x, width, scaling);
  const inputScaling = { ...scaling, columns: featureNames };
  const table = { columns: first.header, label: ctx.d.label, features: featureNames, normalize };
  const sources = { format: 'csv' as const, files, file: sourceFile, lines: sourceLines };
  const numeric = rawLabels.every((l) => Number.isFinite(Number(l)));
  if (ctx.d.task === 'regression' || (numeric && ctx.d.task !== 'classification')) {
    const bad = rawLabels.findIndex((l) => !Number.isFinite(Number(l)));
    if (bad >= 0) throw dataError(files[0]!, `the label '${rawLabels[bad]}' is not a number, but the task is regression`);
    const y = Float32Array.from(rawLabels, Number);
    const splits = arrangeSplits(ctx, trainIdx, testIdx, (idx) => regressionRows(x, width, y, 1, idx), false);
    return { task: 'regression', inputShape: [width], inputDtype: 'float32', targetShape: [1], targetDtype: 'float32', inputScaling, table, sources, ...splits };
  }
  const classes = [...new Set(rawLabels)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const labels = Int32Array.from(rawLabels, (l) => classes.indexOf(l));
  const splits = arrangeSplits(ctx, trainIdx, testIdx, (idx) => labelledRows(x, width, labels, classes.length, ctx.labels, idx), false);
  return {
    task: 'classification',
    inputShape: [width],
    inputDtype: 'float32',
    ...labelTarget(ctx.labels, classes.length),
    classes,
    inputScaling,
    table,
    sources,
    ...splits,
  };
}
