/**
 * The sizes strata refuses before trying them (src/document/limits.ts): each
 * limit is a located usage error naming the limit and how to raise it, never
 * a stack overflow or an exhausted heap.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readAnySpec } from '../../src/convert/convert.js';
import { readTopology } from '../../src/convert/keras-topology.js';
import { formatDiagnostic, UsageError } from '../../src/errors.js';
import { parseSpec } from '../../src/spec/read.js';
import { tempDir } from '../helpers/tmp.js';

/** The error lines `fn` throws (none when it does not throw). */
function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
    return [];
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.diagnostics.map(formatDiagnostic);
  }
}

const errors = (text: string, overrides: string[] = []) => errorsOf(() => parseSpec('spec.yaml', text, { overrides }));

const spec = (layers: string) => `version: 1\nmodel:\n  layers:\n    - {type: input, shape: [8]}\n${layers}`;

/** Run `fn` with environment variables set, then restore them. */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

// Before the limit, repeat: 10000 ran out of stack (exit 1) and repeat: 10000000 ran out of heap after a minute.
test('repeat past the layer limit is refused at its repeat value, before any copy is made', () => {
  assert.deepEqual(errors(spec('    - {type: dense, units: 4, repeat: 10000}\n')), [
    "spec.yaml:5:39: error: layers[1] (dense) with repeat: 10000 takes the model past strata's limit of 2,000 layers (it has 10,001 with repeat and blocks expanded); set STRATA_MAX_LAYERS=10001 to raise it",
  ]);
  assert.deepEqual(errors(spec('    - {type: dense, units: 4, repeat: 10000000}\n')), [
    "spec.yaml:5:39: error: layers[1] (dense) with repeat: 10000000 takes the model past strata's limit of 2,000 layers (it has 10,000,001 with repeat and blocks expanded); set STRATA_MAX_LAYERS=10000001 to raise it",
  ]);
});

test('a list of layers past the limit is refused at the first layer past it', () => {
  const lines = errors(spec('    - {type: dense, units: 4}\n'.repeat(2500)));
  assert.deepEqual(lines, [
    "spec.yaml:2004:7: error: layers[2000] (dense) takes the model past strata's limit of 2,000 layers (it has 2,501 with repeat and blocks expanded); set STRATA_MAX_LAYERS=2501 to raise it",
  ]);
});

test("a block's inner layers count, times its repeat", () => {
  const block = '    - {type: residual, repeat: 700, layers: [{type: dense, units: 8}, {type: dense, units: 8}]}\n';
  assert.deepEqual(errors(spec(block)), [
    "spec.yaml:5:32: error: layers[1] (residual) with repeat: 700 takes the model past strata's limit of 2,000 layers (it has 2,101 with repeat and blocks expanded); set STRATA_MAX_LAYERS=2101 to raise it",
  ]);
});

// Before, ordering the layers and finding the used ones recursed once per layer of a chain: 10,000 overflowed the stack.
test('raised, the limit lets a 10,000-layer chain validate: the graph is walked without recursion', () => {
  const s = withEnv({ STRATA_MAX_LAYERS: '10001' }, () => parseSpec('spec.yaml', spec('    - {type: dense, units: 4, repeat: 10000}\n')));
  assert.equal(s.model.layers.length, 10001);
  assert.equal(s.model.outputs[0], 'dense_10000');
});

test('a bad STRATA_MAX_LAYERS is a usage error naming the variable', () => {
  assert.deepEqual(
    withEnv({ STRATA_MAX_LAYERS: 'lots' }, () => errors(spec('    - {type: dense, units: 4}\n'))),
    ['STRATA_MAX_LAYERS=lots: error: STRATA_MAX_LAYERS must be a whole number of layers from 1, such as 2000'],
  );
});

/** A Keras Sequential model of `n` dense layers after its input. */
const kerasChain = (n: number) => ({
  class_name: 'Sequential',
  config: {
    name: 'chain',
    layers: [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8], name: 'in' } },
      ...Array.from({ length: n }, (_, i) => ({ class_name: 'Dense', config: { name: `d${i}`, units: 4 } })),
    ],
  },
});

// Before, `summary`, `convert` and `evaluate` of this model ran out of stack (exit 1).
test('a 10,000-layer Keras model is refused by the layer limit, and converts when it is raised', () => {
  assert.deepEqual(errorsOf(() => readTopology(kerasChain(10000), 'big.json')), [
    "big.json: error: this model has 10,001 layers, more than strata's limit of 2,000; set STRATA_MAX_LAYERS=10001 to raise it",
  ]);
  const file = join(tempDir('strata-limits-'), 'big.json');
  writeFileSync(file, JSON.stringify(kerasChain(10000)));
  const { spec: s } = withEnv({ STRATA_MAX_LAYERS: '10001' }, () => readAnySpec(file));
  assert.equal(s.model.layers.length, 10001);
});

test('models nested inside models past 16 levels are refused, not read recursively without end', () => {
  let model: Record<string, unknown> = kerasChain(1);
  for (let i = 0; i < 40; i++) model = { class_name: 'Sequential', config: { name: `m${i}`, layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 8], name: `in${i}` } }, model] } };
  assert.deepEqual(errorsOf(() => readTopology(model, 'nested.json')), [
    'nested.json: error: models are nested more than 16 deep (a model used as a layer of a model used as a layer ...); strata reads at most 16 levels',
  ]);
});
