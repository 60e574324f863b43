/**
 * The torch engine's layers against TensorFlow.js's, table-driven over the
 * registry: for every type in TORCH_LAYER_TYPES, the type's registry example
 * is built in TensorFlow.js, its weights are set to random values (biases and
 * moving statistics too, so that none is trivially zero or one), and its
 * topology (as model.save writes it), weights (manifest order), a random input
 * batch and a random R go to a temporary folder as float32 files. One Python
 * process (python/strata_torch/parity.py) builds every case with
 * strata_torch.graph and writes back the forward pass (training false) and the
 * gradients of sum(output · R) for every trainable weight and every float
 * input (so weightless layers' backward passes count too); here the same is
 * computed with TensorFlow.js and compared. Batch normalization also runs one
 * training-mode pass on each side, after which the moving statistics must
 * agree. Composite models (channels-first runs of conv/batch-norm/pool, masks,
 * frozen layers, recurrent variants), strata's configs and benchmark specs are
 * checked the same way; so are the layer losses (regularizers, load balancing)
 * with their gradients, and recurrent states carried from batch to batch.
 *
 * Tolerances: errors are max |torch − tfjs| / max(1, max |tfjs|) over a
 * tensor: relative to the tensor's scale (float32 rounding grows with the
 * magnitude of the values summed, not with each element's own size, so an
 * elementwise relative test would fail on elements that are near zero by
 * cancellation), and absolute below 1. Forward within 1e-5 (float32 has
 * ~6e-8 relative precision; a few hundred accumulated products in a
 * different order stay well below), gradients within 1e-4 (they add another
 * layer of accumulation, over the batch and the steps of recurrent layers).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { loadEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/select.js';
import { layerRegistry } from '../../src/layers/catalog.js';
import { buildModel } from '../../src/model/build.js';
import { parseSpec } from '../../src/spec/read.js';
import type { LayersModel } from '../../src/tf-types.js';
import { CarriedStates } from '../../src/train/carry-state.js';
import { TORCH_LAYER_TYPES } from '../../src/torch/support.js';
import { PYTHON_ROOT } from '../../src/torch/python.js';
import { exampleSpec, examplesOf } from '../helpers/examples.js';
import { tempDir } from '../helpers/tmp.js';
import { skipWithoutTorch, torchPython } from '../helpers/torch.js';

const BATCH = 4;
const FORWARD_TOL = 1e-5;
const GRAD_TOL = 1e-4;

interface Case {
  id: string;
  /** A spec (YAML text). */
  spec: string;
  /**
   * 'grad': forward and gradients in inference mode; 'train': the weights after one training-mode pass;
   * 'carry': the outputs of consecutive batches with the recurrent state carried (train.carry_state);
   * 'losses': the sum of the layer losses (model.calculateLosses() after a training pass) and its gradients.
   */
  mode: 'grad' | 'train' | 'carry' | 'losses';
  /** Integer ids in [0, ids) as inputs (embedding layers), instead of normal floats. */
  ids?: number;
  /** Compare the forward pass only, for this reason. */
  forwardOnly?: string;
  /** Skip the input gradients, for this reason. */
  noInputGrads?: string;
  /** The standard deviation of the noise added to every weight (default 0.3). */
  noise?: number;
  /** Examples in the batch (default BATCH). */
  batch?: number;
}

/**
 * Why a case compares the forward pass only. TensorFlow.js's AvgPoolGrad
 * (tfjs-backend-cpu, kernels/AvgPoolGrad.js) divides every window's gradient
 * by the full window size, while its forward pass with padding 'same'
 * divides border windows by the number of cells inside the image: its
 * gradient is not the derivative of its own output there. torch computes the
 * true gradient (the forward passes agree), so these cases check the forward
 * pass only.
 */
const AVG_SAME = "TF.js's average-pool gradient ignores the excluded padding of 'same'";

