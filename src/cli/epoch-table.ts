/**
 * The end-of-training summary: a per-epoch table and a sparkline of the
 * validation loss, both bounded whatever the epoch count: the table keeps the
 * first epochs, the best and the last (a "… N epochs …" row for each gap), the
 * sparkline at most SPARK_WIDTH characters.
 */
import { LOSS_KEY, VALIDATION_PREFIX } from '../train-registry/catalog.js';
import { SPARSITY_PREFIX } from '../train-registry/pruning.js';
import { renderTable } from './table.js';

const TICKS = '▁▂▃▄▅▆▇█';

/** The widest sparkline: longer series are averaged over buckets of consecutive epochs. */
export const SPARK_WIDTH = 40;
/** Up to this many epochs the table shows every one. */
export const TABLE_ROWS = 12;
const HEAD = 2;
const TAIL = 5;

/** One block character per value, scaled between the values' min and max; non-finite values are blank. */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values.map((v) => (Number.isFinite(v) ? TICKS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (TICKS.length - 1))]! : ' ')).join('');
}

/**
 * At most `width` values: the series cut into `width` buckets of consecutive values (as even as
 * they divide), each the mean of its finite values (NaN when it has none). Shorter series as they are.
 */
export function resample(values: readonly number[], width = SPARK_WIDTH): number[] {
  if (values.length <= width) return [...values];
  return Array.from({ length: width }, (_, b) => {
    const from = Math.floor((b * values.length) / width);
    const to = Math.floor(((b + 1) * values.length) / width);
    const finite = values.slice(from, to).filter(Number.isFinite);
    return finite.length > 0 ? finite.reduce((a, v) => a + v, 0) / finite.length : Number.NaN;
  });
}

/**
 * Which rows of `count` epochs the table shows (indices, ascending): all of them up to
 * TABLE_ROWS; beyond, the first HEAD, the best with its neighbours and the last TAIL, so at most
 * 10 epochs and 2 gap rows.
 */
export function shownRows(count: number, best?: number): number[] {
  if (count <= TABLE_ROWS) return Array.from({ length: count }, (_, i) => i);
  const keep = new Set<number>();
  for (let i = 0; i < HEAD; i++) keep.add(i);
  for (let i = count - TAIL; i < count; i++) keep.add(i);
  if (best !== undefined && best >= 0 && best < count) for (const i of [best - 1, best, best + 1]) if (i >= 0 && i < count) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

const SKIP = new Set(['epoch', 'lr', 'seconds', 'samples_per_second', 'batch']);
const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4)) : '');

export interface SummaryOptions {
  /** The best epoch's number (its `epoch` field) and what made it best, to mark its row. */
  best?: { epoch: number; monitor?: string };
}

/**
 * The table of the epochs logged (every one up to TABLE_ROWS, else the first, the best and the
 * last with a "… N epochs …" row for each gap; the best marked `*`), then the sparkline of
 * val_loss (else loss), resampled to at most SPARK_WIDTH characters.
 */
export function epochSummary(epochs: readonly Record<string, number>[], o: SummaryOptions = {}): string {
  if (epochs.length === 0) return '';
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e)))].filter((k) => !SKIP.has(k) && !k.startsWith(SPARSITY_PREFIX));
  const bestIndex = o.best ? epochs.findIndex((e) => e.epoch === o.best!.epoch) : -1;
  const rowsShown = shownRows(epochs.length, bestIndex >= 0 ? bestIndex : undefined);
  const GAP = '\0gap';
  const rows: string[][] = [];
  rowsShown.forEach((i, n) => {
    const skipped = i - (n === 0 ? 0 : rowsShown[n - 1]! + 1);
    if (skipped > 0) rows.push([GAP, String(skipped)]);
    const e = epochs[i]!;
    rows.push([`${i === bestIndex ? '* ' : ''}${e.epoch ?? ''}`, ...keys.map((k) => num(e[k])), num(e.lr)]);
  });
  const widths = rows.filter((r) => r[0] !== GAP);
  let table = renderTable(['Epoch', ...keys, 'lr'], widths, ['right', ...keys.map(() => 'right' as const), 'right']);
  // The gap rows go in after rendering, so that their text does not widen the first column.
  const lines = table.split('\n');
  const body = lines.slice(2, -1);
  const out: string[] = [...lines.slice(0, 2)];
  let b = 0;
  for (const r of rows) {
    if (r[0] === GAP) out.push(`  … ${r[1]} epoch${r[1] === '1' ? '' : 's'} …`);
    else out.push(body[b++]!);
  }
  out.push(lines[lines.length - 1]!);
  table = out.join('\n');
  if (bestIndex >= 0) table += `\n* best${o.best!.monitor ? ` ${o.best!.monitor}` : ''}`;
  const val = `${VALIDATION_PREFIX}${LOSS_KEY}`;
  const key = epochs.some((e) => typeof e[val] === 'number') ? val : LOSS_KEY;
  const series = epochs.map((e) => e[key] ?? Number.NaN);
  const points = resample(series);
  const per = series.length > points.length ? `  (${series.length} epochs, about ${Math.round(series.length / points.length)} per character)` : '';
  return `${table}\n${key} ${sparkline(points)}  ${num(series[0])} → ${num(series[series.length - 1])}${per}\n`;
}
