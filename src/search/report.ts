/**
 * `strata report DIR` on a search directory: one self-contained HTML page, in
 * the style of a run's report (src/report/), with the search's plan and
 * trials: a table of every trial best first, the primary objective against
 * each parameter, every trial's curve (where the scheduler stopped trials
 * shows), and with several objectives the Pareto front of the first two.
 * Everything is read from the search directory: search.yaml and search.json
 * (the plan) and search.jsonl (the trials); nothing is trained or loaded.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { osFailure, UsageError } from '../errors.js';
import { lineChart } from '../report/charts/line.js';
import { categoryChart, frontChart, pointChart } from '../report/charts/points.js';
import { figure } from '../report/charts/render.js';
import type { Chart } from '../report/charts/render.js';
import { page } from '../report/html.js';
import { count, esc } from '../report/text.js';
import { readSpecFile } from '../spec/read.js';
import { frontOf, PARAMS } from './objectives.js';
import type { Objective } from './objectives.js';
import { counted, readTrials } from './run.js';
import { BEST_SPEC, isSearchDir, SEARCH_OPTIONS, SEARCH_SPEC, TRIALS_DIR, TRIALS_FILE, trialName, trialSpecFile } from './files.js';
import type { TrialRecord } from './run.js';
import { readSearch } from './section.js';
import type { SearchPlan } from './section.js';
import { canonicalJson } from './space.js';
import type { Parameter } from './space.js';

/** The search page's additions to the report's style: a wide table scrolls, the front's rows stand out. */
const CSS_SEARCH = `.scroll{overflow-x:auto}table.trials td.msg{color:#a33;overflow-wrap:anywhere}table.trials tr.front td:first-child{font-weight:600}td.c{text-align:center}`;

export interface SearchReportResult {
  bytes: number;
  trials: TrialRecord[];
  /** With several objectives: the trials on the Pareto front, by trial number. */
  front?: TrialRecord[];
}


/** A parameter's value, short: strings as they are, anything else as JSON, cut at 24 characters. */
export function shortValue(v: unknown): string {
  const text = typeof v === 'string' ? v : typeof v === 'number' ? String(Number(v.toPrecision(4))) : (JSON.stringify(v) ?? String(v));
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

/** An objective's value for the table: the parameter count whole, a metric to 4 decimals. */
function shown(metric: string, v: number | undefined): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  return metric === PARAMS ? Math.round(v).toLocaleString('en-US') : v.toFixed(4);
}

const aim = (o: Objective) => `${o.goal} ${o.metric}`;

function schedulerText(p: SearchPlan): string {
  const s = p.scheduler;
  if (s.kind === 'asha') return `asha (grace ${count(s.grace, 'epoch')}, reduction ${s.reduction})`;
  if (s.kind === 'median') return `median (grace ${count(s.grace, 'epoch')}, after ${count(s.minTrials, 'trial')})`;
  return 'none';
}

/** `target` as a link from the page at `file`, a relative URL with / between folders. */
function link(file: string, target: string, text: string): string {
  const href = relative(dirname(resolve(file)), resolve(target)).split(sep).map(encodeURIComponent).join('/');
  return `<a href="${esc(href || '.')}">${esc(text)}</a>`;
}

/** The plan and the trials of search directory `dir` (a UsageError when it is not one). */
function readDir(dir: string): { plan: SearchPlan; name: string; trials: TrialRecord[] } {
  const log = join(dir, TRIALS_FILE);
  if (!isSearchDir(dir)) throw new UsageError({ arg: dir, code: 'search-not-found', message: `'${dir}' is not a search directory (it has no ${TRIALS_FILE}); give the directory strata search wrote` });
  let sets: string[] = [];
  const options = join(dir, SEARCH_OPTIONS);
  if (existsSync(options)) {
    try {
      sets = (JSON.parse(readFileSync(options, 'utf8')) as { sets?: string[] }).sets ?? [];
    } catch (e) {
      throw new UsageError({ file: options, code: 'search-bad-options', message: `cannot read the search's options: ${(e as Error).message}` });
    }
  }
  const spec = readSpecFile(join(dir, SEARCH_SPEC), { overrides: sets });
  const plan = readSearch(spec, spec.source!.text, sets);
  return { plan, name: spec.name, trials: existsSync(log) ? readTrials(log, plan.primary.metric) : [] };
}

/** Counted trials, the primary objective's best first; the rest after them by number. */
function bestFirst(trials: TrialRecord[], primary: Objective): TrialRecord[] {
  const sign = primary.goal === 'maximize' ? -1 : 1;
  return [...trials].sort((a, b) => {
    const ca = counted(a);
    const cb = counted(b);
    if (ca !== cb) return ca ? -1 : 1;
    if (ca && a.value !== b.value) return sign * (a.value! - b.value!);
    return a.trial - b.trial;
  });
}

