/**
 * Fuzzing the spec and model readers: the cases a hardening session found,
 * 320 seeded mutants of the bundled configs and Keras fixtures, and broken
 * checkpoints. Each set runs in a child process (cases-child.ts), where the
 * CLI runs in process: every case must end in exit 0, or exit 2 with a
 * located first line (the file, with line and column for a spec, or the
 * argument), in under 5 seconds, with the process under 1 GB.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const CHILD = fileURLToPath(new URL('./cases-child.js', import.meta.url));

/** The failures of one set of cases, each a sentence; [] when every case ended well. */
function failuresOf(set: 'named' | 'mutants' | 'checkpoints'): Promise<string[]> {
  const result = join(tempDir('strata-fuzz-result-'), 'result.json');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CHILD, set, result], { timeout: 600_000, maxBuffer: 64 << 20 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`the ${set} cases stopped: ${err.message}\n${stderr.slice(-4000)}`));
      else resolve(JSON.parse(readFileSync(result, 'utf8')) as string[]);
    });
  });
}

test('the named cases of the hardening issue end in exit 0 or a located exit 2, quickly and within memory', { timeout: 600_000 }, async () => {
  assert.deepEqual(await failuresOf('named'), []);
});

test('320 seeded mutants of the configs and Keras fixtures end in exit 0 or a located exit 2', { timeout: 900_000 }, async () => {
  assert.deepEqual(await failuresOf('mutants'), []);
});

test('broken checkpoints (weight shapes, types, classes, a weights file of the wrong size) end in a located exit 2 through evaluate', { timeout: 300_000 }, async () => {
  assert.deepEqual(await failuresOf('checkpoints'), []);
});
