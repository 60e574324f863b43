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
import { parseSpecText, placeOf } from '../../src/document/source.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { checkBatchMemory } from '../../src/spec/check-data.js';
import { withDefaults } from '../../src/spec/graph.js';
import { parseSpec, readSpecFile } from '../../src/spec/read.js';
import { examplesOf } from '../helpers/examples.js';
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

// Before, a spec of any size was read whole and parsed.
test('a spec past the size limit is refused at its line 1, read from a file or given as text', () => {
  const text = spec('    - {type: dense, units: 4}\n');
  const expected = `spec.yaml:1:1: error: this file is ${text.length} bytes, more than strata's limit of 64 bytes for a spec or model file; set STRATA_MAX_SPEC_BYTES=${text.length} to raise it`;
  assert.deepEqual(withEnv({ STRATA_MAX_SPEC_BYTES: '64' }, () => errors(text)), [expected]);
  const file = join(tempDir('strata-limits-'), 'spec.yaml');
  writeFileSync(file, text);
  const fromFile = withEnv({ STRATA_MAX_SPEC_BYTES: '64' }, () => errorsOf(() => readSpecFile(file)));
  assert.deepEqual(fromFile, [expected.replace('spec.yaml', file)]);
  assert.deepEqual(errors(text), [], 'the default limit (4 MiB) takes it');
});

test('the default size limit is 4 MiB, in words in the message', () => {
  const big = `${spec('    - {type: dense, units: 4}\n')}description: "${'x'.repeat(4 * 1024 * 1024)}"\n`;
  assert.equal(errors(big)[0]!.split(': error: ')[1]!.split(';')[0], `this file is 4.19 MB (${Buffer.byteLength(big).toLocaleString('en-US')} bytes), more than strata's limit of 4,194,304 bytes for a spec or model file`);
});

const DEPTH = "values nest more than 64 levels deep here, past strata's limit (a spec nests about 10 deep, a block of blocks about 14); flatten the nesting";

// Before: 100 levels gave "layers[0] must be a mapping", 20,000 "invalid YAML: Maximum call stack size exceeded",
// and 20,000 in JSON an internal error (the strict JSON reader recursed without a bound).
test('values nested past 64 levels are refused at the first value past the limit, YAML and JSON alike', () => {
  const nested = (n: number) => `version: 1\nmodel:\n  layers: ${'['.repeat(n)}${']'.repeat(n)}\n`;
  assert.deepEqual(errors(nested(100)), [`spec.yaml:3:73: error: ${DEPTH}`]);
  // So deep that the yaml package's own parser runs out of stack: where it stops depends on the stack's size.
  const deep = errors(nested(20000));
  assert.equal(deep.length, 1);
  assert.match(deep[0]!, /^spec\.yaml:3:\d+: error: values nest more than 64 levels deep here/);
  const json = `{"version": 1, "model": {"layers": ${'['.repeat(20000)}${']'.repeat(20000)}}}`;
  assert.deepEqual(errorsOf(() => parseSpec('spec.json', json)), [`spec.json:1:98: error: ${DEPTH}`]);
});

test('a block of blocks of blocks is well within the depth limit', () => {
  const inner = '{type: residual, layers: [{type: residual, layers: [{type: residual, layers: [{type: dense, units: 8}]}]}]}';
  assert.deepEqual(errors(spec(`    - {type: residual, layers: [${inner}]}\n`)), []);
});

test('duplicate keys are found in one pass: each repeat at its key, not keys of other mappings', () => {
  const text = spec('    - {type: dense, units: 4, units: 5, units: 6}\n    - {type: dense, units: 4}\n');
  assert.deepEqual(errors(text), [
    "spec.yaml:5:31: error: invalid YAML: the key 'units' appears twice in the same mapping; keep one",
    "spec.yaml:5:41: error: invalid YAML: the key 'units' appears twice in the same mapping; keep one",
  ]);
});

// A regression guard for the O(n²) duplicate-key check of the yaml package (uniqueKeys), not a speed
// target: 40,000 keys took 14.5 s with it (46 s on a loaded 2-core machine) and take 0.4 s without it
// (2.8 s loaded). The bound is far above the linear time and far below the quadratic one.
test('a mapping of 40,000 keys parses in linear time', () => {
  const keys = Array.from({ length: 40000 }, (_, i) => `    k${i}: 1\n`).join('');
  const text = `${spec('    - {type: dense, units: 4}\n')}data:\n  dataset: mnist\n  augment:\n${keys}`;
  const start = Date.now();
  const parsed = parseSpecText('spec.yaml', text);
  const ms = Date.now() - start;
  assert.deepEqual(parsed.diagnostics, []);
  assert.ok(ms < 8000, `parsing 40,000 keys took ${ms} ms`);
});

// Before, these passed `validate` and crashed later ("Invalid typed array length", exit 1).
test('every integer key of the registries stops at 2^31 - 1, which also refuses 1e23', () => {
  assert.deepEqual(
    errors(spec('    - {type: embedding, input_dim: 10, output_dim: 2147483648}\n    - {type: lstm, units: 1e23}\n    - {type: dense, units: 1, repeat: 1e23}\n') + 'train:\n  epochs: 1e23\n'),
    [
      'spec.yaml:5:52: error: layers[1].output_dim must be at most 2147483647, got 2147483648',
      'spec.yaml:6:27: error: layers[2].units must be at most 2147483647, got 1e+23',
      'spec.yaml:7:39: error: layers[3].repeat must be at most 2147483647, got 1e+23',
      'spec.yaml:9:11: error: train.epochs must be at most 2147483647, got 1e+23',
    ],
  );
  assert.deepEqual(errors(spec('    - {type: conv1d, filters: 2, kernel_size: [3000000000]}\n')).length, 1);
});

