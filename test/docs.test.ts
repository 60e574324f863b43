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

test('every key of the data section is documented in docs/spec.md (the train section is docs/training.md, generated)', async () => {
  const { dataSchema } = await import('../src/spec/sections.js');
  const doc = readFileSync(join(ROOT, 'docs/spec.md'), 'utf8');
  const missing = Object.keys((dataSchema.properties ?? {}) as object).filter((k) => !doc.includes(`\`${k}\``));
  assert.deepEqual(missing, []);
});
