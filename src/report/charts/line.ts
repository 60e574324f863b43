/**
 * Line charts of series over a shared x (epochs, steps, time steps): nice
 * ticks, a log y axis when the values span decades, points on short curves,
 * and for a single x value a bar per series with its value written on it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { textWidth } from './measure.js';
import type { Chart } from './render.js';
import { CHART, FIT, PALETTE, WIDE } from './theme.js';

export interface Series {
  name: string;
  /** One value per x; undefined or non-finite values are left out. */
  values: (number | undefined)[];
}

export interface LineOptions {
  xLabel?: string;
  /** What the values are, the y axis's title. */
  yLabel?: string;
  wide?: boolean;
  note?: string;
  /** A legend naming each series (default: true); off for many series, where the page names them otherwise. */
  legend?: boolean;
}

/** The ratio of the largest to the smallest value from which a y axis of positive values is logarithmic. */
export const LOG_SPAN = 100;

/** Whether values (all finite) are drawn on a log axis: all positive, spanning at least LOG_SPAN. */
export function wantsLog(values: number[]): boolean {
  if (values.length < 2 || values.some((v) => v <= 0)) return false;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi / lo >= LOG_SPAN;
}

/** Ticks of a log axis over [lo, hi]: 1, 2 and 5 times the powers of ten over up to three decades, the powers of ten alone over more. */
export function logTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const steps = last - first <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = first; e <= last; e++) for (const m of steps) out.push(Number((m * 10 ** e).toPrecision(1)));
  // The ticks within the axis's nice domain, whole decades from 10^first to 10^last.
  return out.filter((v) => v <= 10 ** last * 1.0001);
}

/** Log-axis labels: 1000, 1, 0.01 as they are, smaller values as 1e-5. */
export const SMALL_AS_EXPONENT = "datum.value >= 0.001 ? format(datum.value, '~g') : format(datum.value, '.0e')";

/** As many legend columns as entries of the longest name fit across `width` (a symbol and padding take 40 pixels each). */
function legendColumns(names: string[], width: number): number {
  const widest = Math.max(0, ...names.map((n) => textWidth(n, 11)));
  return Math.max(1, Math.min(names.length, Math.floor((width - 20) / (widest + 40))));
}

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export function lineChart(id: string, title: string, xs: number[], series: Series[], o: LineOptions = {}): Chart {
  const rows = series.flatMap((s) => s.values.flatMap((v, i) => (finite(v) && finite(xs[i]) ? [{ x: xs[i], y: v, series: s.name }] : [])));
  const size = o.wide ? WIDE : CHART;
  const names = series.map((s) => s.name);
  const color = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: names, range: names.map((_, k) => PALETTE[k % PALETTE.length]!) },
    legend: o.legend === false ? null : { orient: 'bottom', direction: 'horizontal', columns: legendColumns(names, size.width), symbolType: 'stroke' },
  } as const;
  const distinct = new Set(rows.map((r) => r.x));
  const base = { width: size.width, height: size.height, autosize: FIT, data: { values: rows } };
  if (distinct.size === 1) return oneX(id, title, [...distinct][0]!, rows, names, color, base, o);
  const ys = rows.map((r) => r.y);
  const log = wantsLog(ys);
  // A constant series (a fixed learning rate) is drawn against 0, not on an axis of one tick.
  const constant = ys.every((v) => v === ys[0]);
  const yTitle = log ? `${o.yLabel ?? 'value'} (log scale)` : (o.yLabel ?? null);
  const integral = xs.every((x) => Number.isInteger(x));
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { zero: false, nice: false }, axis: { ...(integral ? { tickMinStep: 1, format: 'd' } : {}), tickCount: Math.round(size.width / 80), grid: false } };
  const y = { field: 'y', type: 'quantitative', title: yTitle, scale: log ? { type: 'log' } : { zero: constant }, axis: log ? { values: logTicks(ys.reduce((a, b) => Math.min(a, b)), ys.reduce((a, b) => Math.max(a, b))), labelExpr: SMALL_AS_EXPONENT } : {} };
  const drawn = series.filter((s) => s.values.some((v, i) => finite(v) && finite(xs[i]))).length;
  // Long series (a forecast over hundreds of steps) in thinner lines, so that one does not hide the other.
  const layers: object[] = [{ name: 'series', mark: { type: 'line', strokeWidth: distinct.size > 100 ? 1.2 : 2 }, encoding: { x, y, color } }];
  // Short curves get a point per value, so that each epoch can be told apart.
  if (distinct.size <= 30) layers.push({ name: 'points', mark: { type: 'point', filled: true, size: 28 }, encoding: { x, y, color } });
  else {
    // A series of one value (a search trial stopped after its first epoch) is a line of no length: its point shows it.
    const lone = new Set(names.filter((n) => rows.filter((r) => r.series === n).length === 1));
    if (lone.size) layers.push({ name: 'points', data: { values: rows.filter((r) => lone.has(r.series)) }, mark: { type: 'point', filled: true, size: 28 }, encoding: { x, y, color } });
  }
  const spec = { ...base, layer: layers } as unknown as TopLevelSpec;
  return { id, title, series: drawn, spec: { vl: spec }, ...(o.wide ? { wide: true } : {}), ...(o.note ? { note: o.note } : {}) };
}

/** Every series has its value at one x only (a run of one epoch): a bar per series with its value, not a lone dot on an empty axis. */
function oneX(id: string, title: string, at: number, rows: { x: number; y: number; series: string }[], names: string[], color: object, base: object, o: LineOptions): Chart {
  const y = { field: 'y', type: 'quantitative', title: o.yLabel ?? null, scale: { zero: true } };
  // Each bar's name may take its bar's share of the width.
  const width = (o.wide ? WIDE : CHART).width - 60;
  const x = { field: 'series', type: 'nominal', title: `${o.xLabel ?? 'x'} ${at}`, sort: names, axis: { labelAngle: 0, labelLimit: Math.floor(width / Math.max(1, names.length)) - 8 } };
  const spec = {
    ...base,
    layer: [
      { name: 'series', mark: { type: 'bar', width: { band: 0.5 } }, encoding: { x, y, color: { ...(color as { legend?: unknown }), legend: null } } },
      { name: 'values', mark: { type: 'text', dy: -7, fontWeight: 'bold' }, encoding: { x, y, text: { field: 'y', type: 'quantitative', format: '.4~g' } } },
    ],
  } as unknown as TopLevelSpec;
  const note = [`Only ${o.xLabel ?? 'x'} ${at} is logged: a bar per series, not a curve.`, o.note].filter(Boolean).join(' ');
  return { id, title, series: rows.length, spec: { vl: spec }, note, ...(o.wide ? { wide: true } : {}) };
}
