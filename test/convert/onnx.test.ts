/**
 * `strata convert --to onnx`: every config in configs/ trained for one short
 * epoch, converted by the real executable and run by onnxruntime-node, gives
 * TensorFlow.js's predictions; every layer type's registry example that the
 * exporter's table lists does too, and every other type is refused, listed,
 * with nothing written.
 *
 * The reference is TensorFlow.js on its cpu backend: on the wasm backend the
 * mixture_of_experts layer computes something else (see the report of this
 * change), which the cpu backend and onnxruntime agree on.
 *
 * Tolerance: |onnx − tfjs| ≤ 1e-4 · max(1, |tfjs|): absolute for values up
 * to 1, relative above.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { parse, stringify } from 'yaml';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { loadModel } from '../../src/checkpoint/load-model.js';
import { ONNX_LAYER_TYPES, unexportableLayers } from '../../src/convert/to-onnx.js';
import { modelToOnnx } from '../../src/convert/onnx/export.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { ACTIVATIONS } from '../../src/layers/params.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import type { Spec } from '../../src/spec/types.js';
import type { LayersModel } from '../../src/tf-types.js';
import { ROOT, strata } from '../helpers/cli.js';
import { exampleSpec, examplesOf } from '../helpers/examples.js';
import { maxRelDiff } from '../helpers/layers.js';
import { configFiles } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmp.js';

const TOLERANCE = 1e-4;
const BATCH = 3;

let engine: Engine;
before(async () => {
  engine = await loadEngine('cpu');
});

/** Inputs for `model`: token ids (below 50 and every embedding's input_dim) for int32 inputs and inputs that feed an embedding, smooth values otherwise. */
function inputsFor(model: LayersModel): { data: Float32Array | Int32Array; shape: number[]; dtype: 'float32' | 'int32' }[] {
  const embeddings = model.layers.filter((l) => l.getClassName() === 'Embedding');
  const embeds = new Set(embeddings.flatMap((l) => l.inboundNodes.flatMap((n) => n.inputTensors.map((t) => t.id))));
  const vocabulary = Math.min(50, ...embeddings.map((l) => Number(l.getConfig().inputDim)));
  return model.inputs.map((t, k) => {
    const shape = [BATCH, ...t.shape.slice(1).map((d) => d ?? 4)];
    const n = shape.reduce((a, b) => a * b, 1);
    const ids = t.dtype === 'int32' || embeds.has(t.id);
    const data = ids ? Int32Array.from({ length: n }, (_, i) => (i * 7919 + k) % vocabulary) : Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k));
    return { data: t.dtype === 'int32' || !ids ? data : Float32Array.from(data), shape, dtype: t.dtype === 'int32' ? 'int32' : 'float32' };
  });
}

/** The largest relative difference between TensorFlow.js's predictions and onnxruntime's on the same inputs. */
async function compare(model: LayersModel, onnx: Uint8Array): Promise<number> {
  const { tf } = engine;
  const inputs = inputsFor(model);
  const expected = tf.tidy(() => {
    const y = model.predict(inputs.map((x) => tf.tensor(x.data, x.shape, x.dtype)));
    return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync().slice());
  });
  const session = await ort.InferenceSession.create(onnx);
  assert.equal(session.inputNames.length, inputs.length);
  const feeds = Object.fromEntries(session.inputNames.map((name, i) => [name, new ort.Tensor(inputs[i]!.dtype, inputs[i]!.data, inputs[i]!.shape)]));
  const results = await session.run(feeds);
  assert.equal(session.outputNames.length, expected.length);
  let worst = 0;
  session.outputNames.forEach((name, i) => {
    const got = results[name]!.data as Float32Array;
    assert.equal(got.length, expected[i]!.length, `output ${name}: ${got.length} values, TensorFlow.js gives ${expected[i]!.length}`);
    worst = Math.max(worst, maxRelDiff(got, expected[i]!));
  });
  await session.release();
  return worst;
}

/** `spec`'s model, built with fresh weights, exported to ONNX, and onnxruntime's outputs within TOLERANCE of TensorFlow.js's. */
async function exportsAsBuilt(spec: Spec, label: string): Promise<void> {
  const { model } = buildModel(spec, engine);
  try {
    const result = modelToOnnx(model, label);
    assert.ok(result.ok, result.ok ? '' : JSON.stringify(result.problems));
    const diff = await compare(model, result.bytes);
    assert.ok(diff <= TOLERANCE, `onnxruntime differs from TensorFlow.js by ${diff}`);
  } finally {
    model.dispose();
  }
}

/**
 * The config as a spec to train: a search's model without its search: section (strata train
 * refuses a search), a student's without train.distill (its teacher is a run the user trains
 * first; the model is the same without it).
 */
