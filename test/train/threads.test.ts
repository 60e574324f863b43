/**
 * The wasm thread count strata train chooses by itself (train/threads.ts): one
 * for the bundled models of small dense layers, every core (undefined) for the
 * ones with convolutions, recurrent layers or attention, and for dense products
 * past the measured limit (mnist-mlp at its batch of 128, not at 64).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { preferredThreads } from '../../src/train/threads.js';
import { parseSpec } from '../../src/spec/read.js';
import { ROOT } from '../helpers/cli.js';
import { SMALL_DENSE_SPEC } from '../helpers/small-dense.js';

const spec = (name: string) => {
  const file = join(ROOT, 'configs', `${name}.yaml`);
  return parseSpec(file, readFileSync(file, 'utf8'));
};

test('one thread for small dense-only models, every core for the others', () => {
  // births-mlp: (560·256 + 256·256 + 256·7 + 560·7)·32 = 6.9 million multiply-adds a step.
  for (const name of ['births-mlp', 'mnist-student']) assert.equal(preferredThreads(spec(name)), 1, name);
  assert.equal(preferredThreads(parseSpec(join(ROOT, 'small-dense.yaml'), SMALL_DENSE_SPEC)), 1, 'the pinned 5000-feature spam MLP: 10.2 million');
  // spam-mlp over its 10,000 words: (10000·64 + 64·2)·32 = 20.5 million, just past the limit.
  assert.equal(preferredThreads(spec('spam-mlp')), undefined);
  // mnist-mlp: (784·256 + 256·128 + 128·10) multiply-adds an example, 30 million a step of 128, 15 million of 64.
  assert.equal(preferredThreads(spec('mnist-mlp')), undefined);
  const file = join(ROOT, 'configs', 'mnist-mlp.yaml');
  assert.equal(preferredThreads(parseSpec(file, readFileSync(file, 'utf8'), { overrides: ['train.batch_size=64'] })), 1);
  for (const name of ['mnist-cnn', 'mnist-resnet', 'mnist-densenet', 'births-gru', 'moby-dick-lstm', 'spam-transformer', 'mnist-moe']) assert.equal(preferredThreads(spec(name)), undefined, name);
});
