/**
 * What an ONNX writer of one TensorFlow.js layer class is given, and the
 * shared pieces they are built from: weights in TensorFlow.js layout,
 * permutations of them, dense products, activations, channels-first views.
 */
import type { Layer } from '../../tf-types.js';
import type { LayerParams } from '../../layers/registry.js';
import { float, int, ints } from './graph.js';
import type { Dim, OnnxGraph } from './graph.js';

/** A setting of a layer the exporter cannot write: the layer is listed with it. */
export class NotExportable extends Error {}

export interface Emit {
  g: OnnxGraph;
  layer: Layer;
  /** The layer's TensorFlow.js config (camelCase keys). */
  config: Record<string, unknown>;
  /** A strata layer's own spec keys (empty for built-in classes). */
  p: LayerParams;
  /** The layer's name, the base of its values' names. */
  name: string;
  /** The ONNX values of its inputs, and their shapes (batch first, null where unknown). */
  inputs: string[];
  shapes: Dim[][];
  /** Its output's shape. */
  outShape: Dim[];
  /** A weight's values in TensorFlow.js layout, by the last part of its name (`kernel`, `bias`, ...); undefined when the layer has none. */
  values(suffix: string): Weight | undefined;
  /** Write a layer a wrapper holds, on the given values and shapes, by its own class's writer. */
  nested(layer: Layer, inputs: string[], shapes: Dim[][], outShape: Dim[]): string;
}

export interface Weight {
  data: Float32Array;
  shape: number[];
}

/** One entry of the exporter's table: the spec types it makes exportable, the classes they build, and the writer. */
export interface Writer {
  /** The spec layer types whose TensorFlow.js layers this writes. */
  types: readonly string[];
  /** The TensorFlow.js class names it writes. */
  classes: readonly string[];
  emit(e: Emit): string;
}

export function need(e: Emit, suffix: string): Weight {
  const w = e.values(suffix);
  if (!w) throw new Error(`${e.name}: no weight '${suffix}'`);
  return w;
}

/** The values of `w` with its axes permuted (`perm[i]`: the source axis of output axis i). */
export function permute(w: Weight, perm: readonly number[]): Weight {
  const shape = perm.map((a) => w.shape[a]!);
  const srcStrides = w.shape.map((_, i) => w.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < shape.length; i++) src += idx[i]! * srcStrides[perm[i]!]!;
    out[o] = w.data[src]!;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape };
}

export const put = (g: OnnxGraph, w: Weight, base: string): string => g.weight(w.data, w.shape, base);

export const transpose = (g: OnnxGraph, x: string, perm: readonly number[], base: string): string => g.op('Transpose', [x], base, [ints('perm', perm)]);

/** x [..., d] · kernel [d, n] (+ bias [n]). */
export function dense(g: OnnxGraph, x: string, kernel: Weight, bias: Weight | undefined, base: string): string {
  const k = kernel.shape.length === 2 ? kernel : { data: kernel.data, shape: [kernel.shape[0]!, kernel.data.length / kernel.shape[0]!] };
  const y = g.op('MatMul', [x, put(g, k, `${base}/kernel`)], base);
  if (!bias) return y;
  return g.op('Add', [y, g.weight(bias.data, [bias.data.length], `${base}/bias`)], base);
}

/** Normalize by mean and variance over `axes` (keeping them), as tf.moments does. */
export function normalize(g: OnnxGraph, x: string, axes: readonly number[], epsilon: number, base: string): string {
  const mean = g.op('ReduceMean', [x], base, [ints('axes', axes), int('keepdims', 1)]);
  const d = g.op('Sub', [x, mean], base);
  const variance = g.op('ReduceMean', [g.op('Mul', [d, d], base)], base, [ints('axes', axes), int('keepdims', 1)]);
  return g.op('Div', [d, g.op('Sqrt', [g.op('Add', [variance, g.scalar(epsilon)], base)], base)], base);
}

