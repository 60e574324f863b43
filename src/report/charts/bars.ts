/** Horizontal bars, one per named value, with the value written after each bar. */
import type { TopLevelSpec } from 'vega-lite';
import type { Chart } from './render.js';
import { CHART, PALETTE } from './theme.js';

export function barChart(id: string, title: string, bars: { name: string; value: number }[], o: { xLabel?: string } = {}): Chart {
  const rows = bars.filter((b) => Number.isFinite(b.value)).map((b, i) => ({ name: `${i}`, label: b.name, value: b.value }));
  const y = {
    field: 'name',
    type: 'nominal',
    title: null,
    sort: null,
    // Layer names repeat nowhere, but the bars are keyed by position so that the order is the model's.
    axis: { labelExpr: `${JSON.stringify(rows.map((r) => r.label))}[+datum.value]`, labelLimit: 150 },
  };
  const x = { field: 'value', type: 'quantitative', title: o.xLabel ?? null, scale: { zero: true } };
  const spec = {
    // The card's width, labels and all; a row of 20 pixels per bar.
    width: CHART.width,
    height: { step: 20 },
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values: rows },
    layer: [
      { name: 'series', mark: { type: 'bar', color: PALETTE[0], height: { band: 0.75 } }, encoding: { y, x } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { y, x, text: { field: 'value', type: 'quantitative', format: '.3~g' } } },
    ],
  } as unknown as TopLevelSpec;
  return { id, title, series: rows.length, spec: { vl: spec } };
}
