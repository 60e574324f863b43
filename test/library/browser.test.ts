/**
 * strata's layers in a browser: a page served from 127.0.0.1 loads
 * `@tensorflow/tfjs`'s own bundle and strata's browser entry point (the
 * compiled dist/src/browser.js and the modules it imports, no bundler),
 * registers the layers, loads a spam-transformer run's model/ over HTTP and
 * predicts: the same as Node predicts from the same files. Then the README's
 * browser snippet, as it stands there, runs as a page's module (its bare
 * imports mapped by an import map, as a bundler resolves them) and its model
 * predicts the same.
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { basename, dirname, extname, join, normalize } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/index.js';
import { launchChromium } from '../helpers/chromium.js';
import { ROOT, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const TFJS_DIST = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json')), 'dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.html': 'text/html', '.bin': 'application/octet-stream' };

/** Four e-mails as token ids: padding-ended sequences of ids below the vocabulary size, from a fixed generator. */
function inputs(): number[][] {
  let s = 12345;
  const next = () => (s = (s * 1103515245 + 12345) % 2 ** 31);
  return [10, 40, 90, 128].map((len) => Array.from({ length: 128 }, (_, i) => (i < len ? 2 + (next() % 9000) : 0)));
}

test('a page loads a spam-transformer model with strata/browser and predicts as Node does', { timeout: 300_000 }, async (t) => {
  const dir = tempDir('strata-browser-');
  const runDir = join(dir, 'runs', 'spam-transformer');
  const trained = await strata(['train', 'configs/spam-transformer.yaml', '--out', runDir, '--set', 'train.epochs=1', '--set', 'data.limit=64', '--quiet']);
  assert.equal(trained.code, 0, trained.stderr);
  const model = JSON.parse(readFileSync(join(runDir, 'model', 'model.json'), 'utf8')) as object;
  assert.match(JSON.stringify(model), /strata>PositionalEmbedding/, 'the model has strata\'s own layers');

  const x = inputs();
  const nodeModel = await loadModel(runDir, tf);
  const nodeOut = Array.from(await (nodeModel.predict(tf.tensor2d(x, [x.length, 128], 'int32')) as tf.Tensor).data());

  const roots: Record<string, string> = { tfjs: TFJS_DIST, strata: join(ROOT, 'dist', 'src'), run: runDir, runs: dirname(runDir) };
  const readmeSnippet = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => b.includes("from 'strata/browser'"));
  assert.ok(readmeSnippet, "README.md has a ```js block that imports from 'strata/browser'");
  const modelPath = /loadLayersModel\('([^']+)'\)/.exec(readmeSnippet)?.[1];
  assert.equal(modelPath, `runs/${basename(runDir)}/model/model.json`, 'the README loads the run this test trains');
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>strata</title><link rel="icon" href="data:,"><script src="/tfjs/tf.min.js"></script>');
      return;
    }
    if (path === '/readme.html') {
      // The README's snippet as the page's module, its bare imports mapped as a bundler would resolve them.
      const imports = { '@tensorflow/tfjs': '/tfjs/tf.fesm.min.js', 'strata/browser': '/strata/browser.js' };
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>readme</title><link rel="icon" href="data:,"><script type="importmap">${JSON.stringify({ imports })}</script><script type="module" src="/readme.js"></script>`);
      return;
    }
    if (path === '/readme.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(`${readmeSnippet}\nglobalThis.readme = { tf, model };\n`);
      return;
    }
    const [, root, ...rest] = path.split('/');
    const file = root && roots[root] ? join(roots[root], ...rest) : '';
    if (!file || !file.startsWith(roots[root!]!) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await launchChromium(t);
  if (!browser) {
    server.close();
    return;
  }
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('requestfailed', (r) => problems.push(`failed: ${r.url()}`));
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`${r.status()}: ${r.url()}`);
    });
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) problems.push(`request outside the test server: ${r.url()}`);
    });
    await page.goto(`${origin}/`);
    const pageOut = await page.evaluate(async (x) => {
      const g = globalThis as unknown as { tf: typeof tf };
      const { registerStrataLayers } = (await import('/strata/browser.js' as string)) as { registerStrataLayers(tf: unknown): void };
      await g.tf.setBackend('cpu');
      registerStrataLayers(g.tf);
      const m = await g.tf.loadLayersModel('/run/model/model.json');
      const y = m.predict(g.tf.tensor2d(x, [x.length, 128], 'int32')) as tf.Tensor;
      return Array.from(await y.data());
    }, x);
    assert.deepEqual(problems, []);
    assert.equal(pageOut.length, nodeOut.length);
    const worst = Math.max(...pageOut.map((v, i) => Math.abs(v - nodeOut[i]!)));
    assert.ok(worst < 1e-5, `largest difference from Node: ${worst} (page ${pageOut.join(', ')}; node ${nodeOut.join(', ')})`);

    // The README's browser snippet, as it stands there, run as a page's module: its model predicts as Node's does.
    await page.goto(`${origin}/readme.html`);
    await page.waitForFunction(() => (globalThis as unknown as { readme?: unknown }).readme !== undefined, undefined, { timeout: 60_000 });
    const readmeOut = await page.evaluate(async (x) => {
      const { tf: t, model } = (globalThis as unknown as { readme: { tf: typeof tf; model: { predict(x: unknown): unknown } } }).readme;
      await t.setBackend('cpu');
      return Array.from(await (model.predict(t.tensor2d(x, [x.length, 128], 'int32')) as tf.Tensor).data());
    }, x);
    assert.deepEqual(problems, []);
    const readmeWorst = Math.max(...readmeOut.map((v, i) => Math.abs(v - nodeOut[i]!)));
    assert.ok(readmeOut.length === nodeOut.length && readmeWorst < 1e-5, `the README snippet's model: largest difference from Node ${readmeWorst}`);
  } finally {
    await browser.close();
    server.close();
  }
});
