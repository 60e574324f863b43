/**
 * Time series from CSV columns: windows of `window` past steps (the input
 * columns) predict the next `horizon` values of the target column. The
 * split is chronological — training, then validation, then test — and the
 * scaling is fitted on the training part only, so nothing of the future
 * leaks into training.
 */
import { columnIndex, numberAt, parseCsv } from '../csv.js';
import { dataError } from '../problem.js';
import { limitSplit, seriesWindows } from '../splits.js';
import { readUtf8 } from '../text-file.js';
import type { FormatContext, Loaded } from './context.js';
import { applyScaling, fitScaling } from './csv.js';

export function loadSeries(ctx: FormatContext): Loaded {
  if (typeof ctx.d.train !== 'string') throw dataError(ctx.descriptorFile, 'the csv_series format needs train: FILE.csv');
  if (!ctx.d.target) throw dataError(ctx.descriptorFile, 'the csv_series format needs target: COLUMN (the series to forecast)');
  const file = ctx.path(ctx.d.train);
  const table = parseCsv(file, readUtf8(file, 'CSV'));
  const targetCol = columnIndex(file, table, ctx.d.target, 'target');
  const inputs = ctx.d.columns ?? [ctx.d.target];
  const cols = inputs.map((c) => columnIndex(file, table, c, 'input'));
  const ahead = (ctx.d.known_ahead ?? []).map((c) => columnIndex(file, table, c, 'known_ahead'));
  const window = ctx.d.window ?? 28;
  const horizon = ctx.d.horizon ?? 7;
  const T = table.rows.length;
  const width = cols.length + ahead.length;
  const values = new Float32Array(T * width);
  const target = new Float32Array(T);
  for (let r = 0; r < T; r++) {
    cols.forEach((c, j) => (values[r * width + j] = numberAt(file, table, r, c, false)));
    // Known-ahead columns come from `horizon` rows later: a window ending before step t then shows t … t+horizon-1 in its last rows.
    // Rows whose later row is past the end are never inside a window that has a full horizon of targets.
    if (r + horizon < T) ahead.forEach((c, j) => (values[r * width + cols.length + j] = numberAt(file, table, r + horizon, c, false)));
    target[r] = numberAt(file, table, r, targetCol, false);
  }
  const stride = ctx.d.stride ?? 1;
  const testSteps = Math.round(T * (ctx.d.test_fraction ?? 0.1));
  const validSteps = typeof ctx.validation === 'number' ? Math.round((T - testSteps) * ctx.validation) : 0;
  if (ctx.validation !== undefined && typeof ctx.validation !== 'number' && ctx.validation !== 'test') {
    throw dataError(ctx.descriptorFile, `data.validation '${ctx.validation}' is not a split; give a fraction such as 0.1, or test`);
  }
  const trainEnd = T - testSteps - validSteps;
  if (trainEnd < window + horizon) throw dataError(file, `has ${T} rows; the training part (${trainEnd}) is shorter than one window (${window}) plus the horizon (${horizon})`);
  const fit = Int32Array.from({ length: trainEnd }, (_, i) => i);
  const how = ctx.d.normalize ?? 'standard';
  applyScaling(values, width, fitScaling(values, width, fit, how));
  const t = fitScaling(target, 1, fit, how);
  applyScaling(target, 1, t);
  // Each later part starts `window` steps early, so its first forecast follows the previous part directly,
  // but every target it scores lies inside the part.
  const part = (from: number, to: number) => {
    return limitSplit(seriesWindows(values, width, target, Math.max(0, from - window), to, window, horizon, stride), ctx.d.limit);
  };
  const train = part(window, trainEnd);
  const validation = validSteps > 0 ? part(trainEnd, trainEnd + validSteps) : undefined;
  const test = testSteps > window + horizon ? part(T - testSteps, T) : undefined;
  return {
    task: 'forecasting',
    inputShape: [window, width],
    inputDtype: 'float32',
    targetShape: [horizon],
    targetDtype: 'float32',
    train,
    ...(validation ? { validation } : ctx.validation === 'test' && test ? { validation: test } : {}),
    ...(test ? { test } : {}),
    targetScaling: { target: ctx.d.target, offset: t.offset[0]!, scale: t.scale[0]! },
  };
}
