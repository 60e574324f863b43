/** The end-of-training summary: a compact per-epoch table and a sparkline of the validation loss. */
import { LOSS_KEY, VALIDATION_PREFIX } from '../train-registry/catalog.js';
import { renderTable } from './table.js';

const TICKS = '▁▂▃▄▅▆▇█';

/** One block character per value, scaled between the values' min and max; non-finite values are blank. */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values.map((v) => (Number.isFinite(v) ? TICKS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (TICKS.length - 1))]! : ' ')).join('');
}

const SKIP = new Set(['epoch', 'lr', 'seconds', 'samples_per_second', 'batch']);
const num = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) ? (Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4)) : '');

/** The table of the epochs logged (at most the last `max`), then the sparkline of val_loss (else loss). */
export function epochSummary(epochs: readonly Record<string, number>[], max = 20): string {
  if (epochs.length === 0) return '';
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e)))].filter((k) => !SKIP.has(k));
  const shown = epochs.slice(-max);
  const rows = shown.map((e) => [String(e.epoch ?? ''), ...keys.map((k) => num(e[k])), num(e.lr)]);
  const table = renderTable(['Epoch', ...keys, 'lr'], rows, ['right', ...keys.map(() => 'right' as const), 'right']);
  const val = `${VALIDATION_PREFIX}${LOSS_KEY}`;
  const key = epochs.some((e) => typeof e[val] === 'number') ? val : LOSS_KEY;
  const series = epochs.map((e) => e[key] ?? Number.NaN);
  return `${table}\n${key} ${sparkline(series)}  ${num(series[0])} → ${num(series[series.length - 1])}\n`;
}
