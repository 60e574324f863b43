/**
 * The README's library snippet, run as it stands in the README, against strata
 * as a user installs it: `npm pack`, then a new project that installs the
 * tarball beside `@tensorflow/tfjs`, a run trained with the installed strata at
 * the path the snippet names, and the snippet as that project's program.
 *
 * Needs the npm registry (or npm's cache: .ci/run's `npm ci` fills it with every
 * package this installs). Optional dependencies are left out: the native
 * @tensorflow/tfjs-node cannot be downloaded here, and the snippet does not use it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without npm's own variables (this test itself may run under `npm test`). */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

function run(cmd: string, args: string[], cwd: string, timeout = 300_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: cleanEnv, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const ok = (r: Ran, what: string) => assert.equal(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);

/** The README's ```js blocks, in order. */
function readmeBlocks(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

test("the README's Node snippet runs as written against the packed package, with one copy of TensorFlow.js", { timeout: 600_000 }, async () => {
  const snippet = readmeBlocks().find((b) => /from 'strata'/.test(b));
  assert.ok(snippet, "README.md has a ```js block that imports from 'strata'");
  const runPath = /loadModel\('([^']+)'/.exec(snippet)?.[1];
  assert.ok(runPath, 'the snippet loads a run with loadModel(path, tf)');

  const dir = tempDir('strata-pack-');
  // --ignore-scripts: packing must not run `prepare` (a rebuild of dist/ while these tests read it).
  const packed = await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], ROOT);
  ok(packed, 'npm pack');
  const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
  assert.ok(existsSync(tarball), tarball);

  const project = join(dir, 'project');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-strata', version: '1.0.0', private: true, type: 'module' }));
  const tfjsVersion = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies['@tensorflow/tfjs-core']!;
  ok(await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--omit=optional', tarball, `@tensorflow/tfjs@${tfjsVersion}`], project), 'npm install');

  // One copy of TensorFlow.js: strata's peer dependencies are the ones @tensorflow/tfjs uses.
  const copies = (name: string) => {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        const p = join(d, e.name);
        if (p.endsWith(join('@tensorflow', name)) && existsSync(join(p, 'package.json'))) found.push(p);
        if (e.name === 'node_modules' || e.name.startsWith('@') || d.endsWith('node_modules') || /@[^/]+$/.test(d)) walk(p);
      }
    };
    walk(join(project, 'node_modules'));
    return found;
  };
  assert.equal(copies('tfjs-core').length, 1, `copies of tfjs-core: ${copies('tfjs-core').join(', ')}`);
  assert.equal(copies('tfjs-layers').length, 1, `copies of tfjs-layers: ${copies('tfjs-layers').join(', ')}`);

  // The run the snippet names, trained by the installed strata (one short epoch on a few e-mails).
  const trained = await run(process.execPath, [join(project, 'node_modules', 'strata', 'bin', 'strata.js'), 'train', join(project, 'node_modules', 'strata', 'configs', 'spam-transformer.yaml'), '--out', runPath, '--set', 'train.epochs=1', '--set', 'data.limit=64', '--quiet'], project);
  ok(trained, 'strata train');
  assert.ok(existsSync(join(project, runPath, 'model', 'model.json')), 'the run keeps its model at model/');

  writeFileSync(join(project, 'snippet.mjs'), snippet);
  const r = await run(process.execPath, ['snippet.mjs'], project, 120_000);
  ok(r, 'the snippet');
  // tf's print(): "Tensor\n     [[0.99…, 0.00…],]"; the two probabilities sum to 1.
  const probs = /\[\[([-\d.e]+), ([-\d.e]+)\],?\]/.exec(r.stdout);
  assert.ok(probs, `a [1, 2] tensor printed:\n${r.stdout}`);
  assert.ok(Math.abs(Number(probs[1]) + Number(probs[2]) - 1) < 1e-5, r.stdout);
  assert.doesNotMatch(r.stderr, /already (been )?(set|registered)|Platform .* has already/i, 'TensorFlow.js loaded once');
});
