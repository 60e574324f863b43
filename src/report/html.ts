/**
 * The report as one self-contained HTML page: inline CSS and static SVG charts
 * (rendered by Vega when the page is written), no scripts, no network.
 */
import { describeCheckpoint } from '../checkpoint/store.js';
import { LOSS_KEY, VALIDATION_PREFIX } from '../train-registry/catalog.js';
import { SPARSITY_PREFIX } from '../train-registry/pruning.js';
import type { ReportData } from './collect.js';
import { drawnSteps } from './attention.js';
import { barChart } from './charts/bars.js';
import { confusionChart } from './charts/confusion.js';
import { graphChart } from './charts/graph.js';
import { lineChart } from './charts/line.js';
import { figure } from './charts/render.js';
import type { Chart } from './charts/render.js';
import { scatterChart } from './charts/scatter.js';
import { weightMap } from './charts/weights.js';
import { count, esc, fmt } from './text.js';

/** The page's style, shared by the run report and the search report (src/search/report.ts). */
export const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:16px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:3px;margin-top:28px}
.meta{color:#666}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:16px;align-items:start}
figure.chart{margin:0;border:1px solid #eee;padding:8px;border-radius:6px;min-width:0}figure.chart.wide{grid-column:1/-1}
figcaption{font-weight:600;margin-bottom:4px}figure.chart svg{display:block;max-width:100%;height:auto;margin:0 auto}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}
td.l{text-align:left}.note{color:#666;font-size:12px;margin:4px 0 0}.mistakes{display:flex;flex-wrap:wrap;gap:8px}
.mistakes figure{margin:0;text-align:center;font-size:11px}.mistakes img{width:56px;height:56px;image-rendering:pixelated;border:1px solid #ccc}
pre.sample{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f7f7;padding:8px;border-radius:4px}.charts>.wide{grid-column:1/-1}`;

/** The charts' figures, rendered in order. */
async function figures(charts: Chart[]): Promise<string> {
  const out: string[] = [];
  for (const c of charts) out.push(await figure(c));
  return out.join('');
}

const SKIP = new Set(['epoch', 'lr', 'seconds', 'samples_per_second', 'batch']);

async function learningCurves(d: ReportData): Promise<string> {
  if (d.epochs.length === 0) return '<p>No epochs are logged in metrics.jsonl yet.</p>';
  const xs = d.epochs.map((e) => e.epoch ?? 0);
  const all = [...new Set(d.epochs.flatMap((e) => Object.keys(e)))];
  const keys = all.filter((k) => !SKIP.has(k) && !k.startsWith(VALIDATION_PREFIX) && !k.startsWith(SPARSITY_PREFIX));
  const charts = keys.map((k) => {
    const series = [{ name: `train ${k}`, values: d.epochs.map((e) => e[k]) }];
    if (d.epochs.some((e) => typeof e[`${VALIDATION_PREFIX}${k}`] === 'number')) series.push({ name: `validation ${k}`, values: d.epochs.map((e) => e[`${VALIDATION_PREFIX}${k}`]) });
    return lineChart(k, k === LOSS_KEY ? 'Loss' : k, xs, series, { xLabel: 'epoch', yLabel: k });
  });
  if (d.epochs.some((e) => typeof e.lr === 'number')) charts.push(lineChart('lr', 'Learning rate', xs, [{ name: 'learning rate', values: d.epochs.map((e) => e.lr) }], { xLabel: 'epoch', yLabel: 'learning rate' }));
  // train.pruning: each pruned layer's sparsity (the fraction of its kernels' weights that are zero), one series per layer.
  const pruned = all.filter((k) => k.startsWith(SPARSITY_PREFIX));
  if (pruned.length > 0) {
    const series = pruned.map((k) => ({ name: k.slice(SPARSITY_PREFIX.length), values: d.epochs.map((e) => e[k]) }));
    charts.push(lineChart('sparsity', 'Sparsity per pruned layer', xs, series, { xLabel: 'epoch', yLabel: 'fraction of kernel weights at zero' }));
  }
  return `<div class="charts">${await figures(charts)}</div>`;
}

async function modelSection(d: ReportData): Promise<string> {
  const rows = d.layers
    .map((l) => `<tr><td>${esc(l.name)}</td><td class="l">${esc(l.type)}</td><td class="l">${esc(l.inputs.join(', '))}</td><td class="l">[${l.outputShape.map((v) => (v === null ? 'batch' : String(v))).join(', ')}]</td><td>${l.params.toLocaleString('en-US')}</td></tr>`)
    .join('');
  const table = `<table><thead><tr><th>Layer</th><th>Type</th><th>Inputs</th><th>Output shape</th><th>Params</th></tr></thead><tbody>${rows}</tbody><tfoot><tr><td>total</td><td></td><td></td><td></td><td>${d.totalParams.toLocaleString('en-US')}</td></tr></tfoot></table>`;
  const graph = d.branched ? `<div class="charts">${await figure({ ...graphChart('graph', 'Layer graph', d.layers), wide: true })}</div>` : '';
  return table + graph;
}

async function classification(d: ReportData): Promise<string> {
  const c = d.confusion;
  if (!c) return '';
  const rows = c.per_class.map((s) => `<tr><td>${esc(s.class)}</td><td>${s.precision.toFixed(3)}</td><td>${s.recall.toFixed(3)}</td><td>${s.f1.toFixed(3)}</td><td>${s.support}</td></tr>`).join('');
  const total = c.counts.flat().reduce((a, b) => a + b, 0);
  const right = c.counts.reduce((a, r, i) => a + r[i]!, 0);
  let out = `<h2>Classification (${esc(d.split ?? '')} split, ${total} examples, accuracy ${(total ? right / total : 0).toFixed(4)})</h2><div class="charts">${await figure(confusionChart('confusion', 'Confusion matrix', c.classes, c.counts))}<div><table><thead><tr><th>Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>${rows}</tbody></table></div></div>`;
  if (d.mistakes) {
    const cells = d.mistakes.map((m) => `<figure><img src="${m.image}" alt="true ${esc(m.true)}, predicted ${esc(m.predicted)}"><figcaption>true ${esc(m.true)}<br>pred ${esc(m.predicted)}</figcaption></figure>`).join('');
    out += `<h3>Misclassified examples${d.mistakes.length ? ` (first ${d.mistakes.length})` : ''}</h3>${d.mistakes.length ? `<div class="mistakes" data-mistakes="${d.mistakes.length}">${cells}</div>` : '<p>None.</p>'}`;
  }
  return out;
}

const METRIC_NAMES: Record<string, string> = { loss: 'Loss', mae: 'MAE', rmse: 'RMSE', r2: 'R²', mape: 'MAPE' };

/** A score with four significant digits. */
function score(v: number): string {
  const a = Math.abs(v);
  if (!Number.isFinite(v)) return String(v);
  return a !== 0 && (a >= 1e6 || a < 1e-4) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

async function regression(d: ReportData): Promise<string> {
  const r = d.regression;
  if (!r) return '';
  const target = r.target ? ` (${r.target})` : '';
  const rows = Object.entries(r.metrics).map(([k, v]) => `<tr data-metric="${esc(k)}"><td>${esc(METRIC_NAMES[k] ?? k)}</td><td>${esc(score(v))}</td></tr>`).join('');
  const others = Object.keys(r.metrics).filter((k) => !['mae', 'rmse', 'r2'].includes(k)).map((k) => (k === 'loss' ? 'the loss' : (METRIC_NAMES[k] ?? k)));
  const units = r.scaled
    ? `MAE and RMSE are in the data's units${target}; ${others.join(' and ')} ${others.length > 1 ? 'are' : 'is'} on the scaled targets the model was trained on; R² is the same in either.`
    : `MAE and RMSE are in the data's units${target}.`;
  const drawn = r.actual.length === r.values ? `All ${r.values} values` : `${r.actual.length} evenly spaced values of ${r.values}`;
  const what = d.task === 'forecasting' ? 'every forecast step' : 'every output';
  const residuals = r.predicted.map((p, i) => p - r.actual[i]!);
  const axis = `actual${target}`;
  const charts = [
    scatterChart('predicted-actual', 'Predicted against actual', r.actual, r.predicted, { xLabel: axis, yLabel: `predicted${target}`, reference: 'identity', note: 'Dashed: y = x, a perfect prediction.' }),
    scatterChart('residuals', 'Residual against actual', r.actual, residuals, { xLabel: axis, yLabel: 'predicted − actual', reference: 'zero', note: 'Above 0: predicted too high.' }),
  ];
  return `<h2 data-section="regression">${d.task === 'forecasting' ? 'Forecast errors' : 'Regression'} (${esc(d.split ?? '')} split, ${r.examples} examples)</h2><div class="charts"><div class="wide"><table><thead><tr><th>Metric</th><th>Value</th></tr></thead><tbody>${rows}</tbody></table><p class="note">${esc(units)}</p><p class="note">${esc(`${drawn} (${what} of each example) are drawn.`)}</p></div>${await figures(charts)}</div>`;
}

async function forecast(d: ReportData): Promise<string> {
  const f = d.forecast;
  if (!f) return '';
  const xs = f.actual.map((_, i) => i);
  return `<h2>Forecast (${esc(d.split ?? '')} split)</h2><div class="charts">${await figure(lineChart('forecast', `Predicted and actual ${f.target} (next step)`, xs, [{ name: 'actual', values: f.actual }, { name: 'predicted', values: f.predicted }], { wide: true, xLabel: 'time step', yLabel: f.target }))}</div>`;
}

function samples(d: ReportData): string {
  if (!d.samples) return '';
  const s = d.samples.map((x) => `<h3>temperature ${x.temperature}</h3><pre class="sample" data-temperature="${x.temperature}"><b>${esc(x.prompt)}</b>${esc(x.text)}</pre>`).join('');
  return `<h2>Generated text</h2><p class="note">Each sample continues the same prompt (in bold) from the ${esc(d.split ?? '')} split.</p>${s}`;
}

async function internals(d: ReportData): Promise<string> {
  const parts: string[] = [];
  const a = d.activations;
  if (a && a.stats.length) {
    const rows = a.stats.map((s) => `<tr><td>${esc(s.layer)}</td><td>${fmt(s.mean)}</td><td>${fmt(s.std)}</td><td>${s.dead === undefined ? '' : `${(s.dead * 100).toFixed(1)}%`}</td></tr>`).join('');
    parts.push(`<p class="note">Outputs of each layer on a fixed batch of the first ${a.examples} ${esc(d.split ?? '')} examples. Dead units: ReLU units (last axis) that are zero on every example.</p>`);
    parts.push(`<div class="charts"><div><table><thead><tr><th>Layer</th><th>Mean</th><th>Std</th><th>Dead ReLU units</th></tr></thead><tbody>${rows}</tbody></table></div>${await figure(barChart('activation-std', 'Activation standard deviation per layer', a.stats.map((s) => ({ name: s.layer, value: s.std }))))}</div>`);
  }
  const w = d.weightNorms;
  const norms: Chart[] = [];
  if (w && w.layers.length) norms.push(lineChart('weight-norms', 'Weight L2 norm per layer, per kept checkpoint', w.epochs, w.layers.map((name, i) => ({ name, values: w.norms.map((r) => r[i]) })), { xLabel: 'epoch', yLabel: 'L2 norm' }));
  const g = d.gradientNorms;
  if (g && g.layers.length) norms.push(lineChart('gradient-norms', 'Gradient L2 norm per layer during training', g.steps, g.layers.map((name, i) => ({ name, values: g.norms.map((r) => r[i]) })), { xLabel: 'step', yLabel: 'L2 norm' }));
  if (norms.length) parts.push(`<div class="charts">${await figures(norms)}</div>`);
  return parts.length ? `<h2>Inside the layers</h2>${parts.join('')}` : '';
}

/** A token as an axis label: whitespace made visible. */
function showToken(t: string): string {
  return t === ' ' ? '␣' : t === '\n' ? '↵' : t === '\t' ? '⇥' : t;
}

async function attentionMaps(d: ReportData): Promise<string> {
  const a = d.attention;
  if (!a || a.maps.length === 0) return '';
  const tokens = a.tokens;
  const axis = (n: number) => {
    const shown = drawnSteps(a, n);
    const words = tokens && n === tokens.length;
    return { shown, n, words, labels: Array.from({ length: shown }, (_, i) => (words ? showToken(tokens[i]!) : String(i))) };
  };
  const charts: Chart[] = [];
  const capped = new Set<string>();
  for (const m of a.maps) {
    const q = axis(m.queries);
    const k = axis(m.keys);
    if (m.heads > m.shown.length) capped.add(`the first ${m.shown.length} of the ${m.heads} heads of ${m.layer}`);
    for (const [x, what] of [[q, 'query'], [k, 'key']] as const) {
      if (x.shown < x.n) capped.add(`the first ${x.shown} of ${x.n} ${what} positions${x.words && x.shown === a.content && x.shown < a.maxSteps ? ' (the tokens before padding)' : ''}`);
    }
    for (const h of m.shown) {
      const part = m.part === 'attention' ? '' : ` ${m.part}`;
      const values = h.weights.slice(0, q.shown).map((r) => r.slice(0, k.shown));
      charts.push(weightMap(`attention-${m.layer}-${m.part}-${h.head + 1}`, `${m.layer}${part}, head ${h.head + 1} of ${m.heads}`, q.words ? 'query token' : 'query position', q.labels, k.words ? 'key token' : 'key position', k.labels, values, `Even attention over all ${m.keys} keys: ${fmt(1 / m.keys)}.`));
    }
  }
  const chars = tokens?.every((t) => [...t].length === 1 || /^<.+>$/.test(t));
  const sample = tokens ? `<pre class="sample">${esc(tokens.slice(0, drawnSteps(a, tokens.length)).join(chars ? '' : ' '))}</pre>` : '';
  const cap = capped.size ? ` Drawn: ${esc([...capped].join('; '))}.` : '';
  return `<h2>Attention maps</h2><p class="note">The attention weights (after the softmax, as in prediction) of each attention layer on example ${a.example + 1} of the ${esc(d.split ?? '')} split: one map per head, a row per query position, a column per key position; each row sums to 1. Darker is more weight, scaled to each map's largest.${cap}</p>${sample}<div class="charts">${await figures(charts)}</div>`;
}

/** The run report's page. */
export async function renderReport(d: ReportData): Promise<string> {
  const last = d.epochs[d.epochs.length - 1];
  const headline = last ? Object.entries(last).filter(([k]) => !SKIP.has(k) && !k.startsWith(SPARSITY_PREFIX)).map(([k, v]) => `${esc(k)} ${fmt(v)}`).join(' · ') : '';
  return page(`${d.name}: strata report`, `<h1>${esc(d.name)}</h1>
<p class="meta">${esc(d.task)} on ${esc(d.dataset)} · ${count(d.epochs.length, 'epoch')} · checkpoint ${esc(describeCheckpoint(d.checkpoint))} · written ${esc(d.created)}</p>
${headline ? `<p class="meta">Last epoch: ${headline}</p>` : ''}
<h2>Learning curves</h2>${await learningCurves(d)}
<h2>Model (${d.totalParams.toLocaleString('en-US')} parameters)</h2>${await modelSection(d)}
${await classification(d)}${await regression(d)}${await forecast(d)}${samples(d)}${await internals(d)}${await attentionMaps(d)}`);
}

/**
 * A whole page around `body`: the shared style (plus `css`), under a Content-Security-Policy
 * that allows no scripts and no network, only inline styles and data: images.
 */
export function page(title: string, body: string, css = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${CSS}${css}</style></head><body>
${body}
</body></html>
`;
}
