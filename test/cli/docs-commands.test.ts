/** Every command and every option of the command line is documented in docs/cli.md. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createProgram } from '../../src/cli/main.js';
import { ROOT } from '../helpers/cli.js';

test('docs/cli.md has a section for each command and mentions each of its options', () => {
  const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
  const missing: string[] = [];
  for (const cmd of createProgram().commands) {
    if (!doc.includes(`## \`strata ${cmd.name()}`)) missing.push(`section for ${cmd.name()}`);
    for (const opt of cmd.options) if (!doc.includes(`\`${opt.long}`)) missing.push(`${cmd.name()} ${opt.long}`);
  }
  assert.deepEqual(missing, []);
});
