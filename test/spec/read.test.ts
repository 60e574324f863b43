/** From spec text to a checked Spec: positions, all errors at once, graphs and repeat. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeControls, formatDiagnostic, UsageError } from '../../src/errors.js';
import { parseSpec, readSpecFile } from '../../src/spec/read.js';
import { configFiles } from '../helpers/paths.js';

/** The error lines a spec produces (none when it is valid). */
function errors(text: string, overrides: string[] = [], file = 'spec.yaml'): string[] {
  try {
    parseSpec(file, text, { overrides });
    return [];
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return e.diagnostics.map(formatDiagnostic);
  }
}

const spec = (layers: string) => `version: 1\nmodel:\n  layers:\n${layers}`;

test('every config in configs/ validates', () => {
  for (const f of configFiles()) readSpecFile(f);
});

test('all errors of a file are reported in one run, in file order, at the offending key or value', () => {
  const lines = errors(
    spec(`    - type: input
      shape: [28, 28, 1]
    - type: conv2
      filters: 32
    - type: conv2d
      filters: -3
      kernel_size: 3
      activaton: relu
`),
  );
  assert.deepEqual(lines, [
    "spec.yaml:6:13: error: unknown layer type 'conv2' (did you mean 'conv2d'?)",
    'spec.yaml:9:16: error: layers[2].filters must be a positive integer, got -3',
    "spec.yaml:11:7: error: unknown key 'activaton' in layers[2] (conv2d) (did you mean 'activation'?)",
  ]);
});

test('a dense layer after a convolution names both shapes, the producer and the fix', () => {
  const lines = errors(
    spec(`    - type: input
      shape: [28, 28, 1]
    - type: conv2d
      filters: 32
      kernel_size: 3
    - type: conv2d
      filters: 32
      kernel_size: 1
    - type: dense
      units: 10
`),
  );
  assert.deepEqual(lines, [
    'spec.yaml:12:7: error: layers[3] (dense) expects input [batch, features] but receives [batch, 26, 26, 32] from layers[2] (conv2d); add a flatten layer before it',
  ]);
});

test('overrides apply before validation and their errors name the argument', () => {
  const text = spec(`    - type: input
      shape: [4]
    - type: dense
      units: 3
`);
  assert.deepEqual(errors(text, ['model.layers[1].units=0', 'train.epochs=two']), [
    '--set model.layers[1].units=0: error: layers[1].units must be a positive integer, got 0',
    "--set train.epochs=two: error: train.epochs must be an integer, got 'two'",
  ]);
  const s = parseSpec('spec.yaml', text, { overrides: ['model.layers[1].units=7', 'model.layers[1].activation=relu'] });
  assert.equal(s.model.layers[1]!.params.units, 7);
  assert.equal(s.model.layers[1]!.params.activation, 'relu');
  assert.deepEqual(s.model.layers[1]!.outputShape, [7]);
});

test('residual graphs resolve names, and repeat makes named copies in a chain', () => {
  const s = parseSpec(
    'spec.yaml',
    spec(`    - type: input
      shape: [8]
    - type: dense
      name: stem
      units: 16
    - type: dense
      name: block
      units: 16
      activation: relu
      repeat: 3
    - type: add
      inputs: [stem, block]
    - type: dense
      units: 2
`),
  );
  const names = s.model.layers.map((l) => `${l.name}<${l.inputs.join(',')}>`);
  assert.deepEqual(names, ['input_1<>', 'stem<input_1>', 'block_1<stem>', 'block_2<block_1>', 'block_3<block_2>', 'add_1<stem,block_3>', 'dense_1<add_1>']);
  assert.deepEqual(s.model.inputs, ['input_1']);
  assert.deepEqual(s.model.outputs, ['dense_1']);
  assert.deepEqual(s.model.layers[3]!.copy, { n: 2, of: 3 });
});

