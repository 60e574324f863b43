/**
 * Charts rendered to static SVG when the report is written: a chart is a
 * Vega-Lite (or, for drawings without data axes, a Vega) spec, compiled and
 * rendered by Vega's headless SVG renderer in Node, with no script in the page.
 * Vega is imported on the first chart only, so other commands do not load it.
 *
 * Each chart becomes `<figure class="chart" data-chart=ID data-series=N>`: its
 * SVG draws N items (lines, bars, cells, points, nodes or images) in marks
 * named `series` (Vega's class `series`, Vega-Lite's `series_marks`), so a test
 * can count what was drawn.
 */
import type { Spec as VegaSpec } from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { esc } from '../text.js';
import { vegaTextWidth } from './measure.js';
import { CONFIG } from './theme.js';

export interface Chart {
  id: string;
  title: string;
  /** The items the marks named `series` draw. */
  series: number;
  /** A Vega-Lite spec (the theme's config is added) or a Vega spec. */
  spec: { vl: TopLevelSpec } | { vega: VegaSpec };
  note?: string;
  /** Spans the whole width of the page. */
  wide?: boolean;
}

type Modules = { vega: typeof import('vega'); vl: typeof import('vega-lite') };
let modules: Promise<Modules> | undefined;

function load(): Promise<Modules> {
  modules ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => {
    // Text measured with the width table, as vega's hook for headless renderers allows (it has no canvas here).
    // (vega exports textMetrics from vega-scenegraph; its typings leave it out.)
    (vega as unknown as { textMetrics: { width: typeof vegaTextWidth } }).textMetrics.width = vegaTextWidth;
    return { vega, vl };
  });
  return modules;
}

let drawn = 0;

/** `spec` as an SVG element, its ids (gradients, clips) made unique in the page. */
export async function renderSvg(spec: Chart['spec']): Promise<string> {
  const { vega, vl } = await load();
  // Vega's warnings go to the console only with STRATA_DEBUG set: the report's reader cannot act on them.
  const logger = vega.logger(process.env.STRATA_DEBUG ? vega.Warn : vega.None);
  const compiled = 'vl' in spec ? vl.compile({ ...spec.vl, config: { ...CONFIG, ...(spec.vl.config ?? {}) } } as TopLevelSpec, { logger }).spec : spec.vega;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    const prefix = `c${++drawn}-`;
    return (
      svg
        .replace(/ id="([^"]+)"/g, ` id="${prefix}$1"`)
        .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
        .replace(/<svg /, '<svg role="img" ')
        // Positions and outlines to a tenth of a pixel: a scatter of 2000 points stays small.
        .replace(/ (transform|d|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g, (_, name: string, value: string) => ` ${name}="${value.replace(/\d+\.\d\d+/g, (n) => String(Number(Number(n).toFixed(1))))}"`)
    );
  } finally {
    view.finalize();
  }
}

/** The chart as a figure of the page. */
export async function figure(c: Chart): Promise<string> {
  const svg = await renderSvg(c.spec);
  const note = c.note ? `<p class="note">${esc(c.note)}</p>` : '';
  return `<figure class="chart${c.wide ? ' wide' : ''}" data-chart="${esc(c.id)}" data-series="${c.series}"><figcaption>${esc(c.title)}</figcaption>${svg}${note}</figure>`;
}
