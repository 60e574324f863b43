/**
 * Every spec in test/fixtures/invalid/ is refused through the real command
 * line: exit 2, no stack trace, and the first error line exactly as written in
 * the fixture's `.expected` file (paths relative to the fixture folder).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, hasStackTrace, strata } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/paths.js';

const dir = join(FIXTURES, 'invalid');
const specs = readdirSync(dir).filter((f) => !f.endsWith('.expected') && !f.endsWith('.md'));

test('there are at least 40 invalid fixtures, each with its expected first line', () => {
  assert.ok(specs.length >= 40, `only ${specs.length} fixtures`);
  for (const f of specs) assert.ok(readdirSync(dir).includes(`${f}.expected`), `${f} has no .expected file`);
});

/** Run the fixtures a few at a time: each is a separate process. */
async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

test('each invalid fixture exits 2 with its exact first error line and no stack trace', async () => {
  assert.ok(BIN);
  const failures: string[] = [];
  await inBatches(specs, 4, async (f) => {
    const expected = readFileSync(join(dir, `${f}.expected`), 'utf8').trim();
    const r = await strata(['validate', f], { cwd: dir });
    const first = r.stderr.split('\n')[0];
    if (r.code !== 2) failures.push(`${f}: exit ${r.code}, expected 2`);
    if (hasStackTrace(r.stderr)) failures.push(`${f}: stack trace in output`);
    if (r.stdout !== '') failures.push(`${f}: printed on stdout: ${r.stdout}`);
    if (first !== expected) failures.push(`${f}:\n  expected: ${expected}\n  actual:   ${first}`);
  });
  assert.deepEqual(failures, []);
});