/**
 * Types whose input gradient TF.js gets wrong, so that only the forward pass and weight gradients
 * are compared: tfjs-backend-cpu's ResizeNearestNeighborGrad mixes up the examples of a batch of
 * more than one (with batch 1 it agrees with torch to 2e-7; with 2 it is off by as much as the values).
 */
const INPUT_GRAD_BUGS: Record<string, string> = {
  upsampling2d: "TF.js's nearest-neighbour resize gradient is wrong for batches of more than one",
};

/** Composite models: channels-first runs, blocks in context, the benchmark shapes. */
const MODELS: Record<string, { layers: Record<string, unknown>[]; ids?: number; forwardOnly?: string }> = {
  cnn_bn: {
    layers: [
      { type: 'input', shape: [9, 9, 2] },
      { type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same', activation: 'relu' },
      { type: 'batch_norm' },
      { type: 'conv2d', filters: 5, kernel_size: 2, strides: 2, padding: 'same' },
      { type: 'max_pool2d', pool_size: 2, padding: 'same' },
      { type: 'avg_pool2d', pool_size: 3, strides: 1 },
      { type: 'group_norm', groups: 5 },
      { type: 'activation', activation: 'softmax' },
      { type: 'flatten' },
      { type: 'dense', units: 3, activation: 'softmax' },
    ],
  },
  resnet_block: {
    layers: [
      { type: 'input', shape: [8, 8, 3] },
      { type: 'conv2d', filters: 4, kernel_size: 3, padding: 'same' },
      {
        type: 'residual',
        activation: 'relu',
        layers: [
          { type: 'conv2d', filters: 6, kernel_size: 3, strides: 2, padding: 'same' },
          { type: 'batch_norm' },
          { type: 'activation', activation: 'relu' },
          { type: 'conv2d', filters: 6, kernel_size: 3, padding: 'same', dilation_rate: 2 },
        ],
      },
      { type: 'global_avg_pool2d' },
      { type: 'dense', units: 2 },
    ],
  },
  lstm_text: {
    ids: 12,
    layers: [
      { type: 'input', shape: [6] },
      { type: 'embedding', input_dim: 12, output_dim: 5 },
      { type: 'lstm', units: 7, return_sequences: true },
      { type: 'gru', units: 4, go_backwards: true },
      { type: 'dense', units: 3 },
    ],
  },
  rnn_activations: {
    layers: [
      { type: 'input', shape: [5, 3] },
      { type: 'lstm', units: 4, activation: 'relu', recurrent_activation: 'hard_sigmoid', return_sequences: true },
      { type: 'gru', units: 3, activation: 'elu', return_sequences: true },
      { type: 'simple_rnn', units: 3, activation: 'swish' },
    ],
  },
  transformer: {
    ids: 20,
    layers: [
      { type: 'input', shape: [7] },
      { type: 'embedding', input_dim: 20, output_dim: 8 },
      { type: 'positional_embedding', max_length: 10 },
      { type: 'transformer_encoder', heads: 2, ff_units: 12, norm_first: true, causal: true, activation: 'gelu' },
      { type: 'transformer_encoder', heads: 4, ff_units: 6, key_dim: 3 },
      { type: 'global_avg_pool1d' },
      { type: 'dense', units: 2 },
    ],
  },
  masked_rnns: {
    ids: 4,
    layers: [
      { type: 'input', shape: [7] },
      { type: 'embedding', input_dim: 4, output_dim: 5, mask_zero: true },
      { type: 'dropout', rate: 0.2 },
      { type: 'dense', units: 5, activation: 'tanh' },
      { type: 'layer_norm' },
      { type: 'lstm', units: 4, return_sequences: true },
      { type: 'gru', units: 4, return_sequences: true, go_backwards: true },
      { type: 'bidirectional', layer: { type: 'simple_rnn', units: 3, return_sequences: true } },
      { type: 'lstm', units: 3 },
    ],
  },
  // TF.js passes the embedding's mask on to every later layer (its executor keeps kwargs.mask), even through layers without mask support.
  masked_sticky: {
    ids: 3,
    layers: [
      { type: 'input', shape: [6] },
      { type: 'embedding', input_dim: 3, output_dim: 4, mask_zero: true },
      { type: 'conv1d', filters: 4, kernel_size: 1 },
      { type: 'leaky_relu' },
      { type: 'positional_encoding' },
      { type: 'gru', units: 3 },
    ],
  },
  frozen: {
    layers: [
      { type: 'input', shape: [6] },
      { type: 'dense', units: 5, trainable: false },
      { type: 'batch_norm' },
      { type: 'dense', units: 4, activation: 'tanh' },
      { type: 'batch_norm', trainable: false },
      { type: 'residual', trainable: false, layers: [{ type: 'dense', units: 3 }] },
      { type: 'dense', units: 2 },
    ],
  },
  dense_activations: {
    layers: [
      { type: 'input', shape: [6] },
      ...['relu6', 'elu', 'selu', 'gelu', 'swish', 'mish', 'softplus', 'softsign', 'sigmoid', 'hard_sigmoid', 'tanh', 'leaky_relu', 'softmax'].map((activation) => ({
        type: 'dense',
        units: 6,
        activation,
      })),
    ],
  },
  max_pool_same: {
    layers: [
      { type: 'input', shape: [7, 6, 2] },
      { type: 'conv2d', filters: 2, kernel_size: 1 },
      { type: 'max_pool2d', pool_size: 2, padding: 'same' },
    ],
  },
  avg_pool_same: {
    forwardOnly: AVG_SAME,
    layers: [
      { type: 'input', shape: [7, 6, 2] },
      { type: 'conv2d', filters: 2, kernel_size: 1 },
      { type: 'avg_pool2d', pool_size: 3, strides: 2, padding: 'same' },
    ],
  },
  avg_pool1d_same: {
    forwardOnly: AVG_SAME,
    layers: [
      { type: 'input', shape: [7, 3] },
      { type: 'conv1d', filters: 2, kernel_size: 1 },
      { type: 'avg_pool1d', pool_size: 2, strides: 1, padding: 'same' },
    ],
  },
  upsampling_bilinear: {
    forwardOnly: "TF.js's bilinear resize gradient swaps height and width (it throws on images that are not square)",
    layers: [
      { type: 'input', shape: [3, 5, 2] },
      { type: 'conv2d', filters: 2, kernel_size: 1 },
      { type: 'upsampling2d', size: [2, 3], interpolation: 'bilinear' },
      { type: 'zero_padding2d', padding: [1, 2] },
      { type: 'cropping2d', cropping: [2, 1] },
    ],
  },
  // Concatenation along other axes, of channels-first images too (axis 1, height, is NCHW's 2).
  concat_axes: {
    layers: [
      { type: 'input', name: 'a', shape: [4, 3, 2] },
      { type: 'input', name: 'b', shape: [2, 3, 2] },
      { type: 'conv2d', name: 'ca', inputs: ['a'], filters: 3, kernel_size: 1 },
      { type: 'conv2d', name: 'cb', inputs: ['b'], filters: 3, kernel_size: 1 },
      { type: 'concatenate', name: 'h', inputs: ['ca', 'cb'], axis: 1 },
      { type: 'concatenate', name: 'w', inputs: ['h', 'h'], axis: 2 },
      { type: 'max_pool2d', name: 'p', inputs: ['w'], pool_size: 2 },
      { type: 'reshape', name: 'r', inputs: ['p'], target_shape: [9, 3] },
      // A negative axis other than -1 (TF.js's own Concatenate joins along the last axis for all of them; strata's fixes it).
      { type: 'concatenate', name: 's', inputs: ['r', 'r'], axis: -2 },
    ],
  },
  conv_variants: {
    layers: [
      { type: 'input', shape: [5, 6, 2] },
      { type: 'conv2d_transpose', filters: 3, kernel_size: 2, strides: 3 },
      { type: 'conv2d_transpose', filters: 2, kernel_size: 4, strides: 2, padding: 'same', activation: 'softmax' },
      { type: 'depthwise_conv2d', kernel_size: 3, strides: 2, padding: 'same', depth_multiplier: 2 },
      { type: 'separable_conv2d', filters: 3, kernel_size: 3, dilation_rate: 2, padding: 'same', activation: 'relu' },
      { type: 'depthwise_conv2d', kernel_size: [2, 3], dilation_rate: [2, 1] },
      { type: 'conv2d', filters: 2, kernel_size: [3, 2], strides: [2, 1], dilation_rate: 1, padding: 'same' },
    ],
  },
  bidirectional_modes: {
    layers: [
      { type: 'input', shape: [5, 3] },
      { type: 'bidirectional', merge_mode: 'sum', layer: { type: 'gru', units: 4, return_sequences: true } },
      { type: 'bidirectional', merge_mode: 'mul', layer: { type: 'lstm', units: 3, return_sequences: true, go_backwards: true } },
      { type: 'time_distributed', layer: { type: 'dense', units: 3, activation: 'tanh' } },
      { type: 'bidirectional', merge_mode: 'ave', layer: { type: 'simple_rnn', units: 2 } },
    ],
  },
  conv_strided_same: {
    layers: [
      { type: 'input', shape: [7, 6, 2] },
      { type: 'conv2d', filters: 3, kernel_size: 2, strides: 2, padding: 'same' },
    ],
  },
  conv1d_causal: {
    layers: [
      { type: 'input', shape: [11, 3] },
      { type: 'conv1d', filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2 },
    ],
  },
  conv1d_same: {
    layers: [
      { type: 'input', shape: [11, 3] },
      { type: 'conv1d', filters: 4, kernel_size: 4, strides: 2, padding: 'same' },
    ],
  },
  conv1d_pools: {
    layers: [
      { type: 'input', shape: [11, 3] },
      { type: 'conv1d', filters: 4, kernel_size: 3, padding: 'causal', dilation_rate: 2 },
      { type: 'conv1d', filters: 4, kernel_size: 4, strides: 2, padding: 'same' },
      { type: 'max_pool1d', pool_size: 2, padding: 'same' },
      { type: 'avg_pool1d', pool_size: 2, strides: 1 },
      { type: 'layer_norm' },
      { type: 'flatten' },
    ],
  },
};

/**
 * Configs whose TensorFlow.js gradients take 10 s or more on the cpu backend (the whole table takes a few
 * seconds without them); STRATA_PARITY_ALL=1 includes them. The layers they use are all in the table.
 */
const SLOW_CONFIGS = new Set(['configs.spam-transformer', 'configs.moby-dick-lstm', 'configs.mnist-resnet', 'configs.mnist-densenet', 'configs.mnist-resnet-blocks']);

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Token ids that fit every embedding of a model (the smallest input_dim), or undefined when it has none. */
function embeddingIds(layers: readonly { type: string; params: Record<string, unknown> }[]): number | undefined {
  const dims = layers.filter((l) => l.type === 'embedding').map((l) => l.params.input_dim as number);
  return dims.length > 0 ? Math.min(...dims) : undefined;
}

function modelSpec(name: string, layers: Record<string, unknown>[]): string {
  return JSON.stringify({ version: 1, name, seed: 3, model: { layers } });
}

function allCases(): Case[] {
  const cases: Case[] = [];
  for (const entry of layerRegistry) {
    if (!TORCH_LAYER_TYPES.has(entry.type) || entry.arity === 'none') continue;
    // Each example, and each of its variants (gru's reset_after: true, saved as strata>GRU).
    for (const { def, label } of examplesOf(entry)) {
      const ids = def.params.input_dim ? (def.example.params.input_dim as number) : undefined;
      cases.push({ id: label, spec: exampleSpec(def), mode: 'grad', ids, noInputGrads: INPUT_GRAD_BUGS[def.type] });
      if (def.type === 'batch_norm') cases.push({ id: `${label}.train`, spec: exampleSpec(def), mode: 'train' });
    }
  }
  for (const [name, m] of Object.entries(MODELS)) {
    cases.push({ id: `model.${name}`, spec: modelSpec(name, m.layers), mode: 'grad', ids: m.ids, forwardOnly: m.forwardOnly });
    if (name === 'cnn_bn' || name === 'resnet_block') cases.push({ id: `model.${name}.train`, spec: modelSpec(name, m.layers), mode: 'train' });
  }
  // strata's example configs and benchmark specs, as they are (their data not needed: random inputs). Their
  // weights get less noise: a 384-unit LSTM over 128 steps with large random weights is chaotic, and float32
  // rounding alone then decides the output.
  for (const dir of ['configs', join('bench', 'specs')]) {
    for (const file of readdirSync(join(REPO, dir)).filter((f) => f.endsWith('.yaml')).sort()) {
      const id = `${dir.replace(/[\\/]/g, '.')}.${file.replace(/\.yaml$/, '')}`;
      if (SLOW_CONFIGS.has(id) && process.env.STRATA_PARITY_ALL !== '1') continue;
      const text = readFileSync(join(REPO, dir, file), 'utf8');
      const ids = embeddingIds(parseSpec(file, text).model.layers);
      cases.push({ id, spec: text, mode: 'grad', ids, noise: 0.05, batch: 2 });
    }
  }
  cases.push({ id: 'losses.regularized', spec: modelSpec('losses', LOSS_LAYERS), mode: 'losses', ids: 10 });
  cases.push({ id: 'carry.lstm_gru', spec: modelSpec('carry', CARRY_LAYERS), mode: 'carry', ids: 12 });
  return cases;
}

/**
 * Every kind of layer loss: weight penalties (built-in and strata's layers, recurrent layers' and a
 * Bidirectional's among them: TensorFlow.js's own keep them on their cells, unreported) and the
 * mixture of experts' load balancing.
 */
const L1L2 = { l1: 0.01, l2: 0.02 };
const LOSS_LAYERS = [
  { type: 'input', shape: [5] },
  { type: 'embedding', input_dim: 10, output_dim: 8, embeddings_regularizer: { l2: 0.03 } },
  { type: 'lstm', units: 8, return_sequences: true, kernel_regularizer: L1L2, recurrent_regularizer: { l1: 0.02 }, bias_regularizer: { l2: 0.5 } },
  { type: 'bidirectional', layer: { type: 'gru', units: 4, return_sequences: true, kernel_regularizer: { l2: 0.05 }, recurrent_regularizer: { l1: 0.01 }, bias_regularizer: { l1: 0.2 } } },
  { type: 'simple_rnn', units: 8, return_sequences: true, kernel_regularizer: { l1: 0.03 }, recurrent_regularizer: L1L2, bias_regularizer: { l2: 0.4 } },
  { type: 'transformer_encoder', heads: 2, ff_units: 6, kernel_regularizer: L1L2, bias_regularizer: { l1: 0.1 } },
  { type: 'conv1d', filters: 8, kernel_size: 2, kernel_regularizer: { l2: 0.04 }, bias_regularizer: { l1: 0.3 } },
  { type: 'batch_norm', gamma_regularizer: { l2: 0.1 }, beta_regularizer: { l1: 0.1 } },
  { type: 'mixture_of_experts', experts: 3, units: 4, top_k: 2, load_balance: 0.5, gate_regularizer: { l2: 0.2 }, kernel_regularizer: { l1: 0.05 } },
  { type: 'flatten' },
  { type: 'dense', units: 3, kernel_regularizer: L1L2, bias_regularizer: L1L2 },
];

/** A model whose LSTM and GRU carry their states from batch to batch. */
const CARRY_LAYERS = [
  { type: 'input', shape: [5] },
  { type: 'embedding', input_dim: 12, output_dim: 4 },
  { type: 'lstm', units: 6, return_sequences: true },
  { type: 'gru', units: 5, return_sequences: true },
  { type: 'dense', units: 3 },
];
/** Rows of the consecutive batches: a short one continues the first rows; the full one after it starts from zeros (as StateSlot.take does). */
const CARRY_BATCHES = [4, 4, 3, 4];

interface Expected {
  output?: Float32Array;
  /** The carry case: each batch's output. */
  outputs?: Float32Array[];
  /** The gradients of sum(output · R) for each (float) input. */
  inputGrads?: Float32Array[];
  grads?: Float32Array[];
  trainable: string[];
  names: string[];
  shapes: number[][];
  after?: Float32Array[];
  classes: string[];
}

function f32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Max |a − b| / max(1, max |b|). */
function scaledError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / scale;
}

