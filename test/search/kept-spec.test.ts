/**
 * The spec a search directory keeps (search.yaml) is read from there on
 * --resume, so every path in it that was relative to the spec file is made
 * absolute: a dataset file and train.distill's teacher (a resumed search once
 * looked for a relative teacher beside search.yaml); a bundled dataset's name
 * stays a name, and the rest of the text stays as written.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { keptSpecText } from '../../src/search/run.js';
import { tempDir } from '../helpers/tmp.js';

test('keptSpecText makes a relative dataset and teacher absolute, from the spec file, and keeps the rest', () => {
  const dir = tempDir('strata-kept-');
  mkdirSync(join(dir, 'specs'));
  writeFileSync(join(dir, 'data.csv'), 'x,y\n1,0\n');
  const file = join(dir, 'specs', 'a.yaml');
  const text = '# a comment\nversion: 1\ndata:\n  dataset: ../data.csv\ntrain:\n  distill: {teacher: ../runs/t, alpha: 0.5}\n';
  const kept = keptSpecText(file, text);
  const doc = parse(kept) as { data: { dataset: string }; train: { distill: { teacher: string; alpha: number } } };
  assert.equal(doc.data.dataset, join(dir, 'data.csv'));
  assert.equal(doc.train.distill.teacher, join(dir, 'runs', 't'));
  assert.equal(doc.train.distill.alpha, 0.5);
  assert.match(kept, /# a comment/);
  const bundled = 'version: 1\ndata:\n  dataset: mnist\n';
  assert.equal(keptSpecText(file, bundled), bundled);
});
