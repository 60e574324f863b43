/**
 * The direction of strata's modules (.dependency-cruiser.cjs, explained in
 * docs/development.md): no file imports another that imports it back, and no
 * folder imports one above it. The second test shows the rules catch both in a
 * small tree laid out like src/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const run = promisify(execFile);
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: unknown[];
}

/** The rule violations dependency-cruiser finds under `cwd`/src with the repository's rules. */
async function violations(cwd: string): Promise<Violation[]> {
  const { stdout } = await run(process.execPath, [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  const result = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  assert.ok(result.summary.totalCruised > 0, 'dependency-cruiser found no modules');
  return result.summary.violations;
}

const describe = (v: Violation) => `${v.rule.name}: ${v.from} → ${v.to}`;

test('src/ has no import cycles and no import that runs up the layers', async () => {
  const found = await violations(ROOT);
  assert.deepEqual(found.map(describe), []);
});

test('the rules report a back-edge, a cycle and an import between siblings', async () => {
  const dir = tempDir('strata-structure-');
  const file = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  copyFileSync(join(ROOT, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  // A layer that imports the spec reader: layers sit below spec.
  file('src/spec/read.ts', 'export const read = 1;\n');
  file('src/layers/dense.ts', "import { read } from '../spec/read.js';\nexport const dense = read;\n");
  // Two data modules that import each other (types only, which count too).
  file('src/data/a.ts', "import type { B } from './b.js';\nexport type A = { b?: B };\n");
  file('src/data/b.ts', "import type { A } from './a.js';\nexport type B = { a?: A };\n");
  // eval and run share a rank and stay apart.
  file('src/run/setup.ts', 'export const setup = 1;\n');
  file('src/eval/score.ts', "import { setup } from '../run/setup.js';\nexport const score = setup;\n");
  // A lower import is fine.
  file('src/spec/graph.ts', "import { dense } from '../layers/dense.js';\nexport const graph = dense;\n");

  const found = (await violations(dir)).map(describe).sort();
  assert.deepEqual(found, [
    'no-circular: src/data/a.ts → src/data/b.ts',
    'rank-10-sibling: src/eval/score.ts → src/run/setup.ts',
    'rank-2-imports-higher: src/layers/dense.ts → src/spec/read.ts',
  ]);
});
