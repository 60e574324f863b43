/**
 * A mixture of experts: N feed-forward experts and a softmax gate that routes
 * each example (or each step of a sequence) to its top-k experts, their
 * outputs weighted by the gate renormalized over those k. With
 * `load_balance > 0`, training adds the Switch Transformer load-balancing
 * loss, `load_balance · N · Σᵢ fᵢ·Pᵢ` (fᵢ: the share of routing slots that go
 * to expert i, Pᵢ: its mean gate probability), through `addLoss`, so it
 * appears in `model.calculateLosses()`, which the training loop adds to the
 * loss of every step.
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import { single, shapes, strataBase } from './base.js';
import type { StrataLayerArgs, TfShape } from './base.js';
import { customLayer } from './define.js';
import { applyActivation } from './math.js';
import type { TfCore } from '../../tf-types.js';

/**
 * The top-k routing of gate logits [M, N]: a 0/1 mask of the chosen experts
 * (no gradient: choosing is not differentiable, and TensorFlow.js has no
 * gradient for TopK, so the choice runs inside a customGrad that the tape
 * does not look into), and their gate weights, a softmax over the chosen.
 */
export function topKGate(tf: TfCore, logits: Tensor, k: number): { mask: Tensor; gates: Tensor } {
  const n = logits.shape[1]!;
  const choose = tf.customGrad(((l: Tensor) => ({
    // oneHot in int32, then cast: tfjs-backend-wasm 4.22 writes the int 1 into a float32 oneHot's bits (1.4e-45), which made every mask 0 on wasm.
    value: tf.cast(tf.sum(tf.oneHot(tf.topk(l, k).indices, n), 1), 'float32'),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<TfCore['customGrad']>[0]);
  const mask = choose(logits);
  const gates = tf.softmax(tf.add(logits, tf.mul(tf.sub(1, mask), -1e9)), -1);
  return { mask, gates };
}

export const MixtureOfExperts = customLayer('strata>MixtureOfExperts', (env) => {
  const { tf } = env;
  return class MixtureOfExperts extends strataBase(env) {
    gate?: LayerVariable;
    w1?: LayerVariable;
    b1?: LayerVariable;
    w2?: LayerVariable;
    b2?: LayerVariable;
    /** The load-balancing loss of the latest training call (kept; replaced by the next). */
    aux?: Scalar;
    constructor(args: StrataLayerArgs) {
      super(args);
      if ((this.p.load_balance as number) > 0) this.addLoss(() => (this.aux ? this.aux : tf.scalar(0)));
    }
    outDim(d: number): number {
      return (this.p.output_units as number | undefined) ?? d;
    }
    override build(s: TfShape | TfShape[]): void {
      const x = shapes(s as TfShape)[0]!;
      const d = x[x.length - 1]!;
      const n = this.p.experts as number;
      const h = this.p.units as number;
      const o = this.outDim(d);
      this.gate = this.weight('gate_kernel', [d, n], 'gate');
      this.w1 = this.weight('expert_kernel_1', [n, d, h], 'kernel');
      this.b1 = this.weight('expert_bias_1', [n, h], 'bias');
      this.w2 = this.weight('expert_kernel_2', [n, h, o], 'kernel');
      this.b2 = this.weight('expert_bias_2', [n, o], 'bias');
      this.built = true;
    }
    override computeOutputShape(s: TfShape | TfShape[]): TfShape {
      const x = shapes(s as TfShape)[0]!;
      return [...x.slice(0, -1), this.outDim(x[x.length - 1]!)];
    }
    override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor {
      return tf.tidy(() => {
        const x = single(inputs);
        const d = x.shape[x.rank - 1]!;
        const n = this.p.experts as number;
        const k = this.p.top_k as number;
        const flat = tf.reshape(x, [-1, d]);
        const logits = tf.matMul(flat, this.gate!.read());
        const { mask, gates } = topKGate(tf, logits, k);
        const coef = this.p.load_balance as number;
        if (kwargs.training === true && coef > 0) {
          const share = tf.div(tf.mean(mask, 0), k);
          const prob = tf.mean(tf.softmax(logits, -1), 0);
          this.aux?.dispose();
          this.aux = tf.keep(tf.mul(tf.sum(tf.mul(share, prob)), coef * n) as Scalar);
        }
        const hidden = tf.add(tf.matMul(tf.tile(tf.expandDims(flat, 0), [n, 1, 1]), this.w1!.read()), tf.expandDims(this.b1!.read(), 1));
        const act = applyActivation(tf, this.p.activation as string, hidden);
        const out = tf.add(tf.matMul(act, this.w2!.read()), tf.expandDims(this.b2!.read(), 1)); // [N, M, o]
        const mixed = tf.sum(tf.mul(out, tf.expandDims(tf.transpose(gates), 2)), 0); // [M, o]
        return tf.reshape(mixed, [...x.shape.slice(0, -1), mixed.shape[1]!]);
      });
    }
  };
});
