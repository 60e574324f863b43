/**
 * A heatmap of non-negative weights (rows × columns, such as an attention
 * head's map) drawn as one embedded PNG, white for 0 to blue for the largest
 * value, in a Vega spec whose band axes label every row and column. The image
 * is the one item of the `series` mark.
 */
import type { Spec } from 'vega';
import { pngDataUri } from '../png.js';
import { fmt } from '../text.js';
import type { Chart } from './render.js';
import { FONT, INK } from './theme.js';

/** The darkest colour, for the largest weight. */
const BLUE = [8, 69, 148];

export function weightMap(id: string, title: string, rowTitle: string, rowLabels: string[], colTitle: string, colLabels: string[], values: number[][], note = ''): Chart {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  // Cells of at least 11 pixels leave room for a label of 8-pixel text on every row and column.
  const cell = Math.max(11, Math.min(28, Math.floor(320 / Math.max(rows, cols, 1))));
  let max = 0;
  for (const r of values) for (const v of r) if (v > max) max = v;
  const px = new Uint8Array(rows * cols * 3);
  values.forEach((r, i) =>
    r.forEach((v, j) => {
      const f = max > 0 ? v / max : 0;
      px.set(BLUE.map((c) => Math.round(255 - f * (255 - c))), (i * cols + j) * 3);
    }),
  );
  const label = (s: string) => [...s].slice(0, 10).join('');
  const axis = (scale: string, orient: string, titleText: string, labels: string[], angle: number) => ({
    scale,
    orient,
    title: titleText,
    titleFont: FONT,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    titleColor: INK.muted,
    labelFont: FONT,
    labelFontSize: 8,
    labelColor: INK.text,
    labelAngle: angle,
    ...(angle ? { labelAlign: 'right', labelBaseline: 'middle' } : {}),
    labelPadding: 2,
    labelOverlap: false,
    ticks: false,
    domain: false,
    encode: { labels: { update: { text: { signal: `${JSON.stringify(labels.map(label))}[datum.value]` } } } },
  });
  const index = (n: number) => Array.from({ length: n }, (_, i) => i);
  const spec = {
    width: cell * cols,
    height: cell * rows,
    padding: 6,
    background: 'white',
    scales: [
      { name: 'x', type: 'band', domain: index(cols), range: 'width', paddingInner: 0, paddingOuter: 0 },
      { name: 'y', type: 'band', domain: index(rows), range: 'height', paddingInner: 0, paddingOuter: 0 },
    ],
    axes: [axis('x', 'bottom', colTitle, colLabels, -90), axis('y', 'left', rowTitle, rowLabels, 0)],
    marks:
      rows && cols
        ? [
            { type: 'image', name: 'series', encode: { enter: { url: { value: pngDataUri(px, cols, rows, 3, [0, 255]) }, x: { value: 0 }, y: { value: 0 }, width: { signal: 'width' }, height: { signal: 'height' }, aspect: { value: false }, smooth: { value: false } } } },
            { type: 'rect', encode: { enter: { x: { value: 0 }, y: { value: 0 }, width: { signal: 'width' }, height: { signal: 'height' }, stroke: { value: INK.domain }, fill: { value: null } } } },
          ]
        : [],
  } as unknown as Spec;
  return { id, title, series: rows && cols ? 1 : 0, spec: { vega: spec }, note: `Darkest: ${fmt(max)}.${note ? ` ${note}` : ''}` };
}
