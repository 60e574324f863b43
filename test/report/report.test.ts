/**
 * `strata report`: a short run's report holds every chart with the series it
 * should, is self-contained and small, and renders in headless Chromium with
 * no errors logged (skipped, with a message, where Chromium is not installed).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { blobs } from '../helpers/synthetic.js';

const CHROMIUM = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';

let engine: Engine;
let runDir: string;
let file: string;
let data: ReportData;
let bytes: number;

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

before(async () => {
  engine = await loadEngine(process.env.STRATA_TEST_BACKEND ?? 'cpu');
  runDir = mkdtempSync(join(tmpdir(), 'strata-report-'));
  createRunDir(runDir, '--out');
  const dataset = images(384);
  const r = await runSession({ engine, spec: parseSpec('report.yaml', SPEC, {}), specText: SPEC, dataset, runDir, seed: 3 });
  r.model.dispose();
  file = join(runDir, 'report.html');
  ({ data, bytes } = await writeReport(engine, runDir, file, { dataset }));
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

test('the report is self-contained and small', () => {
  const html = readFileSync(file, 'utf8');
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes`);
});

test('the report renders in headless Chromium: every chart drawn with its series, no errors logged', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set STRATA_CHROMIUM)`);
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
    await page.goto(`file://${file}`);
    const drawn = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg')!.getBoundingClientRect();
        const series = [...f.querySelectorAll('.series')].filter((s) => {
          const b = (s as unknown as { getBBox(): { width: number; height: number } }).getBBox();
          return b.width > 0 || b.height > 0;
        }).length;
        return { chart: f.getAttribute('data-chart'), expected: Number(f.getAttribute('data-series')), series, w: svg.width, h: svg.height };
      }),
    );
    assert.ok(drawn.length >= 7, `${drawn.length} charts`);
    for (const c of drawn) {
      assert.ok(c.w > 0 && c.h > 0, `${c.chart} has a size`);
      assert.equal(c.series, c.expected, `${c.chart}: drawn series`);
    }
    const images = await page.$$eval('.mistakes img', (imgs) => imgs.filter((i) => (i as unknown as { naturalWidth: number }).naturalWidth === 8).length);
    assert.equal(images, data.mistakes!.length, 'every misclassified image decodes');
    await page.screenshot({ path: join(runDir, 'report.png'), fullPage: true });
    assert.ok(existsSync(join(runDir, 'report.png')));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
