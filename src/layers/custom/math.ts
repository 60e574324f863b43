/**
 * The computations shared by the attention, transformer and mixture layers,
 * written once on plain tensors: multi-head attention (Keras layout of the
 * weights), layer normalization and a two-layer feed-forward network.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { TfCore } from '../../tf-types.js';
import { fusedDense } from './fused.js';
import { layerNormLastAxis } from './layer-norm-op.js';

export interface AttentionWeights {
  /** [query_dim, heads, key_dim] and [heads, key_dim]; likewise key, value; output [heads, value_dim, out] and [out]. */
  q: LayerVariable; qb?: LayerVariable;
  k: LayerVariable; kb?: LayerVariable;
  v: LayerVariable; vb?: LayerVariable;
  o: LayerVariable; ob?: LayerVariable;
}

export interface AttentionOptions {
  heads: number;
  keyDim: number;
  valueDim: number;
  causal: boolean;
  dropout: number;
  training: boolean;
  /** Given the attention weights [B, heads, T, S] (softmax over S, before dropout): how layers show their attention maps. */
  onWeights?: (weights: Tensor) => void;
}

/** x [B, T, d] · w [d, ...rest] + b → [B, T, prod(rest)], the bias fused into the product. */
function project(tf: TfCore, x: Tensor, w: LayerVariable, b: LayerVariable | undefined): Tensor {
  const d = x.shape[x.rank - 1]!;
  const wt = w.read();
  const out = wt.shape.slice(1).reduce((a, n) => a * n, 1);
  return fusedDense(tf, x, tf.reshape(wt, [d, out]), b ? tf.reshape(b.read(), [out]) : null, false);
}

/** A lower-triangular [T, S] mask of ones (query t may see keys s ≤ t). */
export function causalMask(tf: TfCore, T: number, S: number): Tensor {
  return tf.linalg.bandPart(tf.ones([T, S]), -1, 0);
}

/** Multi-head attention of query [B, T, dq] over keyValue [B, S, dkv]: [B, T, out]. */
export function multiHeadAttention(tf: TfCore, w: AttentionWeights, query: Tensor, keyValue: Tensor, o: AttentionOptions): Tensor {
  const [B, T] = query.shape as number[];
  const S = keyValue.shape[1]!;
  const split = (x: Tensor, len: number, dim: number) => tf.transpose(tf.reshape(x, [B!, len, o.heads, dim]), [0, 2, 1, 3]);
  const q = tf.mul(split(project(tf, query, w.q, w.qb), T!, o.keyDim), 1 / Math.sqrt(o.keyDim));
  const k = split(project(tf, keyValue, w.k, w.kb), S, o.keyDim);
  const v = split(project(tf, keyValue, w.v, w.vb), S, o.valueDim);
  let scores = tf.matMul(q, k, false, true); // [B, h, T, S]
  if (o.causal) scores = tf.add(scores, tf.mul(tf.sub(1, causalMask(tf, T!, S)), -1e9));
  let probs = tf.softmax(scores, -1);
  o.onWeights?.(probs);
  if (o.training && o.dropout > 0) probs = tf.dropout(probs, o.dropout);
  const ctx = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B!, T!, o.heads * o.valueDim]);
  const wo = w.o.read();
  return fusedDense(tf, ctx, tf.reshape(wo, [o.heads * o.valueDim, wo.shape[2]!]), w.ob ? w.ob.read() : null, false);
}

/** Layer normalization over the last axis (one op with its own gradient: layer-norm-op.ts). */
export function layerNorm(tf: TfCore, x: Tensor, gamma: LayerVariable, beta: LayerVariable, epsilon: number): Tensor {
  return layerNormLastAxis(tf, x, gamma.read(), beta.read(), epsilon);
}

/** x · w + b over the last axis, for any rank, then `activation` (a relu fused into the product with the bias). */
export function dense(tf: TfCore, x: Tensor, w: Tensor, b: Tensor | undefined, activation = 'linear'): Tensor {
  const fused = activation === 'relu' || activation === 'linear';
  const y = fusedDense(tf, x, w, b ?? null, activation === 'relu');
  return fused ? y : applyActivation(tf, activation, y);
}

/** Apply a strata activation name (the keys of ACTIVATIONS, plus leaky_relu) with tensor ops. */
export function applyActivation(tf: TfCore, name: string, x: Tensor): Tensor {
  switch (name) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'elu': return tf.elu(x);
    case 'selu': return tf.selu(x);
    case 'gelu': return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'swish': case 'silu': return tf.mul(x, tf.sigmoid(x));
    case 'mish': return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'softplus': return tf.softplus(x);
    case 'softsign': return tf.div(x, tf.add(1, tf.abs(x)));
    case 'softmax': return tf.softmax(x, -1);
    case 'sigmoid': return tf.sigmoid(x);
    case 'hard_sigmoid': return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
    case 'tanh': return tf.tanh(x);
    case 'leaky_relu': return tf.leakyRelu(x, 0.2);
    default: throw new Error(`unknown activation '${name}' passed schema validation`);
  }
}
