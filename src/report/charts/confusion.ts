/**
 * A confusion matrix: a cell per (true, predicted) pair coloured by its count
 * on one sequential scale (a symmetric log scale when the counts span decades,
 * so that 1 and 29 mistakes look different), the count written in each cell in
 * white on dark cells, and the diagonal (correct predictions) outlined.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Chart } from './render.js';

/** The largest count over the smallest non-zero one from which the colour scale is logarithmic. */
const LOG_SPAN = 30;
const LIGHT = '#f0f5fb';
const DARK = '#08306b';

export function confusionChart(id: string, title: string, labels: string[], counts: number[][]): Chart {
  const k = labels.length;
  // Cells fill about 340 pixels (a card's width less the labels and the legend), 10 to 64 pixels each.
  const cell = Math.max(10, Math.min(64, Math.floor(340 / Math.max(k, 1))));
  const nonzero = counts.flat().filter((c) => c > 0);
  const max = nonzero.reduce((a, b) => Math.max(a, b), 1);
  const min = nonzero.reduce((a, b) => Math.min(a, b), max);
  const log = max / min >= LOG_SPAN;
  // Where a count falls on the colour scale, 0 to 1, as Vega's symlog (constant 1) or linear scale puts it.
  const t = (c: number) => (log ? Math.log1p(c) / Math.log1p(max) : c / max);
  const names = labels.map((l, i) => `${i}`);
  const cells = counts.flatMap((row, i) => row.map((c, j) => ({ t: names[i], p: names[j], c, dark: t(c) > 0.45, diag: i === j })));
  const axisLabels = `${JSON.stringify(labels.map((l) => [...l].slice(0, 14).join('')))}[+datum.value]`;
  const long = labels.some((l) => [...l].length > 3);
  const x = { field: 'p', type: 'ordinal', sort: names, title: 'predicted', axis: { orient: 'top', labelExpr: axisLabels, labelAngle: long ? -45 : 0, labelAlign: long ? 'left' : 'center', labelOverlap: false, ticks: false, domain: false } };
  const y = { field: 't', type: 'ordinal', sort: names, title: 'true', axis: { labelExpr: axisLabels, labelOverlap: false, ticks: false, domain: false } };
  const color = {
    field: 'c',
    type: 'quantitative',
    title: log ? 'count (log scale)' : 'count',
    scale: { type: log ? 'symlog' : 'linear', domain: [0, max], range: [LIGHT, DARK] },
    legend: { orient: 'right', gradientLength: Math.min(200, Math.max(80, cell * k - 20)), format: 'd', ...(log ? { values: [...[1, 10, 100, 1000, 10000, 100000, 1000000].filter((v) => v <= max)] } : {}) },
  };
  const layers: object[] = [
    { name: 'series', mark: { type: 'rect', stroke: 'white', strokeWidth: 1 }, encoding: { x, y, color: { ...color, condition: { test: 'datum.c === 0', value: '#ffffff' } } } },
    { name: 'diagonal', transform: [{ filter: 'datum.diag' }], mark: { type: 'rect', fill: null, stroke: '#e45756', strokeWidth: 2 }, encoding: { x, y } },
  ];
  if (cell >= 20) {
    layers.push({
      name: 'counts',
      transform: [{ filter: 'datum.c > 0' }],
      mark: { type: 'text', fontSize: cell >= 44 ? 13 : cell >= 30 ? 11 : 9, baseline: 'middle' },
      encoding: { x, y, text: { field: 'c', type: 'quantitative' }, color: { condition: { test: 'datum.dark', value: 'white' }, value: '#222' } },
    });
  }
  const spec = { width: { step: cell }, height: { step: cell }, data: { values: cells }, layer: layers } as unknown as TopLevelSpec;
  return {
    id,
    title,
    series: k * k,
    spec: { vl: spec },
    note: `Rows: true class; columns: predicted. Colour: the number of examples${log ? ' on a log scale, so that a few mistakes still show' : ''}; outlined in red: correct predictions.`,
  };
}
