/**
 * `strata report` on a search directory, written by hand (no trial trains
 * here): two objectives, val_accuracy to maximize and params to minimize, and
 * eight trials, one stopped by the scheduler, one invalid, one failed, one
 * interrupted and then finished. The page has the table best first, a chart
 * per parameter, a curve per trial that counted, and the Pareto front with
 * exactly its trials highlighted (worked out by hand below); a search of one
 * objective has no front. Through the executable, `strata report DIR --json`
 * writes it; in headless Chromium (skipped where it is missing, outside CI)
 * every chart has a plot area, draws its series and keeps its ticks apart.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { renderSearchReport, shortValue, writeSearchReport } from '../../src/search/report.js';
import { launchChromium } from '../helpers/chromium.js';
import { strata } from '../helpers/cli.js';
import { figureOf, seriesItems, tickLabels } from '../helpers/report-html.js';
import { drawnCharts } from '../helpers/report-page.js';
import { tempDir } from '../helpers/tmp.js';
import { TINY_SEARCH_SPEC } from '../helpers/tiny-search.js';

const SPEC = (objective: string) => `${TINY_SEARCH_SPEC.replace('epochs: 2', 'epochs: 3')}  parameters:
    train.optimizer.learning_rate: {space: loguniform, low: 0.0001, high: 0.03}
    model.layers[2].units: {space: int, low: 8, high: 32, step: 8}
    model.layers[2].activation: {space: choice, values: [relu, tanh]}
    model.layers[1]: {space: choice, values: [{type: flatten}, {type: flatten, name: flat_input}, {type: flatten, name: flatten_the_images}]}
  objective: ${objective}
  trials: 10
  algorithm: tpe
  scheduler: asha
`;

const TWO = '[{metric: val_accuracy, goal: maximize}, {metric: params, goal: minimize}]';
const ONE = '{metric: val_accuracy, goal: maximize}';

/** The flatten layers the search chooses from: mappings, written as short JSON (cut alike, kept apart). */
const FLATTEN = [{ type: 'flatten' }, { type: 'flatten', name: 'flat_input' }, { type: 'flatten', name: 'flatten_the_images' }];
const P = (lr: number, units: number, activation: string) => ({ 'train.optimizer.learning_rate': lr, 'model.layers[2].units': units, 'model.layers[2].activation': activation, 'model.layers[1]': FLATTEN[units % 3] });
const counted = (trial: number, status: 'done' | 'stopped', lr: number, units: number, activation: string, curve: number[], params: number) => {
  const value = Math.max(...curve);
  return { trial, params: P(lr, units, activation), status, value, values: { val_accuracy: value, params }, epochs: curve.length, curve, seconds: 2 + trial / 10, run: `trials/${String(trial).padStart(3, '0')}` };
};

/** The trials: search.jsonl's lines (trial 7 twice: interrupted, then finished on --resume). */
const LINES = [
  counted(1, 'done', 0.001, 16, 'relu', [0.7, 0.78, 0.8], 12730),
  counted(2, 'done', 0.01, 32, 'tanh', [0.75, 0.85, 0.84], 25450),
  counted(3, 'stopped', 0.0003, 8, 'relu', [0.6], 6370),
  { trial: 4, params: P(0.02, 24, 'tanh'), status: 'invalid', seconds: 0, message: 'a spec strata refuses: made up for this test' },
  { trial: 5, params: P(0.0005, 16, 'tanh'), status: 'failed', epochs: 0, curve: [], seconds: 1.5, run: 'trials/005', message: 'out of memory' },
  counted(6, 'done', 0.003, 8, 'tanh', [0.7, 0.76, 0.78], 6370),
  { trial: 7, params: P(0.002, 24, 'relu'), status: 'interrupted', epochs: 1, curve: [0.7], seconds: 1, run: 'trials/007' },
  counted(7, 'done', 0.002, 24, 'relu', [0.7, 0.8, 0.83], 19090),
  counted(8, 'done', 0.005, 32, 'relu', [0.72, 0.82, 0.81], 25450),
];

/**
 * The front by hand, (val_accuracy, params): 6 (0.78, 6370) beats 3 (0.60, 6370); 2 (0.85, 25450)
 * beats 8 (0.82, 25450); no trial has more accuracy than 6, 1, 7 or 2 with as few parameters.
 * In order of val_accuracy, as the front chart joins them.
 */
const FRONT = [6, 1, 7, 2];
/** Best first by val_accuracy, the trials that did not count after them by number. */
const ORDER = [2, 7, 8, 1, 6, 3, 4, 5];

function searchDir(objective: string): string {
  const dir = tempDir('strata-search-report-');
  writeFileSync(join(dir, 'search.yaml'), SPEC(objective));
  writeFileSync(join(dir, 'search.json'), `${JSON.stringify({ sets: ['train.epochs=3'], trainArgs: ['--backend', 'cpu'], parallel: 1 })}\n`);
  writeFileSync(join(dir, 'search.jsonl'), `${LINES.map((l) => JSON.stringify(l)).join('\n')}\n`);
  mkdirSync(join(dir, 'trials', '002'), { recursive: true });
  writeFileSync(join(dir, 'trials', '002.yaml'), 'version: 1\n');
  writeFileSync(join(dir, 'best.yaml'), 'version: 1\n');
  return dir;
}

