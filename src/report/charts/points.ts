/**
 * Charts of a few points each worth seeing (a search's trials): a point per
 * item against a numeric x (linear, or logarithmic for values drawn evenly in
 * the logarithm) or against categories, and a scatter with a highlighted
 * subset joined in order and labelled (a Pareto front). Every point drawn is
 * one item of the `series` mark; a scatter's highlighted points are the items
 * of its `front` mark, their labels the `labels` mark's.
 */
import type { TopLevelSpec } from 'vega-lite';
import { logTicks, SMALL_AS_EXPONENT, wantsLog } from './line.js';
import { textWidth } from './measure.js';
import type { Chart } from './render.js';
import { range } from './scatter.js';
import { CHART, FIT, INK, PALETTE } from './theme.js';

export interface PointOptions {
  xLabel?: string;
  yLabel?: string;
  note?: string;
}

/** One point per item: larger and less transparent than a scatter of thousands. */
const POINT = { type: 'circle', size: 46, opacity: 0.75, color: PALETTE[0] } as const;

const finite = (v: number | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** Ticks of a log axis inside [lo, hi]: logTicks's, or 1 to 9 times each power of ten when those are too few. */
function ticksWithin(lo: number, hi: number): number[] {
  const inside = (ts: number[]) => ts.filter((t) => t >= lo && t <= hi);
  const coarse = inside(logTicks(lo, hi));
  if (coarse.length >= 2) return coarse;
  const fine: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (let m = 1; m <= 9; m++) fine.push(Number((m * 10 ** e).toPrecision(1)));
  return inside(fine);
}

/**
 * A numeric axis's encoding for `values`: its domain with a margin (and `headroom`, a share of
 * the span, above the largest value, for labels over the points); on a log scale, ticks at
 * 1, 2 and 5 times the powers of ten; whole numbers as such when every value is one.
 */
function numericAxis(field: 'x' | 'y', values: number[], log: boolean, title: string | undefined, headroom = 0): object {
  if (log) {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const f = hi > lo ? (hi / lo) ** 0.04 : 1.5;
    const domain = [lo / f, hi * f * (hi > lo ? (hi / lo) ** headroom : 1)];
    const ticks = ticksWithin(domain[0]!, domain[1]!);
    return { field, type: 'quantitative', title: `${title ?? 'value'} (log scale)`, scale: { type: 'log', domain, nice: false }, axis: { ...(ticks.length >= 2 ? { values: ticks } : {}), labelExpr: SMALL_AS_EXPONENT } };
  }
  const [lo, hi] = range(values);
  const domain = [lo, hi + (hi - lo) * headroom];
  const integral = values.every((v) => Number.isInteger(v));
  const format = integral ? { tickMinStep: 1, format: Math.max(...values.map(Math.abs)) >= 1e4 ? '~s' : 'd' } : {};
  return { field, type: 'quantitative', title: title ?? null, scale: { domain, nice: false, zero: false }, axis: { tickCount: 6, ...format } };
}

function chart(id: string, title: string, series: number, layer: object[], o: PointOptions): Chart {
  const spec = { width: CHART.width, height: CHART.height, autosize: FIT, layer } as unknown as TopLevelSpec;
  return { id, title, series, spec: { vl: spec }, ...(o.note ? { note: o.note } : {}) };
}

/** A point per (x, y), on a log x axis with `log` (non-positive x then left out); non-finite points are left out. */
export function pointChart(id: string, title: string, xs: number[], ys: number[], o: PointOptions & { log?: boolean } = {}): Chart {
  const pts = xs.map((x, i) => ({ x, y: ys[i]! })).filter((p) => finite(p.x) && finite(p.y) && (!o.log || p.x > 0));
  if (pts.length === 0) return chart(id, title, 0, [{ name: 'series', data: { values: [] }, mark: POINT }], o);
  const x = numericAxis('x', pts.map((p) => p.x), !!o.log, o.xLabel);
  const y = numericAxis('y', pts.map((p) => p.y), false, o.yLabel);
  return chart(id, title, pts.length, [{ name: 'series', data: { values: pts }, mark: POINT, encoding: { x, y } }], o);
}

/**
 * A point per item over named categories, each category a column in the order given (those
 * with no point too). Categories are keyed by position, so two long names that are shortened
 * alike stay apart; the names are tilted when they do not fit side by side.
 */
export function categoryChart(id: string, title: string, categories: string[], points: { category: number; y: number }[], o: PointOptions = {}): Chart {
  const pts = points.filter((p) => finite(p.y) && p.category >= 0 && p.category < categories.length).map((p) => ({ c: String(p.category), y: p.y }));
  const band = (CHART.width - 70) / Math.max(1, categories.length);
  const fits = Math.max(0, ...categories.map((c) => textWidth(c, 11))) + 8 <= band;
  const x = {
    field: 'c',
    type: 'nominal',
    title: o.xLabel ?? null,
    scale: { domain: categories.map((_, i) => String(i)) },
    axis: { labelExpr: `${JSON.stringify(categories)}[+datum.value]`, labelAngle: fits ? 0 : -35, labelLimit: fits ? Math.floor(band) : 110, labelOverlap: false, grid: false },
  };
  const y = pts.length ? numericAxis('y', pts.map((p) => p.y), false, o.yLabel) : { field: 'y', type: 'quantitative', title: o.yLabel ?? null };
  return chart(id, title, pts.length, [{ name: 'series', data: { values: pts }, mark: POINT, encoding: { x, y } }], o);
}

export interface FrontOptions extends PointOptions {
  /**
   * How the highlighted points are joined, in the order of x: a straight line, or steps (`after`:
   * across to the next point's x, then to its y; `before`: to the next point's y, then across),
   * which draw the edge of what a Pareto front dominates.
   */
  step?: 'after' | 'before';
}

/**
 * Every point (x, y) with those at `highlight` (indices into xs) drawn over them, joined in
 * order of x and labelled with `labels`. An axis whose values (all positive) span a factor
 * of 100 or more is logarithmic, as a line chart's y axis is.
 */
export function frontChart(id: string, title: string, xs: number[], ys: number[], labels: string[], highlight: number[], o: FrontOptions = {}): Chart {
  const marked = new Set(highlight);
  const pts = xs.map((x, i) => ({ x, y: ys[i]!, label: labels[i] ?? '', front: marked.has(i) })).filter((p) => finite(p.x) && finite(p.y));
  const front = pts.filter((p) => p.front).sort((a, b) => a.x - b.x);
  if (pts.length === 0) return chart(id, title, 0, [{ name: 'series', data: { values: [] }, mark: POINT }], o);
  const px = pts.map((p) => p.x);
  const py = pts.map((p) => p.y);
  const x = numericAxis('x', px, wantsLog(px), o.xLabel);
  // Room above the highest point for its label.
  const y = numericAxis('y', py, wantsLog(py), o.yLabel, 0.08);
  const accent = PALETTE[1];
  const layer = [
    { name: 'series', data: { values: pts }, mark: { ...POINT, opacity: 0.45 }, encoding: { x, y } },
    { name: 'edge', data: { values: front }, mark: { type: 'line', color: accent, strokeWidth: 1.5, interpolate: o.step ? `step-${o.step}` : 'linear' }, encoding: { x, y, order: { field: 'x', type: 'quantitative' } } },
    { name: 'front', data: { values: front }, mark: { type: 'circle', size: 70, opacity: 1, color: accent, stroke: 'white', strokeWidth: 1 }, encoding: { x, y } },
    { name: 'labels', data: { values: front }, mark: { type: 'text', dy: -10, fontSize: 10, fill: INK.text }, encoding: { x, y, text: { field: 'label', type: 'nominal' } } },
  ];
  return chart(id, title, pts.length, layer, o);
}
