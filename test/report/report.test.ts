/**
 * `strata report`: a short run's report holds every chart with the series it
 * should, is self-contained and small, and renders in headless Chromium with
 * no errors logged (skipped, with a message, where Chromium is not installed,
 * unless CI is set: there a missing Chromium fails the test, so that a broken
 * install cannot pass as a skip).
 * A second run, of a small model with every kind of attention layer on token
 * sequences, checks the attention maps; a third, a regression on scaled targets,
 * checks the regression section; a fourth, a forecaster of a weekly series, the
 * forecast; a fifth, a character language model trained for one epoch, the
 * one-epoch charts; and the regression run with a long log of 200 epochs whose
 * loss falls from 490 to 2.6, the log axis. In Chromium every chart has a plot
 * area, draws its series, and no two tick labels of an axis overlap or leave
 * the chart; a screenshot of each report is left next to it (report.png).
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import type { Dataset } from '../../src/data/types.js';
import { writeReport } from '../../src/report/index.js';
import type { ReportData } from '../../src/report/index.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { arraySplit, blobs, echoSpec, echoText } from '../helpers/synthetic.js';
import { Rng } from '../../src/rng.js';
import { tempDir } from '../helpers/tmp.js';
import { launchChromium } from '../helpers/chromium.js';
import { figureOf, seriesItems, tickLabels } from '../helpers/report-html.js';
import { drawnCharts } from '../helpers/report-page.js';


let engine: Engine;
let runDir: string;
let file: string;
let data: ReportData;
let bytes: number;
let attnFile: string;
let attn: ReportData;
let regFile: string;
let reg: ReportData;
let regData: Dataset;
let fcFile: string;
let fc: ReportData;
let lmFile: string;
let lm: ReportData;
let longFile: string;
/** Tensors left over by writing the reports. */
let leaked: number;

/** blobs in 64 features, seen as 8×8 gray images, so the report shows misclassified images. */
function images(n: number): Dataset {
  const d = blobs(n, 64, 3, 2);
  return { ...d, name: 'blob-images', inputShape: [8, 8, 1] };
}

/** A small branched model (a skip connection merged by add) so the report draws a graph. */
const SPEC = `version: 1
name: report-test
seed: 3
model:
  layers:
    - type: input
      shape: [8, 8, 1]
    - type: flatten
      name: flat
    - type: dense
      name: hidden
      units: 64
      activation: relu
    - type: add
      inputs: [flat, hidden]
    - type: dense
      units: 3
      activation: softmax
train:
  epochs: 3
  batch_size: 32
  optimizer: {type: adam, learning_rate: 0.01}
  loss: categorical_crossentropy
  metrics: [accuracy]
`;

const WORDS = ['<pad>', '<unk>', 'the', 'cat', 'sat', 'on', 'a', 'mat', 'dog', 'ran'];
const STEPS = 12;

/** Token sequences of 5 to 12 words padded with id 0 at the end, labelled by whether 'cat' occurs. */
function sentences(n: number): Dataset {
  const rng = new Rng(5);
  const make = (count: number) => {
    const x = new Float32Array(count * STEPS);
    const y = new Float32Array(count * 2);
    for (let i = 0; i < count; i++) {
      const len = 5 + Math.floor(rng.next() * (STEPS - 4));
      let cat = 0;
      for (let t = 0; t < len; t++) {
        const id = 2 + Math.floor(rng.next() * (WORDS.length - 2));
        x[i * STEPS + t] = id;
        if (WORDS[id] === 'cat') cat = 1;
      }
      y[i * 2 + cat] = 1;
    }
    const split = arraySplit(x, y, STEPS, 2);
    return { size: split.size, batch: (idx: ArrayLike<number>) => { const b = split.batch(idx); return { ...b, x: Int32Array.from(b.x) }; } };
  };
  return {
    name: 'sentences', task: 'classification', inputShape: [STEPS], inputDtype: 'int32', targetShape: [2], targetDtype: 'float32',
    classes: ['no-cat', 'cat'], vocabulary: WORDS, train: make(n), validation: make(16), test: make(16), fingerprint: `sentences-${n}`,
  };
}

