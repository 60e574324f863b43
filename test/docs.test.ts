/** The specs shown in the README and docs/ are real: each one validates and builds. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadEngine } from '../src/backend/select.js';
import { buildModel } from '../src/model/build.js';
import { parseSpec } from '../src/spec/read.js';
import { ROOT } from './helpers/cli.js';

const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

for (const page of pages) {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const specs = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((block) => /^version: 1$/m.test(block));
  if (specs.length === 0) continue;
  test(`the ${specs.length} spec(s) in ${page} validate and build`, async () => {
    const engine = await loadEngine('cpu');
    for (const [i, block] of specs.entries()) {
      const spec = parseSpec(`${page}#${i + 1}.yaml`, block);
      const { model } = buildModel(spec, engine);
      assert.ok(model.countParams() >= 0);
      model.dispose();
    }
  });
}

test('every key of the data and train sections is documented in docs/spec.md', async () => {
  const { dataSchema, trainSchema, optimizerSchema, scheduleSchema } = await import('../src/spec/sections.js');
  const doc = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
  const keys = (s: { properties?: unknown }) => Object.keys((s.properties ?? {}) as object);
  const missing = [dataSchema, trainSchema, optimizerSchema, scheduleSchema].flatMap(keys).filter((k) => !doc.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});