// Before, each of these passed `validate` and stopped the build with an internal error (exit 1):
// "Invalid typed array length", or the heap exhausted.
test('a weight tensor larger than a tensor can be is refused at its layer, with its size in words', () => {
  assert.deepEqual(errors('version: 1\nmodel:\n  layers:\n    - {type: input, shape: [784]}\n    - {type: dense, units: 2000000000}\n'), [
    'spec.yaml:5:7: error: layers[1] (dense) would hold a weight tensor of 1.57 trillion values (6.27 TB of float32), more than one tensor can hold (2,147,483,647 values); make it smaller',
  ]);
  assert.deepEqual(errors('version: 1\nmodel:\n  layers:\n    - {type: input, shape: [100000, 100000, 100000]}\n    - {type: flatten}\n    - {type: dense, units: 2}\n'), [
    'spec.yaml:4:7: error: layers[0] (input) would output 1,000 trillion values per example ([batch, 100000, 100000, 100000]), more than one tensor can hold (2,147,483,647 values); make its input smaller',
  ]);
});

test("weights past the model's limit are refused at the layer that crosses it, and the limit can be raised", () => {
  const text = 'version: 1\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n    - {type: dense, units: 400000}\n    - {type: dense, units: 2000}\n';
  assert.deepEqual(errors(text), [
    "spec.yaml:6:7: error: layers[2] (dense) would hold 800 million weights (3.2 GB of float32); with the layers before it the model holds 802 million (3.21 GB), more than strata's limit of 2.15 GB of weights; set STRATA_MAX_WEIGHT_BYTES=3208008000 to raise it",
  ]);
  assert.deepEqual(withEnv({ STRATA_MAX_WEIGHT_BYTES: '3208008000' }, () => errors(text)), []);
  assert.deepEqual(errors(spec('    - {type: embedding, input_dim: 2000000, output_dim: 1000}\n')), [
    "spec.yaml:5:7: error: layers[1] (embedding) would hold 2 billion weights (8 GB of float32), more than strata's limit of 2.15 GB of weights; set STRATA_MAX_WEIGHT_BYTES=8000000000 to raise it",
  ]);
});

test("each layer type's weight count, where it gives one, is the parameter count Keras gives its example", () => {
  let checked = 0;
  for (const { def, label } of [...layerRegistry].flatMap(examplesOf)) {
    if (!def.weights) continue;
    const params = withDefaults({ type: def.type, ...def.example.params }, layerRegistry);
    const total = def.weights(def.example.inputs, params).reduce((a, b) => a + b, 0);
    assert.equal(total, def.example.kerasParams, label);
    checked++;
  }
  assert.ok(checked >= 7, `only ${checked} layer types give their weights`);
});

/** The batch-memory check of `spec` (phase 3), as error lines. */
function batchErrors(text: string): string[] {
  const s = parseSpec('spec.yaml', text);
  return checkBatchMemory(s, (path) => placeOf(s.source!, path)).map(formatDiagnostic);
}

// Before, a batch too large for memory stopped training with "Aborted()" at 4.4 GB.
test("a training batch's estimated memory is refused at train.batch_size, with the estimate", () => {
  const model = 'version: 1\nmodel:\n  layers:\n    - {type: input, shape: [784]}\n    - {type: dense, units: 1000}\n    - {type: dense, units: 10}\n';
  assert.deepEqual(batchErrors(`${model}train:\n  batch_size: 200000\n`), [
    "spec.yaml:8:15: error: train.batch_size: 200,000 examples need about 4.31 GB for the layers' outputs and their gradients (1,794 values per example, 4 bytes each, 3 times over), more than strata's limit of 2.15 GB for a batch; use a smaller batch_size, or set STRATA_MAX_BATCH_BYTES=4305600000 to raise it",
  ]);
  assert.deepEqual(batchErrors(`${model}train:\n  batch_size: 3000000\n`), [
    'spec.yaml:8:15: error: train.batch_size: 3,000,000 examples of the output of layers[1] (dense) make 3 billion values, more than one tensor can hold (2,147,483,647); use a batch_size of at most 2,147,483',
  ]);
  assert.deepEqual(batchErrors(`${model}train:\n  batch_size: 1024\n`), []);
  assert.deepEqual(batchErrors(model), [], 'the default batch_size, 32');
});

test('a 300 MB text dataset is refused at the file before it is read, with its size, the limit and how to raise it', async () => {
  const { openSync, ftruncateSync, closeSync } = await import('node:fs');
  const { readUtf8 } = await import('../../src/data/text-file.js');
  const dir = tempDir('strata-big-text-');
  const file = join(dir, 'big.txt');
  // A sparse file: 300 MB by its size, written in no time.
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 300 * 1000 * 1000);
  closeSync(fd);
  const before = process.resourceUsage().maxRSS;
  const got = errorsOf(() => readUtf8(file));
  assert.deepEqual(got, [`${file}: error: is 300 MB, more than strata's limit of 33.6 MB for a text, CSV or JSON-lines file: it is read whole and takes about 50 times its size in memory while it is prepared (data.limit applies after that); use part of the file, or set STRATA_MAX_DATA_BYTES=300000000 to raise it`]);
  assert.ok(process.resourceUsage().maxRSS - before < 100 * 1024, 'nothing of it was read (maxRSS grew by less than 100 MB)');
  // The limit is the variable's: a 2 KB file passes by default and is refused under a 1000-byte limit.
  const small = join(dir, 'small.txt');
  writeFileSync(small, 'word '.repeat(400));
  assert.equal(readUtf8(small).length, 2000);
  withEnv({ STRATA_MAX_DATA_BYTES: '1000' }, () => assert.match(errorsOf(() => readUtf8(small))[0] ?? '', /is 2 KB, more than strata's limit of 1 KB /));
});
