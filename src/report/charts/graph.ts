/**
 * The layer graph of a branched model: layers placed in rows by depth, an
 * arrow from each input; drawn as a Vega spec of rect, text, rule and symbol
 * marks at computed positions (no data axes). Each layer box is one item of
 * the `series` mark.
 */
import type { Spec } from 'vega';
import type { Chart } from './render.js';
import { FONT, INK, PALETTE } from './theme.js';

const BOX = { w: 136, h: 34, gapX: 18, gapY: 30 };

export function graphChart(id: string, title: string, nodes: { name: string; type: string; inputs: string[] }[]): Chart {
  const depth = new Map<string, number>();
  for (const n of nodes) depth.set(n.name, n.inputs.length ? Math.max(...n.inputs.map((i) => (depth.get(i) ?? 0) + 1)) : 0);
  const rows = new Map<number, string[]>();
  for (const n of nodes) {
    const d = depth.get(n.name)!;
    rows.set(d, [...(rows.get(d) ?? []), n.name]);
  }
  const widest = Math.max(1, ...[...rows.values()].map((r) => r.length));
  const W = widest * (BOX.w + BOX.gapX) - BOX.gapX;
  const H = rows.size * (BOX.h + BOX.gapY) - BOX.gapY;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, names] of rows) {
    const off = (W - (names.length * (BOX.w + BOX.gapX) - BOX.gapX)) / 2;
    names.forEach((name, i) => pos.set(name, { x: off + i * (BOX.w + BOX.gapX), y: d * (BOX.h + BOX.gapY) }));
  }
  const boxes = nodes.map((n) => ({ ...pos.get(n.name)!, name: [...n.name].slice(0, 20).join(''), type: n.type }));
  const edges = nodes.flatMap((n) =>
    n.inputs.flatMap((i) => {
      const from = pos.get(i);
      const to = pos.get(n.name)!;
      if (!from) return [];
      const [x, y, x2, y2] = [from.x + BOX.w / 2, from.y + BOX.h, to.x + BOX.w / 2, to.y - 4];
      // The arrowhead's angle: Vega's triangle-down points along +y, rotated clockwise by `angle` degrees.
      const angle = (Math.atan2(x - x2, y2 - y) * 180) / Math.PI;
      return [{ x, y, x2, y2, angle }];
    }),
  );
  const text = (field: string, dy: number, extra: object) => ({
    type: 'text',
    from: { data: 'boxes' },
    encode: { enter: { x: { field: 'x', offset: BOX.w / 2 }, y: { field: 'y', offset: dy }, text: { field }, align: { value: 'center' }, baseline: { value: 'middle' }, font: { value: FONT }, ...extra } },
  });
  const spec = {
    width: W,
    height: H,
    padding: 6,
    background: 'white',
    data: [
      { name: 'boxes', values: boxes },
      { name: 'links', values: edges },
    ],
    marks: [
      { type: 'rule', name: 'edges', from: { data: 'links' }, encode: { enter: { x: { field: 'x' }, y: { field: 'y' }, x2: { field: 'x2' }, y2: { field: 'y2' }, stroke: { value: INK.domain }, strokeWidth: { value: 1.2 } } } },
      { type: 'symbol', name: 'arrows', from: { data: 'links' }, encode: { enter: { x: { field: 'x2' }, y: { field: 'y2' }, shape: { value: 'triangle-down' }, size: { value: 40 }, angle: { field: 'angle' }, fill: { value: INK.domain } } } },
      { type: 'rect', name: 'series', from: { data: 'boxes' }, encode: { enter: { x: { field: 'x' }, y: { field: 'y' }, width: { value: BOX.w }, height: { value: BOX.h }, cornerRadius: { value: 5 }, fill: { value: '#eef3f9' }, stroke: { value: PALETTE[0] } } } },
      text('name', 11, { fontSize: { value: 11 }, fontWeight: { value: 'bold' }, fill: { value: INK.text } }),
      text('type', 24, { fontSize: { value: 10 }, fill: { value: INK.muted } }),
    ],
  } as unknown as Spec;
  return { id, title, series: boxes.length, spec: { vega: spec } };
}
