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
  // An input from the next row up is a straight arrow between the boxes; one that skips rows (a skip connection)
  // bows out to the right of the boxes between, each further one a little wider, so that it is not drawn over them.
  let skips = 0;
  const edges = nodes.flatMap((n) =>
    n.inputs.flatMap((i) => {
      const from = pos.get(i);
      const to = pos.get(n.name)!;
      if (!from) return [];
      if (depth.get(n.name)! - depth.get(i)! <= 1) {
        const [x, y, x2, y2] = [from.x + BOX.w / 2, from.y + BOX.h, to.x + BOX.w / 2, to.y - 4];
        // The arrowhead's angle: Vega's triangle-down points along +y, turned clockwise by `angle` degrees.
        const angle = (Math.atan2(x - x2, y2 - y) * 180) / Math.PI;
        return [{ path: `M${x},${y}L${x2},${y2}`, ax: x2, ay: y2, angle }];
      }
      const bow = Math.max(from.x, to.x) + BOX.w + 24 + 12 * skips++;
      const [x, y, x2, y2] = [from.x + BOX.w, from.y + BOX.h / 2, to.x + BOX.w + 4, to.y + BOX.h / 2];
      return [{ path: `M${x},${y}C${bow},${y} ${bow},${y2} ${x2},${y2}`, ax: x2, ay: y2, angle: 90 }];
    }),
  );
  const width = Math.max(W, ...edges.map((e) => Number(/C([\d.]+)/.exec(e.path)?.[1] ?? 0) + 4));
  const text = (field: string, dy: number, extra: object) => ({
    type: 'text',
    from: { data: 'boxes' },
    encode: { enter: { x: { field: 'x', offset: BOX.w / 2 }, y: { field: 'y', offset: dy }, text: { field }, align: { value: 'center' }, baseline: { value: 'middle' }, font: { value: FONT }, ...extra } },
  });
  const spec = {
    width,
    height: H,
    padding: 6,
    background: 'white',
    data: [
      { name: 'boxes', values: boxes },
      { name: 'links', values: edges },
    ],
    marks: [
      { type: 'path', name: 'edges', from: { data: 'links' }, encode: { enter: { path: { field: 'path' }, stroke: { value: INK.domain }, strokeWidth: { value: 1.2 } } } },
      { type: 'symbol', name: 'arrows', from: { data: 'links' }, encode: { enter: { x: { field: 'ax' }, y: { field: 'ay' }, shape: { value: 'triangle-down' }, size: { value: 40 }, angle: { field: 'angle' }, fill: { value: INK.domain } } } },
      { type: 'rect', name: 'series', from: { data: 'boxes' }, encode: { enter: { x: { field: 'x' }, y: { field: 'y' }, width: { value: BOX.w }, height: { value: BOX.h }, cornerRadius: { value: 5 }, fill: { value: '#eef3f9' }, stroke: { value: PALETTE[0] } } } },
      text('name', 11, { fontSize: { value: 11 }, fontWeight: { value: 'bold' }, fill: { value: INK.text } }),
      text('type', 24, { fontSize: { value: 10 }, fill: { value: INK.muted } }),
    ],
  } as unknown as Spec;
  return { id, title, series: boxes.length, spec: { vega: spec } };
}
