/**
 * A scatter of points (x, y) with a dashed reference line: `identity` draws
 * y = x on axes of one shared range, `zero` draws y = 0. Non-finite points are
 * left out; every point drawn is one item of the `series` mark.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Chart } from './render.js';
import { CHART, FIT, PALETTE } from './theme.js';

export interface ScatterOptions {
  xLabel?: string;
  yLabel?: string;
  reference?: 'identity' | 'zero';
  note?: string;
}

/** The domain of `vs` with a margin of 3% (a value alone: 5% either side), so that points on the edge are drawn whole. */
export function range(vs: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vs) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) return [lo - (Math.abs(lo) * 0.05 || 1), hi + (Math.abs(hi) * 0.05 || 1)];
  // A margin of 3% so that points on the edge are drawn whole.
  const m = (hi - lo) * 0.03;
  return [lo - m, hi + m];
}

export function scatterChart(id: string, title: string, xs: number[], ys: number[], o: ScatterOptions = {}): Chart {
  const pts = xs.map((x, i) => ({ x, y: ys[i]! })).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const px = pts.map((p) => p.x);
  const py = pts.map((p) => p.y);
  const xd = range(o.reference === 'identity' ? [...px, ...py] : px);
  const yd = o.reference === 'identity' ? xd : range(o.reference === 'zero' ? [...py, 0] : py);
  const x = { field: 'x', type: 'quantitative', title: o.xLabel ?? null, scale: { domain: xd, nice: false, zero: false }, axis: { tickCount: 6 } };
  const y = { field: 'y', type: 'quantitative', title: o.yLabel ?? null, scale: { domain: yd, nice: false, zero: false }, axis: { tickCount: 6 } };
  const reference = { strokeDash: [5, 4], color: '#555', strokeWidth: 1.2 };
  const layers: object[] = [{ name: 'series', data: { values: pts }, mark: { type: 'circle', size: 10, opacity: 0.45, strokeWidth: null, color: PALETTE[0] }, encoding: { x, y } }];
  if (o.reference === 'identity') layers.push({ name: 'reference', data: { values: [{ x: xd[0], y: xd[0] }, { x: xd[1], y: xd[1] }] }, mark: { type: 'line', ...reference }, encoding: { x, y } });
  if (o.reference === 'zero') layers.push({ name: 'reference', data: { values: [{ y: 0 }] }, mark: { type: 'rule', ...reference }, encoding: { y } });
  const spec = { width: CHART.width, height: CHART.height + 30, autosize: FIT, layer: layers } as unknown as TopLevelSpec;
  return { id, title, series: pts.length, spec: { vl: spec }, ...(o.note ? { note: o.note } : {}) };
}
