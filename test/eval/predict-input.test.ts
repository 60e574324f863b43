/** Reading `strata predict --input`: a file that is there but cannot be read is the argument's fault, named as such. */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DataInfo } from '../../src/checkpoint/meta.js';
import { UsageError } from '../../src/errors.js';
import { readPredictInput } from '../../src/eval/predict-input.js';
import { tempDir } from '../helpers/tmp.js';

const info: DataInfo = { name: 'rows', task: 'classification', inputShape: [2], inputDtype: 'float32', targetShape: [], classes: ['a', 'b'], inputScaling: { offset: [0, 0], scale: [1, 1], columns: ['x', 'y'] }, fingerprint: 'f' };

const unreadable = (file: string) => (e: unknown) =>
  e instanceof UsageError && e.diagnostics[0]!.arg === `--input ${file}` && e.diagnostics[0]!.code === 'no-input' && /^'.*' cannot be read \(.+\); give a readable file of inputs to predict/.test(e.diagnostics[0]!.message);

test('a file without read permission is a UsageError on --input', (t) => {
  const file = join(tempDir('strata-predict-input-'), 'new.csv');
  writeFileSync(file, 'x,y\n1,2\n');
  chmodSync(file, 0o000);
  // Root reads a file of mode 000 anyway; the case below covers a failing read there.
  let readable = true;
  try {
    readFileSync(file);
  } catch {
    readable = false;
  }
  if (readable) return t.skip('this process can read a file of mode 000 (running as root)');
  assert.throws(() => readPredictInput(file, info), unreadable(file));
});

test('a file whose read fails (an I/O error) is a UsageError on --input, not an internal error', (t) => {
  // /proc/self/mem is a regular file whose read from offset 0 fails with EIO, even for root.
  const file = '/proc/self/mem';
  if (process.platform !== 'linux' || !existsSync(file)) return t.skip('needs Linux /proc');
  assert.throws(() => readPredictInput(file, info), unreadable(file));
});