/** The TF.js class names of a saved topology's layers, nested layers (wrappers) included. */
function classesOf(topology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } }): string[] {
  const out: string[] = [];
  const visit = (l: { class_name: string; config: Record<string, unknown> }) => {
    out.push(l.class_name);
    const inner = l.config?.layer as { class_name: string; config: Record<string, unknown> } | undefined;
    if (inner && typeof inner.class_name === 'string') visit(inner);
  };
  topology.config.layers.forEach(visit);
  return out;
}

/** Set every weight to random values: kernels keep their scale plus noise, biases and statistics become non-trivial. */
function randomize(engine: Engine, model: LayersModel, seed: number, noise: number): void {
  const { tf } = engine;
  model.weights.forEach((w, i) => {
    const v = w.read();
    const next = w.originalName.endsWith('moving_variance')
      ? tf.randomUniform(v.shape, 0.5, 1.5, 'float32', seed + i)
      : tf.add(v, tf.randomNormal(v.shape, 0, noise, 'float32', seed + i));
    w.write(next);
  });
}

async function prepare(engine: Engine, c: Case, dir: string): Promise<Expected> {
  const { tf } = engine;
  const spec = parseSpec(`${c.id}.yaml`, c.spec);
  const { model } = buildModel(spec, engine);
  try {
    randomize(engine, model, 101, c.noise ?? 0.3);
    let artifacts: import('@tensorflow/tfjs-core').io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const topology = JSON.parse(JSON.stringify(artifacts!.modelTopology)) as Parameters<typeof classesOf>[0];
    const specs = artifacts!.weightSpecs!;
    const data = artifacts!.weightData as ArrayBuffer;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(data));
    const batches = c.mode === 'carry' ? CARRY_BATCHES : model.inputs.map(() => c.batch ?? BATCH);
    const xs = batches.map((rows, i) => {
      const input = model.inputs[c.mode === 'carry' ? 0 : i]!;
      const shape = [rows, ...(input.shape.slice(1) as number[])];
      if (!c.ids) return tf.randomNormal(shape, 0, 1, 'float32', 7 + i);
      const ids = tf.floor(tf.randomUniform(shape, 0, c.ids, 'float32', 7 + i));
      return input.dtype === 'int32' ? tf.cast(ids, 'int32') : ids;
    });
    xs.forEach((x, i) => writeFileSync(join(dir, `input_${i}.bin`), new Uint8Array((x.dataSync() as Float32Array | Int32Array).slice().buffer)));
    writeFileSync(
      join(dir, 'meta.json'),
      JSON.stringify({ topology, mode: c.mode, weights: specs.map((s) => ({ name: s.name, shape: s.shape })), inputs: xs.map((x) => ({ shape: x.shape, dtype: x.dtype })) }),
    );
    const x = xs.length === 1 || c.mode === 'carry' ? xs[0]! : xs;
    const expected: Expected = {
      names: specs.map((s) => s.name),
      shapes: specs.map((s) => s.shape),
      trainable: model.trainableWeights.map((w) => w.originalName),
      classes: classesOf(topology),
    };
    if (c.mode === 'carry') {
      const carried = new CarriedStates(tf, model);
      expected.outputs = xs.map((xb) => {
        const y = model.predict(xb) as Tensor;
        const out = (y.dataSync() as Float32Array).slice();
        y.dispose();
        return out;
      });
      carried.release();
    } else if (c.mode === 'losses') {
      const vars = model.trainableWeights.map((w) => w.read() as Variable);
      const { value, grads } = tf.variableGrads(() => {
        tf.dispose(model.apply(x, { training: true }) as Tensor);
        return tf.addN(model.calculateLosses()) as import('@tensorflow/tfjs-core').Scalar;
      }, vars);
      expected.output = (value.dataSync() as Float32Array).slice();
      // Weights no layer loss depends on get no gradient entry: zeros.
      expected.grads = vars.map((v) => (grads[v.name] ? (grads[v.name]!.dataSync() as Float32Array).slice() : new Float32Array(v.size)));
      tf.dispose([value, ...Object.values(grads)]);
    } else if (c.mode === 'train') {
      tf.dispose(model.apply(x, { training: true }) as Tensor);
      expected.after = model.weights.map((w) => (w.read().dataSync() as Float32Array).slice());
    } else {
      const y = model.predict(x) as Tensor;
      expected.output = (y.dataSync() as Float32Array).slice();
      const r = tf.randomNormal(y.shape, 0, 1, 'float32', 13);
      writeFileSync(join(dir, 'r.bin'), new Uint8Array((r.dataSync() as Float32Array).slice().buffer));
      const vars = c.forwardOnly ? [] : model.trainableWeights.map((w) => w.read() as Variable);
      if (vars.length > 0) {
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x, { training: false }) as Tensor, r)) as import('@tensorflow/tfjs-core').Scalar, vars);
        expected.grads = vars.map((v) => (grads[v.name]!.dataSync() as Float32Array).slice());
        tf.dispose(Object.values(grads));
      } else {
        expected.grads = [];
      }
      if (!c.ids && !c.noInputGrads && !c.forwardOnly) {
        const f = (...inputs: Tensor[]) => tf.sum(tf.mul(model.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as Tensor, r));
        const gx = tf.grads(f)(xs);
        expected.inputGrads = gx.map((g) => (g.dataSync() as Float32Array).slice());
        tf.dispose(gx);
      }
      tf.dispose([y, r]);
    }
    tf.dispose(xs);
    return expected;
  } finally {
    model.dispose();
  }
}

