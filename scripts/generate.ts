/**
 * Writes the files derived from the layer registry: the JSON Schema in
 * `schema/` and the layer reference in `docs/`. Run with `npm run generate`;
 * a test fails when the committed copies differ from what this writes.
 */
import { writeFileSync } from 'node:fs';
import { generatedFiles } from '../src/generated.js';

for (const [path, text] of Object.entries(generatedFiles())) {
  writeFileSync(new URL(`../../${path}`, import.meta.url), text);
  console.log(`wrote ${path}`);
}
