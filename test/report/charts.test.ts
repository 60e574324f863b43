/**
 * The report's chart specs without a browser: when a curve gets a log axis and
 * which ticks it has, one-epoch runs as bars, the confusion matrix's colour
 * scale and text colours, the text widths Vega lays labels out with, the
 * point charts of a search's report (a log x, categories, a highlighted
 * front), and a curve of one value among long ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confusionChart } from '../../src/report/charts/confusion.js';
import { lineChart, logTicks, wantsLog } from '../../src/report/charts/line.js';
import { textWidth } from '../../src/report/charts/measure.js';
import { categoryChart, frontChart, pointChart } from '../../src/report/charts/points.js';
import { renderSvg } from '../../src/report/charts/render.js';
import { count } from '../../src/report/text.js';
import { tickLabels as tickLabelsOf } from '../helpers/report-html.js';

type Layer = { name?: string; mark: { type: string } | string; encoding: { y?: { scale?: { type?: string }; title?: string | null } }; data?: { values: Record<string, unknown>[] } };
const layers = (c: { spec: unknown }) => (c.spec as { vl: { layer: Layer[] } }).vl.layer;

test('a log y axis for positive values spanning 100 times or more, with 1-2-5 ticks over few decades', () => {
  assert.equal(wantsLog([490, 100, 12, 2.6]), true);
  assert.equal(wantsLog([0.9, 0.5, 0.001]), true);
  assert.equal(wantsLog([0.9, 0.5, 0.01]), false, '90 times');
  assert.equal(wantsLog([50, 1]), false, '50 times');
  assert.equal(wantsLog([490, 0, 2.6]), false, 'a zero');
  assert.equal(wantsLog([-490, 2.6]), false);
  assert.deepEqual(logTicks(2.6, 490), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]);
  assert.deepEqual(logTicks(1e-6, 0.5), [1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
  const xs = Array.from({ length: 200 }, (_, i) => i + 1);
  const loss = lineChart('loss', 'Loss', xs, [{ name: 'train loss', values: xs.map((x) => 2.6 + 487.4 * Math.exp(-(x - 1) / 12)) }], { xLabel: 'epoch', yLabel: 'loss' });
  const y = layers(loss)[0]!.encoding.y!;
  assert.equal(y.scale!.type, 'log');
  assert.equal(y.title, 'loss (log scale)');
  const acc = lineChart('accuracy', 'accuracy', xs, [{ name: 'train accuracy', values: xs.map((x) => 1 - 0.5 / x) }], { yLabel: 'accuracy' });
  assert.equal(layers(acc)[0]!.encoding.y!.scale!.type, undefined);
  assert.equal(layers(acc)[0]!.encoding.y!.title, 'accuracy');
});

test('one epoch: a bar per series with its value, and "1 epoch"', async () => {
  const c = lineChart('loss', 'Loss', [1], [{ name: 'train loss', values: [0.32] }, { name: 'validation loss', values: [0.13] }], { xLabel: 'epoch', yLabel: 'loss' });
  const [bars, values] = layers(c);
  assert.equal((bars!.mark as { type: string }).type, 'bar');
  assert.equal(values!.name, 'values');
  assert.equal(c.series, 2);
  assert.match(c.note!, /Only epoch 1 is logged/);
  const svg = await renderSvg(c.spec);
  assert.match(svg, />0\.32<\/text>/);
  assert.match(svg, />0\.13<\/text>/);
  assert.equal(count(1, 'epoch'), '1 epoch');
  assert.equal(count(200, 'epoch'), '200 epochs');
});

test('the confusion matrix: one colour scale by count, logarithmic when counts span decades; white numbers on dark cells', async () => {
  const counts = [
    [968, 1, 29],
    [0, 1118, 3],
    [2, 0, 997],
  ];
  const c = confusionChart('confusion', 'Confusion matrix', ['a', 'b', 'c'], counts);
  assert.equal(c.series, 9);
  const cells = (layers(c)[0]!.data ?? (c.spec as { vl: { data: { values: { c: number; dark: boolean; diag: boolean }[] } } }).vl.data).values as { c: number; dark: boolean; diag: boolean }[];
  assert.deepEqual(cells.filter((x) => x.dark).map((x) => x.c), [968, 29, 1118, 997], 'dark: the diagonal and the 29 mistakes on a log scale');
  assert.ok(cells.filter((x) => x.diag).every((x) => x.c > 900));
  const svg = await renderSvg(c.spec);
  assert.match(svg, /count \(log scale\)/);
  // The cells of 1 and 29 mistakes get different colours.
  const fills = [...svg.matchAll(/<g class="mark-rect role-mark series_marks"[^>]*>(.*?)<\/g>/g)][0]![1]!.match(/fill="[^"]+"/g)!;
  assert.notEqual(fills[1], fills[2], '1 and 29 mistakes');
  assert.match(svg, /fill="white"[^>]*>968</, 'white on the dark diagonal');
  assert.match(svg, /fill="#222"[^>]*>1</, 'dark on a light cell');
  const linear = confusionChart('confusion', 'Confusion matrix', ['a', 'b'], [[10, 2], [3, 12]]);
  assert.doesNotMatch(await renderSvg(linear.spec), /log scale/);
});

test('text widths for Vega: digits and lower case narrower than Vega\'s guess of 0.8 em, wide characters wide', () => {
  assert.ok(Math.abs(textWidth('0.0010', 11) - 6 * 0.6 * 11) < 5);
  assert.ok(textWidth('transformer_encoder_1', 11) < 0.8 * 21 * 11);
  assert.ok(textWidth('WWW', 10) > textWidth('iii', 10) * 3);
  assert.equal(textWidth('你', 10), 9);
});

type PointLayer = { name?: string; mark: { type: string; interpolate?: string }; data?: { values: Record<string, unknown>[] }; encoding: Record<string, { scale?: { type?: string; domain?: unknown[] }; axis?: { values?: number[]; labelExpr?: string; labelAngle?: number }; title?: string | null }> };
const pointLayers = (c: { spec: unknown }) => (c.spec as { vl: { layer: PointLayer[] } }).vl.layer;

test('point charts: a log x with its ticks inside the domain, categories keyed by position, a front drawn over the rest and joined in steps', async () => {
  const lr = pointChart('lr', 'lr', [0.0003, 0.001, 0.02, -1], [0.6, 0.8, 0.7, 0.9], { xLabel: 'lr', yLabel: 'acc', log: true });
  assert.equal(lr.series, 3, 'a non-positive x is left out of a log axis');
  const x = pointLayers(lr)[0]!.encoding.x!;
  assert.equal(x.scale!.type, 'log');
  assert.equal(x.title, 'lr (log scale)');
  const [lo, hi] = x.scale!.domain as [number, number];
  assert.ok(lo < 0.0003 && hi > 0.02);
  assert.deepEqual(x.axis!.values, [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02], 'the 1-2-5 ticks inside the domain');
  // Two long names shortened alike stay two columns.
  const long = ['{"type":"dense","units"…', '{"type":"dense","units"…', '{"type":"conv1d","filte…'];
  const c = categoryChart('layer', 'layer', long, [{ category: 0, y: 0.5 }, { category: 1, y: 0.7 }, { category: 1, y: 0.6 }]);
  assert.equal(c.series, 3);
  const cx = pointLayers(c)[0]!.encoding.x!;
  assert.deepEqual(cx.scale!.domain, ['0', '1', '2'], 'every category, the one without a point too');
  assert.equal(cx.axis!.labelAngle, -35, 'names too wide to stand side by side are tilted');
  // Tilted names are cut at 110 pixels: three labels, the two alike included.
  const names = tickLabelsOf(await renderSvg(c.spec))[0]!;
  assert.equal(names.length, 3);
  assert.ok(names.every((n) => n.startsWith('{"type":')), names.join(' '));
  const f = frontChart('front', 'front', [0.6, 0.78, 0.8, 0.85, 0.82], [6370, 6370, 12730, 25450, 25450], ['3', '6', '1', '2', '8'], [3, 1, 2], { step: 'before' });
  assert.equal(f.series, 5);
  const [, edge, front, labels] = pointLayers(f);
  assert.equal(edge!.mark.interpolate, 'step-before');
  assert.deepEqual(front!.data!.values.map((p) => p.label), ['6', '1', '2'], 'the highlighted points in order of x');
  assert.equal(labels!.name, 'labels');
});

test('a line chart past 30 x values still shows a series of one value, by its point', () => {
  const xs = Array.from({ length: 40 }, (_, i) => i + 1);
  const c = lineChart('curves', 'curves', xs, [{ name: 'long', values: xs.map((x) => 1 / x) }, { name: 'stopped', values: [0.5] }]);
  const pts = layers(c).find((l) => l.name === 'points')!;
  assert.deepEqual(pts.data!.values, [{ x: 1, y: 0.5, series: 'stopped' }]);
  assert.equal(c.series, 2);
});