/** Layer normalization over the last axis with gamma and beta. */
export function layerNorm(g: OnnxGraph, x: string, gamma: Weight | undefined, beta: Weight | undefined, epsilon: number, base: string): string {
  let y = normalize(g, x, [-1], epsilon, base);
  if (gamma) y = g.op('Mul', [y, put(g, gamma, `${base}/gamma`)], base);
  if (beta) y = g.op('Add', [y, put(g, beta, `${base}/beta`)], base);
  return y;
}

/**
 * An activation by its TensorFlow.js class name or strata name (`hardSigmoid`,
 * `hard_sigmoid`, `strata.leakyrelu`, ...), applied over the last axis where that matters.
 */
export function activation(g: OnnxGraph, name: string, x: string, base: string): string {
  const key = name.toLowerCase().replace(/^strata\./, '').replace(/_/g, '');
  switch (key) {
    case 'linear': return x;
    case 'relu': return g.op('Relu', [x], base);
    case 'relu6': return g.op('Clip', [x, g.scalar(0), g.scalar(6)], base);
    case 'leakyrelu': return g.op('LeakyRelu', [x], base, [float('alpha', 0.2)]);
    case 'elu': return g.op('Elu', [x], base, [float('alpha', 1)]);
    case 'selu': return g.op('Selu', [x], base);
    case 'gelu': {
      const cdf = g.op('Add', [g.scalar(1), g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)], base)], base)], base);
      return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5)], base), cdf], base);
    }
    case 'gelunew': {
      const cube = g.op('Mul', [g.op('Mul', [x, x], base), x], base);
      const inner = g.op('Mul', [g.scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [g.scalar(0.044715), cube], base)], base)], base);
      return g.op('Mul', [g.scalar(0.5), g.op('Mul', [x, g.op('Add', [g.scalar(1), g.op('Tanh', [inner], base)], base)], base)], base);
    }
    case 'swish': case 'silu': return g.op('Mul', [x, g.op('Sigmoid', [x], base)], base);
    case 'mish': return g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x], base)], base)], base);
    case 'softplus': return g.op('Softplus', [x], base);
    case 'softsign': return g.op('Softsign', [x], base);
    case 'softmax': return g.op('Softmax', [x], base, [int('axis', -1)]);
    case 'logsoftmax': return g.op('LogSoftmax', [x], base, [int('axis', -1)]);
    case 'sigmoid': return g.op('Sigmoid', [x], base);
    case 'hardsigmoid': return g.op('HardSigmoid', [x], base, [float('alpha', 0.2), float('beta', 0.5)]);
    case 'tanh': return g.op('Tanh', [x], base);
    default: throw new NotExportable(`activation '${name}' has no ONNX form here`);
  }
}

/** The ONNX name of a recurrent activation (ONNX's LSTM/GRU/RNN `activations` attribute). */
export function recurrentActivation(name: string): { name: string; alpha?: number; beta?: number } {
  const key = name.toLowerCase().replace(/_/g, '');
  if (key === 'sigmoid') return { name: 'Sigmoid' };
  if (key === 'tanh') return { name: 'Tanh' };
  if (key === 'relu') return { name: 'Relu' };
  if (key === 'hardsigmoid') return { name: 'HardSigmoid', alpha: 0.2, beta: 0.5 };
  throw new NotExportable(`recurrent activation '${name}' has no ONNX form here`);
}

/** Run `f` on the channels-first view of a channels-last x of rank `rank` (NWC or NHWC), and return channels last. */
export function channelsFirst(g: OnnxGraph, x: string, rank: number, base: string, f: (x: string) => string): string {
  const toFirst = [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
  const toLast = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
  return transpose(g, f(transpose(g, x, toFirst, base)), toLast, base);
}

/** A config value given as a number or a list, as a list of `n`. */
export function tuple(v: unknown, n: number): number[] {
  if (Array.isArray(v)) return v.map(Number);
  return new Array<number>(n).fill(Number(v));
}