function trainable(file: string, dir: string): string {
  const text = readFileSync(file, 'utf8');
  const value = parse(text) as Record<string, unknown> & { train?: Record<string, unknown> };
  if (!('search' in value) && !(value.train && 'distill' in value.train)) return file;
  delete value.search;
  delete value.train?.distill;
  const out = join(dir, basename(file));
  writeFileSync(out, stringify(value));
  return out;
}

for (const config of configFiles()) {
  test(`${basename(config)}: a run trained one short epoch converts to ONNX, and onnxruntime gives TensorFlow.js's predictions`, async (t) => {
    const dir = tempDir('strata-onnx-');
    const run = join(dir, 'run');
    const trained = await strata(['train', trainable(config, dir), '--out', run, '--set', 'train.epochs=1', '--set', 'data.limit=48', '--quiet'], { cwd: ROOT });
    assert.equal(trained.code, 0, trained.stderr);
    const file = join(dir, 'model.onnx');
    const converted = await strata(['convert', run, '--to', 'onnx', '-o', file]);
    assert.equal(converted.code, 0, converted.stderr);
    const model = await loadModel(run, engine);
    try {
      const diff = await compare(model, readFileSync(file));
      t.diagnostic(`largest difference ${diff.toExponential(2)}`);
      assert.ok(diff <= TOLERANCE, `onnxruntime differs from TensorFlow.js by ${diff} (relative where values pass 1)`);
    } finally {
      model.dispose();
    }
  });
}

for (const { def, label } of [...layerRegistry].flatMap(examplesOf)) {
  if (def.type === 'input') continue;
  const supported = ONNX_LAYER_TYPES.includes(def.type);
  test(`${label}: its registry example ${supported ? 'exports and runs as TensorFlow.js does' : 'is refused, the layer listed'}`, async () => {
    const spec = parseSpec(`example-${def.type}.yaml`, exampleSpec(def));
    if (!supported) {
      const found = unexportableLayers(spec);
      assert.ok(found.some((d) => d.message.includes(`(${def.type})`)), JSON.stringify(found));
      return;
    }
    assert.deepEqual(unexportableLayers(spec), []);
    await exportsAsBuilt(spec, label);
  });
}

const input = (shape: number[], name = 'x') => ({ type: 'input', name, shape });
/** Settings the registry examples leave at their defaults, each of which the writers treat on their own. */
const SETTINGS: [string, Record<string, unknown>[]][] = [
  ['conv2d_transpose, valid, kernel smaller than the strides', [input([5, 5, 2]), { type: 'conv2d_transpose', filters: 3, kernel_size: 2, strides: 3 }]],
  ['conv2d_transpose, same, kernel 4 and strides 2', [input([5, 5, 2]), { type: 'conv2d_transpose', filters: 3, kernel_size: 4, strides: 2, padding: 'same', activation: 'tanh' }]],
  ['conv1d, causal and dilated', [input([9, 3]), { type: 'conv1d', filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2, activation: 'gelu' }]],
  ['conv2d, strided, same padding on an odd size', [input([7, 7, 2]), { type: 'conv2d', filters: 3, kernel_size: 3, strides: 2, padding: 'same', activation: 'selu' }]],
  ['pooling with same padding', [input([7, 7, 2]), { type: 'max_pool2d', pool_size: 3, strides: 2, padding: 'same' }, { type: 'avg_pool2d', pool_size: 2, padding: 'same' }]],
  ['lstm backwards, every step, hard_sigmoid gates', [input([6, 3]), { type: 'lstm', units: 4, return_sequences: true, go_backwards: true, recurrent_activation: 'hard_sigmoid' }]],
  ['gru reset_after, backwards', [input([6, 3]), { type: 'gru', units: 4, reset_after: true, go_backwards: true }]],
  ['bidirectional gru, every step, summed', [input([6, 3]), { type: 'bidirectional', merge_mode: 'sum', layer: { type: 'gru', units: 4, return_sequences: true } }]],
  ['bidirectional lstm, averaged', [input([6, 3]), { type: 'bidirectional', merge_mode: 'ave', layer: { type: 'lstm', units: 4 } }]],
  ['bidirectional simple_rnn, every step, multiplied', [input([6, 3]), { type: 'bidirectional', merge_mode: 'mul', layer: { type: 'simple_rnn', units: 4, return_sequences: true } }]],
  [
    'multi_head_attention, causal, across two sequences',
    [input([5, 6], 'q'), input([7, 4], 'kv'), { type: 'multi_head_attention', inputs: ['q', 'kv'], heads: 2, key_dim: 3, value_dim: 2, output_dim: 5, causal: true }],
  ],
  ['transformer_decoder, pre-norm, with an encoder', [input([5, 8], 'q'), input([4, 8], 'enc'), { type: 'transformer_decoder', inputs: ['q', 'enc'], heads: 2, ff_units: 16, norm_first: true, activation: 'gelu' }]],
  ['transformer_encoder, causal', [input([5, 8]), { type: 'transformer_encoder', heads: 4, ff_units: 8, causal: true }]],
  ['mixture_of_experts on a sequence', [input([5, 6]), { type: 'mixture_of_experts', experts: 4, top_k: 2, units: 8, output_units: 3, activation: 'swish' }]],
  ['upsampling2d, bilinear', [input([3, 4, 2]), { type: 'upsampling2d', size: 2, interpolation: 'bilinear' }]],
  ['every activation', [input([6]), ...Object.keys(ACTIVATIONS).map((activation) => ({ type: 'dense', units: 6, activation }))]],
];

