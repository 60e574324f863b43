/**
 * Transformer blocks (Keras Hub `TransformerEncoder` and `TransformerDecoder`):
 * attention, a two-layer feed-forward network, layer norms and residual
 * connections, post-norm by default or pre-norm with `norm_first`.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { attentionWeights, recordAttention } from './attention.js';
import type { AttentionMap, AttentionRecorder } from './attention.js';
import { shapes, strataBase } from './base.js';
import type { StrataLayer, TfShape } from './base.js';
import { customLayer } from './define.js';
import { perCopy } from './env.js';
import { dense, layerNorm, multiHeadAttention } from './math.js';
import type { AttentionWeights } from './math.js';

/** The spec keys both blocks keep. */
export interface BlockKeys {
  heads: number;
  ff_units: number;
  key_dim?: number;
  dropout: number;
  activation: string;
  norm_first: boolean;
  layer_norm_epsilon: number;
  causal?: boolean;
}

interface Norm { gamma: LayerVariable; beta: LayerVariable }
interface FeedForward { w1: LayerVariable; b1: LayerVariable; w2: LayerVariable; b2: LayerVariable }

function norm(layer: StrataLayer, name: string, d: number): Norm {
  return { gamma: layer.weight(`${name}_gamma`, [d], 'gamma'), beta: layer.weight(`${name}_beta`, [d], 'beta') };
}

function feedForward(layer: StrataLayer, d: number, ff: number): FeedForward {
  return {
    w1: layer.weight('ff_intermediate_kernel', [d, ff], 'kernel'),
    b1: layer.weight('ff_intermediate_bias', [ff], 'bias'),
    w2: layer.weight('ff_output_kernel', [ff, d], 'kernel'),
    b2: layer.weight('ff_output_bias', [d], 'bias'),
  };
}

/** What both blocks share: one residual sub-block, pre- or post-norm; the feed-forward network; attention maps. */
const blockBase = perCopy((env) => {
  const { tf } = env;
  abstract class Block extends strataBase(env) {
    get keys(): BlockKeys {
      return this.p as unknown as BlockKeys;
    }
    keyDim(d: number): number {
      return this.keys.key_dim ?? d / this.keys.heads;
    }
    sub(x: Tensor, n: Norm, f: (y: Tensor) => Tensor, training: boolean): Tensor {
      const k = this.keys;
      const drop = (y: Tensor) => (training && k.dropout > 0 ? tf.dropout(y, k.dropout) : y);
      const ln = (y: Tensor) => layerNorm(tf, y, n.gamma, n.beta, k.layer_norm_epsilon);
      return k.norm_first ? tf.add(x, drop(f(ln(x)))) : ln(tf.add(x, drop(f(x))));
    }
    attend(w: AttentionWeights, q: Tensor, kv: Tensor, d: number, causal: boolean, training: boolean, onWeights?: (w: Tensor) => void): Tensor {
      const kd = this.keyDim(d);
      return multiHeadAttention(tf, w, q, kv, { heads: this.keys.heads, keyDim: kd, valueDim: kd, causal, dropout: this.keys.dropout, training, onWeights });
    }
    /** The block's computation; `record` receives the attention weights. */
    abstract forward(inputs: Tensor | Tensor[], training: boolean, record?: AttentionRecorder): Tensor;
    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      return tf.tidy(() => this.forward(inputs, kwargs.training === true));
    }
    attentionMaps(inputs: Tensor | Tensor[]): AttentionMap[] {
      return recordAttention(tf, (record) => this.forward(inputs, false, record));
    }
    ff(f: FeedForward, x: Tensor): Tensor {
      return dense(tf, dense(tf, x, f.w1.read(), f.b1.read(), this.keys.activation), f.w2.read(), f.b2.read());
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      return shapes(inputShape as TfShape)[0]!;
    }
  }
  return Block;
});

export const TransformerEncoder = customLayer('strata>TransformerEncoder', (env) => {
  return class TransformerEncoder extends blockBase(env) {
    attn?: AttentionWeights;
    n1?: Norm;
    n2?: Norm;
    f?: FeedForward;
    override build(inputShape: TfShape | TfShape[]): void {
      const d = shapes(inputShape as TfShape)[0]![2]!;
      const kd = this.keyDim(d);
      this.attn = attentionWeights(this, 'attention_', d, d, this.keys.heads, kd, kd, d, true);
      this.n1 = norm(this, 'attention_norm', d);
      this.f = feedForward(this, d, this.keys.ff_units);
      this.n2 = norm(this, 'ff_norm', d);
      this.built = true;
    }
    forward(inputs: Tensor | Tensor[], training: boolean, record?: AttentionRecorder): Tensor {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const d = x.shape[2]!;
      const y = this.sub(x, this.n1!, (h) => this.attend(this.attn!, h, h, d, this.keys.causal === true, training, record?.('attention')), training);
      return this.sub(y, this.n2!, (h) => this.ff(this.f!, h), training);
    }
  };
});

export const TransformerDecoder = customLayer('strata>TransformerDecoder', (env) => {
  return class TransformerDecoder extends blockBase(env) {
    self?: AttentionWeights;
    cross?: AttentionWeights;
    n1?: Norm;
    n2?: Norm;
    n3?: Norm;
    f?: FeedForward;
    override build(inputShape: TfShape | TfShape[]): void {
      const [x, enc] = shapes(inputShape as TfShape);
      const d = x![2]!;
      const kd = this.keyDim(d);
      this.self = attentionWeights(this, 'self_attention_', d, d, this.keys.heads, kd, kd, d, true);
      this.n1 = norm(this, 'self_attention_norm', d);
      if (enc) {
        this.cross = attentionWeights(this, 'cross_attention_', d, enc[2]!, this.keys.heads, kd, kd, d, true);
        this.n2 = norm(this, 'cross_attention_norm', d);
      }
      this.f = feedForward(this, d, this.keys.ff_units);
      this.n3 = norm(this, 'ff_norm', d);
      this.built = true;
    }
    forward(inputs: Tensor | Tensor[], training: boolean, record?: AttentionRecorder): Tensor {
      const xs = Array.isArray(inputs) ? inputs : [inputs];
      const d = xs[0]!.shape[2]!;
      let y = this.sub(xs[0]!, this.n1!, (h) => this.attend(this.self!, h, h, d, true, training, record?.('self-attention')), training);
      const enc = xs[1];
      if (enc && this.cross) y = this.sub(y, this.n2!, (h) => this.attend(this.cross!, h, enc, d, false, training, record?.('cross-attention')), training);
      return this.sub(y, this.n3!, (h) => this.ff(this.f!, h), training);
    }
  };
});
