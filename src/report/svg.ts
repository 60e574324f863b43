/**
 * Charts as inline SVG. Each chart is a <figure data-chart=ID data-series=N>
 * whose SVG holds N elements of class `series`, so a test (or a reader's
 * script) can check what was drawn.
 */
import { pngDataUri } from './png.js';

/** Escape text for HTML and SVG. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  /** One value per x; undefined or non-finite values leave a gap. */
  values: (number | undefined)[];
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** A short number for axis labels. */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

function figure(id: string, title: string, series: number, svg: string, note = ''): string {
  return `<figure class="chart" data-chart="${esc(id)}" data-series="${series}"><figcaption>${esc(title)}</figcaption>${svg}${note ? `<p class="note">${esc(note)}</p>` : ''}</figure>`;
}

/** A line chart of several series over the same x values. */
export function lineChart(id: string, title: string, xs: number[], series: Series[], o: { xLabel?: string; width?: number; height?: number } = {}): string {
  const W = o.width ?? 440;
  const H = o.height ?? 240;
  const L = 56;
  const R = 10;
  const T = 10;
  const B = 38;
  const finite = series.flatMap((s) => s.values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi === lo) {
    hi += Math.abs(hi) * 0.05 || 1;
    lo -= Math.abs(lo) * 0.05 || 1;
  }
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  const sx = (x: number) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const sy = (y: number) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" class="axis"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<text x="${L - 4}" y="${sy(v) + 4}" text-anchor="end" class="tick">${esc(fmt(v))}</text><line x1="${L}" x2="${W - R}" y1="${sy(v)}" y2="${sy(v)}" class="grid"/>`);
  }
  const xt = xs.length <= 10 ? xs : Array.from({ length: 6 }, (_, i) => xs[Math.round((i * (xs.length - 1)) / 5)]!);
  for (const x of xt) parts.push(`<text x="${sx(x)}" y="${H - B + 14}" text-anchor="middle" class="tick">${esc(Number.isInteger(x) ? String(x) : fmt(x))}</text>`);
  if (o.xLabel) parts.push(`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle" class="label">${esc(o.xLabel)}</text>`);
  series.forEach((s, k) => {
    const color = PALETTE[k % PALETTE.length];
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${sx(xs[i]!).toFixed(1)},${sy(v).toFixed(1)}`;
      pen = true;
    });
    const dots = xs.length <= 30 ? s.values.map((v, i) => (typeof v === 'number' && Number.isFinite(v) ? `<circle cx="${sx(xs[i]!).toFixed(1)}" cy="${sy(v).toFixed(1)}" r="2.5"/>` : '')).join('') : '';
    parts.push(`<g class="series" data-name="${esc(s.name)}" stroke="${color}" fill="${color}"><path d="${d}" fill="none" stroke-width="1.8"/>${dots}</g>`);
  });
  const legend = series.map((s, k) => `<span class="key"><i style="background:${PALETTE[k % PALETTE.length]}"></i>${esc(s.name)}</span>`).join(' ');
  return figure(id, title, series.length, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${parts.join('')}</svg><div class="legend">${legend}</div>`);
}

/** A heatmap of counts (rows: true class, columns: predicted), one `series` group per row. */
export function heatmap(id: string, title: string, labels: string[], counts: number[][]): string {
  const k = labels.length;
  const cell = Math.max(10, Math.min(36, Math.floor(420 / Math.max(k, 1))));
  const L = 70;
  const T = 60;
  const W = L + cell * k + 10;
  const H = T + cell * k + 10;
  const rowMax = counts.map((r) => Math.max(1, ...r));
  const parts: string[] = [];
  labels.forEach((name, j) => parts.push(`<text x="${L + j * cell + cell / 2}" y="${T - 6}" transform="rotate(-45 ${L + j * cell + cell / 2} ${T - 6})" class="tick">${esc(name.slice(0, 12))}</text>`));
  counts.forEach((row, i) => {
    const cells = row
      .map((c, j) => {
        const f = c / rowMax[i]!;
        const fill = i === j ? `rgba(31,119,180,${(0.08 + 0.92 * f).toFixed(3)})` : `rgba(214,39,40,${(c > 0 ? 0.15 + 0.85 * f : 0).toFixed(3)})`;
        const text = cell >= 22 && c > 0 ? `<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle" class="cell">${c}</text>` : '';
        return `<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell}" height="${cell}" fill="${fill}"><title>true ${esc(labels[i]!)}, predicted ${esc(labels[j]!)}: ${c}</title></rect>${text}`;
      })
      .join('');
    parts.push(`<g class="series" data-name="${esc(labels[i]!)}"><text x="${L - 4}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${esc(labels[i]!.slice(0, 12))}</text>${cells}</g>`);
  });
  return figure(id, title, k, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${parts.join('')}</svg>`, 'Rows: true class; columns: predicted. Blue: correct (shaded by share of the row); red: mistakes.');
}

/** Horizontal bars, one `series` group per bar. */
export function barChart(id: string, title: string, bars: { name: string; value: number }[], o: { max?: number; format?: (v: number) => string } = {}): string {
  const rowH = 18;
  const L = 150;
  const W = 460;
  const H = bars.length * rowH + 10;
  const max = o.max ?? Math.max(1e-12, ...bars.map((b) => Math.abs(b.value)));
  const f = o.format ?? fmt;
  const parts = bars.map((b, i) => {
    const w = Math.max(0, (Math.abs(b.value) / max) * (W - L - 60));
    return `<g class="series" data-name="${esc(b.name)}"><text x="${L - 4}" y="${i * rowH + 17}" text-anchor="end" class="tick">${esc(b.name.slice(0, 22))}</text><rect x="${L}" y="${i * rowH + 5}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${PALETTE[0]}"/><text x="${L + w + 4}" y="${i * rowH + 17}" class="tick">${esc(f(b.value))}</text></g>`;
  });
  return figure(id, title, bars.length, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${parts.join('')}</svg>`);
}

