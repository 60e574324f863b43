/**
 * Running strata's own kernels (kernel-names.ts) from the backend's gradients and the
 * layers: whether the current backend has them, and calls with their plain-op equivalent
 * for backends without.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { RELU_GRAD_KERNEL, RELU_GRAD_SUMS_KERNEL } from './kernel-names.js';
import type { TfCore } from './tf-types.js';

/** Whether the current backend has every one of strata's kernels `names` (strata registers them on wasm). */
export function hasKernels(tf: TfCore, ...names: string[]): boolean {
  const backend = tf.getBackend();
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
}

/** Relu's gradient dy · step(x): strata's one kernel where registered, tfjs-core's ops elsewhere. */
export function reluGrad(tf: TfCore, dy: Tensor, x: Tensor): Tensor {
  if (x.dtype === 'float32' && dy.dtype === 'float32' && hasKernels(tf, RELU_GRAD_KERNEL)) {
    return (tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as Tensor[])[0]!;
  }
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

/**
 * Relu's gradient over [..., channels] and the gradient's sums over every axis but the last (a
 * bias's gradient): in one pass by strata's kernel where registered (channels a multiple of
 * 4), else reluGrad and `sums` undefined, for the caller to sum when it needs them.
 */
export function reluGradWithSums(tf: TfCore, dy: Tensor, x: Tensor): { dx: Tensor; sums?: Tensor } {
  const channels = x.shape[x.rank - 1] ?? 0;
  if (x.dtype === 'float32' && dy.dtype === 'float32' && x.rank >= 2 && channels % 4 === 0 && hasKernels(tf, RELU_GRAD_SUMS_KERNEL)) {
    const [dx, sums] = tf.engine().runKernel(RELU_GRAD_SUMS_KERNEL, { dy, x }) as Tensor[];
    return { dx: dx!, sums: sums! };
  }
  return { dx: reluGrad(tf, dy, x) };
}

/**
 * dy through a fused kernel's activation (strata's FusedConv2D and _FusedMatMul gradients, and
 * the step by hand of src/train/stack-gradients.ts), from its output y: relu's gradient, or dy itself for
 * linear; with the sums over every axis but the last when one pass gave them (the bias's gradient).
 */
export function activationGrad(tf: TfCore, dy: Tensor, y: Tensor, activation: string | undefined, kernel: string): { g: Tensor; sums?: Tensor } {
  if (activation === 'relu') {
    const { dx, sums } = reluGradWithSums(tf, dy, y);
    return { g: dx, sums };
  }
  if (activation === undefined || activation === 'linear') return { g: dy };
  throw new Error(`strata's ${kernel} gradient takes a linear or relu activation, not ${activation}`);
}
