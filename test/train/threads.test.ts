/**
 * The wasm thread count strata train chooses by itself (train/threads.ts): one
 * for the bundled models of small dense layers, every core (undefined) for the
 * ones with convolutions, recurrent layers or attention, and for dense products
 * past the measured limit (the earlier 256-128 mnist-mlp, pinned as
 * test/fixtures/mnist-mlp-small.yaml, at its batch of 128, not at 64).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { preferredThreads } from '../../src/train/threads.js';
import { parseSpec } from '../../src/spec/read.js';
import { ROOT } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/paths.js';

const spec = (name: string) => {
  const file = join(ROOT, 'configs', `${name}.yaml`);
  return parseSpec(file, readFileSync(file, 'utf8'));
};

test('one thread for small dense-only models, every core for the others', () => {
  for (const name of ['spam-mlp', 'births-mlp', 'mnist-student']) assert.equal(preferredThreads(spec(name)), 1, name);
  // mnist-mlp: (784·768 + 768·64 + 64·10) = 651,904 multiply-adds an example, 83 million a step of 128.
  assert.equal(preferredThreads(spec('mnist-mlp')), undefined);
  // Across the limit: (784·256 + 256·128 + 128·10) multiply-adds an example, 30 million a step of 128, 15 million of 64.
  const file = join(FIXTURES, 'mnist-mlp-small.yaml');
  assert.equal(preferredThreads(parseSpec(file, readFileSync(file, 'utf8'))), undefined);
  assert.equal(preferredThreads(parseSpec(file, readFileSync(file, 'utf8'), { overrides: ['train.batch_size=64'] })), 1);
  for (const name of ['mnist-cnn', 'mnist-resnet', 'mnist-densenet', 'births-gru', 'moby-dick-lstm', 'spam-transformer', 'mnist-moe']) assert.equal(preferredThreads(spec(name)), undefined, name);
});