/** A layer graph: nodes placed by depth, edges from each input; one `series` group per node. */
export function graphChart(id: string, title: string, nodes: { name: string; type: string; inputs: string[] }[]): string {
  const depth = new Map<string, number>();
  for (const n of nodes) depth.set(n.name, n.inputs.length ? Math.max(...n.inputs.map((i) => (depth.get(i) ?? 0) + 1)) : 0);
  const rows = new Map<number, string[]>();
  for (const n of nodes) {
    const d = depth.get(n.name)!;
    rows.set(d, [...(rows.get(d) ?? []), n.name]);
  }
  const bw = 130;
  const bh = 30;
  const gapX = 20;
  const gapY = 26;
  const widest = Math.max(...[...rows.values()].map((r) => r.length));
  const W = widest * (bw + gapX) + gapX;
  const H = rows.size * (bh + gapY) + gapY;
  const pos = new Map<string, { x: number; y: number }>();
  for (const [d, names] of rows) {
    const off = (W - names.length * (bw + gapX) + gapX) / 2;
    names.forEach((name, i) => pos.set(name, { x: off + i * (bw + gapX), y: gapY + d * (bh + gapY) }));
  }
  const edges: string[] = [];
  const boxes: string[] = [];
  for (const n of nodes) {
    const p = pos.get(n.name)!;
    for (const i of n.inputs) {
      const q = pos.get(i);
      if (q) edges.push(`<line x1="${q.x + bw / 2}" y1="${q.y + bh}" x2="${p.x + bw / 2}" y2="${p.y}" class="edge" marker-end="url(#arrow)"/>`);
    }
    boxes.push(`<g class="series" data-name="${esc(n.name)}"><rect x="${p.x}" y="${p.y}" width="${bw}" height="${bh}" rx="5" class="node"/><text x="${p.x + bw / 2}" y="${p.y + 13}" text-anchor="middle" class="tick">${esc(n.name.slice(0, 20))}</text><text x="${p.x + bw / 2}" y="${p.y + 25}" text-anchor="middle" class="label">${esc(n.type)}</text></g>`);
  }
  const defs = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#888"/></marker></defs>';
  return figure(id, title, nodes.length, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${defs}${edges.join('')}${boxes.join('')}</svg>`);
}

/**
 * A heatmap of non-negative weights (rows × columns) drawn as one embedded
 * PNG, white for 0 to blue for the largest value, with each row and column
 * labelled (`rowTitle` and `colTitle` name the axes); one `series` group.
 */
export function weightMap(id: string, title: string, rowTitle: string, rowLabels: string[], colTitle: string, colLabels: string[], values: number[][], note = ''): string {
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  const cell = Math.max(9, Math.min(18, Math.floor(300 / Math.max(rows, cols, 1))));
  const L = 78;
  const T = 66;
  const W = L + cell * cols + 10;
  const H = T + cell * rows + 24;
  let max = 0;
  for (const r of values) for (const v of r) if (v > max) max = v;
  const [r0, g0, b0] = [31, 119, 180];
  const px = new Uint8Array(rows * cols * 3);
  values.forEach((r, i) =>
    r.forEach((v, j) => {
      const f = max > 0 ? v / max : 0;
      px.set([255 - f * (255 - r0), 255 - f * (255 - g0), 255 - f * (255 - b0)].map(Math.round), (i * cols + j) * 3);
    }),
  );
  const parts: string[] = [];
  const label = (s: string) => esc([...s].slice(0, 10).join(''));
  colLabels.forEach((name, j) => {
    const x = L + j * cell + cell / 2 + 3;
    parts.push(`<text x="${x}" y="${T - 4}" transform="rotate(-60 ${x} ${T - 4})" class="tick">${label(name)}</text>`);
  });
  rowLabels.forEach((name, i) => parts.push(`<text x="${L - 4}" y="${T + i * cell + cell / 2 + 3}" text-anchor="end" class="tick">${label(name)}</text>`));
  parts.push(`<text x="${L + (cell * cols) / 2}" y="${H - 6}" text-anchor="middle" class="label">${esc(colTitle)}</text>`);
  parts.push(`<text x="10" y="${T + (cell * rows) / 2}" transform="rotate(-90 10 ${T + (cell * rows) / 2})" text-anchor="middle" class="label">${esc(rowTitle)}</text>`);
  const image = rows && cols ? `<image href="${pngDataUri(px, cols, rows, 3, [0, 255])}" x="${L}" y="${T}" width="${cell * cols}" height="${cell * rows}" preserveAspectRatio="none" style="image-rendering:pixelated"/>` : '';
  const body = `<g class="series" data-name="${esc(title)}">${image}<rect x="${L}" y="${T}" width="${cell * cols}" height="${cell * rows}" fill="none" class="axis"/></g>`;
  return figure(id, title, 1, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" class="wmap">${parts.join('')}${body}</svg>`, `Darkest: ${fmt(max)}.${note ? ` ${note}` : ''}`);
}

