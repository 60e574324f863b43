/** Reading a written report's HTML in tests: a chart's figure, its drawn series and its tick labels (as Vega renders them). */

/** The SVG of chart `id` in a page. */
export const figureOf = (html: string, id: string): string => html.slice(html.indexOf(`data-chart="${id}"`)).split('</figure>')[0]!;

/** The items (paths, images) Vega drew in the `series` marks of a chart's SVG. */
export const seriesItems = (fig: string): number =>
  [...fig.matchAll(/<g class="mark-\w+ role-mark series(?:_marks)?"[^>]*>(.*?)<\/g>/g)].reduce((n, m) => n + (m[1]!.match(/<(path|image)\b/g) ?? []).length, 0);

/** The tick labels of a chart's axes, axis by axis in the order drawn. */
export const tickLabels = (fig: string): string[][] =>
  [...fig.matchAll(/<g class="mark-text role-axis-label"[^>]*>(.*?)<\/g>/g)].map((m) => [...m[1]!.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]!));
