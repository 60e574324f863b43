/**
 * An installed strata carries its Python runtime: every module of
 * python/strata_torch is in the npm package (the package.json `files` list), and
 * PYTHON_ROOT, where the engine looks for it, is that folder of the package.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PYTHON_ROOT } from '../../src/torch/python.js';
import { ROOT } from '../helpers/cli.js';

test('npm pack includes every module of the torch engine\'s Python package', () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const packed = new Set((JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  const modules = readdirSync(join(ROOT, 'python', 'strata_torch'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.py'));
  assert.ok(modules.includes('__main__.py') && modules.includes('graph.py'), modules.join(' '));
  const missing = modules.map((f) => `python/strata_torch/${f.split('\\').join('/')}`).filter((f) => !packed.has(f));
  assert.deepEqual(missing, []);
  assert.ok(![...packed].some((f) => f.includes('__pycache__')), 'no compiled bytecode in the package');
  assert.equal(join(PYTHON_ROOT, 'strata_torch'), join(ROOT, 'python', 'strata_torch'));
});