/**
 * A scatter of points (x, y) with a dashed reference line: `identity` draws
 * y = x on axes of one shared range, `zero` draws y = 0. One `series` group
 * holds every point; non-finite points are left out.
 */
export function scatterChart(id: string, title: string, xs: number[], ys: number[], o: { xLabel?: string; yLabel?: string; reference?: 'identity' | 'zero'; note?: string } = {}): string {
  const W = 440;
  const H = 300;
  const L = 60;
  const R = 14;
  const T = 10;
  const B = 38;
  const pts = xs.map((x, i) => [x, ys[i]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const range = (vs: number[]): [number, number] => {
    let lo = vs.length ? vs.reduce((a, b) => Math.min(a, b)) : 0;
    let hi = vs.length ? vs.reduce((a, b) => Math.max(a, b)) : 1;
    if (hi === lo) {
      hi += Math.abs(hi) * 0.05 || 1;
      lo -= Math.abs(lo) * 0.05 || 1;
    }
    return [lo, hi];
  };
  const px = pts.map((p) => p[0]);
  const py = pts.map((p) => p[1]);
  let [x0, x1] = range(o.reference === 'identity' ? [...px, ...py] : px);
  let [y0, y1] = o.reference === 'identity' ? [x0, x1] : range(o.reference === 'zero' ? [...py, 0] : py);
  // A margin of 3% so that points on the edge are drawn whole.
  [x0, x1] = [x0 - (x1 - x0) * 0.03, x1 + (x1 - x0) * 0.03];
  [y0, y1] = [y0 - (y1 - y0) * 0.03, y1 + (y1 - y0) * 0.03];
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [];
  parts.push(`<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" class="axis"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" class="axis"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    parts.push(`<text x="${L - 4}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmt(v))}</text><line x1="${L}" x2="${W - R}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" class="grid"/>`);
    const u = x0 + ((x1 - x0) * i) / 4;
    // The last x tick ends at the axis's end, so that a long one stays inside the chart.
    parts.push(`<text x="${sx(u).toFixed(1)}" y="${H - B + 14}" text-anchor="${i === 4 ? 'end' : 'middle'}" class="tick">${esc(fmt(u))}</text>`);
  }
  if (o.xLabel) parts.push(`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle" class="label">${esc(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text x="12" y="${(T + H - B) / 2}" transform="rotate(-90 12 ${(T + H - B) / 2})" text-anchor="middle" class="label">${esc(o.yLabel)}</text>`);
  const ref = (a: number, b: number, c: number, d: number) => `<line x1="${sx(a).toFixed(1)}" y1="${sy(b).toFixed(1)}" x2="${sx(c).toFixed(1)}" y2="${sy(d).toFixed(1)}" stroke="#555" stroke-width="1.2" stroke-dasharray="5 4" class="reference"/>`;
  if (o.reference === 'identity') parts.push(ref(x0, x0, x1, x1));
  if (o.reference === 'zero') parts.push(ref(x0, 0, x1, 0));
  const dots = pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2"/>`).join('');
  parts.push(`<g class="series" data-name="${esc(title)}" fill="${PALETTE[0]}" fill-opacity="0.45">${dots}</g>`);
  return figure(id, title, pts.length ? 1 : 0, `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img">${parts.join('')}</svg>`, o.note ?? '');
}
