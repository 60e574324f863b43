/**
 * The look shared by every chart of the report: sizes, colours and the
 * Vega-Lite config (fonts, axes, legends), in one place.
 */

/** Series colours (Tableau 10), in the order series are given. */
export const PALETTE = ['#4c78a8', '#e45756', '#54a24b', '#f58518', '#b279a2', '#9d755d', '#ff9da6', '#79706e', '#eeca3b', '#72b7b2'];

/** The whole size (plot, axes and legend) of an ordinary chart, in CSS pixels; a card shows it at this width or scaled down to fit. */
export const CHART = { width: 460, height: 270 };
/** A chart that spans the whole page. */
export const WIDE = { width: 960, height: 300 };

/** Written on every text element of every chart, so kept short. */
export const FONT = 'sans-serif';

/** Text colours: ticks, titles, the faint note colour. */
export const INK = { text: '#333', muted: '#666', grid: '#e6e6e6', domain: '#888' };

/** The Vega-Lite config of every chart. */
export const CONFIG = {
  font: FONT,
  background: 'white',
  // No ARIA attributes on every mark item: a scatter's points would triple in size. Each chart's figure has its caption.
  aria: false,
  padding: 4,
  view: { stroke: null },
  axis: {
    labelFont: FONT,
    titleFont: FONT,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: INK.text,
    titleColor: INK.muted,
    gridColor: INK.grid,
    domainColor: INK.domain,
    tickColor: INK.domain,
    labelOverlap: true,
    labelFlush: true,
    labelLimit: 120,
    titlePadding: 6,
  },
  legend: {
    labelFont: FONT,
    titleFont: FONT,
    labelFontSize: 11,
    titleFontSize: 11,
    labelColor: INK.text,
    titleColor: INK.muted,
    labelLimit: 200,
    symbolStrokeWidth: 2.5,
  },
  text: { font: FONT, fontSize: 11, fill: INK.text },
  line: { strokeWidth: 2 },
};

/** The autosize that makes a chart's whole size (axes and legend included) the width and height given. */
export const FIT = { type: 'fit', contains: 'padding' } as const;