function heading(dir: string, file: string, name: string, plan: SearchPlan, trials: TrialRecord[], best: TrialRecord | undefined): string {
  const several = plan.objectives.length > 1;
  const statuses = ['done', 'stopped', 'invalid', 'failed', 'interrupted'] as const;
  const byStatus = statuses.map((s) => [s, trials.filter((t) => t.status === s).length] as const).filter(([, n]) => n > 0);
  const tally = `${count(trials.length, 'trial')} of ${plan.trials}${byStatus.length ? `: ${byStatus.map(([s, n]) => `${n} ${s}`).join(', ')}` : ''}`;
  const lines = [
    `${esc(plan.objectives.map(aim).join(', '))}${several ? ' (a Pareto front)' : ''} · algorithm ${esc(plan.algorithm)} · scheduler ${esc(schedulerText(plan))}${plan.parallel > 1 ? ` · ${plan.parallel} at a time` : ''}`,
    `${esc(tally)} · written ${esc(new Date().toISOString())}`,
  ];
  let bestLine = `No trial finished with a value of ${esc(plan.primary.metric)}.`;
  if (best) {
    const name3 = trialName(best.trial);
    const spec = trialSpecFile(dir, best.trial);
    const run = join(dir, TRIALS_DIR, name3);
    const others = plan.objectives.filter((o) => o.metric !== plan.primary.metric).map((o) => `${o.metric} ${shown(o.metric, best.values?.[o.metric])}`);
    const where = [existsSync(spec) ? `its spec ${link(file, spec, `trials/${name3}.yaml`)}` : '', existsSync(run) ? `its run ${link(file, run, `trials/${name3}/`)}` : '', existsSync(join(dir, BEST_SPEC)) ? `the same spec as ${link(file, join(dir, BEST_SPEC), BEST_SPEC)}` : ''].filter(Boolean);
    bestLine = `Best${several ? ` by ${esc(plan.primary.metric)}` : ''}: trial ${best.trial}, ${esc(plan.primary.metric)} ${shown(plan.primary.metric, best.value)}${others.length ? ` (${esc(others.join(', '))})` : ''}${where.length ? `; ${where.join(', ')}` : ''}.`;
  }
  return `<h1>${esc(name)}: search</h1>${lines.map((l) => `<p class="meta">${l}</p>`).join('')}<p class="meta" data-best="${best?.trial ?? ''}">${bestLine}</p>`;
}

function table(plan: SearchPlan, sorted: TrialRecord[], onFront: Set<number>): string {
  const several = plan.objectives.length > 1;
  const keys = plan.parameters.map((p) => p.path);
  const head = ['Trial', 'Status', ...plan.objectives.map((o) => o.metric), ...(several ? ['Front'] : []), 'Epochs', 'Seconds', ...keys];
  const rows = sorted.map((t) => {
    const cells = [
      `<td>${t.trial}</td>`,
      `<td class="l">${esc(t.status)}</td>`,
      ...plan.objectives.map((o) => `<td>${shown(o.metric, t.values?.[o.metric])}</td>`),
      ...(several ? [`<td class="c">${onFront.has(t.trial) ? '●' : ''}</td>`] : []),
      `<td>${t.epochs ?? '–'}</td>`,
      `<td>${t.seconds.toFixed(1)}</td>`,
      ...keys.map((k) => (k in t.params ? `<td class="l" title="${esc(JSON.stringify(t.params[k]) ?? '')}">${esc(shortValue(t.params[k]))}</td>` : '<td class="l">–</td>')),
    ];
    // An invalid or failed trial's message on a row of its own, under the trial, across the table.
    const message = t.message ? `<tr class="message" data-message-of="${t.trial}"><td></td><td class="l msg" colspan="${head.length - 1}">${esc(t.message)}</td></tr>` : '';
    return `<tr data-trial="${t.trial}" data-status="${esc(t.status)}"${onFront.has(t.trial) ? ' class="front"' : ''}>${cells.join('')}</tr>${message}`;
  });
  const note = `Trials that counted (done, or stopped early by the scheduler) first, the best by ${plan.primary.metric} at the top; each trial's objectives are at its best epoch by ${plan.primary.metric}.${several ? ' ● marks the trials on the Pareto front.' : ''} A parameter a trial did not draw (its condition not met) is –.`;
  return `<div class="scroll"><table class="trials"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div><p class="note">${esc(note)}</p>`;
}

/** The primary objective against one parameter's values, over the trials that counted and drew it. */
function parameterChart(p: Parameter, i: number, trials: TrialRecord[], primary: Objective): Chart {
  const drew = trials.filter((t) => p.path in t.params);
  const id = `parameter-${i + 1}`;
  const title = `${primary.metric} against ${p.path}`;
  const left = trials.length - drew.length;
  const note = left > 0 ? `${count(left, 'trial')} that counted did not draw ${p.path} (its condition not met).` : undefined;
  const o = { xLabel: p.path, yLabel: primary.metric, ...(note ? { note } : {}) };
  const ys = drew.map((t) => t.value!);
  if (p.space.kind === 'choice' || p.space.kind === 'grid') {
    const keys = p.space.values.map(canonicalJson);
    const points = drew.map((t, k) => ({ category: keys.indexOf(canonicalJson(t.params[p.path])), y: ys[k]! }));
    return categoryChart(id, title, p.space.values.map(shortValue), points, o);
  }
  return pointChart(id, title, drew.map((t) => Number(t.params[p.path])), ys, { ...o, log: p.space.kind === 'loguniform' });
}

