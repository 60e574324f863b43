/**
 * Running strata's own kernels (kernel-names.ts) from the backend's gradients and the
 * layers: whether the current backend has them, and calls with their plain-op equivalent
 * for backends without.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { RELU_GRAD_KERNEL } from './kernel-names.js';
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