const charts = (html: string) => Object.fromEntries([...html.matchAll(/data-chart="([^"]+)" data-series="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])]));
/** The items of a chart's mark named `name` (Vega-Lite's `NAME_marks`). */
const markItems = (fig: string, name: string) => [...fig.matchAll(new RegExp(`<g class="mark-\\w+ role-mark ${name}_marks"[^>]*>(.*?)</g>`, 'g'))].reduce((n, m) => n + (m[1]!.match(/<(path|text)\b/g) ?? []).length, 0);
const markTexts = (fig: string, name: string) => [...(fig.match(new RegExp(`<g class="mark-text role-mark ${name}_marks"[^>]*>(.*?)</g>`))?.[1] ?? '').matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

let two: string;
let twoFile: string;
let one: string;
let oneFile: string;

before(async () => {
  two = searchDir(TWO);
  twoFile = join(two, 'report.html');
  await writeSearchReport(two, twoFile);
  one = searchDir(ONE);
  oneFile = join(one, 'report.html');
  await writeSearchReport(one, oneFile);
});

test('the page: the plan, the counts by status, and the best trial with relative links to its spec and run', () => {
  const html = readFileSync(twoFile, 'utf8');
  assert.match(html, /<h1>tiny-search: search<\/h1>/);
  assert.match(html, /maximize val_accuracy, minimize params \(a Pareto front\) · algorithm tpe · scheduler asha \(grace 1 epoch, reduction 3\)/);
  assert.match(html, /8 trials of 10: 5 done, 1 stopped, 1 invalid, 1 failed/);
  assert.match(html, /data-best="2">Best by val_accuracy: trial 2, val_accuracy 0\.8500 \(params 25,450\)/);
  assert.match(html, /its spec <a href="trials\/002\.yaml">trials\/002\.yaml<\/a>, its run <a href="trials\/002">trials\/002\/<\/a>, the same spec as <a href="best\.yaml">best\.yaml<\/a>/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">/);
  assert.match(html, /figure\.chart\{/, "the run report's style");
});

test('the table: every trial best first, objectives formatted, the front marked, messages of invalid and failed trials', () => {
  const html = readFileSync(twoFile, 'utf8');
  const rows = [...html.matchAll(/<tr data-trial="(\d+)" data-status="(\w+)"( class="front")?>(.*?)<\/tr>/g)];
  assert.deepEqual(rows.map((r) => Number(r[1])), ORDER);
  assert.deepEqual(rows.filter((r) => r[3]).map((r) => Number(r[1])).sort(), [...FRONT].sort());
  const cells = (trial: number) => [...rows.find((r) => Number(r[1]) === trial)![4]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]!);
  // trial, status, val_accuracy, params, front, epochs, seconds, the four parameters (a mapping as short JSON)
  assert.deepEqual(cells(7), ['7', 'done', '0.8300', '19,090', '●', '3', '2.7', '0.002', '24', 'relu', '{&quot;type&quot;:&quot;flatten&quot;}']);
  assert.deepEqual(cells(3), ['3', 'stopped', '0.6000', '6,370', '', '1', '2.3', '0.0003', '8', 'relu', '{&quot;type&quot;:&quot;flatten&quot;,&quot;name…']);
  assert.deepEqual(cells(4), ['4', 'invalid', '–', '–', '', '–', '0.0', '0.02', '24', 'tanh', '{&quot;type&quot;:&quot;flatten&quot;}']);
  assert.equal(cells(5)[1], 'failed');
  // The messages of the invalid and the failed trial, each on a row under its trial's.
  const messages = [...html.matchAll(/<tr data-trial="(\d+)"(?:(?!<tr).)*<\/tr><tr class="message" data-message-of="(\d+)"><td><\/td><td class="l msg" colspan="10">([^<]*)<\/td><\/tr>/g)];
  assert.deepEqual(messages.map((m) => [Number(m[1]), Number(m[2]), m[3]]), [[4, 4, 'a spec strata refuses: made up for this test'], [5, 5, 'out of memory']]);
  assert.match(html, /<th>Trial<\/th><th>Status<\/th><th>val_accuracy<\/th><th>params<\/th><th>Front<\/th><th>Epochs<\/th><th>Seconds<\/th><th>train\.optimizer\.learning_rate<\/th>/);
});

test('a chart per parameter against the objective: a log x for loguniform, a column per choice', () => {
  const html = readFileSync(twoFile, 'utf8');
  const got = charts(html);
  // The six trials that counted (done or stopped), each a point of every parameter's chart.
  assert.equal(got['parameter-1'], 6);
  assert.equal(got['parameter-2'], 6);
  assert.equal(got['parameter-3'], 6);
  assert.equal(got['parameter-4'], 6);
  for (const id of ['parameter-1', 'parameter-2', 'parameter-3', 'parameter-4']) assert.equal(seriesItems(figureOf(html, id)), 6, id);
  assert.match(figureOf(html, 'parameter-1'), /val_accuracy against train\.optimizer\.learning_rate/);
  assert.match(figureOf(html, 'parameter-1'), /train\.optimizer\.learning_rate \(log scale\)/);
  assert.doesNotMatch(figureOf(html, 'parameter-2'), /log scale/);
  const [x] = tickLabels(figureOf(html, 'parameter-3'));
  assert.deepEqual(x, ['relu', 'tanh']);
  // Mappings as JSON, a column each (those that share their first characters too), tilted to fit.
  const [layers] = tickLabels(figureOf(html, 'parameter-4'));
  assert.equal(layers!.length, 3);
  assert.ok(layers!.every((l) => l.startsWith('{"type":"flatten"')), layers!.join(' '));
  assert.equal(shortValue({ type: 'dense', units: 64, activation: 'relu' }), '{"type":"dense","units"…');
  assert.equal(shortValue('gelu'), 'gelu');
  assert.equal(shortValue(0.000123456), '0.0001235');
});

test('the curves: a line per trial that counted, the stopped one named so', () => {
  const html = readFileSync(twoFile, 'utf8');
  assert.equal(charts(html).curves, 6);
  const fig = figureOf(html, 'curves');
  assert.equal(seriesItems(fig), 6);
  assert.match(fig, />trial 3 \(stopped\)</);
  assert.doesNotMatch(fig, />trial [45]</, 'the invalid and failed trials have no curve');
});

test('the Pareto front: every trial that counted, exactly the front highlighted and labelled, in order of the first objective', () => {
  const html = readFileSync(twoFile, 'utf8');
  assert.match(html, /<h2 data-section="front">Pareto front<\/h2>/);
  assert.match(html, /On the front: 4 trials, 1, 2, 6, 7/);
  const fig = figureOf(html, 'pareto');
  assert.equal(charts(html).pareto, 6);
  assert.equal(seriesItems(fig), 6);
  assert.equal(markItems(fig, 'front'), FRONT.length);
  assert.deepEqual(markTexts(fig, 'labels'), FRONT.map(String));
  assert.equal(markItems(fig, 'edge'), 1, 'one line joining them');
});

test('a search of one objective: no front, in the table or as a section', async () => {
  const html = readFileSync(oneFile, 'utf8');
  assert.doesNotMatch(html, /data-section="front"|data-chart="pareto"|<th>Front<\/th>|class="front"/);
  assert.match(html, /data-best="2">Best: trial 2, val_accuracy 0\.8500;/);
  assert.deepEqual(Object.keys(charts(html)), ['parameter-1', 'parameter-2', 'parameter-3', 'parameter-4', 'curves']);
  const r = await renderSearchReport(one, oneFile);
  assert.equal(r.front, undefined);
  assert.equal(r.trials.length, 8);
});

test('strata report DIR --json on a search directory writes the search report; -o is honoured; a folder that is neither says so', async () => {
  const dir = searchDir(TWO);
  const r = await strata(['report', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { report: string; bytes: number; trials: number; front: number[] };
  assert.equal(doc.report, join(dir, 'report.html'));
  assert.equal(doc.trials, 8);
  assert.deepEqual([...doc.front].sort(), [...FRONT].sort());
  assert.ok(existsSync(doc.report));
  assert.equal(readFileSync(doc.report, 'utf8').length > 0 && doc.bytes, Buffer.byteLength(readFileSync(doc.report, 'utf8')));
  const other = join(tempDir('strata-search-report-out-'), 'search.html');
  const o = await strata(['report', dir, '-o', other]);
  assert.equal(o.code, 0, o.stderr);
  assert.match(o.stdout, /^Wrote .*search\.html \(\d+ KB\) from the 8 trials of the search /);
  assert.ok(existsSync(other));
  const empty = tempDir('strata-search-report-empty-');
  const e = await strata(['report', empty]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /holds no checkpoints .*, and it is not a search directory either \(no search\.jsonl/);
});

test('the search report renders in headless Chromium: every chart has a plot area, draws its series, tick labels apart and inside', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    for (const f of [twoFile, oneFile]) {
      await page.goto(`file://${f}`);
      const drawn = await drawnCharts(page);
      assert.equal(drawn.length, f === twoFile ? 6 : 5);
      for (const c of drawn) {
        assert.ok(c.w > 0 && c.h > 0, `${c.chart} has a size`);
        assert.ok(c.w >= 0.85 * c.card, `${c.chart} is ${c.w} pixels wide in a card of ${c.card}`);
        assert.ok(c.plotW > 0 && c.plotH > 0, `${c.chart} has a plot area (${c.plotW} × ${c.plotH})`);
        // Trial 3's curve is one epoch long (stopped at asha's first rung): a line of no length, shown by its point.
        assert.equal(c.series, c.expected - (c.chart === 'curves' ? 1 : 0), `${c.chart}: drawn series`);
        assert.ok(c.ticks > 0, `${c.chart} has tick labels`);
        assert.deepEqual(c.problems, [], c.chart);
      }
      await page.screenshot({ path: join(f, '..', 'report.png'), fullPage: true });
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