const skip = skipWithoutTorch();

describe('torch engine layers match TensorFlow.js', { skip }, () => {
  const cases = allCases();
  const expected = new Map<string, Expected>();
  let root = '';
  let supported: string[] = [];

  before(async () => {
    const engine = await loadEngine('cpu');
    root = tempDir('strata-parity-');
    for (const c of cases) {
      const t0 = Date.now();
      expected.set(c.id, await prepare(engine, c, join(root, c.id)));
      if (process.env.PARITY_TIMES) console.log(`# ${c.id}: ${Date.now() - t0} ms`);
    }
    writeFileSync(join(root, 'cases.json'), JSON.stringify(cases.map((c) => c.id)));
    const py = torchPython();
    const r = spawnSync(py.command, ['-m', 'strata_torch.parity', root], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: PYTHON_ROOT },
      timeout: 300_000,
    });
    assert.equal(r.status, 0, `parity.py failed:\n${r.stderr}`);
    supported = JSON.parse(readFileSync(join(root, 'supported.json'), 'utf8')) as string[];
    // To look at the cases by hand: PARITY_KEEP=<folder> keeps a copy of them.
    if (process.env.PARITY_KEEP) cpSync(root, process.env.PARITY_KEEP, { recursive: true });
  });

  test('TORCH_LAYER_TYPES lists registry types only', () => {
    assert.deepEqual([...TORCH_LAYER_TYPES].filter((t) => !layerRegistry.get(t)), []);
  });

  test('every TF.js class the listed types produce is one the Python side builds', () => {
    const missing = new Set<string>();
    for (const c of cases) for (const cls of expected.get(c.id)!.classes) if (!supported.includes(cls)) missing.add(`${cls} (from ${c.id})`);
    assert.deepEqual([...missing], []);
  });

  test("GRU reset_after (torch's fused GRU, Keras's gate order permuted) equals the step-by-step Keras formulas, forward and gradients", () => {
    const r = JSON.parse(readFileSync(join(root, 'selfcheck.json'), 'utf8')) as Record<string, number>;
    assert.ok(Object.keys(r).length > 1, 'the self-check ran');
    for (const [what, err] of Object.entries(r)) assert.ok(err <= (what.startsWith('forward') ? FORWARD_TOL : GRAD_TOL), `${what}: ${err}`);
  });

  for (const c of cases) {
    const what = {
      train: 'moving statistics after a training pass',
      carry: 'outputs of consecutive batches, states carried',
      losses: 'layer losses after a training pass (regularizers, load balancing) and their gradients',
      grad: c.forwardOnly ? `forward (${c.forwardOnly})` : c.noInputGrads ? `forward and weight gradients (${c.noInputGrads})` : 'forward and gradients',
    };
    test(`${c.id}: ${what[c.mode]}`, () => {
      const dir = join(root, c.id);
      const e = expected.get(c.id)!;
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { ok: boolean; error?: string; weights?: string[]; trainable?: string[] };
      assert.ok(result.ok, result.error);
      assert.deepEqual(result.weights, e.names, 'weight names in manifest order');
      assert.deepEqual(result.trainable, e.trainable, 'trainable weights');
      if (c.mode === 'carry') {
        const out = f32(join(dir, 'out.bin'));
        let at = 0;
        e.outputs!.forEach((want, i) => {
          const err = scaledError(out.subarray(at, at + want.length), want);
          at += want.length;
          assert.ok(err <= FORWARD_TOL, `batch ${i} (${CARRY_BATCHES[i]} rows) differs by ${err}`);
        });
        assert.equal(at, out.length);
        return;
      }
      if (c.mode === 'train') {
        const after = f32(join(dir, 'after.bin'));
        let at = 0;
        e.names.forEach((name, i) => {
          const n = e.after![i]!.length;
          const err = scaledError(after.subarray(at, at + n), e.after![i]!);
          at += n;
          assert.ok(err <= FORWARD_TOL, `${name} after a training pass differs by ${err}`);
        });
        return;
      }
      const out = f32(join(dir, 'out.bin'));
      const fwd = scaledError(out, e.output!);
      assert.ok(fwd <= FORWARD_TOL, `forward differs by ${fwd} (scaled)`);
      if (c.forwardOnly) return;
      const grads = f32(join(dir, 'grads.bin'));
      let at = 0;
      const errs: string[] = [];
      let worst = 0;
      e.trainable.forEach((name, i) => {
        const g = e.grads![i]!;
        const err = scaledError(grads.subarray(at, at + g.length), g);
        at += g.length;
        worst = Math.max(worst, err);
        if (!(err <= GRAD_TOL)) errs.push(`${name}: ${err}`);
      });
      if (e.inputGrads) {
        const gx = f32(join(dir, 'xgrads.bin'));
        let off = 0;
        e.inputGrads.forEach((g, i) => {
          const err = scaledError(gx.subarray(off, off + g.length), g);
          off += g.length;
          worst = Math.max(worst, err);
          if (!(err <= GRAD_TOL)) errs.push(`input ${i}: ${err}`);
        });
        assert.equal(off, gx.length, 'input gradient sizes');
      }
      assert.deepEqual(errs, [], 'gradients that differ');
      assert.equal(at, grads.length, 'gradient sizes');
      if (process.env.PARITY_TIMES) console.log(`# ${c.id}: forward ${fwd.toExponential(2)}, gradients ${worst.toExponential(2)}`);
    });
  }
});