/** Every kind of attention layer: encoder block, decoder block with cross-attention, multi-head attention with 5 heads (4 drawn), dot-product attention. */
const ATTN_SPEC = `version: 1
name: attention-test
seed: 4
model:
  layers:
    - type: input
      shape: [${STEPS}]
      dtype: int32
    - type: embedding
      name: embed
      input_dim: ${WORDS.length}
      output_dim: 8
    - type: positional_embedding
      max_length: ${STEPS}
    - type: transformer_encoder
      name: enc
      heads: 2
      ff_units: 16
    - type: transformer_decoder
      name: dec
      inputs: [enc, embed]
      heads: 2
      ff_units: 16
    - type: multi_head_attention
      name: mha
      heads: 5
      key_dim: 4
    - type: attention
      name: dot
      use_scale: true
    - type: global_avg_pool1d
    - type: dense
      units: 2
      activation: softmax
train:
  epochs: 1
  batch_size: 16
  optimizer: {type: adam, learning_rate: 0.01}
  loss: categorical_crossentropy
`;

/** Targets in the data's units are about 100 ± 20; the model sees them as (y − 100) / 10. */
const SCALING = { offset: 100, scale: 10, target: 'price' };

/** y = 100 + 10·(x·w) + noise over 4 features, scaled by SCALING; the test split has more values than the charts draw. */
function prices(n: number, testSize: number): Dataset {
  const rng = new Rng(7);
  const w = [1.5, -1, 0.5, 0.8];
  const make = (count: number) => {
    const x = new Float32Array(count * 4);
    const y = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let f = 0; f < 4; f++) {
        const v = rng.next() * 2 - 1;
        x[i * 4 + f] = v;
        s += v * w[f]!;
      }
      y[i] = s + (rng.next() - 0.5) * 0.2;
    }
    return arraySplit(x, y, 4, 1);
  };
  return {
    name: 'prices', task: 'regression', inputShape: [4], inputDtype: 'float32', targetShape: [1], targetDtype: 'float32',
    targetScaling: SCALING, train: make(n), validation: make(64), test: make(testSize), fingerprint: `prices-${n}-${testSize}`,
  };
}

/** A daily series with a weekly pattern, as births: windows of 8 days forecast the next, in units scaled by FC_SCALING. */
const FC_SCALING = { offset: 10000, scale: 2000, target: 'births' };
const WINDOW = 8;

function weekly(n: number, testSize: number): Dataset {
  const rng = new Rng(9);
  const make = (count: number) => {
    const series = Array.from({ length: count + WINDOW }, (_, t) => Math.sin((2 * Math.PI * t) / 7) + 0.3 * Math.cos((2 * Math.PI * t) / 3.5) + (rng.next() - 0.5) * 0.2);
    const x = new Float32Array(count * WINDOW);
    const y = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      x.set(series.slice(i, i + WINDOW), i * WINDOW);
      y[i] = series[i + WINDOW]!;
    }
    return arraySplit(x, y, WINDOW, 1);
  };
  return {
    name: 'weekly', task: 'forecasting', inputShape: [WINDOW, 1], inputDtype: 'float32', targetShape: [1], targetDtype: 'float32',
    targetScaling: FC_SCALING, train: make(n), validation: make(64), test: make(testSize), fingerprint: `weekly-${n}-${testSize}`,
  };
}

const FC_SPEC = `version: 1
name: forecast-test
seed: 6
model:
  layers:
    - type: input
      shape: [${WINDOW}, 1]
    - type: flatten
    - type: dense
      units: 16
      activation: relu
    - type: dense
      units: 1
train:
  epochs: 3
  batch_size: 32
  optimizer: {type: adam, learning_rate: 0.02}
  loss: mean_squared_error
`;

const REG_SPEC = `version: 1
name: regression-test
seed: 5
model:
  layers:
    - type: input
      shape: [4]
    - type: dense
      units: 16
      activation: relu
    - type: dense
      units: 1
train:
  epochs: 4
  batch_size: 32
  optimizer: {type: adam, learning_rate: 0.02}
  loss: mean_squared_error
  metrics: [mae]
`;

/** Train `specText` on `dataset` into a new run directory and write its report; `leaked` is the tensors writing it left. */
async function trainAndReport(name: string, specText: string, dataset: Dataset, seed: number) {
  const dir = tempDir(`strata-report-${name}-`);
  createRunDir(dir, '--out');
  const r = await runSession({ engine, spec: parseSpec(`${name}.yaml`, specText, {}), specText, dataset, runDir: dir, seed });
  r.model.dispose();
  const out = join(dir, 'report.html');
  const tensors = engine.tf.memory().numTensors;
  const written = await writeReport(engine, dir, out, { dataset });
  return { dir, file: out, ...written, leaked: engine.tf.memory().numTensors - tensors };
}

