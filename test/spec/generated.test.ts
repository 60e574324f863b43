/** The committed schema and layer docs are exactly what the registry generates. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generatedFiles } from '../../src/generated.js';
import { ROOT } from '../helpers/cli.js';
import { configFiles } from '../helpers/paths.js';

for (const [path, text] of Object.entries(generatedFiles())) {
  test(`${path} is up to date with the layer registry (run npm run generate)`, () => {
    assert.equal(readFileSync(join(ROOT, path), 'utf8'), text);
  });
}

test('every config starts with the yaml-language-server schema comment', () => {
  const files = configFiles();
  assert.ok(files.length >= 5);
  for (const f of files) {
    assert.match(readFileSync(f, 'utf8'), /^# yaml-language-server: \$schema=\.\.\/schema\/strata\.schema\.json\n/, f);
  }
});

test('the schema declares draft 2020-12 and lists every layer type', async () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schema/strata.schema.json'), 'utf8')) as { $schema: string; $defs: { layer: { properties: { type: { enum: string[] } } } } };
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  const { layerRegistry } = await import('../../src/layers/catalog.js');
  assert.deepEqual(schema.$defs.layer.properties.type.enum, layerRegistry.types());
});

test('the build compiled the spec validator ahead of time, from the current schema', async () => {
  const { createHash } = await import('node:crypto');
  const { createRequire } = await import('node:module');
  const { specSchema } = await import('../../src/spec/read.js');
  const mod = createRequire(import.meta.url)('../../src/spec/spec-validator.cjs') as { schemaHash: string; default: unknown };
  assert.equal(mod.schemaHash, createHash('sha256').update(JSON.stringify(specSchema())).digest('hex'));
  assert.equal(typeof mod.default, 'function');
});
