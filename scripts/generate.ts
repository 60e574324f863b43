/**
 * Writes the files derived from the code (see `generatedFiles` in
 * src/generated.ts): from the layer registry the spec's JSON Schema
 * (`schema/strata.schema.json`) and the layer reference (`docs/layers.md`),
 * from the training registry the training reference (`docs/training.md`), and
 * from the dataset descriptor's schema `schema/dataset.schema.json`. Run with
 * `npm run generate`; a test fails when the committed copies differ from what
 * this writes.
 */
import { writeFileSync } from 'node:fs';
import { generatedFiles } from '../src/generated.js';

for (const [path, text] of Object.entries(generatedFiles())) {
  writeFileSync(new URL(`../../${path}`, import.meta.url), text);
  console.log(`wrote ${path}`);
}
