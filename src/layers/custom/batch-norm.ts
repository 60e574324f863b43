/**
 * BatchNormalization in training as one op with its own gradient. TensorFlow.js 4.22's
 * layer normalizes a training batch with tf.moments and its FusedBatchNorm kernel, and
 * differentiates through both: about 30 kernels over the whole input per layer and step
 * (on wasm 7.7 ms for FusedBatchNorm alone at [128, 26, 26, 32], and the gradient's
 * element-wise kernels more). Here the forward pass is the statistics and one scale and
 * shift per channel, and the gradient the two sums and one pass of the closed form
 *
 *   x̂ = (x − mean) · inv,  inv = 1/√(variance + ε),  M = the rows (every axis but the last),
 *   dbeta = Σ dy,  dgamma = Σ dy · x̂,
 *   dx = gamma · inv · (dy − dbeta/M − x̂ · dgamma/M) = dy · A + (x − mean) · B + C,
 *   A = gamma · inv,  B = −A · inv · dgamma/M,  C = −A · dbeta/M,
 *
 * each pass one of strata's wasm kernels where they are registered (channels a multiple
 * of 4; src/kernel-names.ts), else the same arithmetic in plain ops. The per-channel
 * arithmetic (inv, A, B, C) is plain ops on [channels] either way. Inference, other axes
 * and other ranks are the built-in's. The moving averages are updated as the built-in
 * does, with the batch's (biased) variance; the class keeps the built-in's name, config and
 * weights, so saved models are plain Keras BatchNormalization.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { LayerVariable } from '@tensorflow/tfjs-layers';
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types.js';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_SUMS_KERNEL, CHANNEL_AFFINE_KERNEL, CHANNEL_MOMENTS_KERNEL } from '../../kernel-names.js';
import type { TfCore } from '../../tf-types.js';
import { hasKernels } from '../../kernel-calls.js';
import { single } from './base.js';
import { classOf, fixedBuiltIn } from './define.js';

interface BatchNormFields {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

/**
 * Batch normalization of x over every axis but the last, with its gradient (the formulas
 * above): y, and the batch's mean and variance (kept: the caller disposes them).
 */
export function batchNormInTraining(tf: TfCore, x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): { y: Tensor; mean: Tensor; variance: Tensor } {
  const channels = x.shape[x.rank - 1]!;
  const rows = x.size / channels;
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const byKernel = channels % 4 === 0 && hasKernels(tf, CHANNEL_MOMENTS_KERNEL, CHANNEL_AFFINE_KERNEL, BATCH_NORM_SUMS_KERNEL, BATCH_NORM_GRAD_KERNEL);
  const run = (name: string, inputs: Record<string, Tensor>) => tf.engine().runKernel(name, inputs) as Tensor[];
  let stats: Tensor[] = [];
  const op = tf.customGrad((...args) => {
    const [xIn, g, b] = args as [Tensor, Tensor, Tensor];
    const save = args[3] as unknown as (t: Tensor[]) => void;
    const [mean, variance] = byKernel ? run(CHANNEL_MOMENTS_KERNEL, { x: xIn }) : ((m) => [m.mean, m.variance])(tf.moments(xIn, axes));
    const inv = tf.rsqrt(tf.add(variance!, epsilon));
    const a = tf.mul(g, inv);
    const shift = tf.sub(b, tf.mul(mean!, a));
    const y = byKernel ? run(CHANNEL_AFFINE_KERNEL, { x: xIn, a, b: shift })[0]! : tf.add(tf.mul(xIn, a), shift);
    stats = [tf.keep(mean!), tf.keep(variance!)];
    save([xIn, mean!, inv, g]);
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [sx, sMean, sInv, sg] = saved as [Tensor, Tensor, Tensor, Tensor];
      const [dbeta, centred] = byKernel ? run(BATCH_NORM_SUMS_KERNEL, { dy, x: sx, mean: sMean }) : [tf.sum(dy, axes), tf.sum(tf.mul(dy, tf.sub(sx, sMean)), axes)];
      const dgamma = tf.mul(centred!, sInv);
      const A = tf.mul(sg, sInv);
      const B = tf.neg(tf.mul(tf.mul(A, sInv), tf.div(dgamma, rows)));
      const C = tf.neg(tf.mul(A, tf.div(dbeta!, rows)));
      const dx = byKernel ? run(BATCH_NORM_GRAD_KERNEL, { dy, x: sx, mean: sMean, A, B, C })[0]! : tf.add(tf.add(tf.mul(dy, A), tf.mul(tf.sub(sx, sMean), B)), C);
      return [dx, dgamma, dbeta!];
    };
    return { value: y, gradFunc };
  });
  const y = op(x, gamma, beta);
  return { y, mean: stats[0]!, variance: stats[1]! };
}

export const BatchNormalization = fixedBuiltIn('BatchNormalization', (env) => {
  const { tf, tfl } = env;
  const BuiltIn = classOf(tfl.layers.batchNormalization({}));
  return class BatchNormalization extends BuiltIn {
    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor | Tensor[] {
      const f = this as unknown as BatchNormFields;
      const x = single(inputs);
      const last = f.axis === -1 || f.axis === x.rank - 1;
      if (kwargs['training'] !== true || !last || x.rank < 2 || x.rank > 4 || x.dtype !== 'float32') return super.call(inputs, kwargs);
      return tf.tidy(() => {
        const channels = x.shape[x.rank - 1]!;
        const gamma = f.gamma ? f.gamma.read() : tf.ones([channels]);
        const beta = f.beta ? f.beta.read() : tf.zeros([channels]);
        const { y, mean, variance } = batchNormInTraining(tf, x, gamma, beta, f.epsilon);
        // The built-in's moving averages: m ← m − (m − batch value) · (1 − momentum).
        for (const [moving, value] of [[f.movingMean, mean], [f.movingVariance, variance]] as const) {
          tf.tidy(() => {
            const now = moving.read();
            moving.write(tf.sub(now, tf.mul(tf.sub(now, value), 1 - f.momentum)));
          });
          value.dispose();
        }
        return y;
      });
    }
  };
});
