/**
 * The wasm thread count strata train chooses by itself (train/threads.ts): every
 * core (undefined) for the bundled models with convolutions, nested ones
 * too, one thread for the others (dense, recurrent, attention).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { preferredThreads } from '../../src/train/threads.js';
import { parseSpec } from '../../src/spec/read.js';
import { ROOT } from '../helpers/cli.js';

const spec = (name: string) => {
  const file = join(ROOT, 'configs', `${name}.yaml`);
  return parseSpec(file, readFileSync(file, 'utf8'));
};

test('every core for the bundled models with convolutions, one thread for the others', () => {
  for (const name of ['spam-mlp', 'births-mlp', 'mnist-student', 'mnist-mlp', 'births-gru', 'moby-dick-lstm', 'spam-transformer', 'mnist-moe']) assert.equal(preferredThreads(spec(name)), 1, name);
  for (const name of ['mnist-cnn', 'mnist-resnet', 'mnist-densenet', 'mnist-resnet-blocks']) assert.equal(preferredThreads(spec(name)), undefined, name);
});

test('a convolution inside a block counts as one at the top', () => {
  const text = (inner: string) => `version: 1
name: t
model:
  layers:
    - {type: input, shape: [8, 8, 4]}
    - type: residual
      layers:
        - {type: ${inner}}
    - {type: flatten}
    - {type: dense, units: 2, activation: softmax}
`;
  assert.equal(preferredThreads(parseSpec('t.yaml', text('conv2d, filters: 4, kernel_size: 3, padding: same'))), undefined);
  assert.equal(preferredThreads(parseSpec('t.yaml', text('batch_norm'))), 1);
});