for (const [label, layers] of SETTINGS) {
  test(`${label}: exports and runs as TensorFlow.js does`, async () => {
    await exportsAsBuilt(parseSpec(`${label}.yaml`, stringify({ version: 1, name: 'settings', seed: 3, model: { layers } })), label);
  });
}

test('layer types the exporter cannot write are all listed, with exit 2 and nothing written', async () => {
  const dir = tempDir('strata-onnx-');
  const spec = join(dir, 'spec.yaml');
  writeFileSync(
    spec,
    stringify({
      version: 1,
      name: 'unexportable',
      data: { dataset: 'mnist' },
      model: {
        layers: [
          { type: 'input', shape: [28, 28, 1] },
          { type: 'adaptive_max_pool2d', name: 'shrink', output_size: 14 },
          { type: 'residual', name: 'block', layers: [{ type: 'conv2d', filters: 2, kernel_size: 3, padding: 'same' }, { type: 'adaptive_avg_pool2d', output_size: 14 }] },
          { type: 'flatten' },
          { type: 'dense', units: 10, activation: 'softmax' },
        ],
      },
      train: { epochs: 1, loss: 'categorical_crossentropy' },
    }),
  );
  const out = join(dir, 'model.onnx');
  const fromSpec = await strata(['convert', spec, '--to', 'onnx', '-o', out]);
  assert.equal(fromSpec.code, 2, fromSpec.stderr);
  assert.match(fromSpec.stderr, /layer 'shrink' \(adaptive_max_pool2d\)/);
  assert.match(fromSpec.stderr, /layer 'block' → layers\[1\] \(adaptive_avg_pool2d\)/);
  assert.equal(existsSync(out), false);

  // A trained run is checked the same way, before its model is loaded.
  const run = join(dir, 'run');
  const trained = await strata(['train', spec, '--out', run, '--set', 'data.limit=16', '--quiet']);
  assert.equal(trained.code, 0, trained.stderr);
  const fromRun = await strata(['convert', run, '--to', 'onnx', '-o', out, '--json']);
  assert.equal(fromRun.code, 2, fromRun.stderr);
  const doc = JSON.parse(fromRun.stdout) as { ok: boolean; errors: { code: string; message: string }[] };
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.errors.map((e) => e.code), ['not-exportable', 'not-exportable']);
  assert.equal(existsSync(out), false);
});

test('a setting the exporter cannot write (an embedding\'s mask_zero) lists the layer', () => {
  const spec = parseSpec(
    'mask.yaml',
    stringify({ version: 1, name: 'mask', model: { layers: [{ type: 'input', shape: [6] }, { type: 'embedding', name: 'tokens', input_dim: 9, output_dim: 4, mask_zero: true }, { type: 'lstm', units: 3 }] } }),
  );
  assert.deepEqual(unexportableLayers(spec), []);
  const { model } = buildModel(spec, engine);
  try {
    const result = modelToOnnx(model, 'mask');
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.problems.map((p) => [p.layer, p.className]), [['tokens', 'Embedding']]);
  } finally {
    model.dispose();
  }
});

test('a spec with exportable layers is refused for want of weights, and --to onnx needs -o', async () => {
  const config = join(ROOT, 'configs', 'mnist-mlp.yaml');
  const spec = await strata(['convert', config, '--to', 'onnx', '-o', join(tempDir('strata-onnx-'), 'm.onnx')]);
  assert.equal(spec.code, 2);
  assert.match(spec.stderr, /no trained weights/);
  const noOutput = await strata(['convert', config, '--to', 'onnx']);
  assert.equal(noOutput.code, 2);
  assert.match(noOutput.stderr, /give the file to write with -o/);
});

test("docs/compression.md's ONNX section lists exactly the exporter's layer types", () => {
  const doc = readFileSync(join(ROOT, 'docs', 'compression.md'), 'utf8');
  const section = /## ONNX export\n([\s\S]*?)(?=\n## |$)/.exec(doc)?.[1];
  assert.ok(section, 'docs/compression.md has no "## ONNX export" section');
  const list = /<!-- onnx-layer-types -->\n([\s\S]*?)\n<!-- \/onnx-layer-types -->/.exec(section)?.[1];
  assert.ok(list, 'the section has no <!-- onnx-layer-types --> list');
  const listed = [...list.matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]);
  assert.deepEqual(listed, [...ONNX_LAYER_TYPES]);
});
