/**
 * Layer normalization over the last axis as one op with its own gradient (the transformer
 * layers' and the layer_norm layer's). Differentiated op by op, tf.moments and the
 * normalization are about 25 kernels over the whole input per call; here it is the row
 * statistics and one pass forward, one pass back:
 *
 *   x̂ = (x − mean) · inv,  inv = 1/√(variance + ε)  (mean and variance of each row),
 *   y = x̂ · gamma + beta,
 *   dx = inv · (g − mean(g) − x̂ · mean(g · x̂)) with g = dy · gamma (means along the row),
 *   dgamma = Σ dy · x̂,  dbeta = Σ dy  (over every row),
 *
 * each a strata wasm kernel where registered (the last axis a multiple of 4;
 * src/kernel-names.ts), else the same arithmetic in plain ops.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { LAYER_NORM_AFFINE_KERNEL, LAYER_NORM_GRAD_KERNEL, ROW_MOMENTS_KERNEL } from '../../kernel-names.js';
import type { TfCore } from '../../tf-types.js';
import { hasKernels } from '../../kernel-calls.js';

/** (x − mean) / √(variance + ε) · gamma + beta over x's last axis, gamma and beta of its size. */
export function layerNormLastAxis(tf: TfCore, x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): Tensor {
  const features = x.shape[x.rank - 1]!;
  const leading = x.shape.slice(0, -1).map((_, i) => i);
  const byKernel = features % 4 === 0 && hasKernels(tf, ROW_MOMENTS_KERNEL, LAYER_NORM_AFFINE_KERNEL, LAYER_NORM_GRAD_KERNEL);
  const run = (name: string, inputs: Record<string, Tensor>) => tf.engine().runKernel(name, inputs) as Tensor[];
  const op = tf.customGrad((...args) => {
    const [xIn, g, b] = args as [Tensor, Tensor, Tensor];
    const save = args[3] as unknown as (t: Tensor[]) => void;
    const [mean, variance] = byKernel ? run(ROW_MOMENTS_KERNEL, { x: xIn }) : ((m) => [m.mean, m.variance])(tf.moments(xIn, -1, true));
    const inv = tf.rsqrt(tf.add(variance!, epsilon));
    const y = byKernel ? run(LAYER_NORM_AFFINE_KERNEL, { x: xIn, mean: mean!, inv, gamma: g, beta: b })[0]! : tf.add(tf.mul(tf.mul(tf.sub(xIn, mean!), inv), g), b);
    save([xIn, mean!, inv, g]);
    const gradFunc = (dy: Tensor, saved: Tensor[]): Tensor[] => {
      const [sx, sMean, sInv, sg] = saved as [Tensor, Tensor, Tensor, Tensor];
      if (byKernel) return run(LAYER_NORM_GRAD_KERNEL, { dy, x: sx, mean: sMean, inv: sInv, gamma: sg });
      const xh = tf.mul(tf.sub(sx, sMean), sInv);
      const gy = tf.mul(dy, sg);
      const dx = tf.mul(tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), -1, true))), sInv);
      return [dx, tf.sum(tf.mul(dy, xh), leading), tf.sum(dy, leading)];
    };
    return { value: y, gradFunc };
  });
  return op(x, gamma, beta);
}