before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  const main = await trainAndReport('main', SPEC, images(384), 3);
  ({ dir: runDir, file, data, bytes } = main);
  const a = await trainAndReport('attn', ATTN_SPEC, sentences(64), 4);
  ({ file: attnFile, data: attn } = a);
  regData = prices(512, 2600);
  const g = await trainAndReport('reg', REG_SPEC, regData, 5);
  ({ file: regFile, data: reg } = g);
  leaked = main.leaked + a.leaked + g.leaked;
  ({ file: fcFile, data: fc } = await trainAndReport('fc', FC_SPEC, weekly(400, 120), 6));
  // A character language model trained for one epoch.
  ({ file: lmFile, data: lm } = await trainAndReport('lm', echoSpec().replace('epochs: 12', 'epochs: 1'), echoText(64), 3));

  // The regression run with a long log: 200 epochs, the loss falling from 490 to 2.6.
  const longRun = tempDir('strata-report-long-');
  cpSync(g.dir, longRun, { recursive: true });
  const epochs = Array.from({ length: 200 }, (_, i) => {
    const loss = 2.6 + 487.4 * Math.exp(-i / 12);
    return JSON.stringify({ epoch: i + 1, loss, mae: Math.sqrt(loss), val_loss: loss * 1.05, val_mae: Math.sqrt(loss * 1.05), lr: 1e-4 + 9e-4 * (0.5 + 0.5 * Math.cos((Math.PI * i) / 199)), seconds: 1 });
  });
  writeFileSync(join(longRun, 'metrics.jsonl'), `${epochs.join('\n')}\n`);
  longFile = join(longRun, 'report.html');
  await writeReport(engine, longRun, longFile, { dataset: regData });
});


const charts = (html: string) => [...html.matchAll(/data-chart="([^"]+)" data-series="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])] as const);

test('the report has learning curves, confusion matrix, layer graph and internals with the expected series', () => {
  const html = readFileSync(file, 'utf8');
  const got = Object.fromEntries(charts(html));
  assert.equal(got.loss, 2, 'loss: train and validation');
  assert.equal(got.accuracy, 2, 'accuracy: train and validation');
  assert.equal(got.lr, 1);
  assert.equal(got.confusion, 9, 'one cell per pair of classes');
  assert.equal(seriesItems(figureOf(html, 'confusion')), 9);
  assert.equal(seriesItems(figureOf(html, 'loss')), 2, 'a line per series in the SVG');
  assert.equal(got.graph, 5, 'one node per layer');
  assert.equal(got['weight-norms'], 2, 'the two dense layers');
  assert.equal(got['gradient-norms'], 2, 'gradient norms of the two dense layers, recorded during training');
  assert.ok(data.gradientNorms!.steps[0] === 0 && data.gradientNorms!.norms.every((r) => r.every((v) => Number.isFinite(v) && v >= 0)));
  assert.equal(got['activation-std'], 4, 'every non-input layer');
  assert.equal(data.epochs.length, 3);
  const hidden = data.activations!.stats.find((s) => s.layer === 'hidden')!;
  assert.ok(hidden.dead !== undefined && hidden.dead >= 0 && hidden.dead <= 1, 'dead ReLU share of the relu layer');
  const c = data.confusion!;
  const wrong = c.counts.flat().reduce((a, b) => a + b, 0) - c.counts.reduce((a, r, i) => a + r[i]!, 0);
  assert.equal(c.counts.flat().reduce((a, b) => a + b, 0), 96, 'every test example counted');
  assert.equal(data.mistakes!.length, Math.min(24, wrong), 'one image per mistake, at most 24');
  assert.ok(data.mistakes!.every((m) => m.image.startsWith('data:image/png;base64,')));
});

test('a classification report has no regression section', () => {
  assert.equal(data.regression, undefined);
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /data-section="regression"|data-chart="(predicted-actual|residuals)"|data-metric="/);
});

