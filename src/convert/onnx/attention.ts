/**
 * ONNX writers of strata's attention layers, transformer blocks and mixture
 * of experts, decomposed as src/layers/custom/math.ts, transformer.ts and
 * moe.ts compute them (inference: no dropout).
 */
import { DotAttention, MultiHeadAttention } from '../../layers/custom/attention.js';
import { TransformerDecoder, TransformerEncoder } from '../../layers/custom/transformer.js';
import { MixtureOfExperts } from '../../layers/custom/moe.js';
import { int } from './graph.js';
import type { OnnxGraph } from './graph.js';
import { activation, dense, layerNorm, need, NotExportable, put, transpose } from './emit.js';
import type { Emit, Writer } from './emit.js';

interface Heads {
  heads: number;
  keyDim: number;
  valueDim: number;
}

/** A [T, S] constant: 0 where query t may see key s (s ≤ t), −1e9 elsewhere, as strata's causal mask adds. */
function causalMask(g: OnnxGraph, T: number | null, S: number | null, base: string): string {
  if (T === null || S === null) throw new NotExportable('a causal mask needs a fixed number of steps');
  const m = new Float32Array(T * S);
  for (let t = 0; t < T; t++) for (let s = 0; s < S; s++) m[t * S + s] = s <= t ? 0 : -1e9;
  return g.weight(m, [T, S], `${base}/causal_mask`);
}

/** Multi-head attention of q [B, T, dq] over kv [B, S, dkv] with Keras-layout weights under `prefix`. */
function mha(e: Emit, q: string, kv: string, prefix: string, h: Heads, causal: boolean, T: number | null, S: number | null): string {
  const { g, name } = e;
  const base = `${name}/${prefix || 'attention'}`;
  const w = (n: string) => need(e, `${prefix}${n}`);
  const b = (n: string) => e.values(`${prefix}${n}`);
  const split = (x: string, dim: number) => transpose(g, g.op('Reshape', [x, g.int64([0, 0, h.heads, dim])], base), [0, 2, 1, 3], base);
  const query = g.op('Mul', [split(dense(g, q, w('query_kernel'), b('query_bias'), base), h.keyDim), g.scalar(1 / Math.sqrt(h.keyDim))], base);
  const key = split(dense(g, kv, w('key_kernel'), b('key_bias'), base), h.keyDim);
  const value = split(dense(g, kv, w('value_kernel'), b('value_bias'), base), h.valueDim);
  let scores = g.op('MatMul', [query, transpose(g, key, [0, 1, 3, 2], base)], base);
  if (causal) scores = g.op('Add', [scores, causalMask(g, T, S, base)], base);
  const probs = g.op('Softmax', [scores], base, [int('axis', -1)]);
  const ctx = g.op('Reshape', [transpose(g, g.op('MatMul', [probs, value], base), [0, 2, 1, 3], base), g.int64([0, 0, h.heads * h.valueDim])], base);
  const out = w('output_kernel');
  // [heads, value_dim, out] as [heads·value_dim, out].
  return dense(g, ctx, { data: out.data, shape: [h.heads * h.valueDim, out.shape[2]!] }, b('output_bias'), base);
}

const steps = (e: Emit, i: number) => e.shapes[i]?.[1] ?? null;

/** One residual sub-block of a transformer, post-norm or pre-norm (`norm_first`). */
function sub(e: Emit, x: string, norm: string, f: (h: string) => string): string {
  const eps = Number(e.p.layer_norm_epsilon);
  const ln = (y: string) => layerNorm(e.g, y, need(e, `${norm}_gamma`), need(e, `${norm}_beta`), eps, `${e.name}/${norm}`);
  return e.p.norm_first === true ? e.g.op('Add', [x, f(ln(x))], e.name) : ln(e.g.op('Add', [x, f(x)], e.name));
}

function feedForward(e: Emit, x: string): string {
  const base = `${e.name}/ff`;
  const hidden = activation(e.g, String(e.p.activation), dense(e.g, x, need(e, 'ff_intermediate_kernel'), need(e, 'ff_intermediate_bias'), base), base);
  return dense(e.g, hidden, need(e, 'ff_output_kernel'), need(e, 'ff_output_bias'), base);
}

function blockHeads(e: Emit): Heads {
  const d = e.shapes[0]![2]!;
  const kd = e.p.key_dim === undefined || e.p.key_dim === null ? d / Number(e.p.heads) : Number(e.p.key_dim);
  return { heads: Number(e.p.heads), keyDim: kd, valueDim: kd };
}

