/**
 * Text widths for Vega's layout in Node, where there is no canvas to measure
 * text with: Vega's own guess (0.8 × font size per character) makes labels of
 * digits and lower-case letters half again as wide as they are drawn, which
 * cuts layer names short and pushes axis titles away. This table holds the
 * advance widths of DejaVu Sans (the sans-serif of most Linux systems, and
 * wider than Arial or Helvetica, so that labels fit wherever the page is read),
 * in em, by character.
 */

const WIDTHS: Record<string, number> = {
  ' ': 0.318, '.': 0.318, ',': 0.318, ':': 0.337, ';': 0.337, '-': 0.361, '−': 0.838, '+': 0.838, '=': 0.838, '<': 0.838, '>': 0.838,
  '(': 0.39, ')': 0.39, '[': 0.39, ']': 0.39, '/': 0.337, '_': 0.5, '%': 0.95, '&': 0.78, "'": 0.275, '"': 0.46, '²': 0.4,
  a: 0.613, b: 0.635, c: 0.55, d: 0.635, e: 0.615, f: 0.352, g: 0.635, h: 0.634, i: 0.278, j: 0.278, k: 0.579, l: 0.278, m: 0.974,
  n: 0.634, o: 0.612, p: 0.635, q: 0.635, r: 0.411, s: 0.521, t: 0.392, u: 0.634, v: 0.592, w: 0.818, x: 0.592, y: 0.592, z: 0.525,
  A: 0.684, B: 0.686, C: 0.698, D: 0.77, E: 0.632, F: 0.575, G: 0.775, H: 0.752, I: 0.295, J: 0.295, K: 0.656, L: 0.557, M: 0.863,
  N: 0.748, O: 0.787, P: 0.603, Q: 0.787, R: 0.695, S: 0.635, T: 0.611, U: 0.732, V: 0.684, W: 0.989, X: 0.685, Y: 0.611, Z: 0.685,
};
const DIGIT = 0.636;
/** Characters not in the table (symbols, other scripts) count as wide. */
const OTHER = 0.9;

/** The width in pixels of `text` at `fontSize` pixels. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  let em = 0;
  for (const c of text) em += c >= '0' && c <= '9' ? DIGIT : (WIDTHS[c] ?? OTHER);
  return em * fontSize * (bold ? 1.1 : 1);
}

interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
}

/** Vega's `textMetrics.width`: the widest line of an item's text. */
export function vegaTextWidth(item: TextItem, text?: unknown): number {
  const value = text ?? item.text;
  const lines = Array.isArray(value) ? value.map(String) : [value == null ? '' : String(value)];
  const bold = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600;
  return Math.max(0, ...lines.map((l) => textWidth(l, item.fontSize ?? 11, bold)));
}