test('graph mistakes: unknown reference, cycle, unused layer, merge of unequal shapes', () => {
  const base = `    - type: input
      name: x
      shape: [8]
`;
  assert.deepEqual(errors(spec(`${base}    - type: dense
      units: 4
      inputs: [stme]
      name: stem
`)), ["spec.yaml:9:16: error: layers[1] (dense) takes input 'stme', but no layer has that name (did you mean 'stem'?)"]);
  assert.match(errors(spec(`${base}    - type: dense
      name: a
      units: 4
      inputs: [b]
    - type: dense
      name: b
      units: 4
      inputs: [a]
`))[0]!, /the layers form a cycle: a → b → a/);
  assert.match(errors(spec(`${base}    - type: dense
      name: side
      units: 4
    - type: dense
      units: 4
      inputs: [x]
`))[0]!, /layers\[1\] \(dense\) 'side' does not lead to the model's output/);
  assert.deepEqual(errors(spec(`${base}    - type: dense
      name: a
      units: 4
    - type: dense
      name: b
      units: 5
      inputs: [x]
    - type: add
      inputs: [a, b]
`)), ['spec.yaml:14:7: error: layers[3] (add) cannot merge [batch, 4] from layers[1] (dense) with [batch, 5] from layers[2] (dense): add needs inputs of the same shape']);
});

test('keys such as __proto__ are unknown keys, not prototype changes', () => {
  const lines = errors(`version: 1\n__proto__: {polluted: true}\nmodel:\n  layers:\n    - {type: input, shape: [2], __proto__: {x: 1}}\n`);
  assert.deepEqual(lines, ["spec.yaml:2:1: error: unknown key '__proto__' in the spec", "spec.yaml:5:33: error: unknown key '__proto__' in layers[0] (input)"]);
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
});

test('JSON specs are strict JSON, and their errors have positions too', () => {
  assert.deepEqual(errors('{"version": 1, "model": {"layers": [{"type": "input", "shape": [3]},]}}', [], 'spec.json'), [
    "spec.json:1:68: error: invalid JSON: trailing comma before ']' (JSON allows none)",
  ]);
  assert.deepEqual(errors('{"version": 1,\n "model": {"layers": [{"type": "input", "shape": [3]}, {"type": "dense", "unit": 2}]}}', [], 'spec.json'), [
    "spec.json:2:74: error: unknown key 'unit' in layers[1] (dense) (did you mean 'units'?)",
  ]);
});

test('a spec saved with a run by an earlier strata still opens: keys its optimizer or schedule ignored are dropped', () => {
  // Earlier versions took any optimizer or schedule key on any type (and ignored the foreign
  // ones) and did not check monitors; a run's spec.yaml is covered by its checksum, so it
  // cannot be edited. Read back from a run, such a spec must open as it did.
  const text = `version: 1
model:
  layers:
    - {type: input, shape: [4]}
    - {type: dense, units: 2, activation: softmax}
train:
  optimizer: {type: adam, learning_rate: 0.01, momentum: 0.9}
  schedule: {type: one_cycle, warmup_epochs: 1}
  early_stopping: {monitor: val_accuracy}
`;
  assert.deepEqual(errors(text), [
    "spec.yaml:7:48: error: unknown key 'momentum' in train.optimizer; optimizer adam takes learning_rate, beta_1, beta_2, epsilon",
    "spec.yaml:8:31: error: unknown key 'warmup_epochs' in train.schedule; schedule one_cycle takes max_learning_rate, pct_start",
  ]);
  const saved = parseSpec('spec.yaml', text, { saved: true });
  assert.deepEqual(saved.train?.optimizer, { type: 'adam', learning_rate: 0.01 });
  assert.deepEqual(saved.train?.schedule, { type: 'one_cycle' });
  assert.deepEqual(saved.train?.early_stopping, { monitor: 'val_accuracy' });
});

const dataSpec = (data: string) => `version: 1\ndata:\n${data}model:\n  layers:\n    - {type: input, shape: [784]}\n    - {type: dense, units: 10}\n`;

// Found by fuzzing; these two were already located here, and stay so.
test('data.validation: .NaN is refused at its value', () => {
  assert.deepEqual(errors(dataSpec('  dataset: mnist\n  validation: .NaN\n')), ['spec.yaml:4:15: error: data.validation must be a number or a string, got NaN']);
});

// Before, the key was set as the object's prototype, vanished from the spec, and its error was placed at the file's line 1 or 3.
test('--set __proto__.x=1 is refused at the argument, as an unknown key', () => {
  assert.deepEqual(errors(spec('    - {type: input, shape: [4]}\n'), ['__proto__.x=1']), ["--set __proto__.x=1: error: unknown key '__proto__' in the spec"]);
  assert.deepEqual(errors(spec('    - {type: input, shape: [4]}\n'), ['model.__proto__=1']), ["--set model.__proto__=1: error: unknown key '__proto__' in model"]);
});

// Before, the yaml package printed "(node:…) [TAG_RESOLVE_FAILED] YAMLWarning" on stderr and the spec passed.
test('an unknown YAML tag is an error at the tag', () => {
  assert.deepEqual(errors('version: 1\nname: !foo bar\nmodel:\n  layers:\n    - {type: input, shape: [4]}\n'), [
    "spec.yaml:2:7: error: invalid YAML: unknown tag '!foo'; a spec's values are plain YAML, so remove the tag",
  ]);
});

// Before, an escape sequence in a value was echoed raw and recoloured the terminal.
test('control characters of an echoed value are written as escapes', () => {
  assert.equal(
    formatDiagnostic({ file: 'spec.yaml', line: 3, col: 12, code: 'x', message: "no bundled dataset named '\u001b[31mred\u0007'" }),
    "spec.yaml:3:12: error: no bundled dataset named '\\u001b[31mred\\u0007'",
  );
  assert.equal(escapeControls('two\nlines\tand \u009b'), 'two\nlines\tand \\u009b');
});
