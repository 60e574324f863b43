/** Multi-head attention (Keras `MultiHeadAttention` weights) and dot-product attention (Keras `Attention`). */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { shapes, strataBase } from './base.js';
import type { TfShape } from './base.js';
import type { Env } from './env.js';
import { customLayer } from './define.js';
import { causalMask, multiHeadAttention } from './math.js';
import type { AttentionWeights } from './math.js';

/** One attention of a layer, computed on given inputs. */
export interface AttentionMap {
  /** Which attention of the layer: `attention` for layers with one; `self-attention` or `cross-attention` in a decoder block. */
  part: string;
  /** The weights [batch, heads, query steps, key steps] after the softmax: each row (over key steps) sums to 1. */
  weights: Tensor;
}

/** A layer that shows its attention weights: strata's attention layers and transformer blocks. */
export interface AttentionMapsLayer {
  /**
   * The attention weights the layer computes on `inputs` (the tensors its call()
   * receives), in inference mode, through the same code as call(). The caller
   * disposes the tensors.
   */
  attentionMaps(inputs: Tensor | Tensor[]): AttentionMap[];
}

/** Whether `layer` can show attention maps. */
export function hasAttentionMaps<L extends object>(layer: L): layer is L & AttentionMapsLayer {
  return typeof (layer as Partial<AttentionMapsLayer>).attentionMaps === 'function';
}

/** Called by a layer's forward pass for each attention it computes: `record(part)` gives the callback that receives the weights. */
export type AttentionRecorder = (part: string) => (weights: Tensor) => void;

/** Run `forward` with a recorder and keep the attention weights it reports (all other tensors are disposed). */
export function recordAttention(tf: Env['tf'], forward: (record: AttentionRecorder) => void): AttentionMap[] {
  const parts: string[] = [];
  const weights = tf.tidy(() => {
    const kept: Tensor[] = [];
    forward((part) => (w) => {
      parts.push(part);
      kept.push(w);
    });
    return kept;
  });
  return weights.map((w, i) => ({ part: parts[i]!, weights: w }));
}

/** The spec keys multi_head_attention keeps. */
export interface MhaKeys {
  heads: number;
  key_dim: number;
  value_dim?: number;
  output_dim?: number;
  dropout: number;
  causal: boolean;
  use_bias: boolean;
}

/** Create Keras-layout attention weights on `layer` under `prefix`. */
export function attentionWeights(
  layer: { weight(name: string, shape: number[], slot: string): LayerVariable },
  prefix: string,
  dq: number,
  dkv: number,
  heads: number,
  keyDim: number,
  valueDim: number,
  out: number,
  useBias: boolean,
): AttentionWeights {
  const w = (n: string, s: number[], slot: string) => layer.weight(`${prefix}${n}`, s, slot);
  return {
    q: w('query_kernel', [dq, heads, keyDim], 'kernel'),
    qb: useBias ? w('query_bias', [heads, keyDim], 'bias') : undefined,
    k: w('key_kernel', [dkv, heads, keyDim], 'kernel'),
    kb: useBias ? w('key_bias', [heads, keyDim], 'bias') : undefined,
    v: w('value_kernel', [dkv, heads, valueDim], 'kernel'),
    vb: useBias ? w('value_bias', [heads, valueDim], 'bias') : undefined,
    o: w('output_kernel', [heads, valueDim, out], 'kernel'),
    ob: useBias ? w('output_bias', [out], 'bias') : undefined,
  };
}

/** Keras `MultiHeadAttention`: query, key and value projections per head, and an output projection. */
export const MultiHeadAttention = customLayer('strata>MultiHeadAttention', (env) => {
  const { tf } = env;
  return class MultiHeadAttention extends strataBase(env) {
    w?: AttentionWeights;
    get keys(): MhaKeys {
      return this.p as unknown as MhaKeys;
    }
    override build(inputShape: TfShape | TfShape[]): void {
      const [q, kv = q] = shapes(inputShape as TfShape);
      const k = this.keys;
      this.w = attentionWeights(this, '', q![2]!, kv![2]!, k.heads, k.key_dim, k.value_dim ?? k.key_dim, k.output_dim ?? q![2]!, k.use_bias);
      this.built = true;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const [q] = shapes(inputShape as TfShape);
      return [q![0]!, q![1]!, this.keys.output_dim ?? q![2]!];
    }
    /** The layer's computation; `record` receives the attention weights. */
    forward(inputs: Tensor | Tensor[], training: boolean, record?: AttentionRecorder): Tensor {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const k = this.keys;
      return multiHeadAttention(tf, this.w!, xs[0]!, xs[1] ?? xs[0]!, {
        heads: k.heads,
        keyDim: k.key_dim,
        valueDim: k.value_dim ?? k.key_dim,
        causal: k.causal,
        dropout: k.dropout,
        training,
        onWeights: record?.('attention'),
      });
    }
    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      return tf.tidy(() => this.forward(inputs, kwargs.training === true));
    }
    attentionMaps(inputs: Tensor | Tensor[]): AttentionMap[] {
      return recordAttention(tf, (record) => this.forward(inputs, false, record));
    }
  };
});

/** Keras `Attention`: dot-product attention of queries over values, no projections. */
export const DotAttention = customLayer('strata>Attention', (env) => {
  const { tf } = env;
  return class DotAttention extends strataBase(env) {
    scale?: LayerVariable;
    override build(): void {
      if (this.p.use_scale) this.scale = this.weight('scale', [], 'scale');
      this.built = true;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const [q, v = q] = shapes(inputShape as TfShape);
      return [q![0]!, q![1]!, v![2]!];
    }
    /** The layer's computation; `record` receives the attention weights (as one head). */
    forward(inputs: Tensor | Tensor[], training: boolean, record?: AttentionRecorder): Tensor {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const q = xs[0]!;
      const v = xs[1] ?? q;
      let scores = tf.matMul(q, v, false, true);
      if (this.scale) scores = tf.mul(scores, this.scale.read());
      if (this.p.causal) scores = tf.add(scores, tf.mul(tf.sub(1, causalMask(tf, q.shape[1]!, v.shape[1]!)), -1e9));
      let probs = tf.softmax(scores, -1);
      record?.('attention')(tf.expandDims(probs, 1));
      const rate = this.p.dropout as number;
      if (training && rate > 0) probs = tf.dropout(probs, rate);
      return tf.matMul(probs, v);
    }
    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      return tf.tidy(() => this.forward(inputs, kwargs.training === true));
    }
    attentionMaps(inputs: Tensor | Tensor[]): AttentionMap[] {
      return recordAttention(tf, (record) => this.forward(inputs, false, record));
    }
  };
});
