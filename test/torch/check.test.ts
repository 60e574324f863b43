/**
 * The torch engine's refusals at the spec's lines: a layer type it does not run
 * (at the top level, or inside a block or a wrapper) is named with its engine and
 * the way out. Today the torch engine runs every type, so the check is given a
 * smaller list here.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDiagnostic } from '../../src/errors.js';
import { parseSpec } from '../../src/spec/read.js';
import { checkTorchSpec } from '../../src/torch/check.js';
import { TORCH_LAYER_TYPES, TORCH_TRAIN_KEYS } from '../../src/torch/support.js';
import { trainKeys } from '../../src/train-registry/section.js';
import { layerRegistry } from '../../src/layers/catalog.js';

const SPEC = `version: 1
name: refused
model:
  layers:
    - {type: input, shape: [8, 4]}
    - type: bidirectional
      layer: {type: gru, units: 4, return_sequences: true}
    - type: residual
      layers:
        - {type: dense, units: 8}
    - {type: global_avg_pool1d}
    - {type: dense, units: 2, activation: softmax}
`;

test('a type the torch engine lacks is refused at its line, top level or nested, naming the type and the engine', () => {
  const spec = parseSpec('refused.yaml', SPEC);
  const supported = new Set(['input', 'bidirectional', 'residual', 'dense']);
  const lines = checkTorchSpec(spec, supported).map(formatDiagnostic);
  assert.deepEqual(
    lines.map((l) => l.replace(/; train this spec.*$/, '')),
    ['refused.yaml:7:21: error: layer type gru is not supported by the torch engine', 'refused.yaml:11:14: error: layer type global_avg_pool1d is not supported by the torch engine'],
  );
  assert.match(lines[0]!, /train this spec on the tfjs engine \(--engine tfjs\), or use a type the torch engine runs: bidirectional, dense, input, residual$/);
});

test('with support.ts\'s list the same spec passes, and the list names only registered types', () => {
  assert.deepEqual(checkTorchSpec(parseSpec('refused.yaml', SPEC)), []);
  const unknown = [...TORCH_LAYER_TYPES].filter((t) => layerRegistry.get(t) === undefined);
  assert.deepEqual(unknown, []);
});

test('a train: key the torch engine does not honour (pruning) is refused at its line', () => {
  const text = `${SPEC}train:\n  epochs: 2\n  pruning: {type: constant, target_sparsity: 0.5}\n`;
  const lines = checkTorchSpec(parseSpec('refused.yaml', text)).map(formatDiagnostic);
  assert.deepEqual(lines, ['refused.yaml:15:12: error: train.pruning is not supported by the torch engine; train this spec on the tfjs engine (--engine tfjs), or remove train.pruning']);
});

test("support.ts's train keys are keys of the train: section, and every key it leaves out is one the torch engine refuses", () => {
  const keys = Object.keys(trainKeys());
  assert.deepEqual([...TORCH_TRAIN_KEYS].filter((k) => !keys.includes(k)), []);
  assert.deepEqual(keys.filter((k) => !TORCH_TRAIN_KEYS.has(k)).sort(), ['distill', 'pruning']);
});
