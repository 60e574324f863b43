/**
 * `strata report`: a short run's report holds every chart with the series it
 * should, is self-contained and small, and renders in headless Chromium with
 * no errors logged (skipped, with a message, where Chromium is not installed,
 * unless CI is set: there a missing Chromium fails the test, so that a broken
 * install cannot pass as a skip).
 * A second run, of a small model with every kind of attention layer on token
 * sequences, checks the attention maps; a third, a regression on scaled targets,
 * checks the regression section.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
import { arraySplit, blobs } from '../helpers/synthetic.js';
import { Rng } from '../../src/rng.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
/** Whether this is a CI run (.ci/run exports CI=true), where every test must run. */
const IN_CI = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());

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
/** Tensors left over by writing the two reports. */
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

before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  runDir = tempDir('strata-report-');
  createRunDir(runDir, '--out');
  const dataset = images(384);
  const r = await runSession({ engine, spec: parseSpec('report.yaml', SPEC, {}), specText: SPEC, dataset, runDir, seed: 3 });
  r.model.dispose();
  file = join(runDir, 'report.html');
  const tensors = engine.tf.memory().numTensors;
  ({ data, bytes } = await writeReport(engine, runDir, file, { dataset }));
  leaked = engine.tf.memory().numTensors - tensors;

  const attnRun = tempDir('strata-report-attn-');
  createRunDir(attnRun, '--out');
  const words = sentences(64);
  const a = await runSession({ engine, spec: parseSpec('attn.yaml', ATTN_SPEC, {}), specText: ATTN_SPEC, dataset: words, runDir: attnRun, seed: 4 });
  a.model.dispose();
  attnFile = join(attnRun, 'report.html');
  const before = engine.tf.memory().numTensors;
  ({ data: attn } = await writeReport(engine, attnRun, attnFile, { dataset: words }));
  leaked += engine.tf.memory().numTensors - before;

  const regRun = tempDir('strata-report-reg-');
  createRunDir(regRun, '--out');
  regData = prices(512, 2600);
  const g = await runSession({ engine, spec: parseSpec('reg.yaml', REG_SPEC, {}), specText: REG_SPEC, dataset: regData, runDir: regRun, seed: 5 });
  g.model.dispose();
  regFile = join(regRun, 'report.html');
  const beforeReg = engine.tf.memory().numTensors;
  ({ data: reg } = await writeReport(engine, regRun, regFile, { dataset: regData }));
  leaked += engine.tf.memory().numTensors - beforeReg;
});

const charts = (html: string) => [...html.matchAll(/data-chart="([^"]+)" data-series="(\d+)"/g)].map((m) => [m[1]!, Number(m[2])] as const);

test('the report has learning curves, confusion matrix, layer graph and internals with the expected series', () => {
  const html = readFileSync(file, 'utf8');
  const got = Object.fromEntries(charts(html));
  assert.equal(got.loss, 2, 'loss: train and validation');
  assert.equal(got.accuracy, 2, 'accuracy: train and validation');
  assert.equal(got.lr, 1);
  assert.equal(got.confusion, 3, 'one row per class');
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
  assert.equal(got['predicted-actual'], 1);
  assert.equal(got.residuals, 1);
  const fig = (id: string) => html.slice(html.indexOf(`data-chart="${id}"`)).split('</figure>')[0]!;
  assert.equal(fig('predicted-actual').match(/<circle /g)!.length, 1300);
  assert.equal(fig('residuals').match(/<circle /g)!.length, 1300);
  assert.match(fig('predicted-actual'), /class="reference"/, 'the y = x line');
  assert.match(html, /MAE and RMSE are in the data&#39;s units \(price\); the loss is on the scaled targets/);
  assert.match(html, /1300 evenly spaced values of 2600/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"/);
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
  const fig = html.slice(html.indexOf('data-chart="attention-enc-attention-1"'));
  const labels = [...fig.slice(0, fig.indexOf('</figure>')).matchAll(/class="tick">([^<]*)</g)].map((m) => m[1]);
  const drawn = a.tokens!.slice(0, content).map((t) => t.replace('<', '&lt;').replace('>', '&gt;'));
  assert.deepEqual(labels, [...drawn, ...drawn], 'columns, then rows');
});

test('writing a report leaves no tensors behind', () => {
  assert.equal(leaked, 0);
});

test('the report is self-contained and small', () => {
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes`);
});

test('the reports render in headless Chromium: every chart drawn with its series, no errors logged', async (t) => {
  if (!existsSync(CHROMIUM)) {
    const missing = `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set STRATA_CHROMIUM)`;
    assert.ok(!IN_CI, `${missing}; CI is set (CI=${process.env.CI}), where this test must run, not skip`);
    t.skip(missing);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) errors.push(`network request: ${r.url()}`);
    });
    /** Open `path` and check every chart has a size and draws its series; returns the charts. */
    const open = async (path: string) => {
      await page.goto(`file://${path}`);
      const drawn = await page.$$eval('figure.chart', (figs) =>
        figs.map((f) => {
          const svg = f.querySelector('svg')!.getBoundingClientRect();
          const series = [...f.querySelectorAll('.series')].filter((s) => {
            const b = (s as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          }).length;
          return { chart: f.getAttribute('data-chart')!, expected: Number(f.getAttribute('data-series')), series, w: svg.width, h: svg.height };
        }),
      );
      assert.ok(drawn.length >= 7, `${drawn.length} charts`);
      for (const c of drawn) {
        assert.ok(c.w > 0 && c.h > 0, `${c.chart} has a size`);
        assert.equal(c.series, c.expected, `${c.chart}: drawn series`);
      }
      return drawn;
    };
    assert.equal((await open(attnFile)).filter((c) => c.chart.startsWith('attention-')).length, 11, 'every attention heatmap drawn');
    // Each heatmap's PNG decodes, one pixel per drawn key position and query position.
    const sizes = await page.$$eval('figure.chart svg image', (imgs) =>
      Promise.all(
        imgs.map(async (i) => {
          const Img = (globalThis as unknown as { Image: new () => { src: string; decode(): Promise<void>; naturalWidth: number; naturalHeight: number } }).Image;
          const img = new Img();
          img.src = i.getAttribute('href')!;
          await img.decode();
          return [img.naturalWidth, img.naturalHeight];
        }),
      ),
    );
    const content = attn.attention!.content!;
    assert.deepEqual(sizes, Array.from({ length: 11 }, () => [content, content]));
    await page.screenshot({ path: join(attnFile, '..', 'report.png'), fullPage: true });
    const regCharts = await open(regFile);
    assert.deepEqual(regCharts.filter((c) => ['predicted-actual', 'residuals'].includes(c.chart)).map((c) => [c.chart, c.series]), [['predicted-actual', 1], ['residuals', 1]]);
    await page.screenshot({ path: join(regFile, '..', 'report.png'), fullPage: true });
    await open(file);
    const images = await page.$$eval('.mistakes img', (imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth === 8).length);
    assert.equal(images, data.mistakes!.length, 'every misclassified image decodes');
    await page.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(runDir, 'report.png')));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