function curves(trials: TrialRecord[], primary: Objective): Chart {
  const withCurve = trials.filter((t) => t.curve && t.curve.length > 0);
  const longest = Math.max(0, ...withCurve.map((t) => t.curve!.length));
  const xs = Array.from({ length: longest }, (_, i) => i + 1);
  const series = withCurve.map((t) => ({ name: `trial ${t.trial}${t.status === 'stopped' ? ' (stopped)' : ''}`, values: t.curve!.map((v) => (typeof v === 'number' ? v : undefined)) }));
  const many = series.length > 20;
  const note = `${primary.metric} at each epoch of every trial that counted; a trial stopped by the scheduler ends early.${many ? ' (No legend for so many trials.)' : ''}`;
  return lineChart('curves', `${primary.metric} per epoch, by trial`, xs, series, { xLabel: 'epoch', yLabel: primary.metric, wide: true, note, ...(many ? { legend: false } : {}) });
}

function paretoChart(plan: SearchPlan, trials: TrialRecord[], front: TrialRecord[]): Chart {
  const [a, b] = plan.objectives as [Objective, Objective];
  const value = (t: TrialRecord, o: Objective) => t.values?.[o.metric] ?? Number.NaN;
  const on = new Set(front.map((t) => t.trial));
  const more = plan.objectives.length > 2;
  const note = more
    ? `The front is of all ${plan.objectives.length} objectives (${plan.objectives.map((o) => o.metric).join(', ')}), drawn against the first two: a trial on it may look beaten here by one that is worse at another objective.`
    : `The highlighted trials are the Pareto front: no other trial is better at both ${a.metric} (${a.goal}) and ${b.metric} (${b.goal}). The line is the edge of what they beat.`;
  return frontChart(
    'pareto',
    `${b.metric} against ${a.metric}`,
    trials.map((t) => value(t, a)),
    trials.map((t) => value(t, b)),
    trials.map((t) => String(t.trial)),
    trials.flatMap((t, i) => (on.has(t.trial) ? [i] : [])),
    // Steps along the edge of the region the front beats: across then up (or down) when smaller x is better.
    { xLabel: a.metric, yLabel: b.metric, note, ...(more ? {} : { step: a.goal === 'minimize' ? 'after' : 'before' }) },
  );
}

async function figures(charts: Chart[]): Promise<string> {
  const out: string[] = [];
  for (const c of charts) out.push(await figure(c));
  return out.join('');
}

/** The search report's page for search directory `dir`, to be written at `file` (links are relative to it). */
export async function renderSearchReport(dir: string, file: string): Promise<{ html: string } & SearchReportResult> {
  const { plan, name, trials } = readDir(dir);
  const several = plan.objectives.length > 1;
  const good = trials.filter(counted);
  const sorted = bestFirst(trials, plan.primary);
  const best = sorted.find(counted);
  const front = several ? frontOf(good, plan.objectives) : undefined;
  const onFront = new Set((front ?? []).map((t) => t.trial));
  const none = '<p>No trial has counted yet (done or stopped with a value of the objective).</p>';
  const parts = [heading(dir, file, name, plan, trials, best), `<h2>Trials</h2>${table(plan, sorted, onFront)}`];
  parts.push(`<h2 data-section="parameters">${esc(plan.primary.metric)} against each parameter</h2>`);
  parts.push(good.length ? `<p class="note">A point per trial that counted, at its best epoch.</p><div class="charts">${await figures(plan.parameters.map((p, i) => parameterChart(p, i, good, plan.primary)))}</div>` : none);
  parts.push(`<h2 data-section="curves">Curves</h2>`);
  parts.push(good.some((t) => t.curve?.length) ? `<div class="charts">${await figure(curves(good, plan.primary))}</div>` : none);
  if (several) {
    parts.push(`<h2 data-section="front">Pareto front</h2>`);
    const list = front!.length ? `<p class="meta">On the front: ${count(front!.length, 'trial')}, ${front!.map((t) => t.trial).join(', ')} (their specs: trials/NNN.yaml).</p>` : '';
    parts.push(good.length ? `${list}<div class="charts">${await figure(paretoChart(plan, good, front!))}</div>` : none);
  }
  const html = page(`${name}: strata search report`, parts.join('\n'), CSS_SEARCH);
  return { html, bytes: Buffer.byteLength(html), trials, ...(front ? { front } : {}) };
}

/** Write the report of search directory `dir` to `file`; what it showed and the file's size in bytes. */
export async function writeSearchReport(dir: string, file: string): Promise<SearchReportResult> {
  const { html, ...result } = await renderSearchReport(dir, file);
  try {
    writeFileSync(file, html);
  } catch (e) {
    throw osFailure(e, `cannot write the report ${file}`, { ENOENT: 'the folder it goes in does not exist' });
  }
  return result;
}