export const attentionWriters: Writer[] = [
  {
    types: ['multi_head_attention'],
    classes: [MultiHeadAttention.className],
    emit: (e) => {
      const kv = e.inputs[1] ?? e.inputs[0]!;
      const h = { heads: Number(e.p.heads), keyDim: Number(e.p.key_dim), valueDim: Number(e.p.value_dim ?? e.p.key_dim) };
      return mha(e, e.inputs[0]!, kv, '', h, e.p.causal === true, steps(e, 0), steps(e, e.inputs.length - 1));
    },
  },
  {
    types: ['attention'],
    classes: [DotAttention.className],
    emit: (e) => {
      const { g, name } = e;
      const q = e.inputs[0]!;
      const v = e.inputs[1] ?? q;
      let scores = g.op('MatMul', [q, transpose(g, v, [0, 2, 1], name)], name);
      const scale = e.values('scale');
      if (scale) scores = g.op('Mul', [scores, put(g, scale, `${name}/scale`)], name);
      if (e.p.causal === true) scores = g.op('Add', [scores, causalMask(g, steps(e, 0), steps(e, e.inputs.length - 1), name)], name);
      return g.op('MatMul', [g.op('Softmax', [scores], name, [int('axis', -1)]), v], name);
    },
  },
  {
    types: ['transformer_encoder'],
    classes: [TransformerEncoder.className],
    emit: (e) => {
      const h = blockHeads(e);
      const T = steps(e, 0);
      const y = sub(e, e.inputs[0]!, 'attention_norm', (x) => mha(e, x, x, 'attention_', h, e.p.causal === true, T, T));
      return sub(e, y, 'ff_norm', (x) => feedForward(e, x));
    },
  },
  {
    types: ['transformer_decoder'],
    classes: [TransformerDecoder.className],
    emit: (e) => {
      const h = blockHeads(e);
      const T = steps(e, 0);
      let y = sub(e, e.inputs[0]!, 'self_attention_norm', (x) => mha(e, x, x, 'self_attention_', h, true, T, T));
      const enc = e.inputs[1];
      if (enc) y = sub(e, y, 'cross_attention_norm', (x) => mha(e, x, enc, 'cross_attention_', h, false, T, steps(e, 1)));
      return sub(e, y, 'ff_norm', (x) => feedForward(e, x));
    },
  },
  {
    types: ['mixture_of_experts'],
    classes: [MixtureOfExperts.className],
    emit: (e) => {
      const { g, name } = e;
      const x = e.inputs[0]!;
      const shape = e.shapes[0]!;
      const d = shape[shape.length - 1]!;
      const n = Number(e.p.experts);
      const k = Number(e.p.top_k);
      const flat = shape.length === 2 ? x : g.op('Reshape', [x, g.int64([-1, d])], name);
      const logits = g.op('MatMul', [flat, put(g, need(e, 'gate_kernel'), `${name}/gate_kernel`)], name);
      // The k largest logits of each row are chosen (ties aside, as tf.topk): those at or above the k-th largest.
      const [top] = g.node('TopK', [logits, g.int64([k])], name, [int('axis', -1)], 2);
      const kth = g.op('Slice', [top!, g.int64([k - 1]), g.int64([k]), g.int64([1])], name);
      const mask = g.op('Cast', [g.op('GreaterOrEqual', [logits, kth], name)], name, [int('to', 1)]);
      const masked = g.op('Add', [logits, g.op('Mul', [g.op('Sub', [g.scalar(1), mask], name), g.scalar(-1e9)], name)], name);
      const gates = g.op('Softmax', [masked], name, [int('axis', -1)]);
      const b1 = need(e, 'expert_bias_1');
      const b2 = need(e, 'expert_bias_2');
      const w1 = put(g, need(e, 'expert_kernel_1'), `${name}/expert_kernel_1`);
      const w2 = put(g, need(e, 'expert_kernel_2'), `${name}/expert_kernel_2`);
      // Every expert on every row, [N, M, h] and [N, M, o], as strata's layer computes them.
      const hidden = g.op('Add', [g.op('MatMul', [flat, w1], name), g.weight(b1.data, [n, 1, b1.shape[1]!], `${name}/expert_bias_1`)], name);
      const out = g.op('Add', [g.op('MatMul', [activation(g, String(e.p.activation), hidden, name), w2], name), g.weight(b2.data, [n, 1, b2.shape[1]!], `${name}/expert_bias_2`)], name);
      const weights = g.op('Unsqueeze', [transpose(g, gates, [1, 0], name), g.int64([2])], name);
      const mixed = g.op('ReduceSum', [g.op('Mul', [out, weights], name), g.int64([0])], name, [int('keepdims', 0)]);
      if (shape.length === 2) return mixed;
      const lead = g.op('Slice', [g.op('Shape', [x], name), g.int64([0]), g.int64([-1])], name);
      return g.op('Reshape', [mixed, g.op('Concat', [lead, g.int64([b2.shape[1]!])], name, [int('axis', 0)])], name);
    },
  },
];