test('a regression report: loss, MAE, RMSE and R² in the data\'s units, predicted against actual and residuals charts', () => {
  const r = reg.regression!;
  assert.equal(reg.confusion, undefined);
  assert.equal(r.target, 'price');
  assert.equal(r.scaled, true);
  assert.equal(r.examples, 2600);
  // The spec lists only mae; rmse and r2 are added.
  assert.deepEqual(Object.keys(r.metrics), ['loss', 'mae', 'rmse', 'r2']);
  assert.ok(r.metrics.r2! > 0.5 && r.metrics.r2! <= 1, `R² ${r.metrics.r2}`);
  // At most 2000 points: every second of the 2600 test values, in the data's units.
  assert.equal(r.values, 2600);
  assert.equal(r.actual.length, 1300);
  assert.equal(r.predicted.length, 1300);
  const test = regData.test!.batch(Array.from({ length: 2600 }, (_, i) => i)).y;
  r.actual.forEach((a, i) => assert.ok(Math.abs(a - (test[2 * i]! * SCALING.scale + SCALING.offset)) < 1e-3, `point ${i}: ${a}`));
  // MAE and RMSE of the sample agree with the split's, so both are in the data's units (the scaled ones are 10 times smaller).
  const err = r.predicted.map((p, i) => p - r.actual[i]!);
  const mae = err.reduce((s, e) => s + Math.abs(e), 0) / err.length;
  const rmse = Math.sqrt(err.reduce((s, e) => s + e * e, 0) / err.length);
  assert.ok(Math.abs(mae / r.metrics.mae! - 1) < 0.15, `sample MAE ${mae} against ${r.metrics.mae}`);
  assert.ok(Math.abs(rmse / r.metrics.rmse! - 1) < 0.15, `sample RMSE ${rmse} against ${r.metrics.rmse}`);

  const html = readFileSync(regFile, 'utf8');
  assert.match(html, /<h2 data-section="regression">Regression \(test split, 2600 examples\)<\/h2>/);
  for (const m of ['loss', 'mae', 'rmse', 'r2']) assert.match(html, new RegExp(`<tr data-metric="${m}">`));
  const got = Object.fromEntries(charts(html));
  assert.equal(got['predicted-actual'], 1300, 'a point per drawn value');
  assert.equal(got.residuals, 1300);
  assert.equal(seriesItems(figureOf(html, 'predicted-actual')), 1300);
  assert.equal(seriesItems(figureOf(html, 'residuals')), 1300);
  assert.match(figureOf(html, 'predicted-actual'), /class="mark-line role-mark reference_marks"/, 'the y = x line');
  assert.match(figureOf(html, 'residuals'), /class="mark-rule role-mark reference_marks"/, 'the y = 0 line');
  assert.match(html, /MAE and RMSE are in the data&#39;s units \(price\); the loss is on the scaled targets/);
  assert.match(html, /1300 evenly spaced values of 2600/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"/);
});

test('a forecasting report: forecast errors and the next-step forecast against the actual series', () => {
  assert.equal(fc.task, 'forecasting');
  assert.equal(fc.forecast!.target, 'births');
  assert.equal(fc.forecast!.actual.length, 120);
  const html = readFileSync(fcFile, 'utf8');
  assert.match(html, /<h2 data-section="regression">Forecast errors \(test split, 120 examples\)<\/h2>/);
  const got = Object.fromEntries(charts(html));
  assert.equal(got.forecast, 2, 'actual and predicted');
  assert.equal(seriesItems(figureOf(html, 'forecast')), 2);
  assert.match(html, /<figure class="chart wide" data-chart="forecast"/, 'the forecast spans the page');
  // Ticks at round values, in the data's units (about 10000 ± 2600).
  const [x, y] = tickLabels(figureOf(html, 'forecast'));
  assert.ok(x!.every((t) => /^\d+$/.test(t) && Number(t) % 10 === 0), `time steps: ${x}`);
  assert.ok(y!.every((t) => /^\d{1,2},\d00$/.test(t)), `births: ${y}`);
});

test('a run of one epoch: "1 epoch", and a bar per series with its value instead of lone dots', () => {
  assert.equal(lm.epochs.length, 1);
  assert.equal(lm.task, 'language_model');
  assert.equal(lm.samples!.length, 3);
  const html = readFileSync(lmFile, 'utf8');
  assert.match(html, / · 1 epoch · /);
  assert.doesNotMatch(html, /\b1 epochs\b/);
  const loss = figureOf(html, 'loss');
  assert.equal(Object.fromEntries(charts(html)).loss, 2, 'train and validation loss');
  assert.match(loss, /class="mark-rect role-mark series_marks"/, 'bars');
  assert.equal(seriesItems(loss), 2);
  const values = [...loss.matchAll(/<g class="mark-text role-mark values_marks"[^>]*>(.*?)<\/g>/g)].flatMap((m) => [...m[1]!.matchAll(/>([^<]+)<\/text>/g)].map((t) => Number(t[1])));
  assert.equal(values.length, 2, 'each bar has its value written');
  assert.ok(Math.abs(values[0]! - lm.epochs[0]!.loss!) < 1e-3 * lm.epochs[0]!.loss!, `${values[0]} against ${lm.epochs[0]!.loss}`);
  assert.match(loss, /Only epoch 1 is logged/);
});

test('a loss that spans decades is drawn on a log axis with round ticks, and the axis says so', () => {
  const html = readFileSync(longFile, 'utf8');
  assert.match(html, / · 200 epochs · /);
  const loss = figureOf(html, 'loss');
  assert.match(loss, />loss \(log scale\)<\/text>/);
  const [x, y] = tickLabels(loss);
  assert.ok(x!.every((t) => Number(t) % 10 === 0), `epochs: ${x}`);
  assert.deepEqual(y, ['1', '2', '5', '10', '20', '50', '100', '200', '500', '1000']);
  // The learning rate falls tenfold only: a linear axis.
  assert.doesNotMatch(figureOf(html, 'lr'), /log scale/);
  // MAE (the square root of the loss) spans 13 times: linear too.
  assert.doesNotMatch(figureOf(html, 'mae'), /log scale/);
});

test('a model without attention layers has no attention section', () => {
  assert.equal(data.attention, undefined);
  assert.doesNotMatch(readFileSync(file, 'utf8'), /Attention maps|data-chart="attention-/);
});

test('the attention maps: every attention of every attention layer on the first test example, rows summing to 1', () => {
  const a = attn.attention!;
  assert.deepEqual(
    a.maps.map((m) => [m.layer, m.part, m.heads, m.shown.length, m.queries, m.keys]),
    [
      ['enc', 'attention', 2, 2, STEPS, STEPS],
      ['dec', 'self-attention', 2, 2, STEPS, STEPS],
      ['dec', 'cross-attention', 2, 2, STEPS, STEPS],
      ['mha', 'attention', 5, 4, STEPS, STEPS],
      ['dot', 'attention', 1, 1, STEPS, STEPS],
    ],
  );
  for (const m of a.maps) {
    for (const h of m.shown) {
      assert.equal(h.weights.length, m.queries);
      h.weights.forEach((row, t) => {
        assert.equal(row.length, m.keys);
        assert.ok(row.every((v) => v >= 0), `${m.layer} ${m.part} head ${h.head} row ${t}: no negative weight`);
        const sum = row.reduce((x, v) => x + v, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4, `${m.layer} ${m.part} head ${h.head} row ${t} sums to ${sum}`);
        if (m.part === 'self-attention') assert.ok(row.slice(t + 1).every((v) => v < 1e-6), 'the decoder does not look ahead');
      });
    }
  }
  // The tokens of the first test example, and how many come before its padding.
  const first = sentences(64).test!.batch([0]).x;
  assert.deepEqual(a.tokens, Array.from(first, (id) => WORDS[id]));
  let content = first.length;
  while (first[content - 1] === 0) content--;
  assert.equal(a.content, content);
  assert.ok(content >= 5 && content <= STEPS);

  const html = readFileSync(attnFile, 'utf8');
  const maps = charts(html).filter(([id]) => id.startsWith('attention-'));
  assert.equal(maps.length, 2 + 2 + 2 + 4 + 1, 'one heatmap per drawn head');
  assert.ok(maps.every(([, n]) => n === 1));
  assert.match(html, /the first 4 of the 5 heads of mha/);
  assert.match(html, new RegExp(`the first ${content} of ${STEPS} query positions \\(the tokens before padding\\)`));
  // Each map labels its rows and columns with the drawn tokens.
  const labels = tickLabels(figureOf(html, 'attention-enc-attention-1'));
  const drawn = a.tokens!.slice(0, content).map((t) => t.replace('<', '&lt;').replace('>', '&gt;'));
  assert.deepEqual(labels, [drawn, drawn], 'columns, then rows');
});

test('writing a report leaves no tensors behind', () => {
  assert.equal(leaked, 0);
});

test('every report is self-contained and small, under its strict Content-Security-Policy', () => {
  assert.ok(bytes < 1024 * 1024, `${bytes} bytes`);
  for (const f of [file, attnFile, regFile, fcFile, lmFile, longFile]) {
    const html = readFileSync(f, 'utf8');
    assert.doesNotMatch(html, /<script/i, f);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i, f);
    assert.ok(Buffer.byteLength(html) < 1024 * 1024, `${f}: ${Buffer.byteLength(html)} bytes`);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">/, f);
  }
});

test('the reports render in headless Chromium: every chart has a plot area, draws its series, tick labels apart and inside; no errors logged', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage({ viewport: { width: 1040, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      // Chromium logs a Content-Security-Policy violation (a refused style or image) as an error.
      if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
    });
    /**
     * Open `path` and check every chart: it has a size and a plot area, draws the
     * items its figure promises (data-series) in its `series` marks, and the
     * tick labels of each axis neither overlap nor stick out of the chart.
     * Leaves a screenshot next to the report (and, with STRATA_REPORT_SHOTS
     * set to a directory, copies the report and the screenshot there as
     * NAME.html and NAME.png, to be looked at); returns the charts.
     */
    const open = async (path: string, least: number, name: string) => {
      await page.goto(`file://${path}`);
      const drawn = await drawnCharts(page);
      assert.ok(drawn.length >= least, `${drawn.length} charts in ${path}`);
      for (const c of drawn) {
        assert.ok(c.w > 0 && c.h > 0, `${c.chart} has a size`);
        // Charts of data over axes use their card; the layer graph, the confusion matrix and the attention maps are as wide as their rows and columns need.
        if (!/^(graph|confusion|attention-.*)$/.test(c.chart)) assert.ok(c.w >= 0.85 * c.card, `${c.chart} is ${c.w} pixels wide in a card of ${c.card}`);
        assert.ok(c.plotW > 0 && c.plotH > 0, `${c.chart} has a plot area (${c.plotW} × ${c.plotH})`);
        assert.ok(c.expected > 0, `${c.chart} promises something to draw`);
        assert.equal(c.series, c.expected, `${c.chart}: drawn series`);
        if (c.chart !== 'graph') assert.ok(c.ticks > 0, `${c.chart} has tick labels`);
        assert.deepEqual(c.problems, [], c.chart);
      }
      const png = join(path, '..', 'report.png');
      await page.screenshot({ path: png, fullPage: true });
      const keep = process.env.STRATA_REPORT_SHOTS;
      if (keep) {
        mkdirSync(keep, { recursive: true });
        copyFileSync(path, join(keep, `${name}.html`));
        copyFileSync(png, join(keep, `${name}.png`));
        t.diagnostic(`screenshot: ${join(keep, `${name}.png`)}`);
      }
      return drawn;
    };
    assert.equal((await open(attnFile, 7, 'attention')).filter((c) => c.chart.startsWith('attention-')).length, 11, 'every attention heatmap drawn');
    // Each heatmap's PNG decodes, one pixel per drawn key position and query position.
    const sizes = await page.$$eval('figure.chart svg image', (imgs) =>
      Promise.all(
        imgs.map(async (i) => {
          const Img = (globalThis as unknown as { Image: new () => { src: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number } }).Image;
          const img = new Img();
          img.src = i.getAttribute('href') ?? i.getAttribute('xlink:href')!;
          await img.decode();
          return [img.naturalWidth, img.naturalHeight];
        }),
      ),
    );
    const content = attn.attention!.content!;
    assert.deepEqual(sizes, Array.from({ length: 11 }, () => [content, content]));
    const regCharts = await open(regFile, 7, 'regression');
    assert.deepEqual(regCharts.filter((c) => ['predicted-actual', 'residuals'].includes(c.chart)).map((c) => [c.chart, c.series]), [['predicted-actual', 1300], ['residuals', 1300]]);
    assert.ok((await open(fcFile, 7, 'forecast')).some((c) => c.chart === 'forecast' && c.series === 2), 'the forecast drawn');
    assert.ok((await open(lmFile, 4, 'language-model-1-epoch')).some((c) => c.chart === 'loss' && c.series === 2), 'the one-epoch loss drawn');
    await open(longFile, 7, 'long-200-epochs');
    await open(file, 7, 'classifier');
    const images = await page.$$eval('.mistakes img', (imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth === 8).length);
    assert.equal(images, data.mistakes!.length, 'every misclassified image decodes');
    for (const f of [file, attnFile, regFile, fcFile, lmFile, longFile]) assert.ok(existsSync(join(f, '..', 'report.png')));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
