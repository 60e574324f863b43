/**
 * Headless Chromium's view of a written report: each chart's size, its plot
 * area, the items its `series` marks draw, and its tick labels that overlap
 * or leave the chart (test/report/report.test.ts, test/search/report.test.ts).
 */
import type { Page } from 'playwright-core';

export interface DrawnChart {
  chart: string;
  /** The items its figure promises (data-series). */
  expected: number;
  /** The items of its `series` marks that have a size. */
  series: number;
  w: number;
  h: number;
  /** The width of its card, less the card's padding. */
  card: number;
  plotW: number;
  plotH: number;
  ticks: number;
  problems: string[];
}

/** Every chart of the page open in `page`, as Chromium lays it out. */
export function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      type Box = { left: number; right: number; top: number; bottom: number; width: number; height: number };
      const svg = f.querySelector('svg')!;
      const box = svg.getBoundingClientRect() as Box;
      // Vega's root group: its background path is the plot area.
      const plot = (f.querySelector('g.role-frame.root > g > path.background') as unknown as { getBBox(): Box } | null)?.getBBox();
      const series = [...f.querySelectorAll('g.series > *, g.series_marks > *')].filter((s) => {
        const b = (s as unknown as { getBBox(): Box }).getBBox();
        return b.width > 0 || b.height > 0;
      }).length;
      const problems: string[] = [];
      let ticks = 0;
      for (const axis of f.querySelectorAll('g.role-axis')) {
        const labels = [...axis.querySelectorAll('g.role-axis-label > text')]
          .filter((l) => l.getAttribute('opacity') !== '0' && (l.textContent ?? '') !== '')
          .map((l) => ({ text: l.textContent!, b: l.getBoundingClientRect() as Box }));
        ticks += labels.length;
        labels.forEach((a, i) => {
          if (a.b.left < box.left - 1 || a.b.right > box.right + 1 || a.b.top < box.top - 1 || a.b.bottom > box.bottom + 1) problems.push(`tick label ${a.text} is outside the chart`);
          for (const b of labels.slice(i + 1)) {
            const w = Math.min(a.b.right, b.b.right) - Math.max(a.b.left, b.b.left);
            const h = Math.min(a.b.bottom, b.b.bottom) - Math.max(a.b.top, b.b.top);
            if (w > 0.5 && h > 0.5) problems.push(`tick labels ${a.text} and ${b.text} overlap`);
          }
        });
      }
      const card = (f as unknown as { clientWidth: number }).clientWidth - 16;
      return { chart: f.getAttribute('data-chart')!, expected: Number(f.getAttribute('data-series')), series, w: box.width, h: box.height, card, plotW: plot?.width ?? 0, plotH: plot?.height ?? 0, ticks, problems };
    }),
  );
}
